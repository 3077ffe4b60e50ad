import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { createAvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import type { RecordJudgementMessage } from '../../../services/contracts/topicMessages.ts';
import { readExportRows } from '../../../services/export/readExportRows.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { readTopic } from '../../support/topicReader.ts';
import { scanEntries, writeGeneratedRecords } from '../pipeline/fixtureInputs.ts';

/**
 * Marker secrets in every credential-bearing setting the local stack can run with, the pipeline run
 * through the real services with a dead letter forced at each stage, then every output channel
 * searched for the markers: each service's stdout and stderr, the raw bytes (keys, values, headers)
 * of every topic including the dead-letter topics, each /metrics page, and every file of the export
 * folder (shards, failures, the card, the store). The same run checks that no service prints a Node
 * warning (abort listeners, negative timers) with an LLM at a concurrency above 10.
 */

const SAMPLES = new URL('../../fixtures/pipeline-sample/', import.meta.url).pathname;
const MESH = join(SAMPLES, 'desc-sample.xml');
const LONG_RUNNING = ['annotate', 'generate', 'judge', 'export'] as const;
/** Warns as Node 20 did when one AbortSignal holds more than 10 listeners (Node 24 does not limit them). */
const ABORT_LISTENER_WATCH = new URL('../../support/abortListenerWatch.mjs', import.meta.url).href;

const secret = (label: string): string => `${label}${randomBytes(12).toString('hex')}`;
const API_KEY = secret('sk-marker-');
const FALLBACK_KEY = secret('openai-marker-');
// A user name is an identity, not a secret: the start-up log shows it (as it shows the SASL user);
// the password and the basic-auth token made of both are the markers.
const REGISTRY_USER = `reguser${randomBytes(4).toString('hex')}`;
const REGISTRY_PASSWORD = secret('regpw');
const EUTILS_KEY = secret('eutils');
const URL_PASSWORD = secret('urlpw');
/** Every form a marker could leave in: as given, URL-encoded, and the registry's basic-auth token. */
const MARKERS = [API_KEY, FALLBACK_KEY, REGISTRY_PASSWORD, EUTILS_KEY, URL_PASSWORD, Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')];

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let llm: OpenAiTestServer;
const services: ServiceProcess[] = [];
const metricsPorts = new Map<string, number>();
const metricsText = new Map<string, string>();
let refusal: { code: number | null; log: string };
let h: ServiceHarness;

/** The markers found in `bytes` (decompressed too when gzip), each with where. */
function leaks(where: string, bytes: Buffer | string): string[] {
  const views: Buffer[] = [Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)];
  if (views[0]![0] === 0x1f && views[0]![1] === 0x8b) {
    try {
      views.push(gunzipSync(views[0]!));
    } catch {
      // not gzip after all
    }
  }
  return MARKERS.filter((m) => views.some((v) => v.includes(m))).map((m) => `${where}: ${m.slice(0, 10)}…`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** The settings of every service: each credential setting carries a marker. */
function markerEnv(): Record<string, string> {
  const registry = new URL(stack.registryUrl);
  registry.username = REGISTRY_USER;
  registry.password = REGISTRY_PASSWORD;
  return {
    // Credentials in the registry URL are moved into its basic-auth header (the local registry ignores it).
    MEDISTILL_REGISTRY_URL: registry.toString(),
    MEDISTILL_MESH_PATH: MESH,
    MEDISTILL_EUTILS_API_KEY: EUTILS_KEY,
    OPENAI_API_KEY: FALLBACK_KEY,
    MEDISTILL_LLM_BASE_URL: llm.url,
    MEDISTILL_LLM_API_KEY: API_KEY,
    MEDISTILL_LLM_MODEL: 'sim-1',
    MEDISTILL_LLM_MAX_CONCURRENCY: '16',
    NODE_OPTIONS: `--import ${ABORT_LISTENER_WATCH}`,
  };
}

async function logsTail(): Promise<string> {
  return (await Promise.all(services.map(async (s) => `== ${s.name}\n${(await readFile(s.logFile, 'utf8')).split('\n').slice(-15).join('\n')}`))).join('\n');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-markers-'));
  const input = join(work, 'input');
  await mkdir(input);
  // A real-format file holding a malformed record (a dead letter of ingest), and 30 more records so
  // that more than 10 LLM requests wait at once.
  await copyFile(join(SAMPLES, 'pubmed', 'pubmed-sample-02.xml'), join(input, 'pubmed-sample-02.xml'));
  await writeGeneratedRecords(join(input, 'generated.xml'), 39_970_000, 30);
  const base = simulatedModel();
  llm = await startOpenAiTestServer({ responder: async (body, request) => ({ kind: 'reply', content: String(await base(body, request)), delayMs: 40 }) });
  stack = await startLocalStack({});
  kafka = new Kafka({ clientId: 'markers-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  h = createServiceHarness({ stack, work, env: markerEnv() });

  // A URL carrying user:password is refused at start, in a line that does not show the password.
  const refused = startServiceProcess('generate-refused', ['generate'], h.env({ MEDISTILL_GROUP_ID: 'markers-generate-refused', MEDISTILL_LLM_BASE_URL: `http://user:${URL_PASSWORD}@127.0.0.1:9/v1` }), join(work, 'generate-refused.log'));
  refusal = { code: await refused.exited, log: await readFile(refused.logFile, 'utf8') };

  const ports = await freePorts(LONG_RUNNING.length);
  for (const [i, name] of LONG_RUNNING.entries()) {
    metricsPorts.set(name, ports[i]!);
    services.push(await h.startReady(name, ports[i]!, { MEDISTILL_GROUP_ID: `markers-${name}` }));
  }
  const ingest = startServiceProcess('ingest', ['ingest'], h.env({ MEDISTILL_GROUP_ID: 'markers-ingest', MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: input }), join(work, 'ingest.log'));
  services.push(ingest);
  const code = await ingest.exited;
  if (code !== 0) throw new Error(`ingest exited with ${code}:\n${await readFile(ingest.logFile, 'utf8')}`);

  // A message that is not Avro on the input of each stage: a dead letter from every stage.
  const producer = kafka.producer();
  await producer.connect();
  for (const topic of [TOPICS.records, TOPICS.annotated, TOPICS.candidates]) {
    await producer.send({ topic, messages: [{ key: `poison-${topic}`, value: Buffer.from('this is not Avro') }] });
  }
  await producer.disconnect();

  const codec = createAvroCodec({ registryUrl: stack.registryUrl });
  const entries = await scanEntries(input);
  const judgedCount = async (): Promise<{ done: boolean; messages: number }> => {
    const judged = await readTopic(kafka, TOPICS.judged);
    const seen = new Set<string>();
    for (const m of judged) {
      if (m.value === null) seen.add(`${m.key}:deleted`);
      else seen.add(`${m.key}:${((await codec.decode(m.value)) as RecordJudgementMessage).pmidVersion}`);
    }
    const dlq = new Set((await readTopic(kafka, dlqTopic(TOPICS.records))).map((m) => m.key));
    const done = entries.articles.every((a) => dlq.has(a.pmid) || seen.has(`${a.pmid}:${a.version}`)) && entries.deletions.every((d) => seen.has(`${d}:deleted`));
    return { done, messages: judged.length };
  };
  let judgedMessages = 0;
  const through = await pollUntil(async () => {
    const r = await judgedCount();
    judgedMessages = r.messages;
    return r.done;
  }, { timeoutMs: 120_000, intervalMs: 1_000 });
  if (!through.ready) throw new Error(`not every record reached qa.judged.v1\n${await logsTail()}`);
  const exportPort = metricsPorts.get('export')!;
  const exported = await pollUntil(async () => {
    const text = await (await fetch(`http://127.0.0.1:${exportPort}/metrics`)).text();
    const consumed = text.split('\n').filter((l) => l.startsWith('medistill_records_consumed_total{') && l.includes(TOPICS.judged)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    return consumed >= judgedMessages;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  if (!exported.ready) throw new Error(`export did not consume qa.judged.v1\n${await logsTail()}`);
  for (const [name, port] of metricsPorts) metricsText.set(name, await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  // A clean stop writes the card and the last checkpoint, and is itself an output channel (its log lines).
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
}, 300_000);

afterAll(async () => {
  for (const s of services) s.kill('SIGKILL');
  await llm?.close();
  await stack?.stop();
  if (process.env.MEDISTILL_KEEP_TEST_LOGS) process.stderr.write(`service logs kept in ${work}\n`);
  else if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe('marker secrets in every credential setting, searched for in every output channel', () => {
  it('the search finds a marker where one is (so an empty result means something)', () => {
    expect(leaks('probe', `x ${API_KEY} y`)).toHaveLength(1);
    expect(leaks('probe', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip')]))).toEqual([]);
  });

  it('an LLM URL with user:password is refused at start in one line without the password', () => {
    expect(refusal.code).not.toBe(0);
    expect(refusal.log).toMatch(/MEDISTILL_LLM_BASE_URL http:\/\/\*\*\*@127\.0\.0\.1:9\/v1 carries credentials/);
    expect(leaks('refused generate', refusal.log)).toEqual([]);
  });

  it('the services used the key: every chat request carried it', () => {
    const chats = llm.chatRequests();
    expect(chats.length).toBeGreaterThan(30);
    expect(chats.every((r) => llm.sentKey(r, API_KEY))).toBe(true);
  });

  it('no service log (stdout and stderr) holds a marker, nor any Node warning', async () => {
    const found: string[] = [];
    const warnings: string[] = [];
    for (const s of services) {
      const log = await readFile(s.logFile, 'utf8');
      expect(log.length, s.name).toBeGreaterThan(0);
      found.push(...leaks(`${s.name} log`, log));
      warnings.push(...log.split('\n').filter((l) => /Warning:|MaxListenersExceeded|TimeoutNegative/.test(l)).map((l) => `${s.name}: ${l}`));
    }
    expect(found).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('no topic holds a marker in a key, value or header, the dead-letter topics included', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    await admin.disconnect();
    const dlqs = [TOPICS.records, TOPICS.annotated, TOPICS.candidates].map(dlqTopic);
    for (const t of [TOPICS.records, TOPICS.annotated, TOPICS.candidates, TOPICS.judged, ...dlqs]) expect(topics).toContain(t);
    const found: string[] = [];
    const counts: Record<string, number> = {};
    for (const topic of topics) {
      const messages = await readTopic(kafka, topic);
      counts[topic] = messages.length;
      for (const m of messages) {
        const where = `${topic}[${m.partition}]@${m.offset}`;
        found.push(...leaks(`${where} key`, m.key ?? ''));
        if (m.value) found.push(...leaks(`${where} value`, m.value));
        for (const [name, value] of Object.entries(m.headers)) found.push(...leaks(`${where} header ${name}`, `${name}=${value}`));
      }
    }
    // A dead letter at every stage that was given a poison message, and the malformed record from ingest.
    for (const t of dlqs) expect(counts[t], t).toBeGreaterThanOrEqual(1);
    expect(counts[dlqTopic(TOPICS.records)]).toBeGreaterThanOrEqual(2);
    expect(found).toEqual([]);
  });

  it('no /metrics page holds a marker', () => {
    expect([...metricsText.keys()].sort()).toEqual([...LONG_RUNNING].sort());
    const found: string[] = [];
    for (const [name, text] of metricsText) {
      expect(text).toContain('medistill_records_consumed_total');
      found.push(...leaks(`${name} /metrics`, text));
    }
    expect(found).toEqual([]);
  });

  it('no file of the export folder (shards, failures, the card, the store) holds a marker', async () => {
    const files = await filesUnder(join(work, 'export'));
    expect(files.some((f) => f.endsWith('README.md'))).toBe(true);
    expect((await readExportRows(join(work, 'export'), 'accepted')).length).toBeGreaterThan(0);
    const found: string[] = [];
    for (const f of [...files, ...(await filesUnder(join(work, 'ingest-state')))]) found.push(...leaks(f.slice(work.length), await readFile(f)));
    expect(found).toEqual([]);
  });
});
