import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStack } from '../../deploy/local/localStack.ts';
import { pollUntil } from '../../deploy/local/pollUntil.ts';
import { startServiceProcess, type ServiceProcess } from './serviceProcess.ts';

/** The medistill services of one integration test, started against one local stack, their logs in one folder. */
export interface ServiceHarness {
  /** The settings every service gets (stack addresses, free metrics ports, the test's own defaults), then `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Starts `medistill <args>` (default: the service of that name), logging to `<work>/<name>.log`; a later start of the same name replaces it in `get`. */
  start(name: string, args?: string[], extra?: Record<string, string>): ServiceProcess;
  /**
   * Starts the service of that name with its metrics on `port` and resolves once its /readyz answers
   * ok (throws with its log after 60 s). Starting services one at a time this way keeps their
   * start-up (topic creation, schema registration) apart.
   */
  startReady(name: string, port: number, extra?: Record<string, string>): Promise<ServiceProcess>;
  /** Runs `medistill ingest` over a folder of files and resolves when it has exited 0 (throws with its log otherwise). */
  ingest(input: string, extra?: Record<string, string>): Promise<void>;
  /** The newest process started under this name. */
  get(name: string): ServiceProcess;
  /** The newest process of each name. */
  current(): ServiceProcess[];
  /** Polls `check` until it holds; on timeout throws with the last lines of every service's log. */
  waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs?: number, intervalMs?: number): Promise<void>;
  /** SIGTERM to a running service; resolves with its exit code. */
  stop(name: string): Promise<number | null>;
  /** The /metrics text of a service, from the port its log announced last. */
  metricsOf(name: string): Promise<string>;
  /** Sends `signal` to every process still running. */
  killAll(signal: NodeJS.Signals): void;
}

/**
 * Creates the harness. `env` holds the test's own settings (MeSH file, LLM endpoint, ...), merged over
 * the common ones: brokers, registry, metrics on a free port of 127.0.0.1, 3 partitions, 5 ms batches,
 * export and ingest-state folders under `work`, a 10 s shutdown.
 * @example const h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH } }); h.start('annotate');
 */
export function createServiceHarness(options: { stack: LocalStack; work: string; env?: Record<string, string> }): ServiceHarness {
  const { stack, work } = options;
  const latest = new Map<string, ServiceProcess>();
  const started: ServiceProcess[] = [];
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','),
    MEDISTILL_REGISTRY_URL: stack.registryUrl,
    MEDISTILL_METRICS_PORT: '0',
    MEDISTILL_METRICS_HOST: '127.0.0.1',
    MEDISTILL_TOPIC_PARTITIONS: '3',
    MEDISTILL_BATCH_MS: '5',
    MEDISTILL_EXPORT_DIR: join(work, 'export'),
    MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state'),
    MEDISTILL_SHUTDOWN_TIMEOUT_MS: '10000',
    ...options.env,
    ...extra,
  });
  const start = (name: string, args: string[] = [name], extra: Record<string, string> = {}): ServiceProcess => {
    const p = startServiceProcess(name, args, env(extra), join(work, `${name}.log`));
    latest.set(name, p);
    started.push(p);
    return p;
  };
  const get = (name: string): ServiceProcess => {
    const p = latest.get(name);
    if (!p) throw new Error(`no service ${name} was started`);
    return p;
  };
  const tails = async (): Promise<string> => {
    const logs = await Promise.all([...latest.values()].map(async (s) => `== ${s.name}\n${(await readFile(s.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n')}`));
    return logs.join('\n');
  };
  return {
    env,
    start,
    get,
    async startReady(name, port, extra = {}) {
      const p = start(name, [name], { MEDISTILL_METRICS_PORT: String(port), ...extra });
      const ready = await pollUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true, { timeoutMs: 60_000, intervalMs: 200 });
      if (!ready.ready) throw new Error(`${name} never became ready:\n${await readFile(p.logFile, 'utf8')}`);
      return p;
    },
    current: () => [...latest.values()],
    async ingest(input, extra = {}) {
      const p = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: input, ...extra }), join(work, 'ingest.log'));
      const code = await p.exited;
      if (code !== 0) throw new Error(`ingest exited with ${code}:\n${await readFile(p.logFile, 'utf8')}`);
    },
    async waitFor(what, check, timeoutMs = 120_000, intervalMs = 500) {
      const result = await pollUntil(async () => check(), { timeoutMs, intervalMs });
      if (!result.ready) throw new Error(`timed out waiting for ${what}\n${await tails()}`);
    },
    async stop(name) {
      const p = get(name);
      p.kill('SIGTERM');
      return p.exited;
    },
    async metricsOf(name) {
      const port = [...(await readFile(get(name).logFile, 'utf8')).matchAll(/metrics on :(\d+)/g)].at(-1)?.[1];
      if (!port) throw new Error(`${name} has not announced its metrics port`);
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    },
    killAll(signal) {
      for (const p of started) p.kill(signal);
    },
  };
}
