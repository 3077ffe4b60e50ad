import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
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
let h: ServiceHarness;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-foreign-'));
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'foreign-clients-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH, MEDISTILL_TOPIC_PARTITIONS: '2' } });
  for (const name of ['annotate', 'generate', 'judge']) h.start(name);
  await h.ingest(SAMPLES);
  const entries = await scanEntries(SAMPLES);
  const expected = entries.articles.length - 1 + entries.deletions.length; // the malformed record goes to the dead letters
  await h.waitFor('the services to judge the sample', async () => (await readTopic(kafka, TOPICS.judged)).length >= expected, 120_000, 1000);
}, 400_000);

afterAll(async () => {
  h?.killAll('SIGTERM');
  await Promise.all((h?.current() ?? []).map((s) => s.exited));
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
