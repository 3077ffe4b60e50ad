/**
 * Export formats: 1,000,000 accepted items written as the export writes them (shards of 2,000 rows)
 * to Parquet (parquet-wasm, zstd) and to JSONL (typed encoder), against plain JSON.stringify lines
 * (the export's JSONL before the columns were typed) as the baseline. Prints time, items/s, peak RSS
 * and the bytes on disk, and writes its section of bench/RESULTS.md.
 *
 *   npx tsx bench/exportFormats.ts [--items 1000000]
 *
 * Each format runs in its own child process, so that memory belongs to that format alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ACCEPTED_FEATURES, encodeJsonRow } from '../services/export/datasetFeatures.ts';
import { toDatasetRow, type DatasetRow } from '../services/export/datasetRow.ts';
import { encodeParquet } from '../services/export/parquetEncoding.ts';
import type { Criterion, JudgedItem } from '../services/model/qaItem.ts';
import { seededRandom } from './seededRandom.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const here = dirname(fileURLToPath(import.meta.url));
const WORK = join(here, '.data', 'formats');
const SHARD_ROWS = 2_000;
const FORMATS = ['json-stringify', 'jsonl', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const CRITERIA: Criterion[] = ['grounded', 'answerable', 'correct', 'clear', 'hierarchy', 'retrieval'];
const WORDS = 'patients treatment cohort risk disease outcomes trial mortality therapy dose placebo receptor protein tumor gene pathway inflammation infection children adults'.split(' ');

/** Contexts are drawn from a fixed pool, so building rows costs little next to writing them. */
const CONTEXTS = Array.from({ length: 256 }, (_, i) => {
  const random = seededRandom(1_000_000 + i);
  return `${Array.from({ length: 180 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')}.`;
});

/** Item `n`, the same on every run. */
function rowAt(n: number): DatasetRow {
  const random = seededRandom(n + 1);
  const words = (k: number) => Array.from({ length: k }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const type = n % 3 === 0 ? 'open' : n % 3 === 1 ? 'yes_no_maybe' : 'multiple_choice';
  const mcq = type === 'multiple_choice';
  const item: JudgedItem = {
    candidate: {
      id: `item-${n}`,
      pmid: String(20_000_000 + Math.floor(n / 3)),
      pmidVersion: 1,
      type,
      question: `Does ${words(8)} change outcomes (${n})?`,
      answer: mcq ? 'B' : type === 'yes_no_maybe' ? 'yes' : words(4),
      longAnswer: type === 'yes_no_maybe' ? words(20) : null,
      options: mcq ? (['A', 'B', 'C', 'D'] as const).map((label) => ({ label, text: words(3) })) : null,
      context: CONTEXTS[n % CONTEXTS.length]!,
      target: { descriptorUi: 'D000001', name: 'Calcimycin', treeNumbers: ['D02.355.291.933.125'], branches: ['D'], source: 'nlm' },
      paperMesh: ['D000001', 'D006801', 'D008297'],
      generator: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
      createdAt: '2025-01-01T00:00:00.000Z',
    },
    // Whole and fractional scores alike: the typed writers keep them float64.
    scores: Object.fromEntries(CRITERIA.map((c) => [c, { score: random() < 0.3 ? 1 : Math.round(random() * 1000) / 1000, reason: `${c}: ${words(6)}` }])) as JudgedItem['scores'],
    hierarchyFormula: 'wu-palmer-bma/v1',
    voc: mcq ? { options: (['A', 'B', 'C', 'D'] as const).map((label) => ({ label, argument: words(10), supported: label === 'B' })), survivors: ['B'], passed: true } : null,
    verdict: 'accept',
    rejectReasons: [],
    judge: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
    judgedAt: '2025-01-02T00:00:00.000Z',
    retrievedPmids: [],
  };
  return toDatasetRow(item);
}

interface Result {
  format: Format;
  items: number;
  seconds: number;
  peakRssMiB: number;
  bytes: number;
  files: number;
}

async function runFormat(format: Format, items: number): Promise<Result> {
  const dir = join(WORK, format);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = process.hrtime.bigint();
  for (let first = 0, shard = 1; first < items; first += SHARD_ROWS, shard++) {
    const rows: DatasetRow[] = [];
    for (let n = first; n < Math.min(items, first + SHARD_ROWS); n++) rows.push(rowAt(n));
    const name = join(dir, `accepted-${String(shard).padStart(5, '0')}`);
    if (format === 'parquet') await writeFile(`${name}.parquet`, encodeParquet(ACCEPTED_FEATURES, rows));
    else if (format === 'jsonl') await writeFile(`${name}.jsonl`, rows.map((r) => `${encodeJsonRow(ACCEPTED_FEATURES, r)}\n`).join(''));
    else await writeFile(`${name}.jsonl`, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const files = readdirSync(dir);
  const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { format, items, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, bytes, files: files.length };
}

/** Time to build the rows alone, subtracted from nothing: printed so the writers' share is visible. */
function rowsOnlySeconds(items: number): number {
  const started = process.hrtime.bigint();
  let sink = 0;
  for (let n = 0; n < items; n++) sink += rowAt(n).question.length;
  if (sink < 0) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { items: { type: 'string', default: '1000000' }, child: { type: 'string' } } });
  const items = Number(values.items);
  if (values.child) {
    const result = values.child === 'rows' ? { seconds: rowsOnlySeconds(items) } : await runFormat(values.child as Format, items);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const child = (which: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', which, '--items', String(items)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${which} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  };
  const rows = child('rows') as unknown as { seconds: number };
  const results = FORMATS.map(child);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines = [
    `Command: \`npx tsx bench/exportFormats.ts --items ${items}\` (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)} at start; every format in its own process).`,
    `${items.toLocaleString('en')} accepted items (open, yes/no/maybe and multiple choice in turn, ~1.5 KB of context each) in shards of ${SHARD_ROWS.toLocaleString('en')} rows. Building the rows alone takes ${rows.seconds.toFixed(1)} s, included in every time below.`,
    '',
    '| format | time | items/s | peak RSS | on disk | files |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.format === 'json-stringify' ? 'JSONL, JSON.stringify (baseline)' : r.format === 'jsonl' ? 'JSONL, typed encoder' : 'Parquet (parquet-wasm, zstd)'} | ${r.seconds.toFixed(1)} s | ${Math.round(r.items / r.seconds).toLocaleString('en')} | ${r.peakRssMiB.toFixed(0)} MiB | ${mib(r.bytes)} MiB | ${r.files} |`),
  ];
  for (const l of lines) process.stdout.write(`${l}\n`);
  await writeResultsSection('Export formats: Parquet and JSONL', lines.join('\n'));
  rmSync(WORK, { recursive: true, force: true });
}

await main();
