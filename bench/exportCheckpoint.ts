/**
 * Export checkpoint cost: a dataset of about 1,000,000 judged items (333,334 papers x 3 items), then
 * 100 changed papers and a second checkpoint, timed with its peak RSS. The export store rewrites only
 * the shards that hold changed papers; the baseline is the export before it (ExportState: every
 * judgement in memory, `save` of the whole state and `materialize` of the whole dataset at every
 * checkpoint), kept in bench/fullRewriteExport.ts.
 *
 *   npx tsx bench/exportCheckpoint.ts [--papers 333334]
 *
 * Each variant runs in its own child process, so that memory belongs to that variant alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openExportStore, type PaperEntry } from '../services/export/exportStore.ts';
import type { Criterion, JudgedItem, RejectReason } from '../services/model/qaItem.ts';
import { ExportState } from './fullRewriteExport.ts';
import { seededRandom } from './seededRandom.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const here = dirname(fileURLToPath(import.meta.url));
const WORK = join(here, '.data', 'export');
const ITEMS_PER_PAPER = 3;
const CHANGED = 100;
const FIRST_PMID = 20_000_000;
/** Share of questions drawn from a small common pool, so the dataset has duplicates to drop. */
const COMMON_QUESTION_SHARE = 0.01;
const CRITERIA: Criterion[] = ['grounded', 'answerable', 'correct', 'clear', 'hierarchy', 'retrieval'];
const WORDS = 'patients treatment cohort risk disease outcomes trial mortality therapy dose placebo receptor protein tumor gene pathway inflammation infection children adults'.split(' ');
const BRANCHES = [['C14.280', 'C'], ['D02.078', 'D'], ['E01.370', 'E'], ['G03.495', 'G'], ['A11.251', 'A']] as const;

/** One paper's judged items, the same for the same PMID, version and seed on every run. */
function paperAt(pmid: number, version: number): PaperEntry {
  const random = seededRandom(pmid * 7 + version);
  const words = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const items: JudgedItem[] = [];
  for (let i = 0; i < ITEMS_PER_PAPER; i++) {
    const common = random() < COMMON_QUESTION_SHARE;
    const question = common ? `Common question ${Math.floor(random() * 2_000)}?` : `Does ${words(6)} change in PMID ${pmid} (${i})?`;
    const accepted = random() < 0.85;
    const [tree, branch] = BRANCHES[Math.floor(random() * BRANCHES.length)]!;
    const score = () => Math.round(random() * 1000) / 1000;
    items.push({
      candidate: {
        id: `${pmid}-${version}-${i}`,
        pmid: String(pmid),
        pmidVersion: version,
        type: i === 0 ? 'open' : i === 1 ? 'yes_no_maybe' : 'multiple_choice',
        question,
        answer: i === 1 ? 'yes' : words(3),
        longAnswer: i === 1 ? words(12) : null,
        options: null,
        context: `${words(40)}.`,
        target: { descriptorUi: 'D000001', name: 'Calcimycin', treeNumbers: [tree], branches: [branch], source: 'nlm' },
        paperMesh: ['D000001', 'D006801'],
        generator: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
        createdAt: '2025-01-01T00:00:00.000Z',
      },
      scores: Object.fromEntries(CRITERIA.map((c) => [c, { score: score(), reason: `${c}: ${words(4)}` }])) as JudgedItem['scores'],
      hierarchyFormula: 'wu-palmer-bma/v1',
      voc: null,
      verdict: accepted ? 'accept' : 'reject',
      rejectReasons: accepted ? [] : (['low_correct'] as RejectReason[]),
      judge: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
      judgedAt: '2025-01-02T00:00:00.000Z',
      retrievedPmids: [],
    });
  }
  return { pmid: String(pmid), pmidVersion: version, producedAt: 1_700_000_000_000 + version, meshVersion: 'MeSH 2025', items };
}

type ChangeCase = 'revisions' | 'new' | 'mix';

/** The 100 changed papers of a case: revisions of random existing papers, new papers above the highest PMID, or half of each. */
function changes(kind: ChangeCase, papers: number, round: number): PaperEntry[] {
  const random = seededRandom(round * 1_000 + kind.length);
  const revisions = kind === 'revisions' ? CHANGED : kind === 'mix' ? CHANGED / 2 : 0;
  const out: PaperEntry[] = [];
  for (let i = 0; i < revisions; i++) out.push(paperAt(FIRST_PMID + Math.floor(random() * papers), round + 1));
  for (let i = revisions; i < CHANGED; i++) out.push(paperAt(FIRST_PMID + papers + round * CHANGED + i, 1));
  return out;
}

interface Timed {
  seconds: number;
  /** Highest RSS sampled every 5 ms during the step. */
  peakRssMb: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<Timed & { result: T }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const start = process.hrtime.bigint();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRssMb: peak / (1 << 20), result };
  } finally {
    clearInterval(sampler);
  }
}

interface Row extends Timed {
  name: string;
  note: string;
}

async function childStore(papers: number, maxRowsPerShard: number): Promise<Row[]> {
  const outDir = join(WORK, `store-${maxRowsPerShard}`);
  rmSync(outDir, { recursive: true, force: true });
  rmSync(`${outDir}.state`, { recursive: true, force: true });
  const store = await openExportStore({ outDir, maxRowsPerShard });
  const build = await timed(async () => {
    for (let p = 0; p < papers; p++) await store.apply(paperAt(FIRST_PMID + p, 1));
  });
  const first = await timed(() => store.checkpoint());
  const rows: Row[] = [
    { name: `store (shards of ${maxRowsPerShard.toLocaleString('en-US')} rows): apply ${papers.toLocaleString('en-US')} papers`, note: 'not a checkpoint', ...build },
    {
      name: `store (shards of ${maxRowsPerShard.toLocaleString('en-US')} rows): first checkpoint`,
      note: `${first.result.accepted.toLocaleString('en-US')} accepted, ${first.result.rejected.toLocaleString('en-US')} rejected, ${first.result.duplicates.toLocaleString('en-US')} duplicates; ${first.result.shards} shards`,
      seconds: first.seconds,
      peakRssMb: first.peakRssMb,
    },
  ];
  for (const [round, kind] of (['revisions', 'new', 'mix'] as const).entries()) {
    for (const entry of changes(kind, papers, round + 1)) await store.apply(entry);
    const second = await timed(() => store.checkpoint());
    const c = second.result;
    rows.push({
      name: `store (shards of ${maxRowsPerShard.toLocaleString('en-US')} rows): checkpoint after 100 ${kind === 'mix' ? 'changes (50 revisions, 50 new)' : kind === 'new' ? 'new papers' : 'revisions of random papers'}`,
      note: `${c.shardsWritten} of ${c.shards} shards, ${c.rowsWritten.toLocaleString('en-US')} rows written`,
      seconds: second.seconds,
      peakRssMb: second.peakRssMb,
    });
  }
  await store.close();
  return rows;
}

async function childBaseline(papers: number): Promise<Row[]> {
  const outDir = join(WORK, 'baseline');
  rmSync(outDir, { recursive: true, force: true });
  rmSync(`${outDir}.state`, { recursive: true, force: true });
  const state = new ExportState();
  const build = await timed(async () => {
    for (let p = 0; p < papers; p++) state.apply(paperAt(FIRST_PMID + p, 1));
  });
  const checkpoint = async () => {
    await state.save(`${outDir}.state`);
    return state.materialize(outDir);
  };
  const first = await timed(checkpoint);
  for (const entry of changes('mix', papers, 1)) state.apply(entry);
  const second = await timed(checkpoint);
  const rows = (what: string, t: Timed, note: string): Row => ({ name: `baseline, full rewrite (ExportState.save + materialize): ${what}`, note, seconds: t.seconds, peakRssMb: t.peakRssMb });
  return [
    rows(`apply ${papers.toLocaleString('en-US')} papers`, build, 'not a checkpoint; every judgement stays in memory'),
    rows('first checkpoint', first, `${first.result.accepted.toLocaleString('en-US')} accepted`),
    rows('checkpoint after 100 changes (50 revisions, 50 new)', second, 'whole state and whole dataset rewritten'),
  ];
}

function runChild(variant: string, papers: number, maxRows: number): Row[] {
  // Only the baseline, which holds every judgement in memory, needs a larger heap; the store runs with
  // node's default, so its peak RSS is what it needs rather than what a lazy collector let it reach.
  const heap = variant === 'baseline' ? ['--max-old-space-size=12288'] : [];
  const args = [...process.execArgv, ...heap, fileURLToPath(import.meta.url), '--child', variant, String(papers), String(maxRows)];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 3_600_000, maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${variant} failed: ${result.stderr || result.error?.message}`);
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  const { rows, maxRssMb } = JSON.parse(last) as { rows: Row[]; maxRssMb: number };
  console.error(`${variant}: done, process peak RSS ${Math.round(maxRssMb)} MB`);
  return rows.map((r) => ({ ...r, note: `${r.note}` })).concat([{ name: `${variant}: whole process`, note: 'peak RSS over the whole run (build included)', seconds: NaN, peakRssMb: maxRssMb }]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const papers = Number(args[2]);
    const rows = args[1] === 'baseline' ? await childBaseline(papers) : await childStore(papers, Number(args[3]));
    process.stdout.write(`${JSON.stringify({ rows, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
    return;
  }
  const flag = args.indexOf('--papers');
  const papers = flag === -1 ? 333_334 : Number(args[flag + 1]);
  if (!Number.isInteger(papers) || papers <= 0) throw new Error('--papers must be a positive integer');
  mkdirSync(WORK, { recursive: true });
  const started = Date.now();
  const rows = [...runChild('store', papers, 2_000), ...runChild('store', papers, 10_000), ...runChild('baseline', papers, 0)];
  rmSync(WORK, { recursive: true, force: true });

  const fmt = (r: Row) => `| ${r.name} | ${Number.isNaN(r.seconds) ? '' : r.seconds.toFixed(2)} | ${Math.round(r.peakRssMb)} | ${r.note} |`;
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const body = [
    `Command: \`npm run bench:export\` (\`npx tsx bench/exportCheckpoint.ts\`; run ${new Date().toISOString().slice(0, 10)})`,
    '',
    `${papers.toLocaleString('en-US')} papers x ${ITEMS_PER_PAPER} judged items (${(papers * ITEMS_PER_PAPER).toLocaleString('en-US')} items, generated with the seeded PRNG; 85 % accepted, 1 % of questions from a common pool), one checkpoint, then 100 changed papers and a second checkpoint. Peak RSS of a step: RSS sampled every 5 ms during it. Each variant in its own process.`,
    '',
    '| step | seconds | peak RSS (MB) | what was written |',
    '|---|---:|---:|---|',
    ...rows.map(fmt),
    '',
    `- ${cpus().length} cores, load average ${load} at the end; node ${process.version}; ${Math.round((Date.now() - started) / 1000)} s in all`,
  ].join('\n');
  console.log(body);
  await writeResultsSection('Export checkpoint: full rewrite vs. changed shards', body);
}

await main();
