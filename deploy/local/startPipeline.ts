import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_OPTIONS, type ServiceOptionKey } from '../../services/config/serviceConfig.ts';
import { freePorts } from './freePort.ts';
import { logTail } from './logTail.ts';
import { pollUntil } from './pollUntil.ts';
import { spawnServer, type ServerProcess } from './serverProcess.ts';
import { ServerStartError, StackError } from './stackErrors.ts';
import { stopPid } from './stopPid.ts';
import { ACCEPTED_GLOB } from '../../services/export/exportManifest.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The launcher every service runs from; its path in a command line also marks the process as ours. */
export const MEDISTILL_BIN = join(REPO_ROOT, 'bin', 'medistill.js');

/** The bundled PubMed sample that `stack up` feeds the pipeline. */
export const SAMPLE_INPUT = join(REPO_ROOT, 'samples', 'pubmed');

/** The stage services, in pipeline order: each is started once the one before it is ready. */
export const PIPELINE_SERVICES = ['annotate', 'index', 'generate', 'judge', 'preferences', 'export', 'ingest'] as const;

/**
 * The metrics port of each service of `stack:up`, fixed so that a Prometheus (the shipped
 * `deploy/prometheus/prometheus-local.yml`) and a Grafana can be pointed at the stack. In compose
 * and Kubernetes each service has its own address and serves on 9464.
 */
export const STACK_METRICS_PORTS: Readonly<Record<(typeof PIPELINE_SERVICES)[number], number>> = {
  ingest: 9464,
  annotate: 9465,
  generate: 9466,
  judge: 9467,
  export: 9468,
  index: 9469,
  preferences: 9470,
};

/** The LLM options a caller's environment passes through to the services (rule-based when unset). */
const LLM_OPTION_KEYS: readonly ServiceOptionKey[] = (Object.keys(SERVICE_OPTIONS) as ServiceOptionKey[]).filter(
  (key) => key.startsWith('llm') || key === 'judgeModel',
);

/** Variables of the caller's environment a Node child needs to run at all. */
const PROCESS_ENV_NAMES = ['PATH', 'HOME', 'TMPDIR'] as const;

/** One service of the stack, as recorded in state.json. */
export interface PipelineService {
  name: string;
  pid: number;
  metricsPort: number;
  logFile: string;
}

/** Options of {@link launchService}. */
export interface LaunchServiceOptions {
  /** Name for messages and the state file. */
  name: string;
  /** Arguments of `medistill` (e.g. `['annotate']`). */
  args: readonly string[];
  /** The whole environment of the process (see {@link serviceEnv}). */
  env: Readonly<Record<string, string>>;
  /** The port in the env's MEDISTILL_METRICS_PORT, where /readyz is asked. */
  metricsPort: number;
  /** Receives the service's stdout and stderr. */
  logFile: string;
  /** Leave the service running after this Node process exits. Default false. */
  detached?: boolean;
  /** Deadline for /readyz to answer 200. Default 120 s (the first start compiles the TypeScript). */
  readyTimeoutMs?: number;
  /** Called as soon as the process exists, before it is ready, so it can be recorded and never orphaned. */
  onSpawn?: (service: PipelineService) => Promise<void> | void;
}

/** A service started by {@link launchService} and ready. */
export interface LaunchedService extends PipelineService {
  readonly process: ServerProcess;
}

async function answersReady(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Starts `node bin/medistill.js <args>` and resolves once its /readyz answers 200. A service that
 * exits first, or is not ready by the deadline, is stopped and reported with the tail of its log.
 */
export async function launchService(options: LaunchServiceOptions): Promise<LaunchedService> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const child = await spawnServer({
    command: process.execPath,
    args: [MEDISTILL_BIN, ...options.args],
    cwd: REPO_ROOT,
    outputFile: options.logFile,
    env: options.env,
    detached: options.detached ?? false,
  });
  const service: PipelineService = { name: options.name, pid: child.pid, metricsPort: options.metricsPort, logFile: options.logFile };
  const exited = new AbortController();
  void child.exited.then(() => exited.abort());
  try {
    await options.onSpawn?.(service);
    const result = await pollUntil(() => answersReady(options.metricsPort), { timeoutMs: readyTimeoutMs, intervalMs: 250, signal: exited.signal });
    if (!result.ready) {
      const status = child.exitStatus();
      const detail =
        result.reason === 'aborted'
          ? `exited (code ${status?.code ?? 'none'}, signal ${status?.signal ?? 'none'}) before /readyz answered`
          : `/readyz on port ${options.metricsPort} did not answer 200 within ${readyTimeoutMs} ms`;
      throw new ServerStartError(options.name, detail, { logTail: await logTail(options.logFile, 4_096) });
    }
  } catch (err) {
    await child.stop({ graceMs: 5_000 }).catch(() => undefined);
    throw err;
  }
  return { ...service, process: child };
}

/** Options of {@link serviceEnv}. */
export interface ServiceEnvOptions {
  /** The caller's environment: PATH, HOME and the LLM settings are taken from it. */
  callerEnv: Readonly<Record<string, string | undefined>>;
  brokers: readonly string[];
  registryUrl: string;
  metricsPort: number;
  /** Further MEDISTILL_* settings, over everything else. */
  extra?: Readonly<Record<string, string>>;
}

/**
 * The environment of a service on the local stack: the stack's addresses, its own metrics port on
 * loopback, and the caller's LLM settings when set; nothing else of the caller leaks in.
 */
export function serviceEnv(options: ServiceEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PROCESS_ENV_NAMES) {
    const value = options.callerEnv[name];
    if (value) env[name] = value;
  }
  for (const key of LLM_OPTION_KEYS) {
    const name = SERVICE_OPTIONS[key].env;
    const value = options.callerEnv[name];
    if (value) env[name] = value;
  }
  // The keys of an endpoint list live in the variables its entries name (apiKeyEnv).
  for (const name of endpointKeyVariables(env[SERVICE_OPTIONS.llmEndpoints.env])) {
    const value = options.callerEnv[name];
    if (value) env[name] = value;
  }
  return {
    ...env,
    MEDISTILL_KAFKA_BROKERS: options.brokers.join(','),
    MEDISTILL_REGISTRY_URL: options.registryUrl,
    MEDISTILL_METRICS_PORT: String(options.metricsPort),
    MEDISTILL_METRICS_HOST: '127.0.0.1',
    ...options.extra,
  };
}

/** Options of {@link startPipeline}. */
export interface PipelineOptions {
  /** The stack folder: the dataset goes to `<stackDir>/export`. */
  stackDir: string;
  /** The run folder: service logs go to `<runDir>/services`. */
  runDir: string;
  brokers: readonly string[];
  registryUrl: string;
  /** Redis URL of the LLM response cache generate and judge share (MEDISTILL_LLM_CACHE_URL), unless the caller sets one. */
  cacheUrl?: string;
  /** The caller's environment, for PATH, HOME and the LLM settings. */
  callerEnv: Readonly<Record<string, string | undefined>>;
  /** PubMed XML copied into the watched inbox at the first start. Default {@link SAMPLE_INPUT}. */
  input?: string;
  /** Metrics ports: the fixed {@link STACK_METRICS_PORTS} (default), or free ones (tests). */
  ports?: 'fixed' | 'free';
  /** Deadline of each service's /readyz. Default 120 s. */
  readyTimeoutMs?: number;
  /** Deadline of the ingest of the first files of the inbox. Default 5 minutes. */
  ingestTimeoutMs?: number;
  /** Called when a service process exists (before it is ready), to record its pid. */
  onSpawn: (service: PipelineService) => Promise<void> | void;
  print: (line: string) => void;
}

/** The running pipeline of the stack. */
export interface RunningPipeline {
  services: PipelineService[];
  exportDir: string;
  /** The export's accepted-item shards as a glob (`<exportDir>/data/accepted-*.jsonl`), written as judgements arrive. */
  datasetFile: string;
  ingestLogFile: string;
  /** The folder ingest watches: update files dropped there are ingested. */
  inbox: string;
}

/** Name of the folder of update files ingest watches, in the stack folder. */
export const INBOX_DIR = 'inbox';

/**
 * Starts annotate, index, generate, judge, preferences, export and ingest as detached services against the stack, one at
 * a time (each once the one before answers /readyz: services started together race to create the
 * same topics). Ingest watches the stack's inbox folder, seeded with the sample at the first start,
 * and keeps running with its metrics; this waits until it has taken the files present at start.
 */
export async function startPipeline(options: PipelineOptions): Promise<RunningPipeline> {
  const logDir = join(options.runDir, 'services');
  await mkdir(logDir, { recursive: true });
  const exportDir = join(options.stackDir, 'export');
  const inbox = join(options.stackDir, INBOX_DIR);
  const seeded = await seedInbox(inbox, options.input ?? SAMPLE_INPUT);
  const free = options.ports === 'free' ? await freePorts(PIPELINE_SERVICES.length) : null;
  const portOf = (name: (typeof PIPELINE_SERVICES)[number], i: number): number => (free ? (free[i] as number) : STACK_METRICS_PORTS[name]);
  const env = (port: number, extra: Record<string, string>): Record<string, string> =>
    serviceEnv({ callerEnv: options.callerEnv, brokers: options.brokers, registryUrl: options.registryUrl, metricsPort: port, extra });
  const common = {
    MEDISTILL_EXPORT_DIR: exportDir,
    MEDISTILL_INGEST_STATE_DIR: join(options.stackDir, 'ingest-state'),
    // The literature index: the index service writes it, the judge beside it reads it.
    MEDISTILL_INDEX_DIR: join(options.stackDir, 'index'),
    // Below the grace `stack down` gives, so a service drains and commits before it is killed.
    MEDISTILL_SHUTDOWN_TIMEOUT_MS: '15000',
    ...(options.cacheUrl && !options.callerEnv[SERVICE_OPTIONS.llmCacheUrl.env] ? { [SERVICE_OPTIONS.llmCacheUrl.env]: options.cacheUrl } : {}),
  };
  const perService: Partial<Record<(typeof PIPELINE_SERVICES)[number], Record<string, string>>> = {
    ingest: { MEDISTILL_INGEST_SOURCE: 'folder', MEDISTILL_INGEST_INPUT: inbox, MEDISTILL_POLL_INTERVAL_MS: '1000' },
  };
  const llm = options.callerEnv[SERVICE_OPTIONS.llmBaseUrl.env];
  options.print(llm ? `LLM backends at ${llm}` : 'rule-based backends (set MEDISTILL_LLM_BASE_URL and MEDISTILL_LLM_API_KEY for an LLM)');

  const services: PipelineService[] = [];
  for (const [i, name] of PIPELINE_SERVICES.entries()) {
    const port = portOf(name, i);
    const started = Date.now();
    const launched = await launchService({
      name,
      args: [name],
      env: env(port, { ...common, ...perService[name] }),
      metricsPort: port,
      logFile: join(logDir, `${name}.log`),
      detached: true,
      readyTimeoutMs: options.readyTimeoutMs,
      onSpawn: options.onSpawn,
    });
    const service: PipelineService = { name, pid: launched.pid, metricsPort: port, logFile: launched.logFile };
    services.push(service);
    options.print(`${name.padEnd(9)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s  (pid ${service.pid}, metrics http://127.0.0.1:${port}/metrics, log ${service.logFile})`);
  }

  const ingestLogFile = join(logDir, 'ingest.log');
  const ingestTimeoutMs = options.ingestTimeoutMs ?? 300_000;
  const checkpoints = join(common.MEDISTILL_INGEST_STATE_DIR, 'checkpoints.json');
  const taken = await pollUntil(async () => allDone(checkpoints, seeded), {
    timeoutMs: ingestTimeoutMs,
    intervalMs: 500,
  });
  if (!taken.ready) {
    throw new StackError(`ingest did not take the ${seeded.length} file(s) of ${inbox} within ${ingestTimeoutMs} ms\n--- ingest log (tail) ---\n${await logTail(ingestLogFile, 4_096)}`, { retriable: false });
  }
  options.print(`ingest    watching ${inbox}: ${seeded.length ? `${seeded.length} sample file(s) ingested` : 'no new file'}; drop PubMed update files there  (log ${ingestLogFile})`);
  return { services, exportDir, datasetFile: join(exportDir, ACCEPTED_GLOB), ingestLogFile, inbox };
}

/** Copies the input's PubMed files into a new inbox; an inbox that exists is left as it is (its files are done or pending). */
async function seedInbox(inbox: string, input: string): Promise<string[]> {
  try {
    await mkdir(inbox);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return [];
    throw err;
  }
  const names = (await readdir(input)).filter((n) => /\.xml(\.gz)?$/i.test(n)).sort();
  for (const n of names) await copyFile(join(input, n), join(inbox, n));
  return names;
}

/** True when the folder source's checkpoint names every one of `files` as done. */
async function allDone(checkpoints: string, files: readonly string[]): Promise<boolean> {
  if (files.length === 0) return true;
  try {
    const text = await readFile(checkpoints, 'utf8');
    return files.every((f) => text.includes(JSON.stringify(f)));
  } catch {
    return false;
  }
}

/**
 * Stops services known only by pid, all at once: SIGTERM (each drains and commits), then SIGKILL
 * after `graceMs`. Pids that no longer run `bin/medistill.js` are left alone.
 */
export async function stopServices(services: readonly PipelineService[], graceMs = 25_000): Promise<void> {
  const results = await Promise.allSettled(services.map((s) => stopPid(s.pid, MEDISTILL_BIN, { graceMs })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The variable names an inline endpoint list gives as apiKeyEnv; none when it is unset, a file or not JSON (the service reports that). */
export function endpointKeyVariables(list: string | undefined): string[] {
  if (!list || list.trim().startsWith('@')) return [];
  try {
    const parsed: unknown = JSON.parse(list);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((e: unknown) => {
      const name = typeof e === 'object' && e !== null ? (e as { apiKeyEnv?: unknown }).apiKeyEnv : undefined;
      return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? [name] : [];
    });
  } catch {
    return [];
  }
}
