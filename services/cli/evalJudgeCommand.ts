import { parseArgs } from 'node:util';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { annotateRecord } from '../annotate/annotateRecord.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { UsageError } from '../errors/medistillErrors.ts';
import { CORRUPTION_KINDS, corruptItems } from '../eval/corruptions.ts';
import { runJudgeSuite, type JudgeSuiteReport } from '../eval/judgeSuite.ts';
import { createRuleBasedGenerator } from '../generate/ruleBasedGenerator.ts';
import { readPubmedInputs, resolveInputFiles } from '../ingest/readPubmedInputs.ts';
import { createInstrumentation } from '../instrumentation/instrumentation.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createHierarchyScorer } from '../mesh/meshSimilarity.ts';
import { MAX_LINGER_MS } from '../metrics/serveRunMetrics.ts';
import type { QaCandidate } from '../model/qaItem.ts';
import { BACKEND_CHOICES, buildBackends, type BackendChoice } from './buildBackends.ts';
import { evalMetricsServer, writeEvalReport } from './evalCommand.ts';
import { positiveInt, wholeNumber } from './numericFlags.ts';
import { parseThresholds } from './parseThresholds.ts';
import { bundledMeshPath } from './runCommand.ts';

export const JUDGE_SUITE_USAGE = `usage: medistill eval judge --input <PubMed XML file|folder|glob> [--input ...] --out <dataset folder> [--mesh <desc.xml[.gz]>]
                           [--backend auto|rule-based|llm] [--threshold c=x,...] [--limit N] [--concurrency N]
                           [--metrics-port N [--linger-ms N]]

Judge validation: from real records, the rule-based generator builds clean items, and from those
corrupted copies of known kinds (${CORRUPTION_KINDS.join(', ')}).
The judge (rule-based, or the LLM judge of MEDISTILL_LLM_*) scores all of them; the report gives, per
kind, the share rejected, and the share of clean items accepted. It goes to <out>/eval/ and the card (README.md).`;

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** `medistill eval judge`: can the judge say no? */
export async function judgeSuiteCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', multiple: true },
        out: { type: 'string' },
        report: { type: 'string' },
        mesh: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        threshold: { type: 'string', multiple: true },
        limit: { type: 'string' },
        concurrency: { type: 'string' },
        'metrics-port': { type: 'string' },
        'linger-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${JUDGE_SUITE_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input?.length) throw new UsageError(`--input is required\n${JUDGE_SUITE_USAGE}`);
  if (!v.out && !v.report) throw new UsageError(`--out is required\n${JUDGE_SUITE_USAGE}`);
  if (!(BACKEND_CHOICES as readonly string[]).includes(v.backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v.backend}"`);
  const limit = positiveInt('limit', v.limit, 500);
  const concurrency = positiveInt('concurrency', v.concurrency, 4);
  const lingerMs = v['linger-ms'] === undefined ? 0 : wholeNumber('linger-ms', v['linger-ms'], MAX_LINGER_MS);
  const thresholds = parseThresholds(v.threshold ?? []);
  const log = (line: string): void => {
    if (!v.quiet) io.stderr.write(`${line}\n`);
  };

  const config = loadServiceConfig(io.env);
  const files = await resolveInputFiles(v.input);
  const vocab = await loadMeshVocabulary(v.mesh ?? bundledMeshPath());
  const annotateCtx = createAnnotateContext(vocab);
  const hierarchyScorer = createHierarchyScorer(vocab);
  const bus = createInstrumentation();
  const { judge, settingsLines } = buildBackends({ choice: v.backend as BackendChoice, config, env: io.env, vocab, hierarchyScorer, thresholds, itemsPerRecord: 3, llm: { onEvent: (e) => bus.emit(e) } });
  for (const l of settingsLines) log(l);
  // Clean items come from the rule-based generator whatever the judge: their making is known and repeatable.
  const generator = createRuleBasedGenerator({ vocab, itemsPerRecord: 3 });

  const clean: QaCandidate[] = [];
  let papers = 0;
  let failed = 0;
  for await (const entry of readPubmedInputs(files)) {
    if (papers >= limit) break;
    if (entry.kind === 'error') {
      failed++;
      continue;
    }
    if (entry.kind !== 'article') continue;
    papers++;
    const { items } = await generator.generate(annotateRecord(entry, annotateCtx));
    clean.push(...items);
  }
  if (clean.length === 0) throw new UsageError(`no items could be built from ${files.length} file(s) (${papers} records, ${failed} unreadable): give PubMed records with abstracts`);
  const corrupted = corruptItems(clean, vocab);
  log(`judge validation: ${papers} records (${failed} unreadable), ${clean.length} clean items, ${corrupted.length} corrupted; judge ${judge.name} ${judge.version}`);

  const metrics = await evalMetricsServer(v['metrics-port'], io.env, bus, log);
  try {
    const report = await runJudgeSuite(judge, clean, corrupted, { source: files, papers, backendKind: judge.name.startsWith('llm') ? 'llm' : 'rule-based', concurrency });
    const backendLabel = report.backend.kind === 'llm' ? 'llm' : 'offline';
    bus.emit({ type: 'eval.judge', backend: backendLabel, kind: 'clean', rejectionRate: 1 - report.clean.rate, items: report.clean.items });
    for (const k of report.kinds) bus.emit({ type: 'eval.judge', backend: backendLabel, kind: k.kind, rejectionRate: k.rate, items: k.items });
    io.stdout.write(formatJudgeSuite(report));
    const path = await writeEvalReport(report, `judge-validation-${report.backend.kind}.json`, { report: v.report, out: v.out });
    io.stdout.write(`report: ${path}\n`);
  } finally {
    await metrics?.close(lingerMs);
  }
  return 0;
}

/** The report as a table. */
export function formatJudgeSuite(r: JudgeSuiteReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `judge validation: ${r.backend.name} ${r.backend.version} (${r.backend.promptVersion}), ${r.papers} records`,
    '',
    `${'items'.padEnd(26)} ${'count'.padStart(6)} ${'rejected'.padStart(9)} ${'share'.padStart(7)}`,
    `${'clean (should pass)'.padEnd(26)} ${String(r.clean.items).padStart(6)} ${String(r.clean.items - r.clean.accepted).padStart(9)} ${pct(1 - r.clean.rate).padStart(7)}   accepted ${pct(r.clean.rate)}`,
  ];
  for (const k of r.kinds) lines.push(`${k.kind.padEnd(26)} ${String(k.items).padStart(6)} ${String(k.rejected).padStart(9)} ${pct(k.rate).padStart(7)}`);
  lines.push(`${'all corrupted'.padEnd(26)} ${String(r.corrupted.items).padStart(6)} ${String(r.corrupted.rejected).padStart(9)} ${pct(r.corrupted.rate).padStart(7)}`);
  if (r.judgeErrors > 0) lines.push(`judge errors (counted as rejections): ${r.judgeErrors}`);
  return `${lines.join('\n')}\n`;
}
