import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';

/** A scrape target: host:port and the service label Prometheus gives it. */
export interface ScrapeTarget {
  address: string;
  service: string;
}

/** A Prometheus started for a test, on loopback, with a throw-away data folder. */
export interface TestPrometheus {
  readonly url: string;
  /** GET /api/v1/<path>; throws on a transport error, returns the decoded body otherwise. */
  api<T>(path: string, params?: Record<string, string | string[]>): Promise<{ status: string; data: T; error?: string; errorType?: string }>;
  /** The log so far (bounded), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `prometheus` scraping the targets every second and evaluating `ruleFiles`. */
export async function startTestPrometheus(options: { binary: string; port: number; targets: ScrapeTarget[]; ruleFiles: string[] }): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'medistill-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: medistill',
    '    honor_labels: true',
    '    static_configs:',
    ...options.targets.flatMap((t) => [`      - targets: [${JSON.stringify(t.address)}]`, `        labels: { service: ${JSON.stringify(t.service)} }`]),
    '',
  ].join('\n');
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const child: ChildProcess = spawn(
    options.binary,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${options.port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logText = '';
  const keep = (d: Buffer): void => {
    logText = (logText + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  }

  const ready = await pollUntil(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 30_000, intervalMs: 200 });
  if (!ready.ready) {
    await stop();
    throw new Error(`prometheus did not become ready on ${url}\n${logText}`);
  }
  return {
    url,
    async api(path, params = {}) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) search.append(k, one);
      const res = await fetch(`${url}/api/v1/${path}?${search.toString()}`, { signal: AbortSignal.timeout(10_000) });
      return (await res.json()) as { status: string; data: never; error?: string; errorType?: string };
    },
    log: () => logText,
    stop,
  };
}
