/**
 * Several endpoints and batch mode against the OpenAI-protocol test server, with the real openai client:
 *
 *  1. throughput: two endpoints limited by the server to 300 requests per minute each, against one
 *     such endpoint as the baseline: requests per minute sustained, 429s received, the most requests
 *     any endpoint saw in a sliding minute;
 *  2. failover: the same two endpoints, one answering 500 from half-way: how many calls finished,
 *     failed or moved, and the rate before and after;
 *  3. batch: 5,000 requests through the Batch API (with error lines and an expired batch on the way)
 *     against the same 5,000 online: results accounted for, batches, lines resubmitted, and the cost
 *     estimate the metrics report with a price table whose batch prices are half the online ones.
 *
 *   npx tsx bench/llmScale.ts [throughput seconds, default 60]
 */
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createEndpointPool } from '../services/llm/endpointPool.ts';
import type { LlmEndpoint } from '../services/llm/llmEndpoints.ts';
import { createLlmClient, type LlmClient } from '../services/llm/llmClient.ts';
import { createBatchQueue } from '../services/llm/batchQueue.ts';
import type { LlmEvent } from '../services/llm/llmEvents.ts';
import { createLlmMetrics } from '../services/metrics/llmMetrics.ts';
import { createLlmEndpointMetrics } from '../services/metrics/llmEndpointMetrics.ts';
import { delayed, serverError, startOpenAiTestServer, type OpenAiTestServer } from '../test/support/openaiTestServer.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const SECONDS = Number(process.argv[2] ?? 60);
const RPM = 300;
const WORKERS = 64;
const BATCH_REQUESTS = 5000;
const PRICE = { input: 0.15, output: 0.6 };
const schema = z.object({ n: z.number() });
const KEY = 'sk-bench-not-a-secret';
process.env.BENCH_KEY = KEY;

function endpoint(name: string, server: OpenAiTestServer): LlmEndpoint {
  return Object.freeze({
    name,
    baseUrl: server.url,
    apiKeyEnv: 'BENCH_KEY',
    apiKey: KEY,
    weight: 1,
    rpm: RPM,
    tpm: 10_000_000,
    // One request at a time after a quiet spell: the server's limit is a sliding minute.
    burstRequests: 1,
    maxConcurrency: 32,
    pricePer1kInput: PRICE.input,
    pricePer1kOutput: PRICE.output,
    batchPricePer1kInput: PRICE.input / 2,
    batchPricePer1kOutput: PRICE.output / 2,
    batch: true,
  });
}

const limited = () => startOpenAiTestServer({ rateLimit: { maxRequests: RPM, windowMs: 60_000 }, responder: (body) => delayed(40, answer(body)), maxRecorded: 100_000 });

function answer(body: { messages?: { content: string }[] }): string {
  const n = Number(/n=(\d+)/.exec(String(body.messages?.find((m) => /n=\d+/.test(m.content))?.content ?? ''))?.[1] ?? -1);
  return JSON.stringify({ n });
}

/** Most requests a server accepted (not answered 429) in any sliding 60 s window. */
function maxPerMinute(server: OpenAiTestServer, rejected: Set<number>): number {
  const times = server
    .chatRequests()
    .map((r) => r.receivedAt)
    .filter((t) => !rejected.has(t))
    .sort((x, y) => x - y);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] as number) - (times[lo] as number) >= 60_000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function runFor(client: LlmClient, ms: number): Promise<{ done: number; failed: number; seconds: number }> {
  const started = performance.now();
  const end = started + ms;
  let done = 0;
  let failed = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (performance.now() < end) {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), Math.max(1, end - performance.now()));
        try {
          await client.chatJson([{ role: 'user', content: `n=${n++}` }], schema, { signal: controller.signal });
          if (performance.now() <= end) done++;
        } catch {
          if (!controller.signal.aborted) failed++;
        } finally {
          clearTimeout(timer);
        }
      }
    }),
  );
  return { done, failed, seconds: (performance.now() - started) / 1000 };
}

async function throughput(): Promise<string[]> {
  const rows: string[] = [];
  for (const count of [1, 2]) {
    const servers = await Promise.all(Array.from({ length: count }, limited));
    let status429 = 0;
    const pool = createEndpointPool(
      servers.map((s, i) => endpoint(`ep${i + 1}`, s)),
      {
        defaults: { model: 'bench', judgeModel: 'bench', timeoutMs: 10_000, maxRetries: 0 },
        onEvent: (e) => {
          if (e.type === 'llm.request_end' && e.status === 429) status429++;
        },
      },
    );
    const r = await runFor(pool.client('generator'), SECONDS * 1000);
    const perMinute = (r.done / r.seconds) * 60;
    const peak = servers.map((s) => maxPerMinute(s, new Set()));
    rows.push(
      `| ${count} × ${RPM} RPM | ${count * RPM} | ${r.done} in ${r.seconds.toFixed(1)} s | ${perMinute.toFixed(0)} | ${((100 * perMinute) / (count * RPM)).toFixed(1)} % | ${status429} | ${peak.join(' / ')} | ${r.failed} |`,
    );
    console.log(rows.at(-1));
    await Promise.all(servers.map((s) => s.close()));
  }
  return rows;
}

async function failover(): Promise<string[]> {
  const [a, b] = [await limited(), await limited()];
  const events: LlmEvent[] = [];
  const pool = createEndpointPool([endpoint('ep1', a), endpoint('ep2', b)], {
    defaults: { model: 'bench', judgeModel: 'bench', timeoutMs: 10_000, maxRetries: 0 },
    onEvent: (e) => events.push(e),
  });
  const client = pool.client('generator');
  const total = 300;
  const half = total / 2;
  let next = 0;
  let done = 0;
  let failed = 0;
  let failedAt = 0;
  let failedAtWall = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < total) {
        const n = next++;
        try {
          const r = await client.chatJson([{ role: 'user', content: `n=${n}` }], schema);
          if (r.value.n !== n) failed++;
          else done++;
          if (done === half && failedAt === 0) {
            failedAt = performance.now();
            failedAtWall = Date.now();
            b.setResponder(() => serverError(500));
          }
        } catch {
          failed++;
        }
      }
    }),
  );
  const ended = performance.now();
  const before = (half / ((failedAt - started) / 1000)) * 60;
  const after = ((done - half) / ((ended - failedAt) / 1000)) * 60;
  const moved = events.filter((e) => e.type === 'llm.failover').length;
  const down = events.filter((e) => e.type === 'llm.endpoint_state' && !e.up).map((e) => (e as { endpoint: string }).endpoint);
  const servedAfter = (s: OpenAiTestServer) => s.chatRequests().filter((r) => r.receivedAt > failedAtWall).length;
  await Promise.all([a.close(), b.close()]);
  const row = `| ${total} calls, ep2 answers 500 after ${half} | ${done} | ${failed} | ${moved} | ${down.join(', ') || 'none'} | ${before.toFixed(0)} | ${after.toFixed(0)} | ep1 ${servedAfter(a)}, ep2 ${servedAfter(b)} |`;
  console.log(row);
  return [row];
}

interface CostRun {
  ok: number;
  failed: number;
  seconds: number;
  cost: number;
  endpointCost: string;
  batches: number;
  resubmitted: number;
}

async function costOf(registry: Registry): Promise<{ cost: number; endpointCost: string }> {
  const metrics = await registry.getMetricsAsJSON();
  const total = metrics.find((m) => m.name === 'medistill_llm_estimated_cost_total')?.values.reduce((s, v) => s + v.value, 0) ?? 0;
  const byMode = (metrics.find((m) => m.name === 'medistill_llm_endpoint_cost_total')?.values ?? [])
    .filter((v) => v.value > 0)
    .map((v) => `${v.labels.mode} ${v.value.toFixed(4)}`)
    .join(', ');
  return { cost: total, endpointCost: byMode };
}

async function batchVersusOnline(): Promise<{ online: CostRun; batch: CostRun }> {
  const runs: Partial<Record<'online' | 'batch', CostRun>> = {};
  for (const mode of ['online', 'batch'] as const) {
    const seenOnce = new Set<string>();
    const server = await startOpenAiTestServer({
      maxRecorded: 100_000,
      batchProcessDelayMs: 20,
      // 2 % of requests fail the first time they are seen (a 500 line in batch mode), as a real batch's partial failures.
      responder: (body) => {
        const text = answer(body);
        const n = (JSON.parse(text) as { n: number }).n;
        if (n % 50 === 7 && !seenOnce.has(text)) {
          seenOnce.add(text);
          return serverError(500);
        }
        return text;
      },
    });
    // One batch expires after running 300 of its lines.
    if (mode === 'batch') server.enqueueBatchPlan({ kind: 'complete' }, { kind: 'expire', processed: 300 });
    const registry = new Registry();
    const llm = createLlmMetrics(registry, { service: 'bench', pricePer1kInput: PRICE.input, pricePer1kOutput: PRICE.output });
    const ep = createLlmEndpointMetrics(registry, 'bench');
    let resubmitted = 0;
    const onEvent = (e: LlmEvent): void => {
      llm.onLlmEvent(e);
      ep.onLlmEvent(e);
      if (e.type === 'llm.batch_lines' && e.outcome === 'resubmitted') resubmitted += e.count;
    };
    const e = endpoint('ep1', server);
    const queue = mode === 'batch' ? createBatchQueue({ endpoint: 'ep1', baseUrl: server.url, apiKey: KEY, maxRequests: 1000, maxWaitMs: 200, pollMs: 50, maxSubmissions: 3, onEvent }) : null;
    const client = createLlmClient(
      { baseUrl: server.url, apiKey: KEY, model: 'bench', maxRetries: 3, minBackoffMs: 10, maxBackoffMs: 50 },
      { endpoint: 'ep1', prices: mode === 'batch' ? { input: e.batchPricePer1kInput!, output: e.batchPricePer1kOutput! } : { input: e.pricePer1kInput, output: e.pricePer1kOutput }, onEvent, ...(queue ? { send: queue.send } : {}) },
    );
    const started = performance.now();
    let ok = 0;
    let failed = 0;
    let next = 0;
    // Batch mode keeps two files' worth in flight, as an LLM stage does with its in-flight bound.
    const workers = mode === 'batch' ? 2000 : WORKERS;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < BATCH_REQUESTS) {
          const n = next++;
          try {
            const r = await client.chatJson([{ role: 'user', content: `n=${n} ${'context '.repeat(40)}` }], schema);
            if (r.value.n === n) ok++;
            else failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await queue?.close();
    const { cost, endpointCost } = await costOf(registry);
    runs[mode] = { ok, failed, seconds, cost, endpointCost, batches: server.batches().length, resubmitted };
    console.log(mode, runs[mode]);
    await server.close();
  }
  return runs as { online: CostRun; batch: CostRun };
}

const started = Date.now();
const tp = await throughput();
const fo = await failover();
const cost = await batchVersusOnline();
const rss = (process.resourceUsage().maxRSS / 1024).toFixed(0);
const body = [
  `Command: \`npx tsx bench/llmScale.ts ${SECONDS}\` (run ${new Date().toISOString().slice(0, 10)})`,
  '',
  `Test servers speak the OpenAI protocol (test/support/openaiTestServer.ts) to the real openai client; each throughput server refuses with 429 more than ${RPM} requests in a sliding minute and answers after 40 ms; ${WORKERS} callers.`,
  '',
  '| endpoints | limit (RPM) | answered | sustained RPM | of the limit | 429s received | most accepted by one server in a minute | failed calls |',
  '|---|---:|---|---:|---:|---:|---|---:|',
  ...tp,
  '',
  'Failover: the same two endpoints; 300 calls; when 150 are answered the second endpoint starts answering 500. Calls moved: every call that left ep2, including those waiting in its queue when it was taken out (they move without being sent); requests after the failure: what each server received.',
  '',
  '| scenario | answered | lost | calls moved | endpoints taken out | RPM before | RPM after | requests after the failure |',
  '|---|---:|---:|---:|---|---:|---:|---|',
  ...fo,
  '',
  `Batch mode: ${BATCH_REQUESTS} requests (2 % answered 500 the first time; in batch mode the second batch expires after 300 lines), prices ${PRICE.input}/${PRICE.output} per 1k tokens online and half that through the Batch API.`,
  '',
  '| mode | answered | failed | seconds | batches | lines resubmitted | medistill_llm_estimated_cost_total | medistill_llm_endpoint_cost_total |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...(['online', 'batch'] as const).map((m) => {
    const r = cost[m];
    return `| ${m} | ${r.ok} | ${r.failed} | ${r.seconds.toFixed(1)} | ${r.batches} | ${r.resubmitted} | ${r.cost.toFixed(4)} | ${r.endpointCost} |`;
  }),
  '',
  `- batch cost / online cost: ${(cost.batch.cost / cost.online.cost).toFixed(3)}`,
  `- peak RSS ${rss} MB; ${((Date.now() - started) / 1000).toFixed(0)} s in all; node ${process.version}`,
].join('\n');
console.log(body);
await writeResultsSection('LLM endpoints and batch mode', body);
