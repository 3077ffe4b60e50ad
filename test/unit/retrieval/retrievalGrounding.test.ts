import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import type { InstrumentationEvent } from '../../../services/instrumentation/instrumentationEvents.ts';
import { createRuleBasedJudge } from '../../../services/judge/ruleBasedJudge.ts';
import { createEmbeddingsClient } from '../../../services/llm/embeddingsClient.ts';
import { createHierarchyScorer } from '../../../services/mesh/meshSimilarity.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import type { AnnotatedRecord } from '../../../services/model/annotatedRecord.ts';
import type { JudgedItem, QaCandidate } from '../../../services/model/qaItem.ts';
import { openLiteratureIndex, type LiteratureIndex } from '../../../services/retrieval/literatureIndex.ts';
import { createRetrievalGrounder } from '../../../services/retrieval/retrievalGrounding.ts';
import { createRetriever, fuse } from '../../../services/retrieval/retriever.ts';
import { createAnnotateStage } from '../../../services/stages/annotateStage.ts';
import { createIndexStage } from '../../../services/stages/indexStage.ts';
import { createJudgeStage } from '../../../services/stages/judgeStage.ts';
import { withSideSink } from '../../../services/stages/withSideSink.ts';
import { createAnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { annotatedCorpus } from './retrievalCorpus.ts';

let dir: string;
let vocab: MeshVocabulary;
let records: AnnotatedRecord[];
let index: LiteratureIndex;
let server: OpenAiTestServer;
const events: InstrumentationEvent[] = [];
const bus = createInstrumentation();
bus.on('*', (e) => void events.push(e));
const context = { signal: new AbortController().signal, instrumentation: bus };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-grounding-'));
  ({ vocab, records } = await annotatedCorpus());
  index = openLiteratureIndex({ dir });
  server = await startOpenAiTestServer();
  // Indexed the way `medistill run` does: annotate with the index stage beside it, on the parsed records.
  const annotate = withSideSink(createAnnotateStage({ ctx: createAnnotateContext(vocab) }), createIndexStage({ index }));
  for (const r of records) await annotate.process({ key: r.record.pmid, value: r.record, producedAt: new Date() }, context);
});

afterAll(async () => {
  index.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const meshOf = (pmid: string): string[] => records.find((r) => r.record.pmid === pmid)!.mesh.map((m) => m.descriptorUi);

describe('retrieval-grounded hierarchy score', () => {
  it('annotate with the index beside it indexed every abstract and reported each write', () => {
    expect(index.count()).toBe(records.length);
    const writes = events.filter((e) => e.type === 'retrieval.indexed');
    expect(writes.map((e) => (e as { outcome: string }).outcome)).toEqual(records.map(() => 'indexed'));
  });

  it('an on-topic question scores higher than an off-topic one for the same paper', async () => {
    const ground = createRetrievalGrounder({ retriever: createRetriever({ index }), vocab, k: 3 });
    const paper = { pmid: '41000001', paperMesh: meshOf('41000001') };
    const onTopic = await ground({ ...paper, question: 'Do glucocorticoids reduce bronchial hyperresponsiveness in asthma?' });
    const offTopic = await ground({ ...paper, question: 'Does metformin lower glycated haemoglobin in type 2 diabetes?' });
    expect(onTopic.outcome).toBe('hits');
    expect(onTopic.pmids).not.toContain('41000001');
    expect(onTopic.pmids.slice(0, 2).sort()).toEqual(['41000002', '41000003']);
    expect(['41000004', '41000005']).toContain(offTopic.pmids[0]);
    expect(onTopic.score).toBeGreaterThan(offTopic.score + 0.2);
    expect(onTopic.reason).toMatch(/^retrieved-top3-dcg\(wu-palmer-bma\/v1\)\/v1 over 3 retrieved documents \(41000002 /);
  });

  it('gives 0 with the reason when nothing can be retrieved', async () => {
    const ground = createRetrievalGrounder({ retriever: createRetriever({ index }), vocab });
    const none = await ground({ pmid: '41000001', paperMesh: meshOf('41000001'), question: 'Which one is it, and why?' });
    expect(none).toMatchObject({ score: 0, outcome: 'no_query_terms', pmids: [] });
    expect(none.reason).toMatch(/no content words/);
  });

  it('the judge stage stores the retrieved PMIDs on each item, scores the criterion and reports each query', async () => {
    const judge = createRuleBasedJudge({ hierarchyScorer: createHierarchyScorer(vocab) });
    const stage = createJudgeStage({ judge, grounder: createRetrievalGrounder({ retriever: createRetriever({ index }), vocab }) });
    const candidate: QaCandidate = {
      id: 'q1', pmid: '41000006', pmidVersion: 1, type: 'open',
      question: 'Which procedure reduced 30-day mortality after ST elevation myocardial infarction?', answer: 'primary percutaneous coronary intervention',
      longAnswer: null, options: null, context: records.find((r) => r.record.pmid === '41000006')!.record.abstract.map((s) => s.text).join(' '),
      target: { descriptorUi: 'D062645', name: 'Percutaneous Coronary Intervention', treeNumbers: ['E04.100.814.529.968'], branches: ['E'], source: 'nlm' },
      paperMesh: meshOf('41000006'),
      generator: { backend: 'rule-based', name: 'rule-based', version: '1', promptVersion: 'none', model: null }, createdAt: '2025-01-01T00:00:00.000Z',
    };
    const offTopic: QaCandidate = { ...candidate, id: 'q1-off', question: 'Does amyloid beta burden predict conversion to Alzheimer dementia?', answer: 'yes' };
    const before = events.length;
    const result = await stage.process({ key: '41000006', value: { pmid: '41000006', pmidVersion: 1, outcome: 'candidates', items: [candidate, offTopic], failures: [], meshVersion: 'x' }, producedAt: new Date() }, context);
    const [item, off] = result.outputs[0]!.value!.items as [JudgedItem, JudgedItem];
    expect(item.retrievedPmids[0]).toBe('41000007');
    expect(item.retrievedPmids).not.toContain('41000006');
    expect(item.scores.retrieval.reason).toContain('41000007');
    expect(off.retrievedPmids[0]).toBe('41000008');
    expect(item.scores.retrieval.score).toBeGreaterThan(off.scores.retrieval.score);
    expect(events.slice(before).filter((e) => e.type === 'retrieval.query').map((e) => (e as { outcome: string }).outcome)).toEqual(['hits', 'hits']);
  });

  it('without a grounder the criterion says retrieval is off and no PMIDs are stored', async () => {
    const judge = createRuleBasedJudge({ hierarchyScorer: createHierarchyScorer(vocab) });
    const item = await judge.judge({
      id: 'q2', pmid: '41000004', pmidVersion: 1, type: 'yes_no_maybe', question: 'Does metformin reduce cardiovascular events?', answer: 'yes', longAnswer: null, options: null,
      context: 'Metformin reduced cardiovascular events.', target: { descriptorUi: 'D008687', name: 'Metformin', treeNumbers: [], branches: [], source: 'nlm' }, paperMesh: ['D008687'],
      generator: { backend: 'rule-based', name: 'rule-based', version: '1', promptVersion: 'none', model: null }, createdAt: '',
    });
    expect(item.scores.retrieval).toEqual({ score: 0, reason: 'retrieval off: no literature index configured' });
    expect(item.retrievedPmids).toEqual([]);
  });
});

describe('hybrid retrieval through an OpenAI-compatible /v1/embeddings endpoint', () => {
  it('stores vectors beside the text at indexing and fuses BM25 with cosine ranking', async () => {
    const embeddings = createEmbeddingsClient({ baseUrl: server.url, apiKey: 'sk-emb-test-1', model: 'test-embed' });
    const hybridDir = await mkdtemp(join(tmpdir(), 'medistill-hybrid-'));
    const hybrid = openLiteratureIndex({ dir: hybridDir });
    try {
      const stage = createIndexStage({ index: hybrid, embeddings });
      for (const r of records) await stage.process({ key: r.record.pmid, value: r, producedAt: new Date() }, context);
      expect(hybrid.vectorCount('test-embed')).toBe(records.length);
      expect(server.embeddingsRequests().length).toBe(records.length);
      expect(server.sentKey(server.embeddingsRequests()[0]!, 'sk-emb-test-1')).toBe(true);
      const retriever = createRetriever({ index: hybrid, embeddings });
      expect(retriever.mode).toBe('hybrid');
      const found = await retriever.retrieve('inhaled corticosteroids for childhood asthma exacerbations', { k: 3, excludePmid: '41000001' });
      expect(found.outcome).toBe('hits');
      expect(found.documents.map((d) => d.pmid)).toContain('41000010');
      expect(found.documents.map((d) => d.pmid)).not.toContain('41000001');
    } finally {
      hybrid.close();
      await rm(hybridDir, { recursive: true, force: true });
    }
  });

  it('a failing endpoint falls back to the lexical ranking, counted as embeddings_failed; indexing goes on without vectors', async () => {
    const embeddings = createEmbeddingsClient({ baseUrl: server.url, apiKey: 'k', model: 'test-embed', maxRetries: 0 });
    server.failEmbeddings(503);
    const failDir = await mkdtemp(join(tmpdir(), 'medistill-hybrid-fail-'));
    const failing = openLiteratureIndex({ dir: failDir });
    try {
      const before = events.length;
      const stage = createIndexStage({ index: failing, embeddings });
      const r = records[0]!;
      expect((await stage.process({ key: r.record.pmid, value: r, producedAt: new Date() }, context)).outcome).toBe('indexed');
      expect(events.slice(before).map((e) => (e as { outcome?: string }).outcome)).toEqual(['embeddings_failed', 'indexed']);
      expect(failing.count()).toBe(1);
      const found = await createRetriever({ index, embeddings }).retrieve('asthma glucocorticoids', { k: 2 });
      expect(found.outcome).toBe('embeddings_failed');
      expect(found.documents.length).toBe(2);
    } finally {
      server.failEmbeddings(null);
      failing.close();
      await rm(failDir, { recursive: true, force: true });
    }
  });

  it('reciprocal rank fusion rewards documents both rankings agree on', () => {
    const d = (pmid: string) => ({ pmid, score: 0, meshUis: [], title: '', year: null });
    expect(fuse([[d('a'), d('b'), d('c')], [d('b'), d('x'), d('y')]], 3).map((x) => x.pmid)).toEqual(['b', 'a', 'x']);
  });
});
