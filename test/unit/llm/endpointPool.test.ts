import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry } from 'prom-client';
import { createEndpointPool } from '../../../services/llm/endpointPool.ts';
import { parseEndpointList, describeEndpoint } from '../../../services/llm/llmEndpoints.ts';
import { createEndpointHealth } from '../../../services/llm/endpointHealth.ts';
import type { LlmEvent } from '../../../services/llm/llmEvents.ts';
import { LlmBadOutputError, LlmConfigError, LlmUnavailableError } from '../../../services/errors/medistillErrors.ts';
import { createLlmEndpointMetrics } from '../../../services/metrics/llmEndpointMetrics.ts';
import { invalidJson, rateLimited, serverError, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

const KEY_A = 'sk-endpoint-a-0011223344556677';
const KEY_B = 'sk-endpoint-b-8899aabbccddeeff';
const env = { KEY_A, KEY_B };
const schema = z.object({ ok: z.boolean() });
const servers: OpenAiTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(): Promise<OpenAiTestServer> {
  const s = await startOpenAiTestServer({ responder: () => '{"ok": true}' });
  servers.push(s);
  return s;
}

function list(a: OpenAiTestServer, b: OpenAiTestServer, extra: Record<string, unknown> = {}) {
  return JSON.stringify([
    { name: 'east', baseUrl: a.url, apiKeyEnv: 'KEY_A', rpm: 6000, tpm: 10_000_000, pricePer1kInput: 1, pricePer1kOutput: 2, ...extra },
    { name: 'west', baseUrl: b.url, apiKeyEnv: 'KEY_B', rpm: 6000, tpm: 10_000_000, pricePer1kInput: 3, pricePer1kOutput: 4, ...extra },
  ]);
}

const defaults = { model: 'gen-model', judgeModel: 'judge-model', timeoutMs: 2000, maxRetries: 0 };
const ask = [{ role: 'user' as const, content: 'ok?' }];

describe('parseEndpointList', () => {
  it('reads names, limits and prices, and takes each key from the variable it names', () => {
    const [a] = parseEndpointList('[{"name":"east","baseUrl":"https://u:p@api.example.com/v1","apiKeyEnv":"KEY_A","rpm":300,"tpm":1000}]', env);
    expect(a).toMatchObject({ name: 'east', rpm: 300, tpm: 1000, weight: 1, maxConcurrency: 16, apiKey: KEY_A, batch: true });
    const line = describeEndpoint(a!);
    expect(line).not.toContain(KEY_A);
    expect(line).not.toContain('u:p@');
    expect(line).toContain('key=$KEY_A');
  });

  it('refuses a bad URL, a key written into the list, an unset variable and a duplicate name, naming each endpoint', () => {
    const text = JSON.stringify([
      { name: 'a', baseUrl: 'ftp://x', apiKeyEnv: 'KEY_A', rpm: 1, tpm: 1 },
      { name: 'b', baseUrl: 'https://x/v1', apiKey: KEY_B, rpm: 1, tpm: 1 },
      { name: 'c', baseUrl: 'https://x/v1', apiKeyEnv: 'NOT_SET_ANYWHERE', rpm: 1, tpm: 1 },
      { name: 'd', baseUrl: 'not a url', apiKeyEnv: 'KEY_A', rpm: 1, tpm: 1 },
      { name: 'd', baseUrl: 'https://x/v1', apiKeyEnv: 'KEY_A', rpm: 1, tpm: 1 },
    ]);
    let error: unknown;
    try {
      parseEndpointList(text, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LlmConfigError);
    const message = (error as Error).message;
    expect(message).toContain('endpoint 1 ("a"): baseUrl');
    expect(message).toContain('endpoint 2 ("b"): holds a key');
    expect(message).toContain('NOT_SET_ANYWHERE');
    expect(message).toContain('endpoint 4 ("d"): baseUrl');
    expect(message).toContain('"d" is used twice');
    expect(message).not.toContain(KEY_B);
    expect(() => parseEndpointList('{', env)).toThrow(/not JSON/);
    expect(() => parseEndpointList('[]', env)).toThrow(/non-empty/);
  });
});

describe('createEndpointHealth', () => {
  it('goes out after the threshold of consecutive failures, lets one probe through after the cooldown, and doubles it on a failed probe', () => {
    let t = 0;
    const h = createEndpointHealth({ failureThreshold: 2, cooldownMs: 100, now: () => t });
    expect(h.failure()).toBe(false);
    expect(h.failure()).toBe(true);
    expect(h.available()).toBe(false);
    t = 100;
    expect(h.available()).toBe(true);
    h.begin();
    expect(h.available()).toBe(false); // one probe at a time
    h.failure();
    expect(h.retryInMs).toBe(200);
    t = 300;
    h.begin();
    expect(h.success()).toBe(true);
    expect(h.up).toBe(true);
  });
});

describe('createEndpointPool', () => {
  it('spreads calls over both endpoints with their own keys and models, and counts requests and cost per endpoint', async () => {
    const [a, b] = [await server(), await server()];
    const events: LlmEvent[] = [];
    const registry = new Registry();
    const metrics = createLlmEndpointMetrics(registry, 'test');
    const pool = createEndpointPool(parseEndpointList(list(a, b), env), {
      defaults,
      onEvent: (e) => {
        events.push(e);
        metrics.onLlmEvent(e);
      },
    });
    const results = await Promise.all(Array.from({ length: 40 }, () => pool.client('judge').chatJson(ask, schema)));
    expect(results.every((r) => r.value.ok)).toBe(true);
    expect(a.chatRequests().length).toBeGreaterThan(5);
    expect(b.chatRequests().length).toBeGreaterThan(5);
    expect(a.chatRequests().length + b.chatRequests().length).toBe(40);
    expect(a.chatRequests().every((r) => a.sentKey(r, KEY_A) && r.body?.model === 'judge-model')).toBe(true);
    expect(b.chatRequests().every((r) => b.sentKey(r, KEY_B))).toBe(true);
    const ends = events.filter((e) => e.type === 'llm.request_end');
    for (const e of ends) {
      const price = e.endpoint === 'east' ? [1, 2] : [3, 4];
      expect(e.cost).toBeCloseTo((e.promptTokens / 1000) * price[0]! + (e.completionTokens / 1000) * price[1]!, 10);
    }
    const text = await registry.metrics();
    expect(text).toMatch(/medistill_llm_endpoint_requests_total\{service="test",endpoint="east",mode="online",outcome="ok"\} \d+/);
    expect(text).toContain('medistill_llm_endpoint_up{service="test",endpoint="west"} 1');
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain(String(a.port));
  });

  it('routes by weight when idle: a weight-3 endpoint gets about three quarters of sequential calls', async () => {
    const [a, b] = [await server(), await server()];
    const endpoints = parseEndpointList(list(a, b), env).map((e, i) => ({ ...e, weight: i === 0 ? 3 : 1 }));
    const pool = createEndpointPool(endpoints, { defaults });
    // Four at a time: with pending work counted per unit of weight, east takes three of each four.
    for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 4 }, () => pool.client('generator').chatJson(ask, schema)));
    expect(a.chatRequests().length).toBeGreaterThanOrEqual(26);
    expect(b.chatRequests().length).toBeGreaterThanOrEqual(6);
  });

  it('fails a call over to the other endpoint on 5xx and on a 429 storm, takes the failing endpoint out, and loses nothing', async () => {
    const [a, b] = [await server(), await server()];
    a.setResponder(() => serverError(503));
    const events: LlmEvent[] = [];
    const pool = createEndpointPool(parseEndpointList(list(a, b), env), { defaults, onEvent: (e) => events.push(e), health: { failureThreshold: 2, cooldownMs: 60_000 } });
    const results = await Promise.all(Array.from({ length: 30 }, () => pool.client('generator').chatJson(ask, schema)));
    expect(results).toHaveLength(30);
    expect(b.chatRequests()).toHaveLength(30);
    // Calls already sent to east when it failed moved over once each; then east is out.
    const sentToEast = a.chatRequests().length;
    expect(sentToEast).toBeGreaterThanOrEqual(2);
    expect(sentToEast).toBeLessThanOrEqual(30);
    expect(events.some((e) => e.type === 'llm.endpoint_state' && e.endpoint === 'east' && !e.up)).toBe(true);
    expect(events.filter((e) => e.type === 'llm.failover' && e.endpoint === 'east').length).toBe(sentToEast);
    await Promise.all(Array.from({ length: 20 }, () => pool.client('generator').chatJson(ask, schema)));
    expect(a.chatRequests().length).toBe(sentToEast);
    expect(b.chatRequests()).toHaveLength(50);

    b.setResponder(() => rateLimited(30));
    a.setResponder(() => '{"ok": true}');
    const pool2 = createEndpointPool(parseEndpointList(list(a, b), env), { defaults, health: { failureThreshold: 2, cooldownMs: 60_000 } });
    const before = a.chatRequests().length;
    await Promise.all(Array.from({ length: 10 }, () => pool2.client('generator').chatJson(ask, schema)));
    expect(a.chatRequests().length - before).toBe(10);
  });

  it('does not send the calls still queued at an endpoint once it is taken out: they move on unsent', async () => {
    const [a, b] = [await server(), await server()];
    a.setResponder(() => serverError(500));
    const endpoints = parseEndpointList(list(a, b), env).map((e, i) => (i === 0 ? { ...e, rpm: 120, burstRequests: 1 } : e));
    const events: LlmEvent[] = [];
    const pool = createEndpointPool(endpoints, { defaults, onEvent: (e) => events.push(e), health: { failureThreshold: 1, cooldownMs: 60_000 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.client('generator').chatJson(ask, schema)));
    expect(results).toHaveLength(8);
    // Only the first call queued at east was sent; the others waited for its tokens, found it out, and moved.
    expect(a.chatRequests()).toHaveLength(1);
    const moved = events.filter((e) => e.type === 'llm.failover' && e.endpoint === 'east').length;
    expect(moved).toBeGreaterThan(1);
    expect(b.chatRequests()).toHaveLength(8);
  }, 15_000);

  it('fails over when an endpoint does not answer in time or cannot be reached', async () => {
    const [a, b] = [await server(), await server()];
    await a.close();
    servers.splice(servers.indexOf(a), 1);
    const pool = createEndpointPool(parseEndpointList(list(a, b), env), { defaults: { ...defaults, timeoutMs: 300 } });
    const r = await pool.client('generator').chatJson(ask, schema);
    expect(r.value.ok).toBe(true);
    expect(b.chatRequests().length).toBe(1);
  });

  it('does not retry bad output elsewhere, and fails with LlmUnavailableError, key-free, when every endpoint fails', async () => {
    const [a, b] = [await server(), await server()];
    a.setResponder(() => invalidJson());
    b.setResponder(() => invalidJson());
    const pool = createEndpointPool(parseEndpointList(list(a, b), env), { defaults, maxRounds: 2 });
    await expect(pool.client('generator').chatJson(ask, schema)).rejects.toBeInstanceOf(LlmBadOutputError);
    expect(a.chatRequests().length + b.chatRequests().length).toBe(2);

    a.setResponder(() => serverError(500));
    b.setResponder(() => serverError(502));
    const error = await pool.client('generator').chatJson(ask, schema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as Error).message).toMatch(/every LLM endpoint failed/);
    expect((error as Error).message).not.toContain(KEY_A);
    expect((error as Error).message).not.toContain(KEY_B);
  });
});
