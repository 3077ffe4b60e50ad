import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { startRedis, type RunningRedis } from '../../../deploy/local/startRedis.ts';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import { cacheLlmClient } from '../../../services/llm/cache/cachedLlmClient.ts';
import { openRedisCacheStore } from '../../../services/llm/cache/redisCacheStore.ts';
import type { LlmCacheStore } from '../../../services/llm/cache/llmCacheStore.ts';
import type { LlmCacheEvent } from '../../../services/llm/cache/llmCacheEvents.ts';
import { LlmCacheStoreError } from '../../../services/errors/medistillErrors.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

const schema = z.object({ answer: z.string() });
const params = { temperature: 0.2, maxTokens: 512, jsonMode: true };
const ask = (q: string) => [{ role: 'user' as const, content: q }];

let work: string;
let port: number;
let redis: RunningRedis;
let llm: OpenAiTestServer;
const opened: LlmCacheStore[] = [];

async function open(prefix: string): Promise<LlmCacheStore> {
  const store = await openRedisCacheStore({ url: redis.url, prefix });
  opened.push(store);
  return store;
}

function replica(store: LlmCacheStore, events: LlmCacheEvent[] = [], ttlMs?: number) {
  const base = createLlmClient({ baseUrl: llm.url, apiKey: 'sk-redis-test-1234', model: 'sim-1', maxRetries: 0 });
  return cacheLlmClient(base, { store, backend: 'openai-chat', params, onEvent: (e) => events.push(e), ...(ttlMs ? { ttlMs } : {}) });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-redis-'));
  [port] = (await freePorts(1)) as [number];
  redis = await startRedis({ dir: work, port });
  llm = await startOpenAiTestServer({ responder: (body) => JSON.stringify({ answer: `echo ${body.messages?.at(-1)?.content ?? ''}` }) });
}, 120_000);

afterAll(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await llm?.close();
  await redis?.process.stop();
  await rm(work, { recursive: true, force: true });
});

describe('the Redis response cache on a real redis-server', () => {
  it('two replicas share it: what one paid for, the other gets without a request', async () => {
    llm.reset();
    const a = replica(await open('t1:'));
    const b = replica(await open('t1:'));
    expect((await a.chatJson(ask('q1'), schema)).cached).toBe(false);
    const fromB = await b.chatJson(ask('q1'), schema);
    expect(fromB).toMatchObject({ cached: true, value: { answer: 'echo q1' } });
    expect(llm.chatRequests()).toHaveLength(1);
  });

  it('entries expire natively after their TTL', async () => {
    llm.reset();
    const store = await open('t2:');
    const c = replica(store, [], 300);
    await c.chatJson(ask('q2'), schema);
    expect((await c.chatJson(ask('q2'), schema)).cached).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    expect((await c.chatJson(ask('q2'), schema)).cached).toBe(false);
    expect(llm.chatRequests()).toHaveLength(2);
  });

  it('prune removes unreadable entries and those created before a time; stats counts what is left', async () => {
    const store = await open('t3:');
    const c = replica(store);
    await c.chatJson(ask('old'), schema);
    const cut = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    await c.chatJson(ask('new'), schema);
    await store.set('garbage', 'not json', undefined);
    expect((await store.stats()).entries).toBe(3);
    expect(await store.prune({ createdBefore: cut })).toEqual({ scanned: 3, removed: 2 });
    const left = await store.stats();
    expect(left.entries).toBe(1);
    expect(left.bytes).toBeGreaterThan(50);
  });

  it('entries survive a restart of the server (append-only file)', async () => {
    llm.reset();
    const c = replica(await open('t4:'));
    await c.chatJson(ask('durable'), schema);
    for (const s of opened.splice(0)) await s.close();
    await redis.process.stop();
    redis = await startRedis({ dir: work, port });
    expect((await replica(await open('t4:')).chatJson(ask('durable'), schema)).cached).toBe(true);
    expect(llm.chatRequests()).toHaveLength(1);
  }, 60_000);

  it('a server that goes away is counted and bypassed: the model answers; a wrong URL fails at start with a clear error', async () => {
    const events: LlmCacheEvent[] = [];
    const [deadPort] = (await freePorts(1)) as [number];
    await expect(openRedisCacheStore({ url: `redis://127.0.0.1:${deadPort}/0`, connectTimeoutMs: 500 })).rejects.toBeInstanceOf(LlmCacheStoreError);
    await expect(openRedisCacheStore({ url: 'http://127.0.0.1:1/' })).rejects.toThrow(/must start with redis:\/\//);

    const store = await openRedisCacheStore({ url: redis.url, prefix: 't5:', commandTimeoutMs: 300 });
    const c = replica(store, events);
    await redis.process.stop();
    llm.reset();
    const res = await c.chatJson(ask('while down'), schema);
    expect(res).toMatchObject({ cached: false, value: { answer: 'echo while down' } });
    expect(events.map((e) => `${e.type}:${e.outcome}`)).toEqual(['llm_cache.lookup:error', 'llm_cache.write:error']);
    store.close().catch(() => undefined);
    redis = await startRedis({ dir: work, port });
  }, 60_000);
});
