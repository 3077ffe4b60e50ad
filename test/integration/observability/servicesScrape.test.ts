import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPrometheus } from '../../../deploy/local/installPrometheus.ts';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { allDashboards } from '../../../grafana/src/dashboards.ts';
import { dashboardQueries, substituteVariables } from '../../../grafana/src/dashboardQueries.ts';
import type { ServiceProcess } from '../../support/serviceProcess.ts';
import { createServiceHarness } from '../../support/serviceHarness.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { ALERTS_FILE, readAlertRules } from '../../unit/metrics/alertRuleExpressions.ts';
import { startTestPrometheus, type TestPrometheus } from './prometheusServer.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LONG_RUNNING = ['annotate', 'generate', 'judge', 'export'] as const;

/** Pipeline-health panels fed by the hop metrics every Kafka service exports: each must return data. */
const HOP_PANELS = [
  'Records consumed per second',
  'Records produced per second',
  'Records in flight',
  'Paused consumers',
  'Offset commits per second',
  'Consumer lag',
  'Fetched batch size',
  'Processing time per record',
  'Processing time distribution',
  'Dead letters per second by reason',
  'Retries and dropped duplicates per second',
];

let stack: LocalStack;
let work: string;
let llm: OpenAiTestServer;
let prometheus: TestPrometheus | undefined;
const services: ServiceProcess[] = [];
const metricsPorts = new Map<string, number>();

beforeAll(async () => {
  const bins = await installPrometheus();
  work = await mkdtemp(join(tmpdir(), 'medistill-observability-services-'));
  stack = await startLocalStack({});
  llm = await startOpenAiTestServer({ responder: simulatedModel() });
  const ports = await freePorts(LONG_RUNNING.length + 1);
  const h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: join(ROOT, 'test/fixtures/pipeline-sample/desc-sample.xml') } });
  const llmEnv = { MEDISTILL_LLM_BASE_URL: llm.url, MEDISTILL_LLM_API_KEY: 'test-key', MEDISTILL_LLM_MODEL: 'sim-1' };
  const own = (name: string): Record<string, string> => ({ MEDISTILL_GROUP_ID: `observability-${name}-${Date.now()}`, ...(name === 'generate' || name === 'judge' ? llmEnv : {}) });
  // One at a time, each ready before the next, so that every service's targets exist when Prometheus starts.
  for (const [i, name] of LONG_RUNNING.entries()) {
    metricsPorts.set(name, ports[i]!);
    services.push(await h.startReady(name, ports[i]!, own(name)));
  }
  prometheus = await startTestPrometheus({
    binary: bins.prometheus,
    port: ports[LONG_RUNNING.length]!,
    targets: LONG_RUNNING.map((service) => ({ address: `127.0.0.1:${metricsPorts.get(service)}`, service })),
    ruleFiles: [ALERTS_FILE],
  });
  await h.ingest(join(ROOT, 'test/fixtures/pipeline-sample/pubmed'), own('ingest'));
}, 600_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const s of services) s.kill('SIGTERM');
  await Promise.all(services.map((s) => s.exited));
  await llm?.close();
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

async function instant(expr: string): Promise<{ status: string; series: number; error?: string }> {
  const body = await prometheus!.api<{ result: unknown[] }>('query', { query: expr });
  return { status: body.status, series: body.status === 'success' ? body.data.result.length : 0, error: body.error };
}

describe('Prometheus scraping the Kafka services', () => {
  it('sees every service up, hop panels return data and every dashboard and alert expression parses', async () => {
    const logs = async (): Promise<string> => (await Promise.all(services.map(async (s) => `== ${s.name}\n${(await readFile(s.logFile, 'utf8')).slice(-2000)}`))).join('\n');
    let lastTargets = '';
    const up = await pollUntil(
      async () => {
        const t = await prometheus!.api<{ activeTargets: { health: string; scrapeUrl: string; lastError: string }[] }>('targets');
        lastTargets = JSON.stringify(t.data.activeTargets.map((x) => [x.scrapeUrl, x.health, x.lastError]));
        return t.data.activeTargets.length === LONG_RUNNING.length && t.data.activeTargets.every((x) => x.health === 'up');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(up.ready, `${lastTargets}\n${await logs()}`).toBe(true);
    // The export service has consumed judged records: the whole chain ran while being scraped.
    const flowed = await pollUntil(async () => (await instant('sum(medistill_records_consumed_total{service="export"}) > 0')).series === 1, { timeoutMs: 180_000, intervalMs: 500 });
    expect(flowed.ready, await logs()).toBe(true);
    // Rates need at least two samples inside their one-minute window.
    const scraped = await pollUntil(async () => (await instant('min(count_over_time(up{job="medistill"}[1m])) >= 3')).series === 1, { timeoutMs: 30_000, intervalMs: 250 });
    expect(scraped.ready).toBe(true);
    const lagSeen = await pollUntil(async () => (await instant('medistill_consumer_lag{service="annotate"}')).series > 0, { timeoutMs: 30_000, intervalMs: 500 });
    expect(lagSeen.ready).toBe(true);

    const failures: string[] = [];
    const empty: string[] = [];
    const queries = allDashboards().flatMap((d) => dashboardQueries(d.dashboard));
    // "All", then one service with two topics selected, formatted as Grafana formats a multi-value regex.
    for (const [service, topic] of [['.*', '.*'], ['annotate', '(pubmed\\\\.records\\\\.v1|pubmed\\\\.annotated\\\\.v1)']] as const) {
      for (const q of queries) {
        const expr = substituteVariables(q.expr, { rateInterval: '1m', service, topic });
        if (expr.startsWith('label_values(')) continue;
        const r = await instant(expr);
        if (r.status !== 'success') failures.push(`${q.origin}: ${r.error}`);
        else if (r.series === 0 && HOP_PANELS.some((title) => q.origin.startsWith(`${title} (`))) empty.push(`${q.origin} [service=~${service}, topic=~${topic}]`);
      }
    }
    for (const rule of await readAlertRules()) {
      const r = await instant(rule.expr);
      if (r.status !== 'success') failures.push(`${rule.alert}: ${r.error}`);
    }
    expect(failures).toEqual([]);
    expect(empty).toEqual([]);
  }, 400_000);
});
