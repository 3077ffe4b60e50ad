import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import type { RecordCandidatesMessage, RecordJudgementMessage } from '../../../services/contracts/topicMessages.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { readTopic } from '../../support/topicReader.ts';
import { startOpenAiTestServer, type OpenAiTestServer, type RecordedRequest } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { writeGeneratedRecords } from './fixtureInputs.ts';

/** Records replayed; MEDISTILL_CACHE_REPLAY_RECORDS=1000 gives the figure in bench/RESULTS.md. */
const RECORDS = Number(process.env.MEDISTILL_CACHE_REPLAY_RECORDS ?? 200);
const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let codec: AvroCodec;
let llm: OpenAiTestServer;
let h: ServiceHarness;

function kindOf(r: RecordedRequest): string {
  const system = r.body?.messages?.find((m) => m.role === 'system')?.content ?? '';
  if (system.includes('write question-answer items')) return 'generate';
  if (system.includes('review question-answer items')) return 'judge';
  return 'other';
}

async function messageCount(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-cache-replay-'));
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'cache-replay-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
  llm = await startOpenAiTestServer({ responder: simulatedModel(), maxRecorded: 100_000 });
  h = createServiceHarness({
    stack,
    work,
    env: {
      MEDISTILL_MESH_PATH: MESH,
      MEDISTILL_LLM_BASE_URL: llm.url,
      MEDISTILL_LLM_API_KEY: 'sk-replay-test-0a1b2c3d',
      MEDISTILL_LLM_MODEL: 'sim-1',
      MEDISTILL_LLM_RPM: '100000',
      MEDISTILL_LLM_TPM: '100000000',
      MEDISTILL_LLM_MAX_CONCURRENCY: '32',
      MEDISTILL_ITEMS_PER_RECORD: '1',
      MEDISTILL_LLM_CACHE_URL: stack.redisUrl,
    },
  });
}, 300_000);

afterAll(async () => {
  h?.killAll('SIGKILL');
  await llm?.close();
  await stack?.stop();
  if (process.env.MEDISTILL_KEEP_TEST_LOGS) process.stderr.write(`service logs kept in ${work}\n`);
  else await rm(work, { recursive: true, force: true });
}, 60_000);

describe('replaying a topic through the Kafka services with the shared response cache (Redis)', () => {
  it(`regenerating ${RECORDS} records with an unchanged generator and a new judge: 0 generation calls, one judge call per item`, async () => {
    const input = join(work, 'input');
    await mkdir(input);
    const pmids = await writeGeneratedRecords(join(input, 'generated.xml'), 66_000_001, RECORDS);
    h.start('annotate', ['annotate']);
    h.start('generate', ['generate']);
    h.start('judge', ['judge'], { MEDISTILL_JUDGE_MODEL: 'judge-a' });
    await h.ingest(input);
    const firstStarted = Date.now();
    await h.waitFor('the first pass to judge every record', async () => (await messageCount(TOPICS.judged)) >= RECORDS, 240_000, 1000);
    const firstSeconds = (Date.now() - firstStarted) / 1000;
    const firstCalls = llm.chatRequests();
    expect(firstCalls.filter((r) => kindOf(r) === 'generate').length).toBeGreaterThanOrEqual(RECORDS);
    const candidatesFirst = await messageCount(TOPICS.candidates);

    // Replay: the generator re-consumes pubmed.annotated.v1 under a new group; the judge has a new model.
    expect(await h.stop('generate')).toBe(0);
    expect(await h.stop('judge')).toBe(0);
    llm.reset();
    h.start('judge', ['judge'], { MEDISTILL_JUDGE_MODEL: 'judge-b' });
    const replayStarted = Date.now();
    h.start('generate', ['replay', '--topic', TOPICS.annotated, '--from', 'earliest', '--group', 'generate-replay-1']);
    await h.waitFor('the replayed candidates to be judged again', async () => (await messageCount(TOPICS.judged)) >= 2 * RECORDS, 240_000, 1000);
    const replaySeconds = (Date.now() - replayStarted) / 1000;

    const calls = llm.chatRequests();
    const replayCandidates = (await readTopic(kafka, TOPICS.candidates)).slice(0);
    const decoded = await Promise.all(replayCandidates.map(async (m) => (await codec.decode(m.value!)) as RecordCandidatesMessage));
    const cachedCandidates = decoded.filter((c) => c.items.length > 0 && c.items.every((i) => i.generator.cached));
    const replayItems = cachedCandidates.reduce((n, c) => n + c.items.length, 0);
    const judgedB = (await Promise.all((await readTopic(kafka, TOPICS.judged)).map(async (m) => (await codec.decode(m.value!)) as RecordJudgementMessage)))
      .filter((j) => j.items.some((i) => i.judge.model === 'judge-b'));
    const judgedBItems = new Set(judgedB.flatMap((j) => j.items.map((i) => i.candidate.id)));

    expect(calls.filter((r) => kindOf(r) === 'generate')).toHaveLength(0);
    expect(new Set(cachedCandidates.map((c) => c.pmid))).toEqual(new Set(pmids));
    expect(replayItems).toBeGreaterThanOrEqual(RECORDS);
    expect(judgedBItems.size).toBe(replayItems);
    // One judge request per item: redeliveries aside (at-least-once), no item was judged twice.
    expect(calls.filter((r) => kindOf(r) === 'judge')).toHaveLength(replayItems);
    expect(calls.every((r) => r.body?.model === 'judge-b')).toBe(true);
    expect(candidatesFirst).toBe(RECORDS);

    const metrics = await h.metricsOf('generate');
    const hits = Number(/^medistill_llm_cache_lookups_total\{[^}]*purpose="generate"[^}]*outcome="hit"[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    // Every generation request of the first pass (two generators per target) is answered from the cache once.
    expect(hits).toBe(firstCalls.filter((r) => kindOf(r) === 'generate').length);
    expect(Number(/^medistill_llm_cache_saved_tokens_total\{[^}]*type="input"[^}]*\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    process.stdout.write(
      `cache replay: ${RECORDS} records; first pass ${firstCalls.length} LLM calls in ${firstSeconds.toFixed(1)} s; ` +
        `replay ${calls.filter((r) => kindOf(r) === 'generate').length} generation calls, ${calls.filter((r) => kindOf(r) === 'judge').length} judge calls for ${replayItems} items, ${hits} cache hits, in ${replaySeconds.toFixed(1)} s\n`,
    );
  }, 600_000);
});
