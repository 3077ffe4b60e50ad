/**
 * The literature index: bulk indexing throughput (abstracts/s), query latency p50/p99 over 100,000
 * abstracts, index size on disk, reopening time (a restart resumes without re-indexing), peak RSS,
 * and generate+judge throughput with retrieval on versus off (the baseline, in the same run). The
 * corpus is synthetic but shaped like PubMed: titles of ~12 and abstracts of ~220 words drawn with a
 * Zipf law over 200,000 words (the bundled sample abstracts' words spread over the ranks, made-up
 * terms between them and in the long tail), 8 MeSH descriptors each. When the real
 * samples (/work/shared/data) are present, it also checks retrieval on them: a question built from a
 * paper's own title ranks that paper first, and an on-topic question scores higher on the
 * retrieval-grounded criterion than an off-topic one.
 *
 * Run: npx tsx bench/retrieval.ts [--docs N] [--no-write]
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnnotateContext } from '../services/annotate/annotateContext.ts';
import { annotateRecord } from '../services/annotate/annotateRecord.ts';
import { createRuleBasedGenerator } from '../services/generate/ruleBasedGenerator.ts';
import { readPubmedInputs } from '../services/ingest/readPubmedInputs.ts';
import { NO_INSTRUMENTATION } from '../services/instrumentation/instrumentation.ts';
import { createRuleBasedJudge } from '../services/judge/ruleBasedJudge.ts';
import { loadMeshVocabulary } from '../services/mesh/loadMeshVocabulary.ts';
import { createHierarchyScorer } from '../services/mesh/meshSimilarity.ts';
import type { MeshVocabulary } from '../services/mesh/meshVocabulary.ts';
import type { AnnotatedRecord } from '../services/model/annotatedRecord.ts';
import { abstractText } from '../services/model/pubmedRecord.ts';
import { indexedDocumentOf } from '../services/retrieval/indexedDocument.ts';
import { openLiteratureIndex, type IndexedDocument, type LiteratureIndex } from '../services/retrieval/literatureIndex.ts';
import { createRetrievalGrounder } from '../services/retrieval/retrievalGrounding.ts';
import { createRetriever } from '../services/retrieval/retriever.ts';
import { createGenerateStage } from '../services/stages/generateStage.ts';
import { createJudgeStage } from '../services/stages/judgeStage.ts';
import { seededRandom } from './seededRandom.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const SAMPLES = join(ROOT, 'samples/pubmed');
const SAMPLE_MESH = join(ROOT, 'samples/mesh/desc-sample.xml');
const REAL_PUBMED = '/work/shared/data/pubmed';
const REAL_MESH = '/work/shared/data/mesh/desc2024-reconstructed.xml.gz';
const BATCH = 1_000;
const QUERIES = 2_000;

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function annotatedSamples(vocab: MeshVocabulary, input: string): Promise<AnnotatedRecord[]> {
  const ctx = createAnnotateContext(vocab);
  const byPmid = new Map<string, AnnotatedRecord>();
  for await (const item of readPubmedInputs(input)) {
    if (item.kind !== 'article') continue;
    const seen = byPmid.get(item.pmid);
    if (!seen || item.version >= seen.record.version) byPmid.set(item.pmid, annotateRecord(item, ctx));
  }
  return [...byPmid.values()];
}

/** Distinct words of the synthetic corpus: a 100,000-abstract slice of PubMed has a few hundred thousand. */
const VOCABULARY = 200_000;
const SPREAD = 20;

/**
 * A Zipf sampler (P(rank r) ∝ 1/r) over a vocabulary of the sample abstracts' words, most frequent
 * first, one every SPREAD ranks, and made-up terms ("tx7k2") around them and in the long tail, as the
 * long tail of drug, gene and disease names is in real abstracts.
 */
function wordSampler(records: readonly AnnotatedRecord[], random: () => number): () => string {
  const counts = new Map<string, number>();
  for (const r of records) for (const w of `${r.record.title} ${abstractText(r.record)}`.toLowerCase().match(/[a-z][a-z-]{2,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const sampleWords = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  // The sample's words spread over the ranks (its tenth-commonest word at rank ~200): in 34 abstracts
  // "metformin" is frequent, in PubMed it is not; function-like words stay near the head.
  const words: string[] = [];
  for (let i = 0; i < VOCABULARY; i++) words.push(i % SPREAD === 0 && i / SPREAD < sampleWords.length ? (sampleWords[i / SPREAD] as string) : `t${i.toString(36)}`);
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < words.length; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] as string;
  };
}

function syntheticDoc(i: number, word: () => string, uis: readonly string[], random: () => number): IndexedDocument {
  const words = (n: number) => Array.from({ length: n }, word).join(' ');
  return {
    pmid: String(50_000_000 + i),
    version: 1,
    title: `${words(8 + Math.floor(random() * 8))}.`,
    abstract: `${words(180 + Math.floor(random() * 80))}.`,
    meshUis: Array.from({ length: 8 }, () => uis[Math.floor(random() * uis.length)] as string),
    year: 1990 + Math.floor(random() * 35),
    language: 'eng',
  };
}

/** generate + judge over the records, `rounds` times; records/s. */
async function generateJudge(records: readonly AnnotatedRecord[], vocab: MeshVocabulary, index: LiteratureIndex | null, rounds: number): Promise<{ perSecond: number; items: number }> {
  const generate = createGenerateStage({ generator: createRuleBasedGenerator({ vocab }) });
  const grounder = index ? createRetrievalGrounder({ retriever: createRetriever({ index }), vocab }) : undefined;
  const judge = createJudgeStage({ judge: createRuleBasedJudge({ hierarchyScorer: createHierarchyScorer(vocab) }), grounder });
  const context = { signal: new AbortController().signal, instrumentation: NO_INSTRUMENTATION };
  let items = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const r of records) {
      const generated = await generate.process({ key: r.record.pmid, value: r, producedAt: new Date() }, context);
      for (const out of generated.outputs) {
        const judged = await judge.process({ key: out.key, value: out.value, producedAt: new Date() }, context);
        items += judged.outputs[0]?.value?.items.length ?? 0;
      }
    }
  }
  return { perSecond: (records.length * rounds * 1000) / (performance.now() - started), items };
}

async function realChecks(): Promise<string[]> {
  if (!existsSync(REAL_PUBMED) || !existsSync(REAL_MESH)) return ['Real-sample checks: skipped (the shared real samples are not here).'];
  const vocab = await loadMeshVocabulary(REAL_MESH);
  const records = (await annotatedSamples(vocab, REAL_PUBMED)).filter((r) => indexedDocumentOf(r) !== null);
  const dir = await mkdtemp(join(tmpdir(), 'medistill-bench-real-'));
  const index = openLiteratureIndex({ dir });
  try {
    index.upsertMany(records.map((r) => ({ doc: indexedDocumentOf(r)! })));
    const ownFirst = records.filter((r) => index.search(`What does "${r.record.title}" report?`, { k: 1 }).documents[0]?.pmid === r.record.pmid).length;
    const ground = createRetrievalGrounder({ retriever: createRetriever({ index }), vocab });
    const withMesh = records.filter((r) => r.mesh.length > 0);
    const random = seededRandom(11);
    let higher = 0;
    let compared = 0;
    let onSum = 0;
    let offSum = 0;
    for (const r of withMesh) {
      // An off-topic question: the title of a paper that shares no descriptor with this one.
      const own = new Set(r.mesh.map((m) => m.descriptorUi));
      const others = withMesh.filter((o) => o !== r && !o.mesh.some((m) => own.has(m.descriptorUi)));
      const other = others[Math.floor(random() * others.length)];
      if (!other) continue;
      const paperMesh = r.mesh.map((m) => m.descriptorUi);
      const on = await ground({ pmid: r.record.pmid, paperMesh, question: `What did the study on ${r.record.title} find?` });
      const off = await ground({ pmid: r.record.pmid, paperMesh, question: `What did the study on ${other.record.title} find?` });
      compared++;
      onSum += on.score;
      offSum += off.score;
      if (on.score > off.score) higher++;
    }
    return [
      `Real-sample checks (${records.length} abstracts of /work/shared/data/pubmed indexed, ${vocab.version}):`,
      `- the index holds every abstract: ${index.count()} of ${records.length}`,
      `- a question built from a paper's own title ranks that paper first: ${ownFirst} of ${records.length} (${((ownFirst / records.length) * 100).toFixed(1)} %)`,
      `- retrieval-grounded score, own-topic question vs a question from another paper's title (source paper excluded from retrieval): higher for ${higher} of ${compared} papers (${((higher / compared) * 100).toFixed(1)} %); mean ${(onSum / compared).toFixed(3)} vs ${(offSum / compared).toFixed(3)}`,
    ];
  } finally {
    index.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const write = !process.argv.includes('--no-write');
  const docs = argNumber('docs', 100_000);
  const vocab = await loadMeshVocabulary(SAMPLE_MESH);
  const samples = await annotatedSamples(vocab, SAMPLES);
  const random = seededRandom(7);
  const word = wordSampler(samples, random);
  const uis = [...vocab.descriptors()].map((d) => d.ui);
  const dir = await mkdtemp(join(tmpdir(), 'medistill-bench-index-'));
  try {
    // Indexing, in batches as `medistill index` writes them.
    let index = openLiteratureIndex({ dir });
    let indexMs = 0;
    for (let start = 0; start < docs; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, docs - start) }, (_, j) => ({ doc: syntheticDoc(start + j, word, uis, random) }));
      const t = performance.now();
      index.upsertMany(batch);
      indexMs += performance.now() - t;
    }
    index.checkpoint();
    const size = dirBytes(dir);
    index.close();

    // A restart: reopening finds everything; re-offering a batch writes nothing.
    const reopenStarted = performance.now();
    index = openLiteratureIndex({ dir });
    const reopenMs = performance.now() - reopenStarted;
    const held = index.count();

    // Queries: questions made of words of a random paper, that paper excluded, k = 5.
    const qRandom = seededRandom(99);
    const latencies: number[] = [];
    let hits = 0;
    for (let q = 0; q < QUERIES; q++) {
      const target = index.get(String(50_000_000 + Math.floor(qRandom() * docs)))!;
      const words = target.abstract.split(' ');
      const at = Math.floor(qRandom() * (words.length - 8));
      const question = `What is the effect of ${words.slice(at, at + 6).join(' ')}?`;
      const t = performance.now();
      const found = index.search(question, { k: 5, excludePmid: target.pmid });
      latencies.push(performance.now() - t);
      if (found.outcome === 'hits') hits++;
    }
    latencies.sort((a, b) => a - b);
    const ownTitle = Array.from({ length: 200 }, () => index.get(String(50_000_000 + Math.floor(qRandom() * docs)))!).filter((d) => index.search(d.title, { k: 1 }).documents[0]?.pmid === d.pmid).length;

    // generate + judge on the bundled sample, retrieval off (baseline) and on (over this index).
    const withAbstract = samples.filter((r) => indexedDocumentOf(r) !== null);
    const rounds = 5;
    const off = await generateJudge(withAbstract, vocab, null, rounds);
    const on = await generateJudge(withAbstract, vocab, index, rounds);
    index.close();

    const real = await realChecks();
    const body = [
      `Command: \`npx tsx bench/retrieval.ts\` (${docs.toLocaleString('en')} synthetic abstracts; real-sample checks when /work/shared/data is present)`,
      '',
      `Engine: SQLite FTS5 through libsql (prebuilt binaries from npm), BM25 (title weighted 2, abstract 1), Porter stemming, WAL; one process, batches of ${BATCH} per transaction.`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| abstracts indexed | ${docs.toLocaleString('en')} (~220 words each, ${held.toLocaleString('en')} held) |`,
      `| indexing throughput | ${Math.round((docs * 1000) / indexMs).toLocaleString('en')} abstracts/s (${(indexMs / 1000).toFixed(1)} s) |`,
      `| index size on disk | ${mb(size)} (${(size / docs / 1024).toFixed(2)} KB per abstract) |`,
      `| reopen after restart | ${reopenMs.toFixed(1)} ms, ${held.toLocaleString('en')} abstracts held, nothing re-indexed |`,
      `| query latency, k = 5, source excluded (${QUERIES} questions) | p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms, max ${(latencies[latencies.length - 1] ?? 0).toFixed(1)} ms |`,
      `| questions with hits | ${hits} of ${QUERIES} |`,
      `| own title ranks its paper first | ${ownTitle} of 200 |`,
      `| generate + judge, retrieval off (baseline) | ${off.perSecond.toFixed(1)} records/s (${withAbstract.length} sample records × ${rounds}, rule-based, ${off.items} items) |`,
      `| generate + judge, retrieval on (top 5 from ${docs.toLocaleString('en')}) | ${on.perSecond.toFixed(1)} records/s (${((on.perSecond / off.perSecond) * 100).toFixed(0)} % of the baseline; ${(((1 / on.perSecond - 1 / off.perSecond) * 1000 * withAbstract.length * rounds) / off.items).toFixed(1)} ms of retrieval per item) |`,
      `| peak RSS | ${mb(process.resourceUsage().maxRSS * 1024)} |`,
      '',
      ...real,
      '',
      `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores shared); node ${process.version}`,
    ].join('\n');
    console.log(body);
    if (write) await writeResultsSection('Literature index and retrieval', body);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
