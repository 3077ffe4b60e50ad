import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { installPrometheus } from '../../../deploy/local/installPrometheus.ts';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STACK_DIR } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { runStackCli } from '../../../deploy/local/stackCli.ts';
import { readStackState, type StackState } from '../../../deploy/local/stackState.ts';
import { MEDISTILL_BIN, serviceEnv } from '../../../deploy/local/startPipeline.ts';
import { isRunning, stopPid } from '../../../deploy/local/stopPid.ts';
import { readExportRows } from '../../../services/export/readExportRows.ts';

interface DatasetRow {
  id: string;
  pmid: string;
  generator: { backend: string; model: string | null };
}

async function datasetRows(exportDir: string): Promise<DatasetRow[]> {
  return readExportRows(exportDir, 'accepted');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readyStatus(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  return response.status;
}

describe('stack up with the pipeline', () => {
  it('passes the LLM settings and nothing else of the caller to a service, over the stack addresses', () => {
    const env = serviceEnv({
      callerEnv: {
        PATH: '/usr/bin',
        HOME: '/home/u',
        MEDISTILL_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
        MEDISTILL_LLM_API_KEY: 'k',
        MEDISTILL_JUDGE_MODEL: 'judge-1',
        MEDISTILL_KAFKA_BROKERS: 'elsewhere:9092',
        MEDISTILL_EXPORT_DIR: '/tmp/elsewhere',
        AWS_SECRET_ACCESS_KEY: 'nope',
      },
      brokers: ['127.0.0.1:1234'],
      registryUrl: 'http://127.0.0.1:5678/apis/ccompat/v7',
      metricsPort: 4321,
      extra: { MEDISTILL_EXPORT_DIR: '/stack/export' },
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      MEDISTILL_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      MEDISTILL_LLM_API_KEY: 'k',
      MEDISTILL_JUDGE_MODEL: 'judge-1',
      MEDISTILL_KAFKA_BROKERS: '127.0.0.1:1234',
      MEDISTILL_REGISTRY_URL: 'http://127.0.0.1:5678/apis/ccompat/v7',
      MEDISTILL_METRICS_PORT: '4321',
      MEDISTILL_METRICS_HOST: '127.0.0.1',
      MEDISTILL_EXPORT_DIR: '/stack/export',
    });
  });

  it('up starts broker, registry and the five services (ingest watching its inbox), the sample reaches the dataset, Prometheus scrapes every service with the written file, and down stops every process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stack-up-'));
    const lines: string[] = [];
    let state: StackState | undefined;
    try {
      const code = await runStackCli(['up', '--dir', dir, '--artifacts', join(DEFAULT_STACK_DIR, 'artifacts'), '--free-ports'], (l) => lines.push(l), {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
      });
      expect(code).toBe(0);
      state = await readStackState(dir);
      expect(state?.services?.map((s) => s.name)).toEqual(['annotate', 'index', 'generate', 'judge', 'preferences', 'export', 'ingest']);
      if (!state?.services) return;
      const output = lines.join('\n');
      for (const s of state.services) {
        expect(await isRunning(s.pid, MEDISTILL_BIN)).toBe(true);
        expect(await readyStatus(s.metricsPort)).toBe(200);
        expect(output).toContain(`http://127.0.0.1:${s.metricsPort}/metrics`);
        expect(s.logFile.startsWith(state.runDir)).toBe(true);
      }
      const exportDir = join(dir, 'export');
      expect(output).toContain(join(exportDir, 'data', 'accepted-*.jsonl'));
      // Ingest keeps watching the inbox, with its metrics, after taking the sample.
      expect(output).toMatch(/ingest +watching .*inbox: \d+ sample file\(s\) ingested/);
      const prometheusFile = await readFile(join(dir, 'prometheus.yml'), 'utf8');
      for (const s of state.services) expect(prometheusFile).toContain(`'127.0.0.1:${s.metricsPort}'`);
      // A real Prometheus on that file scrapes every service of the stack.
      const bins = await installPrometheus();
      const [promPort] = await freePorts(1);
      const prom = spawn(bins.prometheus, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
      try {
        const upServices = async (): Promise<string[]> => {
          const body = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=up`)).json()) as { data: { result: { metric: { service: string }; value: [number, string] }[] } };
          return body.data.result.filter((r) => r.value[1] === '1').map((r) => r.metric.service).sort();
        };
        const scraped = await pollUntil(async () => (await upServices().catch(() => [])).length === state!.services!.length, { timeoutMs: 90_000, intervalMs: 1000 });
        expect(scraped.ready).toBe(true);
        expect(await upServices()).toEqual(state.services.map((s) => s.name).sort());
      } finally {
        prom.kill('SIGTERM');
      }

      const filled = await pollUntil(async () => (await datasetRows(exportDir)).length > 0, { timeoutMs: 120_000, intervalMs: 500 });
      expect(filled.ready).toBe(true);
      const rows = await datasetRows(exportDir);
      // The bundled real PubMed sample, generated by the rule-based backend since no LLM was configured.
      expect(rows.every((r) => /^\d+$/.test(r.pmid))).toBe(true);
      expect(rows.some((r) => r.pmid === '31383287')).toBe(true);
      expect(new Set(rows.map((r) => r.generator.backend))).toEqual(new Set(['rule-based']));

      // Redis, the LLM response cache the services share, runs beside the broker and the registry.
      expect(state.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
      expect(output).toContain(`redis     ${state.redisUrl}`);
      const pids = [...state.services.map((s) => s.pid), state.kafka.pid, state.registry.pid, state.redis!.pid];
      const downLines: string[] = [];
      expect(await runStackCli(['down', '--dir', dir], (l) => downLines.push(l))).toBe(0);
      expect(pids.filter(isAlive)).toEqual([]);
      expect(await readStackState(dir)).toBeUndefined();
      expect(downLines.join('\n')).toContain(`annotate (pid ${state.services[0]?.pid})`);
    } finally {
      if (state) {
        for (const s of state.services ?? []) await stopPid(s.pid, MEDISTILL_BIN, { graceMs: 2_000 });
        await stopPid(state.kafka.pid, 'kafka.Kafka', { graceMs: 2_000 });
        await stopPid(state.registry.pid, 'quarkus-run.jar', { graceMs: 2_000 });
        if (state.redis) await stopPid(state.redis.pid, 'redis-server', { graceMs: 2_000 });
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 420_000);
});
