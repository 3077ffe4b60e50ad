import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { readTopic } from '../../support/topicReader.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { writeGeneratedRecords } from './fixtureInputs.ts';

const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;
const KEY = 'sk-batch-integration-31d7e0a2';

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let llm: OpenAiTestServer;
let h: ServiceHarness;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-batch-'));
  stack = await startLocalStack({});
  h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH, MEDISTILL_SHUTDOWN_TIMEOUT_MS: '2000' } });
  kafka = new Kafka({ clientId: 'batch-mode-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  llm = await startOpenAiTestServer({ responder: simulatedModel(), batchProcessDelayMs: 10 });
}, 300_000);

afterAll(async () => {
  h?.killAll('SIGKILL');
  await llm?.close();
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the generate service in batch mode on a real broker', () => {
  it('commits no offset while its batch runs; killed mid-batch and restarted, it resumes that batch: nothing lost, nothing paid twice, no online call', async () => {
    const batchEnv = {
      MEDISTILL_LLM_BASE_URL: llm.url,
      MEDISTILL_LLM_API_KEY: KEY,
      MEDISTILL_LLM_MODEL: 'sim-1',
      MEDISTILL_LLM_MODE: 'batch',
      // One generator, so one request per record (two would write two candidates per target).
      MEDISTILL_GENERATORS: 'llm',
      // One file of exactly the 20 records, submitted as soon as they are all in.
      MEDISTILL_LLM_BATCH_MAX_REQUESTS: '20',
      MEDISTILL_LLM_BATCH_MAX_WAIT_MS: '20000',
      MEDISTILL_LLM_BATCH_POLL_MS: '100',
    };
    // The batch runs for a while: the service holds its records in flight meanwhile.
    llm.enqueueBatchPlan({ kind: 'complete', afterMs: 15_000 });
    h.start('annotate');
    const generate = h.start('generate', ['generate'], batchEnv);
    const input = join(work, 'in');
    await mkdir(input);
    const pmids = await writeGeneratedRecords(join(input, 'generated.xml'), 77_000_001, 20);
    await h.ingest(input);

    const candidates = async (): Promise<Set<string>> => {
      const keys = new Set<string>();
      for (const m of await readTopic(kafka, TOPICS.candidates)) if (m.key && pmids.includes(m.key)) keys.add(m.key);
      return keys;
    };
    const admin = kafka.admin();
    await admin.connect();
    const committed = async (): Promise<number> => {
      const [topic] = await admin.fetchOffsets({ groupId: 'medistill-generate', topics: [TOPICS.annotated] });
      return (topic?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    try {
      await h.waitFor('the first batch (of every record) to be submitted', async () => llm.batches().length >= 1, 120_000, 300);
      // Give the runner time to commit, were it going to.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await committed()).toBe(0);
      expect((await candidates()).size).toBe(0);

      generate.kill('SIGKILL');
      await generate.exited;
      h.start('generate', ['generate'], batchEnv);
      await h.waitFor('every record to be produced after the restart', async () => (await candidates()).size === pmids.length);
      await h.waitFor('the offsets of every record to be committed', async () => (await committed()) >= pmids.length);
    } finally {
      await admin.disconnect();
    }
    expect(llm.chatRequests()).toHaveLength(0);
    // The restarted service waited for the batch its predecessor submitted instead of paying again.
    expect(llm.batches()).toHaveLength(1);
    expect(llm.batches()[0]?.status).toBe('completed');
    expect(llm.batchLinesRun()).toHaveLength(pmids.length);
    const log = await readFile(join(work, 'generate.log'), 'utf8');
    expect(log).toContain('LLM mode: batch');
    expect(log).not.toContain(KEY);
  }, 300_000);
});
