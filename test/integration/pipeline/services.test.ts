import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import type { DeadLetterMessage, RecordJudgementMessage, RecordCandidatesMessage } from '../../../services/contracts/topicMessages.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { readTopic } from '../../support/topicReader.ts';
import { readExportRows } from '../../../services/export/readExportRows.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { scanEntries, writeGeneratedRecords } from './fixtureInputs.ts';

const SAMPLES = new URL('../../fixtures/pipeline-sample/pubmed/', import.meta.url).pathname;
const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

interface DatasetRow {
  id: string;
  pmid: string;
  pmid_version: number;
  question: string;
  generator: { backend: string; model: string | null };
}

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let codec: AvroCodec;
let llm: OpenAiTestServer;
let h: ServiceHarness;

async function judged(): Promise<Map<string, (RecordJudgementMessage | null)[]>> {
  const byKey = new Map<string, (RecordJudgementMessage | null)[]>();
  for (const m of await readTopic(kafka, TOPICS.judged)) {
    const value = m.value === null ? null : ((await codec.decode(m.value)) as RecordJudgementMessage);
    const list = byKey.get(m.key ?? '') ?? [];
    list.push(value);
    byKey.set(m.key ?? '', list);
  }
  return byKey;
}

async function deadLetters(topic: string): Promise<(DeadLetterMessage & { headers: Record<string, string> })[]> {
  const out = [];
  for (const m of await readTopic(kafka, dlqTopic(topic))) {
    out.push({ ...((await codec.decode(m.value!)) as DeadLetterMessage), headers: m.headers });
  }
  return out;
}

async function dataset(): Promise<DatasetRow[]> {
  return readExportRows(join(work, 'export'), 'accepted');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-services-'));
  stack = await startLocalStack({});
  h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH } });
  kafka = new Kafka({ clientId: 'services-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
  llm = await startOpenAiTestServer({ responder: simulatedModel() });
}, 300_000);

afterAll(async () => {
  h?.killAll('SIGKILL');
  await llm?.close();
  await stack?.stop();
  if (process.env.MEDISTILL_KEEP_TEST_LOGS) process.stderr.write(`service logs kept in ${work}\n`);
  else await rm(work, { recursive: true, force: true });
}, 60_000);

describe('the Kafka services on a real broker and schema registry', () => {
  it('push the sample through every service: each input entry ends in qa.judged.v1 or a dead-letter topic, a poison message included', async () => {
    for (const name of ['annotate', 'generate', 'judge', 'export']) h.start(name, [name]);
    await h.ingest(SAMPLES);
    const producer = kafka.producer();
    await producer.connect();
    const poison = Buffer.from('this is not Avro');
    await producer.send({ topic: TOPICS.records, messages: [{ key: 'poison-1', value: poison }] });
    await producer.disconnect();

    const entries = await scanEntries(SAMPLES);
    await h.waitFor('every input entry to be accounted for', async () => {
      const j = await judged();
      const dlq = await deadLetters(TOPICS.records);
      const inDlq = new Set(dlq.map((d) => d.key?.toString('utf8')));
      const articlesDone = entries.articles.every((a) => inDlq.has(a.pmid) || (j.get(a.pmid) ?? []).some((v) => v?.pmidVersion === a.version));
      const deletionsDone = entries.deletions.every((d) => (j.get(d) ?? []).includes(null));
      return articlesDone && deletionsDone && inDlq.has('poison-1');
    });

    const dlq = await deadLetters(TOPICS.records);
    const poisoned = dlq.find((d) => d.key?.toString('utf8') === 'poison-1');
    expect(poisoned).toMatchObject({ stage: 'annotate', errorClass: 'ContractError', originalTopic: TOPICS.records });
    expect(poisoned?.value?.equals(poison)).toBe(true);
    expect(poisoned?.headers['medistill.error.class']).toBe('ContractError');
    const parseFailure = dlq.find((d) => d.stage === 'ingest');
    expect(parseFailure?.key?.toString('utf8')).toBe('39990014');
    expect(parseFailure?.value?.toString('utf8')).toContain('<PMID Version="1">39990014</PMID>');

    // Every article except the malformed one reached the end, with the outcome saying why when it has no items.
    const j = await judged();
    const noAbstract = [...j.values()].flat().filter((v) => v?.outcome === 'no_abstract');
    expect(noAbstract.map((v) => v?.pmid)).toContain('39990009');

    // The deletion and the revision come last (the update file): the export may hold the sample
    // before it has taken them in, so wait for them rather than for a row count alone.
    const settled = (rows: DatasetRow[]): boolean =>
      rows.length > 50 && !rows.some((r) => r.pmid === '39990036') && rows.filter((r) => r.pmid === '39990013').every((r) => r.pmid_version === 2);
    await h.waitFor('the export to hold the sample dataset, without the deleted paper and with the revision', async () => settled(await dataset()));
    const rows = await dataset();
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.some((r) => r.pmid === '39990036')).toBe(false);
    expect(rows.filter((r) => r.pmid === '39990013').every((r) => r.pmid_version === 2)).toBe(true);
  }, 240_000);

  it('a service killed with SIGKILL mid-stream and restarted loses nothing, and the export holds no duplicates', async () => {
    // A slow LLM behind the generator keeps records in flight when the kill lands.
    for (const name of ['generate', 'judge']) {
      h.get(name).kill('SIGTERM');
      expect(await h.get(name).exited).toBe(0);
    }
    llm.setResponder(async (body, req) => {
      await new Promise((r) => setTimeout(r, 150));
      return simulatedModel()(body, req);
    });
    const llmEnv = { MEDISTILL_LLM_BASE_URL: llm.url, MEDISTILL_LLM_API_KEY: 'test-key', MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_LLM_MAX_CONCURRENCY: '2' };
    h.start('generate', ['generate'], { ...llmEnv, MEDISTILL_MAX_IN_FLIGHT: '4' });
    h.start('judge', ['judge'], { ...llmEnv, MEDISTILL_LLM_MAX_CONCURRENCY: '8' });
    const input = join(work, 'batch2');
    await mkdir(input);
    const pmids = await writeGeneratedRecords(join(input, 'generated.xml'), 88_000_001, 40);
    await h.ingest(input);

    const candidatesFor = async (): Promise<Set<string>> => {
      const keys = new Set<string>();
      for (const m of await readTopic(kafka, TOPICS.candidates)) if (m.key && pmids.includes(m.key)) keys.add(m.key);
      return keys;
    };
    // Backpressure: with a slow LLM and 4 records in flight at most, the generator pauses its consumer.
    let sawPaused = false;
    await h.waitFor('the generator to pause its consumer under backpressure', async () => {
      // The log file collects every generate process of the test: the newest port is the live one.
      const ports = [...(await readFile(h.get('generate').logFile, 'utf8')).matchAll(/metrics on :(\d+)/g)];
      const port = ports[ports.length - 1]?.[1];
      if (!port) return false;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      sawPaused ||= /^medistill_consumer_paused\{[^}]*\} 1$/m.test(text);
      return sawPaused;
    });
    await h.waitFor('the generator to be mid-stream', async () => (await candidatesFor()).size >= 5);
    const victim = h.get('generate');
    victim.kill('SIGKILL');
    await victim.exited;
    expect((await candidatesFor()).size).toBeLessThan(pmids.length);
    h.start('generate', ['generate'], llmEnv);

    await h.waitFor('every generated record to be judged', async () => {
      const j = await judged();
      return pmids.every((p) => (j.get(p) ?? []).length > 0);
    }, 120_000);
    await h.waitFor('the export to include the new records', async () => {
      const rows = await dataset();
      return pmids.every((p) => rows.some((r) => r.pmid === p));
    });
    const rows = await dataset();
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => `${r.pmid}\u0000${r.question.toLowerCase()}`)).size).toBe(rows.length);
    expect(rows.filter((r) => pmids.includes(r.pmid)).every((r) => r.generator.model === 'sim-1')).toBe(true);
  }, 240_000);

  it('a replay under a new group with a new model regenerates the items, and the export keeps the newest', async () => {
    llm.setResponder(simulatedModel());
    const replay = h.start('replay', ['replay', '--topic', TOPICS.annotated, '--from', 'earliest', '--group', 'replay-sim-2'], {
      MEDISTILL_LLM_BASE_URL: llm.url,
      MEDISTILL_LLM_API_KEY: 'test-key',
      MEDISTILL_LLM_MODEL: 'sim-2',
    });
    await h.waitFor('the export to hold only regenerated items', async () => {
      const rows = await dataset();
      return rows.length > 0 && rows.every((r) => r.generator.model === 'sim-2');
    }, 150_000);
    const candidates = await readTopic(kafka, TOPICS.candidates);
    const models = new Set<string | null>();
    for (const m of candidates) if (m.value) for (const i of ((await codec.decode(m.value)) as RecordCandidatesMessage).items) models.add(i.generator.model);
    expect(models).toEqual(new Set([null, 'sim-1', 'sim-2']));
    replay.kill('SIGTERM');
    expect(await replay.exited).toBe(0);
  }, 240_000);

  it('every service stops cleanly on SIGTERM', async () => {
    const running = h.current().filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    for (const s of running) s.kill('SIGTERM');
    const codes = await Promise.all(running.map((s) => s.exited));
    expect(codes).toEqual(running.map(() => 0));
  }, 60_000);
});
