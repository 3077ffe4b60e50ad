import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import { cacheLlmClient } from '../../../services/llm/cache/cachedLlmClient.ts';
import { openLevelCacheStore } from '../../../services/llm/cache/levelCacheStore.ts';
import { llmCacheKey, type LlmSamplingParams } from '../../../services/llm/cache/llmCacheKey.ts';
import { decodeCacheEntry, encodeCacheEntry } from '../../../services/llm/cache/llmCacheEntry.ts';
import type { LlmCacheStore } from '../../../services/llm/cache/llmCacheStore.ts';
import type { LlmCacheEvent } from '../../../services/llm/cache/llmCacheEvents.ts';
import { LlmCacheMissError, LlmCacheStoreError } from '../../../services/errors/medistillErrors.ts';
import { reply, replyJson, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

const KEY = 'sk-test-cache-unit-4b8e2f';
const schema = z.object({ answer: z.string() });
const params: LlmSamplingParams = { temperature: 0.2, maxTokens: 2048, jsonMode: true };
const ask = [
  { role: 'system' as const, content: 'Reply with JSON {"answer": string}.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];

let server: OpenAiTestServer;
let work: string;
let store: LlmCacheStore;
let events: LlmCacheEvent[];
let clock: number;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  server.reset();
  work = await mkdtemp(join(tmpdir(), 'medistill-cache-unit-'));
  clock = 1_700_000_000_000;
  store = await openLevelCacheStore(join(work, 'cache'), { now: () => clock });
  events = [];
});
afterEach(async () => {
  await store.close();
  await rm(work, { recursive: true, force: true });
});

function client(options: { mode?: 'use' | 'only'; ttlMs?: number; model?: string; store?: LlmCacheStore; params?: LlmSamplingParams } = {}) {
  const base = createLlmClient({ baseUrl: server.url, apiKey: KEY, model: options.model ?? 'sim-1', maxRetries: 0 });
  return cacheLlmClient(base, {
    store: options.store ?? store,
    backend: 'openai-chat',
    params: options.params ?? params,
    mode: options.mode ?? 'use',
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    onEvent: (e) => events.push(e),
    now: () => clock,
  });
}

const lookups = () => events.filter((e) => e.type === 'llm_cache.lookup').map((e) => e.outcome);

describe('llmCacheKey', () => {
  it('is the same for the same request and differs when the model, prompt version, any message or any sampling parameter changes', () => {
    const base = { backend: 'openai-chat', model: 'm', promptVersion: 'p1', messages: ask, params };
    const k = llmCacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(llmCacheKey({ ...base, messages: ask.map((m) => ({ ...m })) })).toBe(k);
    const variants = [
      { ...base, backend: 'other' },
      { ...base, model: 'm2' },
      { ...base, promptVersion: 'p2' },
      { ...base, messages: [ask[0]!, { role: 'user' as const, content: 'What is the capital of France? ' }] },
      { ...base, messages: [{ role: 'user' as const, content: ask[0]!.content }, ask[1]!] },
      { ...base, params: { ...params, temperature: 0.3 } },
      { ...base, params: { ...params, maxTokens: 100 } },
      { ...base, params: { ...params, jsonMode: false } },
    ];
    const keys = new Set(variants.map(llmCacheKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
  });
});

describe('the cached LLM client over the real openai client and LevelDB', () => {
  it('asks the server once for the same request and answers the second time from the cache, with what it saved', async () => {
    server.enqueue(reply('{"answer": "Paris"}', { usage: { promptTokens: 40, completionTokens: 7 } }));
    const llm = client();
    const first = await llm.chatJson(ask, schema, { purpose: 'judge', promptVersion: 'judge-v1' });
    expect(first).toMatchObject({ value: { answer: 'Paris' }, cached: false, usage: { promptTokens: 40, completionTokens: 7 } });
    const second = await llm.chatJson(ask, schema, { purpose: 'judge', promptVersion: 'judge-v1' });
    expect(second).toMatchObject({ value: { answer: 'Paris' }, cached: true, attempts: 0, model: 'sim-1', usage: { promptTokens: 0, completionTokens: 0 } });
    expect(server.chatRequests()).toHaveLength(1);
    expect(lookups()).toEqual(['miss', 'hit']);
    const hit = events.find((e) => e.type === 'llm_cache.lookup' && e.outcome === 'hit');
    expect(hit).toMatchObject({ purpose: 'judge', promptTokens: 40, completionTokens: 7 });
    expect(hit && hit.type === 'llm_cache.lookup' && hit.bytes).toBeGreaterThan(20);
  });

  it('survives a restart: a new store on the same folder answers from disk', async () => {
    server.enqueue(replyJson({ answer: 'Paris' }));
    await client().chatJson(ask, schema, { promptVersion: 'v1' });
    await store.close();
    store = await openLevelCacheStore(join(work, 'cache'), { now: () => clock });
    const again = await client().chatJson(ask, schema, { promptVersion: 'v1' });
    expect(again.cached).toBe(true);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('a different prompt version, model or temperature misses', async () => {
    server.setResponder(() => '{"answer": "Paris"}');
    await client().chatJson(ask, schema, { promptVersion: 'v1' });
    await client().chatJson(ask, schema, { promptVersion: 'v2' });
    await client({ model: 'sim-2' }).chatJson(ask, schema, { promptVersion: 'v1' });
    await client({ params: { ...params, temperature: 0 } }).chatJson(ask, schema, { promptVersion: 'v1' });
    expect(server.chatRequests()).toHaveLength(4);
    expect(lookups()).toEqual(['miss', 'miss', 'miss', 'miss']);
  });

  it('an entry past its TTL is a miss; prune removes expired and older entries and counts what it did', async () => {
    server.setResponder(() => '{"answer": "Paris"}');
    const llm = client({ ttlMs: 60_000 });
    await llm.chatJson(ask, schema);
    clock += 59_000;
    expect((await llm.chatJson(ask, schema)).cached).toBe(true);
    clock += 2_000;
    expect((await llm.chatJson(ask, schema)).cached).toBe(false);
    expect(server.chatRequests()).toHaveLength(2);

    await client().chatJson([...ask, { role: 'user', content: 'and of Spain?' }], schema); // no expiry, created at `clock`
    clock += 120_000; // the TTL entry is expired again
    expect(await store.stats()).toMatchObject({ entries: 2 });
    expect(await store.prune()).toEqual({ scanned: 2, removed: 1 });
    expect(await store.prune({ createdBefore: clock })).toEqual({ scanned: 1, removed: 1 });
    expect((await store.stats()).entries).toBe(0);
  });

  it('a stored entry that does not parse, or no longer fits the schema, is counted as corrupt and asked again, then replaced', async () => {
    server.setResponder(() => '{"answer": "Paris"}');
    const key = llmCacheKey({ backend: 'openai-chat', model: 'sim-1', promptVersion: 'v1', messages: ask, params });
    await store.set(key, '{"format": 1, "value": {"answer": "Par', undefined);
    const res = await client().chatJson(ask, schema, { promptVersion: 'v1' });
    expect(res).toMatchObject({ value: { answer: 'Paris' }, cached: false });
    expect(lookups()).toEqual(['corrupt']);
    expect(decodeCacheEntry((await store.get(key))!)).toMatchObject({ ok: true, entry: { value: { answer: 'Paris' } } });

    await store.set(key, encodeCacheEntry({ value: { answer: 42 }, model: 'sim-1', usage: { promptTokens: 1, completionTokens: 1 }, createdAt: clock, expiresAt: null }), undefined);
    events = [];
    expect((await client().chatJson(ask, schema, { promptVersion: 'v1' })).value).toEqual({ answer: 'Paris' });
    expect(lookups()).toEqual(['corrupt']);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('cache-only answers hits and refuses misses with LlmCacheMissError, sending nothing', async () => {
    server.enqueue(replyJson({ answer: 'Paris' }));
    await client().chatJson(ask, schema);
    const only = client({ mode: 'only' });
    expect((await only.chatJson(ask, schema)).cached).toBe(true);
    const miss = only.chatJson([...ask, { role: 'user', content: 'And Spain?' }], schema, { purpose: 'generate' });
    await expect(miss).rejects.toBeInstanceOf(LlmCacheMissError);
    await expect(miss).rejects.toThrow(/cache-only mode forbids calling the model/);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('a failing store is counted and bypassed: the model answers and the answer is handed on', async () => {
    server.setResponder(() => '{"answer": "Paris"}');
    const broken: LlmCacheStore = {
      description: 'broken',
      get: () => Promise.reject(new LlmCacheStoreError('read failed', { retriable: true })),
      set: () => Promise.reject(new LlmCacheStoreError('write failed', { retriable: true })),
      delete: () => Promise.resolve(),
      prune: () => Promise.resolve({ scanned: 0, removed: 0 }),
      stats: () => Promise.resolve({ entries: 0, bytes: 0 }),
      close: () => Promise.resolve(),
    };
    const res = await client({ store: broken }).chatJson(ask, schema);
    expect(res.value).toEqual({ answer: 'Paris' });
    expect(events.map((e) => `${e.type}:${e.outcome}`)).toEqual(['llm_cache.lookup:error', 'llm_cache.write:error']);
  });

  it('a second process cannot open the same folder: a clear error naming the fix', async () => {
    await expect(openLevelCacheStore(join(work, 'cache'))).rejects.toThrow(/another process holds it/);
  });
});
