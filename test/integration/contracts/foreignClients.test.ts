import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import { startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.ts';
import { readTopic } from '../../support/topicReader.ts';
import { runPythonJson } from '../../support/pythonClients.ts';
import { runCli } from '../../support/runCli.ts';
import { scanEntries } from '../pipeline/fixtureInputs.ts';

const SAMPLES = new URL('../../fixtures/pipeline-sample/pubmed/', import.meta.url).pathname;
const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;
const TOPICS_READ = [TOPICS.records, TOPICS.annotated, TOPICS.candidates, TOPICS.judged, dlqTopic(TOPICS.records)];

interface Decoded {
  count: number;
  tombstones: number;
  keys: (string | null)[];
  fields: string[] | null;
  headers: Record<string, string> | null;
}

let stack: LocalStack;
let work: string;
let kafka: Kafka;
const services: ServiceProcess[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','),
    MEDISTILL_REGISTRY_URL: stack.registryUrl,
    MEDISTILL_METRICS_PORT: '0',
    MEDISTILL_METRICS_HOST: '127.0.0.1',
    MEDISTILL_TOPIC_PARTITIONS: '2',
    MEDISTILL_BATCH_MS: '5',
    MEDISTILL_MESH_PATH: MESH,
    MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state'),
    ...extra,
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-foreign-'));
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'foreign-clients-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  for (const name of ['annotate', 'generate', 'judge']) services.push(startServiceProcess(name, [name], env(), join(work, `${name}.log`)));
  const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: SAMPLES }), join(work, 'ingest.log'));
  if ((await ingest.exited) !== 0) throw new Error(`ingest failed:\n${await readFile(ingest.logFile, 'utf8')}`);
  const entries = await scanEntries(SAMPLES);
  const expected = entries.articles.length - 1 + entries.deletions.length; // the malformed record goes to the dead letters
  const done = await pollUntil(async () => (await readTopic(kafka, TOPICS.judged)).length >= expected, { timeoutMs: 120_000, intervalMs: 1000 });
  if (!done.ready) throw new Error('the services did not judge the sample in time');
}, 400_000);

afterAll(async () => {
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the topics read by foreign clients', () => {
  it("confluent-kafka's AvroDeserializer decodes every message of every topic through the registry", async () => {
    const decoded = await runPythonJson<Record<string, Decoded>>('decodeTopics.py', [stack.brokers.join(','), stack.registryUrl, ...TOPICS_READ]);
    for (const topic of TOPICS_READ) {
      const ours = await readTopic(kafka, topic);
      expect(ours.length, topic).toBeGreaterThan(0);
      expect(decoded[topic]!.count, topic).toBe(ours.length);
      expect(decoded[topic]!.tombstones, topic).toBe(ours.filter((m) => m.value === null).length);
    }
    // Deletions are tombstones on the records topic, keyed by PMID.
    expect(decoded[TOPICS.records]!.tombstones).toBeGreaterThan(0);
    expect(decoded[TOPICS.judged]!.fields).toEqual(expect.arrayContaining(['pmid', 'pmidVersion', 'items', 'lineage']));
    // A dead letter carries its reason in the value and in the headers.
    expect(decoded[dlqTopic(TOPICS.records)]!.keys).toContain('39990014');
    expect(decoded[dlqTopic(TOPICS.records)]!.headers?.['medistill.error.class']).toBeDefined();
  }, 240_000);

  it('medistill consume prints decoded messages as JSON lines, tombstones and dead-letter headers visible', async () => {
    const cliEnv = { MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','), MEDISTILL_REGISTRY_URL: stack.registryUrl };
    const all = await runCli(['consume', '--topic', TOPICS.records, '--from', 'earliest', '--timeout-ms', '4000'], cliEnv, 90_000);
    expect(all.code).toBe(0);
    const lines = all.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; tombstone: boolean; value: { pmid?: string } | null; headers: Record<string, string> });
    const ours = await readTopic(kafka, TOPICS.records);
    expect(lines.length).toBe(ours.length);
    expect(lines.filter((l) => l.tombstone && l.value === null).length).toBe(ours.filter((m) => m.value === null).length);
    expect(lines.find((l) => !l.tombstone)!.value!.pmid).toMatch(/^\d+$/);

    const dead = await runCli(['consume', '--topic', dlqTopic(TOPICS.records), '--limit', '1', '--key', '39990014'], cliEnv, 90_000);
    expect(dead.code).toBe(0);
    const [letter] = dead.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; headers: Record<string, string>; value: { stage: string } });
    expect(letter).toMatchObject({ key: '39990014', value: { stage: 'ingest' } });
    expect(Object.keys(letter!.headers)).toContain('medistill.error.class');

    const bad = await runCli(['consume', '--topic', TOPICS.records, '--from', 'yesterday-ish'], cliEnv);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from/);
  }, 240_000);
});
