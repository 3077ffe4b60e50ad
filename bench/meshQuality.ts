/**
 * MeSH prediction quality on real abstracts: every PubMed sample under /work/shared/data/pubmed with an
 * abstract and a MeshHeadingList has its headings stripped, is annotated from title and abstract with
 * the full vocabulary (/work/shared/data/mesh/desc2024-reconstructed.xml.gz), and the predicted
 * descriptor UIs are compared with the indexers' ones. Prints micro precision/recall/F1, macro-F1,
 * counts, and the most frequent false positives and false negatives, for the previous behaviour
 * (baseline: no check tags, general descriptors kept, no phrase bonus, minScore 0.4, all reachable through
 * annotate options) and for the current defaults, side by side, plus each change alone so its share of
 * the gain is visible. The NLM samples of 2018 and 2019 share records, so each PMID counts once.
 *
 * The data is not part of the project; without it the bench says so and exits 0.
 *
 * Run: npx tsx bench/meshQuality.ts [--no-write]
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createAnnotateContext, type AnnotateOptions } from '../services/annotate/annotateContext.ts';
import { annotateRecord } from '../services/annotate/annotateRecord.ts';
import { readPubmedInputs } from '../services/ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../services/mesh/loadMeshVocabulary.ts';
import type { MeshVocabulary } from '../services/mesh/meshVocabulary.ts';
import type { PubmedArticle } from '../services/model/pubmedRecord.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const DATA = '/work/shared/data';
const PUBMED = `${DATA}/pubmed`;
const MESH = `${DATA}/mesh/desc2024-reconstructed.xml.gz`;
const TOP = 15;

/** One configuration to measure. */
interface Variant {
  name: string;
  options: Partial<AnnotateOptions>;
}

/** What annotate did before check tags, the general-descriptor filter and the tuned thresholds. */
const BASELINE: Partial<AnnotateOptions> = { checkTags: false, generalTerms: 'keep', minScore: 0.4, maxTerms: 12, phraseBonus: 0 };

const VARIANTS: Variant[] = [
  { name: 'baseline (before: no check tags, general terms kept, no phrase bonus, minScore 0.4)', options: BASELINE },
  { name: '+ check tags only', options: { ...BASELINE, checkTags: true } },
  { name: '+ general descriptors dropped only', options: { ...BASELINE, generalTerms: 'drop' } },
  { name: '+ phrase bonus 0.1 and minScore 0.45 only', options: { ...BASELINE, phraseBonus: 0.1, minScore: 0.45 } },
  { name: '+ check tags and general descriptors dropped', options: { ...BASELINE, checkTags: true, generalTerms: 'drop' } },
  { name: 'current defaults', options: {} },
  { name: 'reach: every match and tag kept (minScore 0, maxTerms 200, general terms kept)', options: { minScore: 0, maxTerms: 200, generalTerms: 'keep' } },
];
const CURRENT = 'current defaults';

/** Gold and predicted descriptor UIs of one record. */
interface Pair {
  gold: Set<string>;
  predicted: Set<string>;
}

/** Micro and macro figures over all records, with counts of false positives and negatives per UI. */
interface Scores {
  records: number;
  gold: number;
  predicted: number;
  tp: number;
  precision: number;
  recall: number;
  f1: number;
  macroF1: number;
  fp: Map<string, number>;
  fn: Map<string, number>;
}

function f1Of(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** Micro-F1 pools every record's counts; macro-F1 averages each record's F1 (0 for a record with no hit). */
export function scorePairs(pairs: readonly Pair[]): Scores {
  let tp = 0;
  let gold = 0;
  let predicted = 0;
  let macro = 0;
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  for (const { gold: g, predicted: p } of pairs) {
    let hit = 0;
    for (const ui of p) {
      if (g.has(ui)) hit++;
      else fp.set(ui, (fp.get(ui) ?? 0) + 1);
    }
    for (const ui of g) if (!p.has(ui)) fn.set(ui, (fn.get(ui) ?? 0) + 1);
    tp += hit;
    gold += g.size;
    predicted += p.size;
    macro += f1Of(p.size === 0 ? 0 : hit / p.size, g.size === 0 ? 0 : hit / g.size);
  }
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = gold === 0 ? 0 : tp / gold;
  return {
    records: pairs.length, gold, predicted, tp, precision, recall,
    f1: f1Of(precision, recall), macroF1: pairs.length === 0 ? 0 : macro / pairs.length, fp, fn,
  };
}

async function readSamples(): Promise<PubmedArticle[]> {
  const byPmid = new Map<string, PubmedArticle>();
  for await (const item of readPubmedInputs(PUBMED)) {
    if (item.kind !== 'article') continue;
    if (item.meshHeadings.length === 0 || item.abstract.every((s) => s.text.trim().length === 0)) continue;
    // The NLM sample files of 2018 and 2019 share some records: count each PMID once (latest version).
    const seen = byPmid.get(item.pmid);
    if (!seen || item.version >= seen.version) byPmid.set(item.pmid, item);
  }
  return [...byPmid.values()].sort((a, b) => a.pmid.localeCompare(b.pmid));
}

function topList(counts: Map<string, number>, vocab: MeshVocabulary, n: number): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([ui, c]) => `${vocab.get(ui)?.name ?? ui} (${ui}) ${c}`)
    .join('; ');
}

const pct = (x: number): string => x.toFixed(3);

async function main(): Promise<void> {
  const write = !process.argv.includes('--no-write');
  if (!existsSync(PUBMED) || !existsSync(MESH)) {
    console.log(`meshQuality: skipped, the real samples are not here (${PUBMED}, ${MESH}); nothing measured.`);
    return;
  }
  const t0 = performance.now();
  const vocab = await loadMeshVocabulary(MESH);
  const records = await readSamples();
  const loadMs = performance.now() - t0;

  const rows: string[] = [];
  const details: string[] = [];
  let baseline: Scores | null = null;
  let current: Scores | null = null;
  for (const v of VARIANTS) {
    const ctx = createAnnotateContext(vocab, v.options);
    const pairs: Pair[] = [];
    for (const r of records) {
      const gold = new Set(r.meshHeadings.map((h) => h.descriptorUi));
      const mesh = annotateRecord({ ...r, meshHeadings: [] }, ctx).mesh;
      pairs.push({ gold, predicted: new Set(mesh.map((t) => t.descriptorUi)) });
    }
    const s = scorePairs(pairs);
    if (v === VARIANTS[0]) baseline = s;
    if (v.name === CURRENT) current = s;
    rows.push(
      `| ${v.name} | ${pct(s.precision)} | ${pct(s.recall)} | **${pct(s.f1)}** | ${pct(s.macroF1)} | ${s.predicted} | ${s.tp} | ${(s.predicted / s.records).toFixed(1)} |`,
    );
    if (v === VARIANTS[0] || v.name === CURRENT) {
      details.push(`- ${v.name}, top false positives: ${topList(s.fp, vocab, TOP)}`);
      details.push(`- ${v.name}, top false negatives: ${topList(s.fn, vocab, TOP)}`);
    }
  }
  if (!baseline || !current) return;

  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const body = [
    'Command: `npx tsx bench/meshQuality.ts` (reads /work/shared/data when present, skips otherwise)',
    '',
    `${baseline.records} real records with an abstract and a MeshHeadingList (distinct PMIDs, all samples under data/pubmed), headings stripped, predicted from title and abstract with ${vocab.version}; ${baseline.gold} indexed headings (${(baseline.gold / baseline.records).toFixed(1)} per record). Scores compare descriptor UIs; micro figures pool all records, macro-F1 averages per record.`,
    '',
    '| configuration | micro P | micro R | micro F1 | macro F1 | predicted | correct | terms/record |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `target micro-F1 >= 0.45: ${current.f1 >= 0.45 ? 'met' : 'NOT met'} (${pct(baseline.f1)} -> ${pct(current.f1)})`,
    '',
    'Speed is measured by `bench/annotate.ts`, not here (121 records are too few to time).',
    '',
    'The last row bounds what selection can do: the indexed headings that the matcher and the cue rules find at all, at any score. Precision can still rise; recall cannot pass that row without new evidence (an LLM reranker, or a model of headings never written in the text).',
    '',
    ...details,
    '',
    `vocabulary and samples ready in ${(loadMs / 1000).toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${load}; node ${process.version}`,
  ].join('\n');
  console.log(body);
  if (write) await writeResultsSection('MeSH prediction quality', body);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
