/**
 * Annotate-stage benchmark: records without NLM headings annotated by the dictionary matcher over a
 * full-size vocabulary (31,000 descriptors, 300,000 entry terms: the synthetic desc XML of
 * bench/meshLoad.ts, generated on first use and loaded with loadMeshVocabulary). Throughput is given
 * by wall time and by CPU time of this process: on a shared machine the CPU figure is the one-core
 * number, the wall figure includes time other processes took the core. Reports records/s and per-record latency p50/p99 on one core, next to two
 * baselines measured in the same run: the raw cost of lower-casing and splitting the same texts
 * (a floor), and a naive matcher (indexOf of every term in the lower-cased text, measured over a
 * sample of terms and scaled to the full term count).
 *
 * Run: npx tsx bench/annotate.ts
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createAnnotateContext } from '../services/annotate/annotateContext.ts';
import { annotateRecord } from '../services/annotate/annotateRecord.ts';
import { loadMeshVocabulary } from '../services/mesh/loadMeshVocabulary.ts';
import type { MeshDescriptor } from '../services/mesh/meshVocabulary.ts';
import type { PubmedArticle } from '../services/model/pubmedRecord.ts';
import { ensureSyntheticMeshFiles } from './meshLoad.ts';
import { seededRandom } from './seededRandom.ts';

const RECORDS = 30_000;
const WARMUP = 2_000;
const NAIVE_TERMS = 2_000;
const NAIVE_RECORDS = 500;

const FILLER = (
  'the of and in to a with for was were is that by on as at from this these patients study results were ' +
  'compared between after during among higher lower significant significantly observed associated increased ' +
  'reduced analysis data group groups total mean median years months follow-up cohort trial randomized ' +
  'controlled clinical outcome outcomes primary secondary endpoint measured using our we found showed ' +
  'suggest conclusion background methods evaluated assessed included participants baseline adjusted ratio ' +
  'confidence interval risk factors treatment response rate rates level levels expression model models'
).split(' ');

/** A title and a structured abstract (~230 words) mentioning 8-14 terms of the vocabulary, written the way papers vary them. */
function makeRecords(descriptors: MeshDescriptor[], n: number): PubmedArticle[] {
  const rng = seededRandom(99);
  const mention = (): string => {
    const d = descriptors[Math.floor(rng() * descriptors.length)] as MeshDescriptor;
    const t = d.terms[Math.floor(rng() * d.terms.length)]?.text ?? d.name;
    const r = rng();
    if (r < 0.4) return t.toLowerCase();
    if (r < 0.55) return `${t}s`;
    if (r < 0.65) return t.replace(/ /g, '-');
    return t;
  };
  const sentence = (words: number, terms: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(FILLER[Math.floor(rng() * FILLER.length)] as string);
    for (let k = 0; k < terms; k++) parts.splice(Math.floor(rng() * parts.length), 0, mention());
    const s = parts.join(' ');
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
  };
  const out: PubmedArticle[] = [];
  for (let i = 0; i < n; i++) {
    const pmid = String(30_000_000 + i);
    const sections = ['BACKGROUND', 'METHODS', 'RESULTS', 'CONCLUSIONS'].map((label) => ({
      label,
      nlmCategory: label,
      text: [sentence(18, 1 + Math.floor(rng() * 2)), sentence(20, 1 + Math.floor(rng() * 2)), sentence(12, Math.floor(rng() * 2))].join(' '),
    }));
    out.push({
      kind: 'article',
      recordType: 'PubmedArticle',
      pmid,
      version: 1,
      title: sentence(8, 1 + Math.floor(rng() * 2)),
      abstract: sections,
      languages: ['eng'],
      journal: null,
      pubDate: { year: 2024, month: 5, day: null, raw: '2024 May' },
      articleIds: { pubmed: pmid },
      publicationTypes: ['Journal Article'],
      keywords: [],
      chemicals: [],
      meshHeadings: [],
      status: 'In-Process',
      source: 'bench',
    });
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function recordText(r: PubmedArticle): string {
  return `${r.title}\n${r.abstract.map((s) => s.text).join('\n')}`;
}

async function main(): Promise<void> {
  const { xml } = await ensureSyntheticMeshFiles();
  const t0 = performance.now();
  const vocab = await loadMeshVocabulary(xml);
  const ctx = createAnnotateContext(vocab);
  const buildMs = performance.now() - t0;
  const descriptors = [...vocab.descriptors()];
  const records = makeRecords(descriptors, RECORDS);
  const words = records.reduce((n, r) => n + recordText(r).split(/\s+/).length, 0) / records.length;
  let termCount = 0;
  for (const d of descriptors) termCount += d.terms.length;

  // Warm up the JIT on records outside the timed set's start, then time every record.
  for (let i = 0; i < WARMUP; i++) annotateRecord(records[i % records.length] as PubmedArticle, ctx);
  const lat = new Float64Array(records.length);
  let kept = 0;
  let withTerms = 0;
  const cpuStart = process.cpuUsage();
  const tStart = performance.now();
  for (let i = 0; i < records.length; i++) {
    const a = performance.now();
    const out = annotateRecord(records[i] as PubmedArticle, ctx);
    lat[i] = performance.now() - a;
    kept += out.mesh.length;
    if (out.mesh.length > 0) withTerms++;
  }
  const totalMs = performance.now() - tStart;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  lat.sort();

  // Baseline 1: just lower-case and split the same texts.
  const tTok = performance.now();
  let tokens = 0;
  for (const r of records) tokens += recordText(r).toLowerCase().split(/[^a-z0-9]+/).length;
  const tokMs = performance.now() - tTok;

  // Baseline 2: naive matcher, one indexOf scan per term, over a term sample and a record sample, scaled to all terms.
  const rng = seededRandom(5);
  const sample: string[] = [];
  for (let i = 0; i < NAIVE_TERMS; i++) {
    const d = descriptors[Math.floor(rng() * descriptors.length)] as MeshDescriptor;
    sample.push((d.terms[Math.floor(rng() * d.terms.length)]?.text ?? d.name).toLowerCase());
  }
  const texts = records.slice(0, NAIVE_RECORDS).map((r) => recordText(r).toLowerCase());
  let naiveHits = 0;
  const tNaive = performance.now();
  for (const text of texts) {
    for (const term of sample) {
      for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + term.length)) naiveHits++;
    }
  }
  const naiveMsPerRecordAllTerms = ((performance.now() - tNaive) / texts.length) * (termCount / NAIVE_TERMS);

  const perSec = (ms: number, n: number): string => Math.round((n / ms) * 1000).toLocaleString('en-US');
  console.log(`\n## annotate: dictionary matcher, ${RECORDS.toLocaleString('en-US')} records without MeSH headings (target >= 5,000 records/s)\n`);
  console.log(`vocabulary ${vocab.size} descriptors / ${termCount} entry terms; vocabulary + matcher built in ${buildMs.toFixed(0)} ms (matcher ${ctx.matcher.stats.buildMs.toFixed(0)} ms, ${ctx.matcher.stats.trieNodes} trie nodes, ${ctx.matcher.stats.ambiguousForms} ambiguous forms)`);
  console.log(`records: ~${words.toFixed(0)} words each; ${(kept / records.length).toFixed(1)} terms kept per record; ${((withTerms / records.length) * 100).toFixed(1)} % of records with >= 1 term; naive sample hits ${naiveHits}\n`);
  console.log('| what | records/s (wall) | records/s (CPU) | p50 ms | p99 ms | note |');
  console.log('|---|---:|---:|---:|---:|---|');
  console.log(`| annotateRecord (trie matcher + scoring) | ${perSec(totalMs, records.length)} | ${perSec(cpuMs, records.length)} | ${percentile(lat, 0.5).toFixed(3)} | ${percentile(lat, 0.99).toFixed(3)} | all ${records.length} records, one thread |`);
  console.log(`| baseline: lower-case + split only | ${perSec(tokMs, records.length)} | - | - | - | cost floor, ${tokens} tokens |`);
  console.log(`| baseline: naive indexOf per term | ${perSec(naiveMsPerRecordAllTerms, 1)} | - | - | - | ${NAIVE_TERMS} terms x ${NAIVE_RECORDS} records, scaled to ${termCount} terms |`);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (vocabulary, matcher and the ${RECORDS} records); load average ${load}; node ${process.version}`);
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (import.meta.url === entry) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
