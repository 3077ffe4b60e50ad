import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../deploy/repoPaths.ts';

/**
 * The direction of imports inside services/: runtimes → stages → parts (MeSH, ingest parsing, the
 * generators and judges, export, LLM access, contracts, config, errors, instrumentation, model);
 * metrics subscribe to instrumentation events and never import what they measure; the CLI
 * composes everything and nothing imports it; only the Kafka runtime knows the Kafka client.
 */
const SERVICES = repoPath('services');

interface Import {
  from: string;
  to: string;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(pattern)) {
    const spec = m[1] ?? m[2]!;
    const line = text.slice(0, m.index).split('\n').length;
    const to = spec.startsWith('.') ? relative(SERVICES, resolve(dirname(file), spec)) : `npm:${spec}`;
    found.push({ from: relative(SERVICES, file), to, line });
  }
  return found;
}

/** The layer of a file under services/, by its folder. */
function layerOf(path: string): string {
  if (path.startsWith('npm:')) return 'npm';
  const [top, sub] = path.split('/');
  if (top === 'runtime') return sub === 'kafka' || sub === 'inprocess' ? `runtime/${sub}` : 'runtime';
  return top!;
}

const PARTS = ['model', 'errors', 'config', 'contracts', 'instrumentation', 'mesh', 'ingest', 'annotate', 'generate', 'judge', 'export', 'preferences', 'llm', 'operators', 'retrieval', 'eval'];

/** For each layer, the layers it may not import. */
const FORBIDDEN: Record<string, readonly string[]> = {
  ...Object.fromEntries(PARTS.map((p) => [p, ['stages', 'runtime', 'runtime/kafka', 'runtime/inprocess', 'metrics', 'cli']])),
  stages: ['runtime', 'runtime/kafka', 'runtime/inprocess', 'metrics', 'cli'],
  metrics: ['stages', 'runtime', 'runtime/kafka', 'runtime/inprocess', 'cli', 'annotate', 'generate', 'judge', 'export', 'eval', 'preferences'],
  'runtime/inprocess': ['runtime/kafka', 'cli'],
  'runtime/kafka': ['runtime/inprocess', 'cli'],
  runtime: ['cli'],
};

/** Parts that sit below others: the vocabulary and the model know nothing of what uses them. */
const PART_FORBIDDEN: Record<string, readonly string[]> = {
  model: PARTS.filter((p) => p !== 'model' && p !== 'errors'),
  errors: PARTS.filter((p) => p !== 'errors' && p !== 'model'),
  mesh: ['annotate', 'generate', 'judge', 'export', 'llm', 'ingest', 'retrieval'],
  instrumentation: ['annotate', 'generate', 'judge', 'export', 'mesh', 'retrieval', 'eval'],
  // The index knows the vocabulary and the embeddings client, not the stages' parts that use it.
  retrieval: ['annotate', 'generate', 'judge', 'export'],
};

const all = sourceFiles(SERVICES).flatMap(importsOf);

describe('import direction in services/', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((i) => i.from.startsWith('stages/') && i.to.startsWith('annotate/'))).toBe(true);
  });

  it('runtimes → stages → parts: no import points back up, and the two runtimes do not import each other', () => {
    const wrong = all.filter((i) => {
      if (i.to.startsWith('npm:')) return false;
      const from = layerOf(i.from);
      const to = layerOf(i.to);
      return from !== to && ((FORBIDDEN[from] ?? []).includes(to) || (PART_FORBIDDEN[from] ?? []).includes(to));
    });
    expect(wrong.map((i) => `services/${i.from}:${i.line} imports services/${i.to}`)).toEqual([]);
  });

  it('only the Kafka runtime imports the Kafka client', () => {
    const wrong = all.filter((i) => i.to === 'npm:kafkajs' && layerOf(i.from) !== 'runtime/kafka');
    expect(wrong.map((i) => `services/${i.from}:${i.line}`)).toEqual([]);
  });

  it('only the literature index imports the database engine', () => {
    const wrong = all.filter((i) => i.to === 'npm:libsql' && i.from !== 'retrieval/literatureIndex.ts');
    expect(wrong.map((i) => `services/${i.from}:${i.line}`)).toEqual([]);
    expect(all.some((i) => i.to === 'npm:libsql')).toBe(true);
  });

  it('metrics learn about the pipeline from instrumentation events only', () => {
    const fromMetrics = all.filter((i) => layerOf(i.from) === 'metrics' && !i.to.startsWith('npm:'));
    const layers = new Set(fromMetrics.map((i) => layerOf(i.to)));
    expect([...layers].filter((l) => !['metrics', 'instrumentation', 'model', 'llm', 'ingest', 'contracts', 'errors', 'config'].includes(l))).toEqual([]);
  });
});
