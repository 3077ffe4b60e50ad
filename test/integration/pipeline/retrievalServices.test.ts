import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import type { AnnotatedRecordMessage, RecordJudgementMessage } from '../../../services/contracts/topicMessages.ts';
import { INDEX_FILE, openLiteratureIndex } from '../../../services/retrieval/literatureIndex.ts';
import { startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.ts';
import { readTopic } from '../../support/topicReader.ts';

const CORPUS = new URL('../../fixtures/pubmed/retrieval-corpus.xml', import.meta.url).pathname;
const MESH = new URL('../../fixtures/mesh/retrieval-mesh.xml', import.meta.url).pathname;
/** One asthma paper NLM has not indexed yet: no MeshHeadingList. */
const UNINDEXED = new URL('../../fixtures/pubmed/unindexed-asthma.xml', import.meta.url).pathname;

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let codec: AvroCodec;
const services = new Map<string, ServiceProcess>();

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','),
    MEDISTILL_REGISTRY_URL: stack.registryUrl,
    MEDISTILL_METRICS_PORT: '0',
    MEDISTILL_METRICS_HOST: '127.0.0.1',
    MEDISTILL_TOPIC_PARTITIONS: '3',
    MEDISTILL_BATCH_MS: '5',
    MEDISTILL_MESH_PATH: MESH,
    MEDISTILL_INDEX_DIR: join(work, 'index'),
    MEDISTILL_SHUTDOWN_TIMEOUT_MS: '10000',
    ...extra,
  };
}

function start(name: string, extra: Record<string, string> = {}): void {
  services.set(name, startServiceProcess(name, [name], env(extra), join(work, `${name}.log`)));
}

function indexCount(): number {
  if (!existsSync(join(work, 'index', INDEX_FILE))) return 0;
  const index = openLiteratureIndex({ dir: join(work, 'index'), readonly: true });
  try {
    return index.count();
  } finally {
    index.close();
  }
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const result = await pollUntil(async () => check(), { timeoutMs, intervalMs: 500 });
  if (!result.ready) {
    const logs = await Promise.all([...services.values()].map(async (s) => `== ${s.name}\n${(await readFile(s.logFile, 'utf8')).split('\n').slice(-15).join('\n')}`));
    throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-retrieval-services-'));
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'retrieval-services-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
}, 300_000);

afterAll(async () => {
  for (const s of services.values()) s.kill('SIGKILL');
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the index service beside the judge, on a real broker and registry', () => {
  it('indexes every annotated abstract from pubmed.annotated.v1, the judge stores retrieved PMIDs, and a tombstone removes a paper', { timeout: 400_000 }, async () => {
    start('annotate');
    start('index', { MEDISTILL_GROUP_ID: 'medistill-index-replica-a' });
    const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: CORPUS, MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state') }), join(work, 'ingest.log'));
    expect(await ingest.exited).toBe(0);
    await waitFor('the index to hold the 10 abstracts', () => indexCount() === 10);

    // The judge reads the folder its indexer writes; generate and judge start once the corpus is in.
    start('generate');
    start('judge');
    const judged = async (): Promise<Map<string, RecordJudgementMessage>> => {
      const out = new Map<string, RecordJudgementMessage>();
      for (const m of await readTopic(kafka, TOPICS.judged)) if (m.value) out.set(m.key ?? '', (await codec.decode(m.value)) as RecordJudgementMessage);
      return out;
    };
    await waitFor('a judgement of every corpus paper', async () => (await judged()).size === 10, 240_000);
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
    await waitFor('the deleted paper to leave the index', () => indexCount() === 9);
  });

  // Runs on what the test above left: the index beside the services holds the corpus.
  it('annotate with MEDISTILL_MESH_NEIGHBOURS gives a record without a MeshHeadingList the descriptors of its indexed neighbours, and the indexer leaves them out of the index', { timeout: 120_000 }, async () => {
    const plain = services.get('annotate')!;
    plain.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
    await waitFor('the index to hold the corpus', () => indexCount() === 9);
    start('annotate', { MEDISTILL_MESH_NEIGHBOURS: 'true' });
    const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: UNINDEXED, MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state-unindexed') }), join(work, 'ingest-unindexed.log'));
    expect(await ingest.exited).toBe(0);
    const annotated = async (): Promise<AnnotatedRecordMessage | null> => {
      for (const m of await readTopic(kafka, TOPICS.annotated)) if (m.key === '41000011' && m.value) return (await codec.decode(m.value)) as AnnotatedRecordMessage;
      return null;
    };
    await waitFor('41000011 on pubmed.annotated.v1', async () => (await annotated()) !== null, 60_000);
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
    await waitFor('the index to hold 41000011', () => indexCount() === 10);
    const index = openLiteratureIndex({ dir: join(work, 'index'), readonly: true });
    try {
      expect([...(index.get('41000011')?.meshUis ?? [])].sort()).toEqual(['D001249', 'D002648']);
    } finally {
      index.close();
    }
    const log = await readFile(services.get('annotate')!.logFile, 'utf8');
    expect(log).toMatch(/mesh neighbours: on/);
  });
});
