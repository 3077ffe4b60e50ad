import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPrometheus } from '../../../deploy/local/installPrometheus.ts';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { allDashboards } from '../../../grafana/src/dashboards.ts';
import { dashboardQueries, metricNamesIn, substituteVariables, type DashboardQuery } from '../../../grafana/src/dashboardQueries.ts';
import { rateLimited, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { ALERTS_FILE, readAlertRules } from '../../unit/metrics/alertRuleExpressions.ts';
import { startTestPrometheus, type TestPrometheus } from './prometheusServer.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/medistill.js');

/**
 * Panels that cannot have data when Prometheus scrapes only the in-process `medistill run`, and why.
 * Every other dashboard query must return at least one series, and these must really return none
 * (so the list cannot hide a broken query).
 */
const NO_DATA_IN_PROCESS: Record<string, string> = {
  'Consumer lag (A)': 'lag is read from Kafka consumer-group offsets; the in-process run has no consumer group',
  'Fetched batch size (A)': 'batches are Kafka fetches; the in-process run pulls records one by one',
  'LLM concurrency limit (A)': 'the limit comes from the LLM call gate (AIMD), which only the Kafka services put in front of their LLM clients',
  'Time waiting on the rate limit (A)': 'rate-limit waits come from the LLM call gate, which the in-process run does not use',
  'Time waiting on the rate limit (B)': 'concurrency-slot waits come from the LLM call gate, which the in-process run does not use',
  'E-utilities requests and errors per second (A)': 'the run reads local files, so no E-utilities request is made',
  'Newest entry date ingested (A)': 'the newest entry date is known only from E-utilities windows; files carry no entry date',
  'Endpoint up and failovers (B)': 'the run has one endpoint, which never fails, so no call moves',
  'Batches and batch lines (A)': 'the run calls the LLM online; batches exist only with --llm-mode batch',
  'Batches and batch lines (B)': 'the run calls the LLM online; batch lines exist only with --llm-mode batch',
  'PubMedQA accuracy and macro-F1 (A)': 'evaluation gauges come from medistill eval --metrics-port, not from a run',
  'PubMedQA accuracy and macro-F1 (B)': 'evaluation gauges come from medistill eval --metrics-port, not from a run',
  'Judge validation: share rejected by corruption kind (A)': 'evaluation gauges come from medistill eval judge --metrics-port, not from a run',
};

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

let work: string;
let llm: OpenAiTestServer;
let run: ChildProcess | undefined;
let runOutput = '';
let runExit: Promise<number | null>;
let prometheus: TestPrometheus | undefined;
let metricsUrl: string;

beforeAll(async () => {
  const bins = await installPrometheus();
  work = await mkdtemp(join(tmpdir(), 'medistill-observability-'));
  const model = simulatedModel();
  llm = await startOpenAiTestServer({
    // A little latency per request keeps the run going across several one-second scrapes.
    responder: async (body, request) => ({ kind: 'reply', content: String(await model(body, request)), delayMs: 120 }),
  });
  // Two 429s up front: the client retries them, so the 429 and retry series carry real counts.
  llm.enqueue(rateLimited(0), rateLimited(0));
  const [metricsPort, prometheusPort] = await freePorts(2);
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  run = spawn(
    process.execPath,
    [BIN, 'run', '--input', join(ROOT, 'test/fixtures/pipeline-sample/pubmed'), '--mesh', join(ROOT, 'test/fixtures/pipeline-sample/desc-sample.xml'), '--out', join(work, 'out'), '--concurrency', '2', '--generators', 'llm,rule-based:findings', '--quiet', '--metrics-port', String(metricsPort), '--linger-ms', '300000'],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // An empty response cache of its own: every LLM call reaches the server and the cache panels see misses.
        XDG_CACHE_HOME: join(work, 'cache'),
        MEDISTILL_LLM_BASE_URL: llm.url,
        MEDISTILL_LLM_API_KEY: 'sk-test-observability',
        MEDISTILL_LLM_MODEL: 'simulated',
        MEDISTILL_METRICS_HOST: '127.0.0.1',
        MEDISTILL_LLM_PRICE_PER_1K_INPUT: '0.15',
        MEDISTILL_LLM_PRICE_PER_1K_OUTPUT: '0.6',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  run.stdout?.on('data', (d: Buffer) => (runOutput = (runOutput + d.toString()).slice(-20_000)));
  run.stderr?.on('data', (d: Buffer) => (runOutput = (runOutput + d.toString()).slice(-20_000)));
  runExit = new Promise((resolve) => run?.once('exit', (code) => resolve(code)));
  const serving = await pollUntil(async () => (await fetch(metricsUrl)).ok, { timeoutMs: 60_000, intervalMs: 100 });
  if (!serving.ready) throw new Error(`medistill run never served ${metricsUrl}\n${runOutput}`);
  prometheus = await startTestPrometheus({
    binary: bins.prometheus,
    port: prometheusPort!,
    targets: [{ address: `127.0.0.1:${metricsPort}`, service: 'run' }],
    ruleFiles: [ALERTS_FILE],
  });
}, 600_000);

afterAll(async () => {
  await prometheus?.stop();
  if (run && run.exitCode === null && run.signalCode === null) {
    run.kill('SIGTERM');
    await runExit;
  }
  await llm?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function query(expr: string): Promise<{ status: string; result: VectorSample[]; error?: string }> {
  const body = await prometheus!.api<{ resultType: string; result: VectorSample[] }>('query', { query: expr });
  return { status: body.status, result: body.status === 'success' ? body.data.result : [], error: body.error };
}

/** Runs a dashboard query the way Grafana would: label_values through the labels API, the rest through /query. */
async function evaluate(q: DashboardQuery, service: string): Promise<{ ok: boolean; series: number; error?: string }> {
  const expr = substituteVariables(q.expr, { rateInterval: '1m', service, topic: '.*' });
  const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(expr);
  if (labelValues) {
    const body = await prometheus!.api<string[]>(`label/${labelValues[2]}/values`, { 'match[]': labelValues[1]! });
    return { ok: body.status === 'success', series: body.status === 'success' ? body.data.length : 0, error: body.error };
  }
  const r = await query(expr);
  return { ok: r.status === 'success', series: r.result.length, error: r.error };
}

describe('Prometheus scraping medistill run --metrics-port', () => {
  it('scrapes the run, and every dashboard and alert expression parses; dashboard queries return data', async () => {
    // The target is up and scraped.
    const up = await pollUntil(
      async () => {
        const t = await prometheus!.api<{ activeTargets: { health: string; labels: Record<string, string> }[] }>('targets');
        return t.data.activeTargets.length === 1 && t.data.activeTargets.every((x) => x.health === 'up');
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(up.ready, prometheus!.log()).toBe(true);

    // Wait for the run to finish, then for Prometheus to hold its final judged count.
    const finished = await pollUntil(async () => runOutput.includes('records:'), { timeoutMs: 240_000, intervalMs: 200 });
    expect(finished.ready, runOutput).toBe(true);
    const finalText = await (await fetch(metricsUrl)).text();
    const judgedTotal = [...finalText.matchAll(/^medistill_judge_verdicts_total\{[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
    expect(judgedTotal).toBeGreaterThan(20);
    const caughtUp = await pollUntil(async () => (await query('sum(medistill_judge_verdicts_total)')).result[0]?.value[1] === String(judgedTotal), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    expect(caughtUp.ready).toBe(true);
    // The run spanned several scrapes, so rates over the last minute are not all zero.
    const rate = await query('sum(rate(medistill_judge_verdicts_total{service="run"}[1m]))');
    expect(Number(rate.result[0]?.value[1])).toBeGreaterThan(0);

    const queries = allDashboards().flatMap((d) => dashboardQueries(d.dashboard));
    expect(queries.length).toBeGreaterThan(40);
    const failures: string[] = [];
    const empty: string[] = [];
    const unexpectedData: string[] = [];
    for (const service of ['.*', 'run']) {
      for (const q of queries) {
        const r = await evaluate(q, service);
        if (!r.ok) failures.push(`${q.dashboard} / ${q.origin} [service=~${service}]: ${r.error ?? 'failed'}`);
        else if (r.series === 0 && !(q.origin in NO_DATA_IN_PROCESS)) empty.push(`${q.dashboard} / ${q.origin} [service=~${service}]: ${q.expr}`);
        else if (r.series > 0 && q.origin in NO_DATA_IN_PROCESS) unexpectedData.push(`${q.dashboard} / ${q.origin}`);
      }
    }
    expect(failures).toEqual([]);
    expect(empty).toEqual([]);
    expect(unexpectedData).toEqual([]);

    // Alert expressions parse and evaluate; the rules loaded by Prometheus are healthy.
    const rules = await readAlertRules();
    for (const rule of rules) {
      const r = await query(rule.expr);
      expect(r.status, `${rule.alert}: ${r.error}`).toBe('success');
    }
    const healthy = await pollUntil(
      async () => {
        const body = await prometheus!.api<{ groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] }>('rules');
        const loaded = body.data.groups.flatMap((g) => g.rules);
        return loaded.length === rules.length && loaded.every((r) => r.health === 'ok' && !r.lastEvaluation.startsWith('0001'));
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(healthy.ready).toBe(true);
  }, 400_000);

  it('every metric name the dashboards use is exported by the scraped process', async () => {
    const text = await (await fetch(metricsUrl)).text();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const exported = (name: string): boolean => {
      if (types.has(name)) return true;
      const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      return base !== undefined && types.get(base) === 'histogram';
    };
    const used = new Set(allDashboards().flatMap((d) => dashboardQueries(d.dashboard).flatMap((q) => metricNamesIn(q.expr))));
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((n) => !exported(n))).toEqual([]);
  });
});
