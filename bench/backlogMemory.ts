/**
 * Memory under a big backlog and a slow LLM (target: flat, < 300 MB RSS per service). On one local
 * stack started here: a backlog of small pubmed.annotated.v1 messages is produced first (200,000, or
 * as many as fit in a minute), then the real generate service (`node bin/medistill.js generate`) is
 * started with its LLM pointed at a local OpenAI-compatible server that plays the model and answers
 * each request after 200 ms, with a small MEDISTILL_MAX_IN_FLIGHT. Its RSS (VmRSS in /proc) is
 * sampled every second for a minute, with the consumer lag, which should stay high: the LLM is slow,
 * so the service must pause its consumer rather than read the backlog into memory.
 *
 * Run: npx tsx bench/backlogMemory.ts
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../deploy/local/localStack.ts';
import { freePorts } from '../deploy/local/freePort.ts';
import { launchService, serviceEnv, SAMPLE_INPUT, type LaunchedService } from '../deploy/local/startPipeline.ts';
import { createAnnotateContext } from '../services/annotate/annotateContext.ts';
import { annotateRecord } from '../services/annotate/annotateRecord.ts';
import { bundledMeshPath } from '../services/cli/runCommand.ts';
import { toAnnotatedRecordValue } from '../services/contracts/annotatedRecordMapping.ts';
import { createAvroCodec } from '../services/contracts/avroCodec.ts';
import { TOPICS } from '../services/contracts/avroSchemas.ts';
import { createLineage } from '../services/contracts/lineage.ts';
import type { AnnotatedRecordMessage } from '../services/contracts/topicMessages.ts';
import { readPubmedInputs } from '../services/ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../services/mesh/loadMeshVocabulary.ts';
import type { PubmedArticle } from '../services/model/pubmedRecord.ts';
import { codeVersion } from '../services/config/codeVersion.ts';
import { ensureTopics } from '../services/runtime/kafka/ensureTopics.ts';
import { readConsumerLag } from '../services/runtime/kafka/readConsumerLag.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../test/support/openaiTestServer.ts';
import { simulatedModel } from '../test/support/simulatedModel.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const BACKLOG = 200_000;
const PRODUCE_DEADLINE_MS = 60_000;
const SAMPLE_SECONDS = 60;
const LLM_DELAY_MS = 200;
const MAX_IN_FLIGHT = 16;
const LLM_CONCURRENCY = 16;
const PARTITIONS = 6;
const CHUNK = 1_000;
const SENDS_IN_FLIGHT = 4;
const FIRST_PMID = 50_000_000;
const GROUP = 'medistill-generate';

/** One RSS sample of the service. */
interface Sample {
  seconds: number;
  rssMb: number;
}

/**
 * Small annotated records: the sample articles that have an abstract, annotated with the bundled
 * vocabulary, cut to two sentences of abstract and four MeSH terms (each still a generation target).
 */
async function makeTemplates(): Promise<AnnotatedRecordMessage[]> {
  const vocab = await loadMeshVocabulary(bundledMeshPath());
  const ctx = createAnnotateContext(vocab);
  const lineage = createLineage('bench', codeVersion(), new Date(0));
  const templates: AnnotatedRecordMessage[] = [];
  for await (const item of readPubmedInputs(SAMPLE_INPUT)) {
    if (item.kind !== 'article' || item.abstract.length === 0) continue;
    const text = item.abstract.map((s) => s.text).join(' ').split(/(?<=\.)\s+/).slice(0, 2).join(' ');
    const small: PubmedArticle = { ...item, abstract: [{ label: null, nlmCategory: null, text }], chemicals: [], keywords: [], articleIds: {} };
    const annotated = annotateRecord(small, ctx);
    if (annotated.mesh.length === 0) continue;
    templates.push(toAnnotatedRecordValue({ ...annotated, mesh: annotated.mesh.slice(0, 4) }, lineage));
  }
  return templates;
}

function recordAt(templates: readonly AnnotatedRecordMessage[], index: number): AnnotatedRecordMessage {
  const t = templates[index % templates.length] as AnnotatedRecordMessage;
  const pmid = String(FIRST_PMID + index);
  const lineage = createLineage('bench', codeVersion());
  return { ...t, record: { ...t.record, pmid, articleIds: { pubmed: pmid }, lineage }, lineage };
}

/** Current and peak resident set of a process in MB, from /proc; null once it is gone. */
async function procMemoryMb(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Least-squares slope of RSS over time, MB per minute. */
function slopeMbPerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, p) => s + p.seconds, 0) / n;
  const my = samples.reduce((s, p) => s + p.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.seconds - mx) * (p.rssMb - my);
    den += (p.seconds - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** Produces up to `count` records, or as many as fit before the deadline; returns how many and their bytes. */
async function produceBacklog(
  producer: Producer,
  encode: (i: number) => Promise<Buffer>,
  count: number,
  deadlineMs: number,
): Promise<{ produced: number; bytes: number; seconds: number }> {
  const started = Date.now();
  const sending = new Set<Promise<void>>();
  let produced = 0;
  let bytes = 0;
  while (produced < count && Date.now() - started < deadlineMs) {
    while (sending.size >= SENDS_IN_FLIGHT) await Promise.race(sending);
    const to = Math.min(count, produced + CHUNK);
    const messages = [];
    for (let i = produced; i < to; i++) {
      const value = await encode(i);
      bytes += value.length;
      messages.push({ key: String(FIRST_PMID + i), value });
    }
    const p = producer.send({ topic: TOPICS.annotated, acks: -1, messages }).then(() => undefined);
    sending.add(p);
    void p.finally(() => sending.delete(p));
    produced = to;
  }
  await Promise.all(sending);
  return { produced, bytes, seconds: (Date.now() - started) / 1000 };
}

async function totalLag(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await readConsumerLag(admin, GROUP, TOPICS.annotated)).reduce((n, p) => n + p.lag, 0);
  } finally {
    await admin.disconnect();
  }
}

async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const templates = await makeTemplates();
  let stack: LocalStack | undefined;
  let llm: OpenAiTestServer | undefined;
  let generate: LaunchedService | undefined;
  let producer: Producer | undefined;
  try {
    stack = await startLocalStack({});
    const kafka = new Kafka({ clientId: 'bench-backlog', brokers: stack.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [TOPICS.annotated], PARTITIONS, 1);
    await admin.disconnect();
    const codec = createAvroCodec({ registryUrl: stack.registryUrl });
    await codec.registerAll([TOPICS.annotated]);
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const backlog = await produceBacklog(producer, (i) => codec.encode(TOPICS.annotated, recordAt(templates, i)), BACKLOG, PRODUCE_DEADLINE_MS);
    await producer.disconnect();
    producer = undefined;

    const model = simulatedModel();
    llm = await startOpenAiTestServer({
      maxRecorded: 100,
      responder: async (body, request) => {
        const answer = await model(body, request);
        return typeof answer === 'string' ? { kind: 'reply', content: answer, delayMs: LLM_DELAY_MS } : answer;
      },
    });
    const [port] = await freePorts(1);
    const env = serviceEnv({
      callerEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      metricsPort: port as number,
      extra: {
        MEDISTILL_TOPIC_PARTITIONS: String(PARTITIONS),
        MEDISTILL_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
        MEDISTILL_LLM_BASE_URL: llm.url,
        MEDISTILL_LLM_API_KEY: 'bench-key',
        MEDISTILL_LLM_MODEL: 'sim-slow',
        MEDISTILL_LLM_MAX_CONCURRENCY: String(LLM_CONCURRENCY),
        // The limiter must not be what holds the service back: the slow model is.
        MEDISTILL_LLM_RPM: '100000',
        MEDISTILL_LLM_TPM: '100000000',
        MEDISTILL_SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    generate = await launchService({ name: 'generate', args: ['generate'], env, metricsPort: port as number, logFile: join(stack.runDir, 'generate.log') });

    const samples: Sample[] = [];
    const lags: { seconds: number; lag: number }[] = [];
    const inFlight: number[] = [];
    const t0 = Date.now();
    for (let s = 0; s <= SAMPLE_SECONDS; s++) {
      const wait = t0 + s * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const mem = await procMemoryMb(generate.pid);
      if (!mem) throw new Error(`the generate service exited during the run; see ${generate.logFile}`);
      samples.push({ seconds: (Date.now() - t0) / 1000, rssMb: mem.rss });
      if (s % 10 === 0) lags.push({ seconds: s, lag: await totalLag(kafka) });
      if (s % 5 === 0) inFlight.push(await metricValue(port as number, 'medistill_records_in_flight'));
    }
    const peak = (await procMemoryMb(generate.pid))?.peak ?? Number.NaN;
    const generated = await topicSize(kafka, TOPICS.candidates);
    const llmRequests = await metricValue(port as number, 'medistill_llm_requests_total');

    const rss = samples.map((p) => p.rssMb);
    const start = rss[0] as number;
    const end = rss[rss.length - 1] as number;
    const max = Math.max(...rss);
    const half = samples.slice(Math.floor(samples.length / 2));
    const maxInFlight = Math.max(...inFlight.filter((n) => !Number.isNaN(n)));
    const firstLag = lags[0]?.lag ?? Number.NaN;
    const lastLag = lags[lags.length - 1]?.lag ?? Number.NaN;
    const f = (x: number): string => x.toFixed(0);
    const lines = [
      `Backlog: ${backlog.produced.toLocaleString('en-US')} pubmed.annotated.v1 messages (${(backlog.bytes / backlog.produced).toFixed(0)} B each as Avro, ${(backlog.bytes / 1048576).toFixed(0)} MB) produced in ${backlog.seconds.toFixed(1)} s over ${PARTITIONS} partitions. generate service with MEDISTILL_MAX_IN_FLIGHT=${MAX_IN_FLIGHT}, LLM concurrency ${LLM_CONCURRENCY}, a simulated model answering after ${LLM_DELAY_MS} ms; RSS sampled every second for ${SAMPLE_SECONDS} s after /readyz.`,
      '',
      '| RSS start | RSS max | RSS end | slope, whole run | slope, second half | peak (VmHWM) | lag at start | lag at end | records generated | LLM requests |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      `| ${f(start)} MB | ${f(max)} MB | ${f(end)} MB | ${slopeMbPerMinute(samples).toFixed(1)} MB/min | ${slopeMbPerMinute(half).toFixed(1)} MB/min | ${f(peak)} MB | ${firstLag.toLocaleString('en-US')} | ${lastLag.toLocaleString('en-US')} | ${generated.toLocaleString('en-US')} | ${Number.isNaN(llmRequests) ? 'n/a' : llmRequests.toLocaleString('en-US')} |`,
      '',
      `- RSS every 10 s (MB): ${samples.filter((_, i) => i % 10 === 0).map((p) => f(p.rssMb)).join(', ')}`,
      `- lag every 10 s: ${lags.map((l) => l.lag.toLocaleString('en-US')).join(', ')}`,
      `- records in flight every 5 s (medistill_records_in_flight; bound MEDISTILL_MAX_IN_FLIGHT=${MAX_IN_FLIGHT}): ${inFlight.map((n) => n.toLocaleString('en-US')).join(', ')}`,
      `- target < 300 MB and flat: ${max < 300 ? 'under 300 MB' : 'NOT under 300 MB'}; the backlog stays on the broker (lag ${lastLag >= backlog.produced * 0.5 ? 'still high' : 'drained'})`,
      `- in flight peaked at ${maxInFlight.toLocaleString('en-US')} against the bound of ${MAX_IN_FLIGHT}${maxInFlight > MAX_IN_FLIGHT ? ': a fetched batch enters the gate whole, so what bounds memory is the fetch size (up to 1 MiB per partition), not MEDISTILL_MAX_IN_FLIGHT' : ''}`,
      `- ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end; node ${process.version}; bench process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${((Date.now() - benchStarted) / 1000).toFixed(0)} s in all`,
    ];
    const text = lines.join('\n');
    console.log(`\n## Memory with a big backlog and a slow LLM (generate service)\n\n${text}`);
    await writeResultsSection(
      'Memory with a big backlog and a slow LLM',
      `Command: \`npx tsx bench/backlogMemory.ts\` (run ${new Date().toISOString().slice(0, 10)})\n\n${text}`,
    );
  } finally {
    await producer?.disconnect().catch(() => undefined);
    await generate?.process.stop({ graceMs: 15_000 }).catch(() => undefined);
    await llm?.close().catch(() => undefined);
    await stack?.stop();
  }
}

/** Sum of a counter over its label sets, read from the service's /metrics. */
async function metricValue(port: number, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  return found ? sum : Number.NaN;
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (import.meta.url === entry) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
