/**
 * The LLM response cache against no cache: the same 2,000 distinct requests through the real openai
 * client to the local OpenAI-protocol server (20 ms per answer), first without a cache, then through
 * the cache on LevelDB and on a real Redis, each twice (a cold pass that pays and stores, a warm pass
 * that should send nothing). Prints calls/s, p50/p99 per call, requests the server saw, bytes stored
 * and peak RSS, and writes the table to bench/RESULTS.md.
 *
 *   npx tsx bench/llmCache.ts [requests]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { freePorts } from '../deploy/local/freePort.ts';
import { startRedis } from '../deploy/local/startRedis.ts';
import { createLlmClient, type LlmClient } from '../services/llm/llmClient.ts';
import { cacheLlmClient } from '../services/llm/cache/cachedLlmClient.ts';
import { openLevelCacheStore } from '../services/llm/cache/levelCacheStore.ts';
import { openRedisCacheStore } from '../services/llm/cache/redisCacheStore.ts';
import type { LlmCacheStore } from '../services/llm/cache/llmCacheStore.ts';
import { startOpenAiTestServer } from '../test/support/openaiTestServer.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 16;
const LATENCY_MS = 20;
const schema = z.object({ answer: z.string(), score: z.number() });

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

function messages(i: number) {
  return [
    { role: 'system' as const, content: 'You review question-answer items. Reply with JSON {"answer": string, "score": number}.' },
    { role: 'user' as const, content: `Item ${i}: ${'The passage reports a reduction of hospital admissions. '.repeat(20)}` },
  ];
}

async function pass(client: LlmClient): Promise<{ seconds: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const t = performance.now();
        await client.chatJson(messages(i), schema, { purpose: 'judge', promptVersion: 'bench-v1' });
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { seconds: (performance.now() - started) / 1000, p50: at(0.5), p99: at(0.99) };
}

const server = await startOpenAiTestServer({
  maxRecorded: REQUESTS * 2,
  responder: () => ({ kind: 'reply', content: JSON.stringify({ answer: 'supported by the passage', score: 0.9 }), delayMs: LATENCY_MS, usage: { promptTokens: 180, completionTokens: 20 } }),
});
const work = await mkdtemp(join(tmpdir(), 'medistill-cache-bench-'));
const [redisPort] = (await freePorts(1)) as [number];
const redis = await startRedis({ dir: join(work, 'redis'), port: redisPort });
const base = createLlmClient({ baseUrl: server.url, apiKey: 'sk-bench-000000', model: 'bench-1', maxRetries: 0 });
const params = { temperature: 0.2, maxTokens: 2048, jsonMode: true };

const rows: string[] = [];
function row(what: string, r: { seconds: number; p50: number; p99: number }, sent: number, bytes: string): void {
  const line = `| ${what} | ${REQUESTS.toLocaleString('en')} | ${sent.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${Math.round(REQUESTS / r.seconds).toLocaleString('en')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${bytes} |`;
  rows.push(line);
  process.stdout.write(`${line}\n`);
}

try {
  server.reset();
  row('no cache', await pass(base), server.chatRequests().length, '');
  const stores: [string, LlmCacheStore][] = [
    ['LevelDB', await openLevelCacheStore(join(work, 'level'))],
    ['Redis', await openRedisCacheStore({ url: redis.url })],
  ];
  for (const [name, store] of stores) {
    const cached = cacheLlmClient(base, { store, backend: 'openai-chat', params });
    server.reset();
    row(`${name}, cold (miss, call, store)`, await pass(cached), server.chatRequests().length, '');
    server.reset();
    const warm = await pass(cached);
    const stats = await store.stats();
    row(`${name}, warm (hits)`, warm, server.chatRequests().length, `${stats.entries.toLocaleString('en')} entries, ${(stats.bytes / 1024).toFixed(0)} KiB`);
    await store.close();
  }
} finally {
  clearInterval(rssTimer);
  await server.close();
  await redis.process.stop();
  await rm(work, { recursive: true, force: true });
}

const summary = `peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB; load average ${loadavg()[0]!.toFixed(1)} on 2 cores; server answers in ${LATENCY_MS} ms; ${CONCURRENCY} calls in flight`;
process.stdout.write(`${summary}\n`);
await writeResultsSection(
  'LLM response cache',
  [
    'Command: `npx tsx bench/llmCache.ts`',
    '',
    `${REQUESTS.toLocaleString('en')} distinct judge-sized requests (about 1,200 prompt characters) through the real openai client to the local OpenAI-protocol server; the cache wraps the client as in the stages.`,
    '',
    '| pass | calls | requests sent | wall s | calls/s | p50 ms | p99 ms | store |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    summary,
  ].join('\n'),
);
