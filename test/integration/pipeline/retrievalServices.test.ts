import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import type { AnnotatedRecordMessage, RecordJudgementMessage } from '../../../services/contracts/topicMessages.ts';
import { INDEX_FILE, openLiteratureIndex } from '../../../services/retrieval/literatureIndex.ts';
import { startServiceProcess } from '../../support/serviceProcess.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { readTopic } from '../../support/topicReader.ts';

const CORPUS = new URL('../../fixtures/pubmed/retrieval-corpus.xml', import.meta.url).pathname;
const MESH = new URL('../../fixtures/mesh/retrieval-mesh.xml', import.meta.url).pathname;
/** One asthma paper NLM has not indexed yet: no MeshHeadingList. */
const UNINDEXED = new URL('../../fixtures/pubmed/unindexed-asthma.xml', import.meta.url).pathname;

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let codec: AvroCodec;
let h: ServiceHarness;

function indexCount(): number {
  if (!existsSync(join(work, 'index', INDEX_FILE))) return 0;
  const index = openLiteratureIndex({ dir: join(work, 'index'), readonly: true });
  try {
    return index.count();
  } finally {
    index.close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-retrieval-services-'));
  stack = await startLocalStack({});
  h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH, MEDISTILL_INDEX_DIR: join(work, 'index') } });
  kafka = new Kafka({ clientId: 'retrieval-services-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
}, 300_000);

afterAll(async () => {
  h?.killAll('SIGKILL');
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the index service beside the judge, on a real broker and registry', () => {
  it('indexes every annotated abstract from pubmed.annotated.v1, the judge stores retrieved PMIDs, and a tombstone removes a paper', { timeout: 400_000 }, async () => {
    h.start('annotate');
    h.start('index', ['index'], { MEDISTILL_GROUP_ID: 'medistill-index-replica-a' });
    await h.ingest(CORPUS);
    await h.waitFor('the index to hold the 10 abstracts', () => indexCount() === 10);

    // The judge reads the folder its indexer writes; generate and judge start once the corpus is in.
    h.start('generate');
    h.start('judge');
    const judged = async (): Promise<Map<string, RecordJudgementMessage>> => {
      const out = new Map<string, RecordJudgementMessage>();
      for (const m of await readTopic(kafka, TOPICS.judged)) if (m.value) out.set(m.key ?? '', (await codec.decode(m.value)) as RecordJudgementMessage);
      return out;
    };
    await h.waitFor('a judgement of every corpus paper', async () => (await judged()).size === 10, 240_000);
    const all = await judged();
    const items = [...all.values()].flatMap((j) => j.items.map((i) => ({ pmid: j.pmid, item: i })));
    expect(items.length).toBeGreaterThan(10);
    for (const { pmid, item } of items) {
      expect(item.retrievedPmids).not.toContain(pmid);
      expect(item.scores.retrieval.reason).not.toMatch(/retrieval off/);
    }
    const withContext = items.filter(({ item }) => item.retrievedPmids.length > 0);
    expect(withContext.length).toBeGreaterThan(items.length / 2);
    expect(withContext.every(({ item }) => item.retrievedPmids.every((p) => /^4100000\d|41000010$/.test(p)))).toBe(true);

    // A DeleteCitation travels as a tombstone: annotate passes it on and the indexer removes the paper.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.records, messages: [{ key: '41000009', value: null }] });
    await producer.disconnect();
    await h.waitFor('the deleted paper to leave the index', () => indexCount() === 9);
  });

  // Runs on what the test above left: the index beside the services holds the corpus.
  it('annotate with MEDISTILL_MESH_NEIGHBOURS gives a record without a MeshHeadingList the descriptors of its indexed neighbours, and the indexer leaves them out of the index', { timeout: 120_000 }, async () => {
    const plain = h.get('annotate');
    plain.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
    await h.waitFor('the index to hold the corpus', () => indexCount() === 9);
    h.start('annotate', ['annotate'], { MEDISTILL_MESH_NEIGHBOURS: 'true' });
    const ingest = startServiceProcess('ingest', ['ingest'], h.env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: UNINDEXED, MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state-unindexed') }), join(work, 'ingest-unindexed.log'));
    expect(await ingest.exited).toBe(0);
    const annotated = async (): Promise<AnnotatedRecordMessage | null> => {
      for (const m of await readTopic(kafka, TOPICS.annotated)) if (m.key === '41000011' && m.value) return (await codec.decode(m.value)) as AnnotatedRecordMessage;
      return null;
    };
    await h.waitFor('41000011 on pubmed.annotated.v1', async () => (await annotated()) !== null, 60_000);
    const mesh = (await annotated())!.mesh;
    const bySource = (source: string): string[] => mesh.filter((m) => m.source === source).map((m) => m.descriptorUi).sort();
    // Asthma and Child the text names; Glucocorticoids and Administration, Inhalation it does not (it says
    // "inhaled budesonide"): they are headings of the indexed asthma papers 41000001 and 41000003.
    expect(bySource('dictionary')).toEqual(['D001249', 'D002648']);
    expect(bySource('neighbours')).toEqual(['D000280', 'D005938']);
    for (const m of mesh.filter((x) => x.source === 'neighbours')) {
      expect(m.score).toBeGreaterThan(0.5);
      expect(m.treeNumbers.length).toBeGreaterThan(0);
    }
    expect(bySource('nlm')).toEqual([]);

    // The indexer adds the paper with the descriptors of its own text only: predictions never feed on one another.
    await h.waitFor('the index to hold 41000011', () => indexCount() === 10);
    const index = openLiteratureIndex({ dir: join(work, 'index'), readonly: true });
    try {
      expect([...(index.get('41000011')?.meshUis ?? [])].sort()).toEqual(['D001249', 'D002648']);
    } finally {
      index.close();
    }
    const log = await readFile(h.get('annotate').logFile, 'utf8');
    expect(log).toMatch(/mesh neighbours: on/);
  });
});
