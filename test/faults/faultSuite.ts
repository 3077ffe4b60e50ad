import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../deploy/local/localStack.ts';
import { pollUntil } from '../../deploy/local/pollUntil.ts';
import { createAvroCodec } from '../../services/contracts/avroCodec.ts';
import { TOPICS, dlqTopic } from '../../services/contracts/avroSchemas.ts';
import { readExportRows } from '../../services/export/readExportRows.ts';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess.ts';
import { createServiceHarness } from '../support/serviceHarness.ts';
import { readTopic } from '../support/topicReader.ts';
import { rateLimited, serverError, startOpenAiTestServer, type OpenAiTestServer } from '../support/openaiTestServer.ts';
import { simulatedModel } from '../support/simulatedModel.ts';
import { writeGeneratedRecords } from '../integration/pipeline/fixtureInputs.ts';
import { generateFuzzCorpus, loadRecordPool, runFuzzCase } from '../support/pubmedFuzzCorpus.ts';

/**
 * Faults a production pipeline meets, injected into the real Kafka services on a real broker and
 * registry with the LLM behind the OpenAI-compatible test server. Each trial feeds new records,
 * injects its fault mid-stream and checks what came out: every record judged (lost), the export
 * free of repeated items (duplicated), no service ending by itself or printing a stack (crashed),
 * the marker API key nowhere in logs, topics or the export (leaked), and whether the pipeline got
 * there without anyone restarting what the fault did not kill (recovered).
 */

/** How big a run is. */
export interface FaultSuiteOptions {
  /** Trials per fault. */
  trials: number;
  /** Records fed per trial. */
  recordsPerTrial: number;
  /** How long the broker and the registry stay down. */
  downMs: number;
  /** Seeds the choice of service and moment for SIGKILL trials, and the fuzz corpus. */
  seed: number;
  /** Files of the PubMed fuzz corpus parsed (the "fuzz corpus" row); 0 leaves the row out. */
  fuzzCases: number;
  log: (line: string) => void;
}

/** One row of the table. */
export interface FaultRow {
  fault: string;
  trials: number;
  lost: number;
  duplicated: number;
  crashed: number;
  leaked: number;
  recovered: number;
}

const MESH = new URL('../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;
const FUZZ_FIXTURES = new URL('../fixtures/pubmed/', import.meta.url);
const STAGES = ['annotate', 'generate', 'judge', 'export'] as const;
type StageName = (typeof STAGES)[number];
/** A secret that must appear in no output channel. */
const MARKER_KEY = 'sk-fault-marker-7c1d9e5b';
/** A stack trace line: what an uncaught error prints. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** A small seeded generator (mulberry32), so a failing trial can be run again. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The fuzz corpus as a fault: `cases` seeded mutations of the real-format fixture records (deep
 * nesting, element and attribute floods, entity bombs, external entities, cut files, doubled roots...)
 * parsed by the ingest parser the service and `medistill run` use, in the chunks a stream delivers.
 * Each file is a trial: an intact record missing or changed, or a damaged one neither emitted nor
 * counted as a failure, is lost; one emitted twice is duplicated; a parse that threw crashed; local
 * file content in an output leaked; a file that ended with every record accounted for recovered.
 */
export async function fuzzCorpusRow(cases: number, seed: number, log: (line: string) => void): Promise<FaultRow> {
  const corpus = generateFuzzCorpus(await loadRecordPool(FUZZ_FIXTURES), seed, cases);
  const markers = ['/etc/passwd', '/etc/hostname']
    .map((f) => (existsSync(f) ? (readFileSync(f, 'utf8').split('\n')[0] ?? '').trim() : ''))
    .filter((m) => m.length >= 4);
  const row: FaultRow = { fault: 'fuzz corpus', trials: 0, lost: 0, duplicated: 0, crashed: 0, leaked: 0, recovered: 0 };
  for (const fuzzCase of corpus) {
    const outcome = await runFuzzCase(fuzzCase, markers);
    row.trials++;
    row.lost += outcome.unaccounted.length;
    row.duplicated += outcome.duplicated.length;
    row.leaked += outcome.leaked.length;
    if (outcome.crashed !== null) row.crashed++;
    if (outcome.crashed === null && outcome.unaccounted.length === 0) row.recovered++;
    const problems = [outcome.crashed, ...outcome.unaccounted, ...outcome.duplicated.map((d) => `${d} emitted twice`), ...outcome.leaked.map((l) => `leaked ${l}`)].filter((p) => p !== null);
    if (problems.length > 0) log(`fuzz case ${fuzzCase.id} (${fuzzCase.mutation}, seed ${seed}): ${problems.join('; ')}`);
  }
  log(`fuzz corpus: ${row.trials} files, seed ${seed}`);
  return row;
}

/** Runs every fault `options.trials` times, then the fuzz corpus; resolves with the table rows. */
export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultRow[]> {
  const rows = await runServiceFaults(options);
  if (options.fuzzCases > 0) rows.push(await fuzzCorpusRow(options.fuzzCases, options.seed, options.log));
  return rows;
}

/** The faults of the running services: SIGKILL, broker and registry outages, an LLM storm. */
async function runServiceFaults(options: FaultSuiteOptions): Promise<FaultRow[]> {
  const { log } = options;
  const random = seeded(options.seed);
  const work = await mkdtemp(join(tmpdir(), 'medistill-faults-'));
  const stack: LocalStack = await startLocalStack({});
  const kafka = new Kafka({ clientId: 'fault-suite', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  const llm: OpenAiTestServer = await startOpenAiTestServer({ responder: simulatedModel() });
  const services = new Map<StageName, ServiceProcess>();
  /** Processes the suite itself killed: their exit is not a crash. */
  const killedOnPurpose = new Set<ServiceProcess>();
  const allProcesses: ServiceProcess[] = [];
  let nextPmid = 91_000_001;

  const { env } = createServiceHarness({
    stack,
    work,
    env: { MEDISTILL_MESH_PATH: MESH, MEDISTILL_LLM_BASE_URL: llm.url, MEDISTILL_LLM_API_KEY: MARKER_KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_LLM_MAX_RETRIES: '8' },
  });
  const start = (name: StageName): ServiceProcess => {
    const p = startServiceProcess(name, [name], env(), join(work, `${name}.log`));
    services.set(name, p);
    allProcesses.push(p);
    stageProcesses.push(p);
    return p;
  };
  /** Services that ended without the suite killing them. */
  const stageProcesses: ServiceProcess[] = [];
  /** Feeds whose ingest failed three times over (it is the feeder here, not what is under test). */
  let failedFeeds = 0;
  const unexpectedExits = (): number =>
    stageProcesses.filter((p) => !killedOnPurpose.has(p) && (p.child.exitCode !== null || p.child.signalCode !== null)).length +
    failedFeeds;

  /** Writes `count` new records and runs ingest on them to the end; returns their PMIDs. */
  async function feed(count: number): Promise<string[]> {
    const dir = join(work, `input-${nextPmid}`);
    await mkdir(dir);
    const pmids = await writeGeneratedRecords(join(dir, 'records.xml'), nextPmid, count);
    nextPmid += count;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: dir }), join(work, 'ingest.log'));
      allProcesses.push(ingest);
      // A busy machine can make the first schema registration slow; ingest then exits with one line and is run again.
      if ((await ingest.exited) === 0) return pmids;
      log(`  ingest exited non-zero (attempt ${attempt})`);
    }
    failedFeeds++;
    return pmids;
  }

  async function judgedKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const m of await readTopic(kafka, TOPICS.judged)) if (m.key && m.value) keys.add(m.key);
    return keys;
  }

  async function waitJudged(pmids: string[], timeoutMs: number): Promise<number> {
    let missing = pmids.length;
    await pollUntil(
      async () => {
        const keys = await judgedKeys();
        missing = pmids.filter((p) => !keys.has(p)).length;
        return missing === 0;
      },
      { timeoutMs, intervalMs: 1_000 },
    );
    return missing;
  }

  async function duplicates(): Promise<number> {
    const rows = await readExportRows(join(work, 'export'), 'accepted').catch(() => []);
    const ids = new Set(rows.map((r) => r.id));
    const questions = new Set(rows.map((r) => `${r.pmid}\u0000${r.question.toLowerCase()}`));
    return rows.length - Math.min(ids.size, questions.size);
  }

  async function crashesInLogs(): Promise<number> {
    let n = 0;
    for (const f of await readdir(work)) {
      if (!f.endsWith('.log')) continue;
      const text = await readFile(join(work, f), 'utf8');
      if (STACK_LINE.test(text) || /Unhandled|uncaught/i.test(text)) n++;
    }
    return n;
  }

  async function leaks(): Promise<number> {
    let n = 0;
    const files = [...(await readdir(work)).filter((f) => f.endsWith('.log')).map((f) => join(work, f))];
    for (const dir of [join(work, 'export')]) {
      for (const f of await readdir(dir, { recursive: true }).catch(() => [] as string[])) files.push(join(dir, f));
    }
    for (const f of files) {
      const text = await readFile(f, 'utf8').catch(() => '');
      if (text.includes(MARKER_KEY)) n++;
    }
    for (const topic of [TOPICS.candidates, TOPICS.judged, ...Object.values(TOPICS).map(dlqTopic)]) {
      const messages = await readTopic(kafka, topic).catch(() => []);
      if (messages.some((m) => m.value?.includes(MARKER_KEY) || Object.values(m.headers).some((h) => h.includes(MARKER_KEY)))) n++;
    }
    return n;
  }

  const rows: FaultRow[] = [];
  /** Runs one fault's trials and adds its row. */
  async function fault(name: string, inject: (trial: { pmids: string[] }) => Promise<{ helped: boolean }>): Promise<void> {
    const row: FaultRow = { fault: name, trials: 0, lost: 0, duplicated: 0, crashed: 0, leaked: 0, recovered: 0 };
    const crashedBefore = unexpectedExits() + (await crashesInLogs());
    for (let t = 0; t < options.trials; t++) {
      // A slow model keeps records in flight in generate and judge when the fault lands.
      llm.setResponder(async (body, req) => {
        await sleep(150);
        return simulatedModel()(body, req);
      });
      // The records are on the broker before the fault: ingest is not what is under test.
      const pmids = await feed(options.recordsPerTrial);
      const { helped } = await inject({ pmids });
      const missing = await waitJudged(pmids, 180_000);
      await sleep(2_000);
      row.trials++;
      row.lost += missing;
      if (missing === 0 && !helped && unexpectedExits() === 0) row.recovered++;
      log(`${name} trial ${t + 1}: ${pmids.length - missing}/${pmids.length} judged${helped ? ' (a service had to be restarted)' : ''}`);
    }
    row.duplicated = await duplicates();
    row.crashed = unexpectedExits() + (await crashesInLogs()) - crashedBefore;
    row.leaked = await leaks();
    rows.push(row);
  }

  try {
    for (const name of STAGES) start(name);
    // Every stage service connected and registered its schemas before the first trial.
    const ready = await pollUntil(
      async () => (await Promise.all(STAGES.map(async (n) => /metrics on :\d+/.test(await readFile(join(work, `${n}.log`), 'utf8').catch(() => ''))))).every(Boolean),
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    if (!ready.ready) throw new Error(`the stage services did not start within 180 s; logs in ${work}`);

    await fault('SIGKILL of a stage service', async () => {
      const victim = STAGES[Math.floor(random() * STAGES.length)]!;
      await sleep(Math.floor(random() * 2_000));
      const p = services.get(victim)!;
      killedOnPurpose.add(p);
      p.kill('SIGKILL');
      await p.exited;
      log(`  killed ${victim}; the orchestrator restarts it`);
      start(victim);
      // A restart by the orchestrator is what a killed service gets; it is no help beyond that.
      return { helped: false };
    });

    await fault('broker killed and restarted', async () => {
      await stack.kill('kafka');
      log(`  broker killed for ${options.downMs} ms`);
      await sleep(options.downMs);
      await stack.restart('kafka');
      return { helped: false };
    });

    await fault('registry killed and restarted', async () => {
      const codec = createAvroCodec({ registryUrl: stack.registryUrl });
      /** Every subject with the id of its latest schema. */
      const schemaIds = async (): Promise<string> => {
        const subjects = ((await (await fetch(`${stack.registryUrl}/subjects`)).json()) as string[]).sort();
        const ids = await Promise.all(subjects.map(async (s) => ((await (await fetch(`${stack.registryUrl}/subjects/${s}/versions/latest`)).json()) as { id: number }).id));
        return JSON.stringify(subjects.map((s, i) => [s, ids[i]]));
      };
      const before = await schemaIds();
      await stack.kill('registry');
      log(`  registry killed for ${options.downMs} ms`);
      await sleep(options.downMs);
      await stack.restart('registry');
      const after = await schemaIds();
      if (after !== before || before === '[]') {
        throw new Error(`the restarted registry does not hold the same schemas under the same ids: before ${before}, after ${after}`);
      }
      log(`  the restarted registry holds the same ${JSON.parse(before).length} subjects under the same ids`);
      // A consumer that starts now (a fresh codec, nothing cached) decodes the whole history.
      for (const m of await readTopic(kafka, TOPICS.records)) if (m.value) await codec.decode(m.value);
      return { helped: false };
    });

    await fault('LLM fault storm (429, 500)', async () => {
      const model = simulatedModel();
      let n = 0;
      llm.setResponder(async (body, req) => {
        await sleep(50);
        n++;
        if (n % 3 === 0) return rateLimited(1);
        if (n % 3 === 1) return serverError(503);
        return model(body, req);
      });
      await sleep(8_000);
      llm.setResponder(model);
      return { helped: false };
    });
  } finally {
    for (const p of allProcesses) p.kill('SIGKILL');
    await llm.close();
    await stack.stop().catch(() => undefined);
    if (process.env.MEDISTILL_KEEP_TEST_LOGS) log(`logs kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  return rows;
}

/** The table as plain text, one line per fault. */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const header = ['fault', 'trials', 'lost', 'duplicated', 'crashed', 'leaked', 'recovered'];
  const cells = rows.map((r) => [r.fault, r.trials, r.lost, r.duplicated, r.crashed, r.leaked, `${r.recovered}/${r.trials}`].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** True when a row shows a loss, a duplicate, a crash or a leak, or a trial that did not recover. */
export function faultRowFailed(row: FaultRow): boolean {
  return row.lost > 0 || row.duplicated > 0 || row.crashed > 0 || row.leaked > 0 || row.recovered < row.trials;
}
