import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import type { RecordCandidatesMessage, RecordJudgementMessage } from '../../../services/contracts/topicMessages.ts';
import { startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.ts';
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
const services = new Map<string, ServiceProcess>();

function kindOf(r: RecordedRequest): string {
  const system = r.body?.messages?.find((m) => m.role === 'system')?.content ?? '';
  if (system.includes('write question-answer items')) return 'generate';
  if (system.includes('review question-answer items')) return 'judge';
  return 'other';
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','),
    MEDISTILL_REGISTRY_URL: stack.registryUrl,
    MEDISTILL_METRICS_PORT: '0',
    MEDISTILL_METRICS_HOST: '127.0.0.1',
    MEDISTILL_TOPIC_PARTITIONS: '3',
    MEDISTILL_MESH_PATH: MESH,
    MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state'),
    MEDISTILL_SHUTDOWN_TIMEOUT_MS: '10000',
    MEDISTILL_LLM_BASE_URL: llm.url,
    MEDISTILL_LLM_API_KEY: 'sk-replay-test-0a1b2c3d',
    MEDISTILL_LLM_MODEL: 'sim-1',
    MEDISTILL_LLM_RPM: '100000',
    MEDISTILL_LLM_TPM: '100000000',
    MEDISTILL_LLM_MAX_CONCURRENCY: '32',
    MEDISTILL_ITEMS_PER_RECORD: '1',
    MEDISTILL_LLM_CACHE_URL: stack.redisUrl,
    ...extra,
  };
}

function start(name: string, args: string[], extra: Record<string, string> = {}): ServiceProcess {
  const p = startServiceProcess(name, args, env(extra), join(work, `${name}.log`));
  services.set(name, p);
  return p;
}

async function stop(name: string): Promise<void> {
  const p = services.get(name)!;
  p.kill('SIGTERM');
  expect(await p.exited).toBe(0);
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

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const result = await pollUntil(check, { timeoutMs, intervalMs: 1000 });
  if (!result.ready) {
    const logs = await Promise.all([...services.values()].map(async (s) => `== ${s.name}\n${(await readFile(s.logFile, 'utf8')).split('\n').slice(-15).join('\n')}`));
    throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
  }
}

async function metricsOf(name: string): Promise<string> {
  const ports = [...(await readFile(services.get(name)!.logFile, 'utf8')).matchAll(/metrics on :(\d+)/g)];
  const port = ports.at(-1)?.[1];
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-cache-replay-'));
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'cache-replay-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
  llm = await startOpenAiTestServer({ responder: simulatedModel(), maxRecorded: 100_000 });
}, 300_000);

afterAll(async () => {
  for (const s of services.values()) s.kill('SIGKILL');
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
    start('annotate', ['annotate']);
    start('generate', ['generate']);
    start('judge', ['judge'], { MEDISTILL_JUDGE_MODEL: 'judge-a' });
    const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: input }), join(work, 'ingest.log'));
    expect(await ingest.exited).toBe(0);
    const firstStarted = Date.now();
    await waitFor('the first pass to judge every record', async () => (await messageCount(TOPICS.judged)) >= RECORDS);
    const firstSeconds = (Date.now() - firstStarted) / 1000;
    const firstCalls = llm.chatRequests();
    expect(firstCalls.filter((r) => kindOf(r) === 'generate').length).toBeGreaterThanOrEqual(RECORDS);
    const candidatesFirst = await messageCount(TOPICS.candidates);

    // Replay: the generator re-consumes pubmed.annotated.v1 under a new group; the judge has a new model.
    await stop('generate');
    await stop('judge');
    llm.reset();
    start('judge', ['judge'], { MEDISTILL_JUDGE_MODEL: 'judge-b' });
    const replayStarted = Date.now();
    start('generate', ['replay', '--topic', TOPICS.annotated, '--from', 'earliest', '--group', 'generate-replay-1']);
    await waitFor('the replayed candidates to be judged again', async () => (await messageCount(TOPICS.judged)) >= 2 * RECORDS);
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

    const metrics = await metricsOf('generate');
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
