/**
 * Kafka hop benchmark, on one local stack (real Kafka broker and Apicurio Registry) started here:
 *
 * - raw kafkajs (the baseline): PubMed records as JSON (3-5 KB each) produced to a topic and consumed
 *   by a consumer group in this process;
 * - one medistill hop: the same records Avro-encoded through the registry as pubmed.records.v1,
 *   consumed by the real annotate service (`node bin/medistill.js annotate`, its own process, default
 *   settings) and produced to pubmed.annotated.v1, which this process consumes and decodes.
 *
 * - a pass-through hop: the same records, same Avro + registry, through the same stage runner in its
 *   own process (this script with `--pass-through-service`) with a trivial stage that decodes and
 *   re-encodes the value to another topic: the transport overhead (codec + runner) without the
 *   annotate work. The design target (one hop with Avro and registry ≥ 70 % of raw kafkajs) is
 *   about this row; the annotate row adds the annotate CPU work on top.
 *
 * Each is run as fast as the producer goes (records/s from the first send to the last arrival) and at
 * a fixed 1,000 msg/s for 20 s. Latency runs from a timestamp in the message (the JSON `sentAt`, the
 * record's lineage `producedAt`, both taken just before the send) to its consumption here.
 *
 * Run: npx tsx bench/kafkaHop.ts [--cpu-prof] (--cpu-prof: both services write V8 CPU profiles
 * under bench/.data/profiles/)
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../deploy/local/localStack.ts';
import { freePorts } from '../deploy/local/freePort.ts';
import { pollUntil } from '../deploy/local/pollUntil.ts';
import { spawnServer, type ServerProcess } from '../deploy/local/serverProcess.ts';
import { launchService, serviceEnv, SAMPLE_INPUT, type LaunchedService } from '../deploy/local/startPipeline.ts';
import { createAvroCodec, type AvroCodec } from '../services/contracts/avroCodec.ts';
import { TOPICS } from '../services/contracts/avroSchemas.ts';
import { createLineage } from '../services/contracts/lineage.ts';
import { toPubmedRecordValue } from '../services/contracts/pubmedRecordMapping.ts';
import type { AnnotatedRecordMessage, PubmedRecordMessage } from '../services/contracts/topicMessages.ts';
import { readPubmedInputs } from '../services/ingest/readPubmedInputs.ts';
import type { PubmedArticle } from '../services/model/pubmedRecord.ts';
import { codeVersion } from '../services/config/codeVersion.ts';
import { ensureTopics } from '../services/runtime/kafka/ensureTopics.ts';
import { createStageRunner, type KafkaStage, type ValueCodec } from '../services/runtime/kafka/stageRunner.ts';
import { createKafkajsPorts } from '../services/runtime/kafka/kafkajsPorts.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const RECORDS = 20_000;
const WARMUP = 2_000;
const RATE_PER_SECOND = 1_000;
const RATE_SECONDS = 20;
const PARTITIONS = 6;
/** Messages per produce request and requests in flight when producing as fast as possible. */
const CHUNK = 250;
const SENDS_IN_FLIGHT = 4;
/** Distinct record bodies the records cycle through (with their own PMIDs). */
const BODIES = 256;
const RAW_TOPIC = 'bench.raw.v1';
/** Topics of the pass-through hop: values in the pubmed.records.v1 schema, outside the pipeline's topics. */
const PASS_IN_TOPIC = 'bench.pass.in.v1';
const PASS_OUT_TOPIC = 'bench.pass.out.v1';
const PASS_SERVICE_FLAG = '--pass-through-service';
/** The runner settings the annotate service runs with by default (see services/config/serviceConfig.ts). */
const SERVICE_DEFAULTS = { maxInFlight: 500, batchSize: 200, batchMs: 20, maxAttempts: 5 } as const;
const ARRIVAL_TIMEOUT_MS = 90_000;

type RecordBody = Omit<PubmedRecordMessage, 'pmid' | 'lineage'>;

/** Figures of one run. */
interface RunFigures {
  records: number;
  perSecond: number;
  /** Sorted latencies, ms. */
  latencies: Float64Array;
  offeredPerSecond: number;
}

/** A run waiting for its messages: the consumer hands it every arrival. */
interface Expectation {
  first: number;
  count: number;
  latencies: Float64Array;
  seen: Uint8Array;
  arrived: number;
  lastArrival: number;
  done: () => void;
}

/** The sentences of the sample abstracts, to lengthen bodies with real prose. */
function sentencePool(articles: readonly PubmedArticle[]): string[] {
  const pool: string[] = [];
  for (const a of articles) for (const s of a.abstract) for (const sentence of s.text.split(/(?<=\.)\s+/)) if (sentence.length > 40) pool.push(sentence);
  return pool;
}

/**
 * Record bodies of 3-5 KB of JSON: the sample articles, cycled, their last abstract section lengthened
 * with sentences of the other samples until the target size (which varies deterministically).
 */
function makeBodies(articles: readonly PubmedArticle[]): RecordBody[] {
  const withAbstract = articles.filter((a) => a.abstract.length > 0);
  const pool = sentencePool(withAbstract);
  const lineage = createLineage('bench', codeVersion(), new Date(0));
  const bodies: RecordBody[] = [];
  for (let i = 0; i < BODIES; i++) {
    const article = withAbstract[i % withAbstract.length] as PubmedArticle;
    const value = toPubmedRecordValue(article, lineage);
    const target = 3_000 + ((i * 7_919) % 2_001);
    const last = value.abstract[value.abstract.length - 1];
    let next = (i * 13) % pool.length;
    while (last && JSON.stringify(value).length < target) {
      last.text = `${last.text} ${pool[next % pool.length] as string}`;
      next++;
    }
    const { pmid: _pmid, lineage: _lineage, ...body } = value;
    bodies.push(body);
  }
  return bodies;
}

function recordAt(bodies: readonly RecordBody[], index: number, sentAt: number): PubmedRecordMessage {
  const body = bodies[index % bodies.length] as RecordBody;
  const pmid = String(index);
  return { ...body, pmid, articleIds: { ...body.articleIds, pubmed: pmid }, lineage: createLineage('bench', codeVersion(), new Date(sentAt)) };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** Peak and current resident set of a process, from /proc (kB), or null where there is no /proc. */
async function procMemoryKb(pid: number): Promise<{ rss: number; peak: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (clock ticks of 1/100 s on Linux). */
async function procCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * A consumer group member that hands every message of `topic` to the run expecting its key (the
 * key is the record's index); messages of no current run are ignored.
 */
async function startArrivalConsumer(
  kafka: Kafka,
  topic: string,
  groupId: string,
  sentAtOf: (value: Buffer) => Promise<number>,
  current: () => Expectation | null,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  // Fresh topics: from the beginning, so nothing sent before the offsets were resolved is missed.
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const run = current();
        if (!run || !message.value || !message.key) continue;
        const i = Number(message.key.toString('utf8')) - run.first;
        if (!(i >= 0 && i < run.count) || run.seen[i]) continue;
        const sentAt = await sentAtOf(message.value);
        const now = Date.now();
        run.seen[i] = 1;
        run.latencies[run.arrived++] = now - sentAt;
        run.lastArrival = now;
        if (run.arrived === run.count) run.done();
      }
    },
  });
  await joined;
  return consumer;
}

/** How a run sends: everything at once, or a fixed rate. */
type Pace = { kind: 'burst' } | { kind: 'rate'; perSecond: number };

/**
 * Sends records `first..first+count-1` (key = index) and resolves with the figures once all arrived
 * on the consumer side. The encoding happens at send time, as a real producer's would.
 */
async function runOnce(
  producer: Producer,
  topic: string,
  encode: (index: number, sentAt: number) => Promise<Buffer> | Buffer,
  first: number,
  count: number,
  pace: Pace,
  expect: (run: Expectation | null) => void,
): Promise<RunFigures> {
  let done!: () => void;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const run: Expectation = { first, count, latencies: new Float64Array(count), seen: new Uint8Array(count), arrived: 0, lastArrival: 0, done };
  expect(run);
  const sending = new Set<Promise<void>>();
  const send = async (from: number, to: number): Promise<void> => {
    const messages = [];
    for (let i = from; i < to; i++) {
      const now = Date.now();
      messages.push({ key: String(first + i), value: await encode(first + i, now) });
    }
    const p = producer.send({ topic, acks: -1, messages }).then(() => undefined);
    sending.add(p);
    void p.finally(() => sending.delete(p));
  };
  const started = Date.now();
  let sent = 0;
  if (pace.kind === 'burst') {
    while (sent < count) {
      while (sending.size >= SENDS_IN_FLIGHT) await Promise.race(sending);
      const to = Math.min(count, sent + CHUNK);
      await send(sent, to);
      sent = to;
    }
  } else {
    while (sent < count) {
      const due = Math.min(count, Math.floor(((Date.now() - started) * pace.perSecond) / 1000));
      if (due > sent) {
        // Bounded: a stalled broker must not pile up requests in memory.
        while (sending.size >= 64) await Promise.race(sending);
        await send(sent, due);
        sent = due;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const offeredPerSecond = count / ((Date.now() - started) / 1000);
  await Promise.all(sending);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    arrived.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ARRIVAL_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  expect(null);
  if (timedOut) throw new Error(`only ${run.arrived} of ${count} records arrived on ${topic} within ${ARRIVAL_TIMEOUT_MS} ms`);
  const latencies = run.latencies.slice(0, run.arrived).sort();
  return { records: count, perSecond: count / ((run.lastArrival - started) / 1000), latencies, offeredPerSecond };
}

/**
 * The pass-through service (this script run with PASS_SERVICE_FLAG): the stage runner with a stage
 * that hands the decoded value on unchanged, re-encoded with the records schema to PASS_OUT_TOPIC.
 * Writes `readyFile` once consuming; stops cleanly on SIGTERM, like a real service.
 */
async function runPassThroughService(brokers: string[], registryUrl: string, readyFile: string): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const stopRequested = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  const avro = createAvroCodec({ registryUrl });
  await avro.registerAll([TOPICS.records]);
  // The bench topics carry records-schema values: encode them under that schema's id.
  const codec: ValueCodec = {
    encode: (topic, value) => avro.encode(topic === PASS_OUT_TOPIC ? TOPICS.records : topic, value),
    decode: (bytes) => avro.decode(bytes),
  };
  const stage: KafkaStage = {
    name: 'pass-through',
    inputTopic: PASS_IN_TOPIC,
    outputTopics: [PASS_OUT_TOPIC],
    process: async (input) => [{ topic: PASS_OUT_TOPIC, key: input.key, value: input.value }],
  };
  const kafka = new Kafka({ clientId: 'bench-pass-through', brokers, logLevel: logLevel.ERROR });
  const runner = createStageRunner({ ports: createKafkajsPorts(kafka), codec, stage, groupId: 'bench-pass-through', ...SERVICE_DEFAULTS, codeVersion: codeVersion(), log });
  await runner.start();
  await writeFile(readyFile, 'ready\n');
  log('pass-through: consuming');
  const outcome = await Promise.race([stopRequested.then(() => 'stop' as const), runner.done.then(() => 'stop' as const, () => 'crash' as const)]);
  if (outcome === 'stop') await runner.stop(10_000);
  process.exit(outcome === 'crash' ? 1 : 0);
}

/** Starts the pass-through service as a child process and resolves once it consumes. */
async function launchPassThrough(stack: LocalStack, env: Record<string, string>): Promise<ServerProcess> {
  const readyFile = join(stack.runDir, 'pass-through.ready');
  const child = await spawnServer({
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(import.meta.url), PASS_SERVICE_FLAG, stack.brokers.join(','), stack.registryUrl, readyFile],
    cwd: fileURLToPath(new URL('../', import.meta.url)),
    outputFile: join(stack.runDir, 'pass-through.log'),
    env,
  });
  const ready = await pollUntil(() => access(readyFile).then(() => true), { timeoutMs: 120_000 });
  if (!ready.ready) {
    await child.stop({ graceMs: 5_000 }).catch(() => undefined);
    throw new Error(`the pass-through service did not start; see ${join(stack.runDir, 'pass-through.log')}`);
  }
  return child;
}

/**
 * A module (as a data: URL, for NODE_OPTIONS, where --cpu-prof is not allowed) that profiles the
 * process from its start and writes `<dir>/<pid>.cpuprofile` when it exits; the main-thread
 * inspector session answers synchronously, so this works in an exit handler.
 */
function profilerPreload(dir: string): string {
  const code =
    "import{Session}from'node:inspector';import{writeFileSync}from'node:fs';const s=new Session();s.connect();" +
    "s.post('Profiler.enable');s.post('Profiler.start');process.on('exit',()=>s.post('Profiler.stop',(e,r)=>{" +
    `if(!e)writeFileSync('${join(dir, '/')}'+process.pid+'.cpuprofile',JSON.stringify(r.profile))}));`;
  return `data:text/javascript,${code}`;
}

function row(what: string, f: RunFigures): string {
  const ms = (p: number): string => percentile(f.latencies, p).toFixed(0);
  return `| ${what} | ${f.records.toLocaleString('en-US')} | ${Math.round(f.perSecond).toLocaleString('en-US')} | ${ms(0.5)} | ${ms(0.95)} | ${ms(0.99)} | ${ms(1)} |`;
}

async function main(): Promise<void> {
  const articles: PubmedArticle[] = [];
  for await (const item of readPubmedInputs(SAMPLE_INPUT)) if (item.kind === 'article') articles.push(item);
  const bodies = makeBodies(articles);
  const jsonBytes = bodies.reduce((n, b) => n + JSON.stringify(b).length, 0) / bodies.length;

  const profileDir = fileURLToPath(new URL('./.data/profiles/', import.meta.url));
  // --node-options "<flags>" passes V8/Node flags to the two services (e.g. GC tuning experiments).
  const nodeOptionsFlag = process.argv.indexOf('--node-options');
  const extraNodeOptions = nodeOptionsFlag === -1 ? '' : (process.argv[nodeOptionsFlag + 1] ?? '');
  const nodeOptions = [process.argv.includes('--cpu-prof') ? `--import "${profilerPreload(profileDir)}"` : '', extraNodeOptions].filter(Boolean).join(' ');
  const profileEnv: Record<string, string> = nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  if (process.argv.includes('--cpu-prof')) await mkdir(profileDir, { recursive: true });

  const benchStarted = Date.now();
  let stack: LocalStack | undefined;
  let annotate: LaunchedService | undefined;
  let passThrough: ServerProcess | undefined;
  const consumers: Consumer[] = [];
  let producer: Producer | undefined;
  try {
    stack = await startLocalStack({});
    const stackSeconds = (Date.now() - benchStarted) / 1000;
    const kafka = new Kafka({ clientId: 'bench-kafka-hop', brokers: stack.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [RAW_TOPIC, PASS_IN_TOPIC, PASS_OUT_TOPIC], PARTITIONS, 1);
    await admin.disconnect();

    const [port] = await freePorts(1);
    const env = serviceEnv({
      callerEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      metricsPort: port as number,
      extra: { MEDISTILL_TOPIC_PARTITIONS: String(PARTITIONS), ...profileEnv },
    });
    annotate = await launchService({ name: 'annotate', args: ['annotate'], env, metricsPort: port as number, logFile: join(stack.runDir, 'annotate.log') });
    passThrough = await launchPassThrough(stack, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...profileEnv });

    const codec: AvroCodec = createAvroCodec({ registryUrl: stack.registryUrl });
    await codec.registerAll([TOPICS.records]);
    let avroBytes = 0;
    for (const b of bodies.slice(0, 64)) avroBytes += (await codec.encode(TOPICS.records, { ...b, pmid: '1', lineage: createLineage('bench', codeVersion()) })).length;
    avroBytes /= 64;

    await codec.registerAll([TOPICS.annotated]);
    let rawRun: Expectation | null = null;
    let hopRun: Expectation | null = null;
    let passRun: Expectation | null = null;
    consumers.push(
      await startArrivalConsumer(kafka, RAW_TOPIC, 'bench-raw', async (v) => (JSON.parse(v.toString('utf8')) as { sentAt: number }).sentAt, () => rawRun),
      await startArrivalConsumer(
        kafka,
        TOPICS.annotated,
        'bench-hop',
        async (v) => ((await codec.decode(v, TOPICS.annotated)) as AnnotatedRecordMessage).record.lineage.producedAt.getTime(),
        () => hopRun,
      ),
      await startArrivalConsumer(
        kafka,
        PASS_OUT_TOPIC,
        'bench-pass',
        async (v) => ((await codec.decode(v)) as PubmedRecordMessage).lineage.producedAt.getTime(),
        () => passRun,
      ),
    );
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const p = producer;

    const encodeJson = (i: number, sentAt: number): Buffer => {
      const { lineage: _lineage, ...record } = recordAt(bodies, i, sentAt);
      return Buffer.from(JSON.stringify({ ...record, sentAt }));
    };
    const encodeAvro = (i: number, sentAt: number): Promise<Buffer> => codec.encode(TOPICS.records, recordAt(bodies, i, sentAt));
    const raw = (first: number, count: number, pace: Pace) => runOnce(p, RAW_TOPIC, encodeJson, first, count, pace, (r) => (rawRun = r));
    const hop = (first: number, count: number, pace: Pace) => runOnce(p, TOPICS.records, encodeAvro, first, count, pace, (r) => (hopRun = r));
    const pass = (first: number, count: number, pace: Pace) => runOnce(p, PASS_IN_TOPIC, encodeAvro, first, count, pace, (r) => (passRun = r));

    // Warm up the JIT, the connections and the registry caches on both paths.
    await raw(10_000_000, WARMUP, { kind: 'burst' });
    await hop(10_000_000, WARMUP, { kind: 'burst' });
    await pass(10_000_000, WARMUP, { kind: 'burst' });
    const rawBurst = await raw(20_000_000, RECORDS, { kind: 'burst' });
    const passCpuBefore = await procCpuSeconds(passThrough.pid);
    const passBurst = await pass(20_000_000, RECORDS, { kind: 'burst' });
    const passCpuMsPerRecord = ((await procCpuSeconds(passThrough.pid)) - passCpuBefore) * 1000 / RECORDS;
    const hopBurst = await hop(20_000_000, RECORDS, { kind: 'burst' });
    const rate = { kind: 'rate', perSecond: RATE_PER_SECOND } as const;
    const rawRate = await raw(30_000_000, RATE_PER_SECOND * RATE_SECONDS, rate);
    const passRate = await pass(30_000_000, RATE_PER_SECOND * RATE_SECONDS, rate);
    const hopRate = await hop(30_000_000, RATE_PER_SECOND * RATE_SECONDS, rate);
    const annotateMemory = await procMemoryKb(annotate.pid);
    const passMemory = await procMemoryKb(passThrough.pid);

    const ratio = hopBurst.perSecond / rawBurst.perSecond;
    const passRatio = passBurst.perSecond / rawBurst.perSecond;
    const hopP99 = percentile(hopRate.latencies, 0.99);
    const passP99 = percentile(passRate.latencies, 0.99);
    const rawP99 = percentile(rawRate.latencies, 0.99);
    const mb = (kb: number | undefined): string => (kb === undefined || Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`);
    const lines = [
      `Stack started in ${stackSeconds.toFixed(1)} s; records ~${(jsonBytes / 1024).toFixed(1)} KB as JSON, ~${(avroBytes / 1024).toFixed(1)} KB as Avro; ${PARTITIONS} partitions; annotate service with default settings (max in flight 500, produce batches of 200 or 5 ms).`,
      '',
      '| run | records | records/s | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row('raw kafkajs JSON produce → consume, as fast as possible', rawBurst),
      row('pass-through hop: Avro + registry → stage runner (decode, re-encode) → consume, as fast as possible', passBurst),
      row('one hop: Avro + registry → annotate service → consume, as fast as possible', hopBurst),
      row(`raw kafkajs at ${RATE_PER_SECOND.toLocaleString('en-US')} msg/s for ${RATE_SECONDS} s (offered ${Math.round(rawRate.offeredPerSecond)}/s)`, rawRate),
      row(`pass-through hop at ${RATE_PER_SECOND.toLocaleString('en-US')} msg/s for ${RATE_SECONDS} s (offered ${Math.round(passRate.offeredPerSecond)}/s)`, passRate),
      row(`one hop at ${RATE_PER_SECOND.toLocaleString('en-US')} msg/s for ${RATE_SECONDS} s (offered ${Math.round(hopRate.offeredPerSecond)}/s)`, hopRate),
      '',
      `- pass-through hop / raw throughput: **${(passRatio * 100).toFixed(0)} %** (design target ≥ 70 %, which is about this row: the transport, Avro + registry + runner): ${passRatio >= 0.7 ? 'met' : 'NOT met'}`,
      `- pass-through service CPU per record in the burst: **${passCpuMsPerRecord.toFixed(3)} ms** (user + system; less sensitive to other load on the machine than records/s)`,
      `- annotate hop / raw throughput: **${(ratio * 100).toFixed(0)} %** (transport plus the annotate work, which has the service's one core to itself at best)`,
      `- p99 at ${RATE_PER_SECOND.toLocaleString('en-US')} msg/s (target < 50 ms for a hop): raw **${rawP99.toFixed(0)} ms**, pass-through hop **${passP99.toFixed(0)} ms** (${passP99 < 50 ? 'met' : 'NOT met'}), annotate hop **${hopP99.toFixed(0)} ms** (${hopP99 < 50 ? 'met' : 'NOT met'})`,
      `- latencies as fast as possible include the time records wait behind the backlog the producer builds; the fixed-rate rows are the service latency`,
      `- peak RSS: bench process ${mb(process.resourceUsage().maxRSS)} (producer, both consumers); annotate service ${mb(annotateMemory?.peak)} (now ${mb(annotateMemory?.rss)}); pass-through service ${mb(passMemory?.peak)}`,
      `- ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (broker, registry, service and bench share them); node ${process.version}; ${((Date.now() - benchStarted) / 1000).toFixed(0)} s in all`,
    ];
    const text = lines.join('\n');
    console.log(`\n## Kafka hop: raw kafkajs vs one medistill hop (Avro + registry + annotate service)\n\n${text}`);
    await writeResultsSection(
      'Kafka hop: raw kafkajs vs one medistill hop',
      `Command: \`npx tsx bench/kafkaHop.ts\` (run ${new Date().toISOString().slice(0, 10)})\n\n${text}`,
    );
  } finally {
    await producer?.disconnect().catch(() => undefined);
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await annotate?.process.stop({ graceMs: 10_000 }).catch(() => undefined);
    await passThrough?.stop({ graceMs: 10_000 }).catch(() => undefined);
    await stack?.stop();
  }
}

const entry = process.argv[1] ? pathToFileURL(process.argv[1]).href : '';
if (import.meta.url === entry) {
  const flag = process.argv.indexOf(PASS_SERVICE_FLAG);
  const [brokers, registryUrl, readyFile] = flag >= 0 ? process.argv.slice(flag + 1, flag + 4) : [];
  const run = flag >= 0 && brokers && registryUrl && readyFile ? runPassThroughService(brokers.split(','), registryUrl, readyFile) : main();
  run.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
