import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmClient, type LlmClientOptions } from '../../../services/llm/llmClient.ts';
import type { LlmConfigInput } from '../../../services/llm/llmConfig.ts';
import {
  LlmAbortedError,
  LlmBadOutputError,
  LlmConfigError,
  LlmRequestError,
  LlmUnavailableError,
} from '../../../services/errors/medistillErrors.ts';
import type { LlmEvent } from '../../../services/llm/llmEvents.ts';
import {
  brokenBody,
  delayed,
  hang,
  invalidJson,
  rateLimited,
  reply,
  replyJson,
  serverError,
  startOpenAiTestServer,
  type OpenAiTestServer,
} from '../../support/openaiTestServer.ts';

const KEY = 'sk-test-9f8e7d6c5b4a39281706';
const answerSchema = z.object({ answer: z.string(), confidence: z.number().min(0).max(1) });
const ask = [
  { role: 'system' as const, content: 'Answer in JSON: {"answer": string, "confidence": number}.' },
  { role: 'user' as const, content: 'Is aspirin an NSAID?' },
];

let server: OpenAiTestServer;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

function client(overrides: Partial<LlmConfigInput> = {}, options: LlmClientOptions = {}) {
  return createLlmClient(
    { baseUrl: server.url, apiKey: KEY, model: 'test-model', minBackoffMs: 5, maxBackoffMs: 20, timeoutMs: 2_000, ...overrides },
    options,
  );
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('createLlmClient.chatJson', () => {
  it('returns the validated value, usage and one attempt for a good JSON reply, sending model, messages and json mode', async () => {
    server.enqueue(reply(JSON.stringify({ answer: 'yes', confidence: 0.9 }), { usage: { promptTokens: 31, completionTokens: 7 } }));
    const result = await client({ temperature: 0.1, maxTokens: 300 }).chatJson(ask, answerSchema, { purpose: 'test' });

    expect(result.value).toEqual({ answer: 'yes', confidence: 0.9 });
    expect(result.usage).toEqual({ promptTokens: 31, completionTokens: 7 });
    expect(result.attempts).toBe(1);
    expect(result.model).toBe('test-model');
    const [sent] = server.chatRequests();
    expect(sent?.body).toMatchObject({
      model: 'test-model',
      temperature: 0.1,
      max_tokens: 300,
      response_format: { type: 'json_object' },
      messages: ask,
    });
  });

  it('omits response_format when jsonMode is false and accepts an answer wrapped in a ```json fence', async () => {
    server.enqueue('Here you go:\n```json\n{"answer": "no", "confidence": 0.2}\n```');
    const result = await client({ jsonMode: false }).chatJson(ask, answerSchema);
    expect(result.value).toEqual({ answer: 'no', confidence: 0.2 });
    expect(server.chatRequests()[0]?.body).not.toHaveProperty('response_format');
  });

  it('sends the key as a Bearer token while the server records only its fingerprint', async () => {
    server.enqueue(replyJson({ answer: 'a', confidence: 1 }));
    await client().chatJson(ask, answerSchema);
    const [sent] = server.chatRequests();
    expect(sent).toBeDefined();
    expect(server.sentKey(sent!, KEY)).toBe(true);
    expect(server.sentKey(sent!, 'sk-some-other-key')).toBe(false);
    expect(JSON.stringify(server.requests)).not.toContain(KEY);
  });

  it('waits at least the Retry-After time after a 429 and then succeeds on the second attempt', async () => {
    const events: LlmEvent[] = [];
    server.enqueue(rateLimited(1), replyJson({ answer: 'ok', confidence: 0.5 }));
    const result = await client({}, { onEvent: (e) => events.push(e) }).chatJson(ask, answerSchema);

    expect(result.attempts).toBe(2);
    const [first, second] = server.chatRequests();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000);
    const retry = events.find((e) => e.type === 'llm.retry');
    expect(retry).toMatchObject({ reason: 'rate_limited' });
    expect(retry && 'delayMs' in retry ? retry.delayMs : 0).toBeGreaterThanOrEqual(1000);
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    server.enqueue(rateLimited(30), replyJson({ answer: 'ok', confidence: 0.5 }));
    const started = Date.now();
    const result = await client({ maxRetryAfterMs: 50 }).chatJson(ask, answerSchema);
    expect(result.attempts).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries a 500 and a broken body and then returns the good answer', async () => {
    const events: LlmEvent[] = [];
    server.enqueue(serverError(500), brokenBody(), replyJson({ answer: 'ok', confidence: 0.7 }));
    const result = await client({}, { onEvent: (e) => events.push(e) }).chatJson(ask, answerSchema, { purpose: 'unit' });

    expect(result.value.answer).toBe('ok');
    expect(result.attempts).toBe(3);
    const ends = events.filter((e) => e.type === 'llm.request_end');
    expect(ends.map((e) => e.outcome)).toEqual(['server_error', 'bad_response', 'ok']);
    expect(ends[0]).toMatchObject({ status: 500, purpose: 'unit' });
    expect(events.filter((e) => e.type === 'llm.retry').map((e) => e.reason)).toEqual(['server_error', 'bad_response']);
  });

  it('reports latency and tokens in request_end events', async () => {
    const events: LlmEvent[] = [];
    server.enqueue({ kind: 'reply', content: '{"answer":"x","confidence":0}', delayMs: 60, usage: { promptTokens: 12, completionTokens: 3 } });
    await client({}, { onEvent: (e) => events.push(e) }).chatJson(ask, answerSchema);
    const end = events.find((e) => e.type === 'llm.request_end');
    expect(end).toMatchObject({ status: 200, outcome: 'ok', promptTokens: 12, completionTokens: 3, attempt: 1 });
    expect(end && 'latencyMs' in end ? end.latencyMs : 0).toBeGreaterThanOrEqual(50);
  });

  it('repairs an invalid JSON answer with one more request that carries the bad answer and the problem', async () => {
    const bad = 'The answer is yes, with confidence 0.8';
    server.enqueue(invalidJson(bad), replyJson({ answer: 'yes', confidence: 0.8 }));
    const result = await client().chatJson(ask, answerSchema);

    expect(result.value).toEqual({ answer: 'yes', confidence: 0.8 });
    expect(result.attempts).toBe(2);
    const repair = server.chatRequests()[1]?.body?.messages ?? [];
    expect(repair.slice(0, 2)).toEqual(ask);
    expect(repair[2]).toEqual({ role: 'assistant', content: bad });
    expect(repair[3]?.role).toBe('user');
    expect(repair[3]?.content).toMatch(/not valid JSON/);
  });

  it('repairs an answer that is JSON but fails the schema, naming the failing field', async () => {
    server.enqueue(replyJson({ answer: 'yes', confidence: 3 }), replyJson({ answer: 'yes', confidence: 1 }));
    const result = await client().chatJson(ask, answerSchema);
    expect(result.value.confidence).toBe(1);
    expect(server.chatRequests()[1]?.body?.messages?.[3]?.content).toMatch(/confidence/);
  });

  it('throws LlmBadOutputError with an excerpt after two invalid answers, making exactly two requests', async () => {
    server.enqueue(invalidJson('not json at all'), invalidJson('still {not json'));
    const error = await client()
      .chatJson(ask, answerSchema)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmBadOutputError);
    const bad = error as LlmBadOutputError;
    expect(bad.retriable).toBe(false);
    expect(bad.excerpt).toContain('still {not json');
    expect(bad.attempts).toBe(2);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('times out a hanging request and succeeds on the retry', async () => {
    const events: LlmEvent[] = [];
    server.enqueue(hang(), replyJson({ answer: 'late', confidence: 0.4 }));
    const started = Date.now();
    const result = await client({ timeoutMs: 200 }, { onEvent: (e) => events.push(e) }).chatJson(ask, answerSchema);

    expect(result.value.answer).toBe('late');
    expect(result.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(events.filter((e) => e.type === 'llm.request_end').map((e) => e.outcome)).toEqual(['timeout', 'ok']);
  });

  it('times out a reply slower than timeoutMs', async () => {
    server.enqueue(delayed(1_000, '{"answer":"slow","confidence":1}'), delayed(1_000, '{"answer":"slow","confidence":1}'));
    const error = await client({ timeoutMs: 100, maxRetries: 1 })
      .chatJson(ask, answerSchema)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as Error).message).toMatch(/after 2 attempts: no answer within 100 ms/);
  });

  it('throws LlmUnavailableError with one clear line and no key after maxRetries+1 attempts on a closed port', async () => {
    const port = await closedPort();
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const error = await createLlmClient({ baseUrl, apiKey: KEY, model: 'm', maxRetries: 2, minBackoffMs: 1, maxBackoffMs: 5 })
      .chatJson(ask, answerSchema)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmUnavailableError);
    const unavailable = error as LlmUnavailableError;
    expect(unavailable.message).toBe(`LLM unavailable at ${baseUrl} after 3 attempts: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(unavailable.attempts).toBe(3);
    expect(unavailable.retriable).toBe(true);
    expect(inspect(unavailable, { depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify(unavailable)).not.toContain(KEY);
  });

  it('gives up with LlmUnavailableError (last status 500) after retries, and never puts the key in it', async () => {
    server.setResponder(() => serverError(503, `overloaded, key ${KEY} ignored`));
    const error = await client({ maxRetries: 3 })
      .chatJson(ask, answerSchema)
      .catch((e: unknown) => e);
    server.setResponder(() => '{}');

    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as LlmUnavailableError).lastStatus).toBe(503);
    expect(server.chatRequests()).toHaveLength(4);
    expect((error as Error).message).toMatch(/after 4 attempts: 503/);
    expect((error as Error).message).not.toContain(KEY);
  });

  it('does not retry a 400 or 401 and throws LlmRequestError', async () => {
    server.enqueue(serverError(401, 'Incorrect API key provided'));
    const error = await client()
      .chatJson(ask, answerSchema)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmRequestError);
    expect((error as LlmRequestError).status).toBe(401);
    expect((error as LlmRequestError).retriable).toBe(false);
    expect(server.chatRequests()).toHaveLength(1);

    server.enqueue(serverError(400, 'response_format is not supported'));
    await expect(client().chatJson(ask, answerSchema)).rejects.toThrow(/status 400: 400 response_format is not supported/);
  });

  it('retries 408 and 409 like transient failures', async () => {
    server.enqueue(serverError(408, 'timeout'), serverError(409, 'lock'), replyJson({ answer: 'z', confidence: 0 }));
    const result = await client().chatJson(ask, answerSchema);
    expect(result.attempts).toBe(3);
  });

  it('stops waiting and throws LlmAbortedError when the caller aborts during a hang', async () => {
    server.enqueue(hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client({ timeoutMs: 10_000 })
      .chatJson(ask, answerSchema, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmAbortedError);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('counts the usage of both requests when a repair was needed', async () => {
    server.enqueue(
      reply('nope', { usage: { promptTokens: 10, completionTokens: 1 } }),
      reply('{"answer":"a","confidence":1}', { usage: { promptTokens: 20, completionTokens: 5 } }),
    );
    const result = await client().chatJson(ask, answerSchema);
    expect(result.usage).toEqual({ promptTokens: 30, completionTokens: 6 });
  });
});

describe('createLlmClient config validation', () => {
  const valid = { baseUrl: 'http://127.0.0.1:8000/v1', apiKey: KEY, model: 'm' };

  it('rejects a base URL that is not http(s), saying what to give', () => {
    expect(() => createLlmClient({ ...valid, baseUrl: 'localhost:8000' })).toThrow(LlmConfigError);
    expect(() => createLlmClient({ ...valid, baseUrl: 'ftp://x/v1' })).toThrow(/baseUrl: .*http\(s\) base URL/);
  });

  it('rejects an empty key and model and lists both problems in one message', () => {
    let message = '';
    try {
      createLlmClient({ ...valid, apiKey: '', model: '' });
    } catch (error) {
      expect(error).toBeInstanceOf(LlmConfigError);
      expect((error as LlmConfigError).retriable).toBe(false);
      message = (error as Error).message;
    }
    expect(message).toMatch(/apiKey: .*"none"/);
    expect(message).toMatch(/model: /);
  });

  it('rejects out-of-range numbers and minBackoffMs above maxBackoffMs', () => {
    expect(() => createLlmClient({ ...valid, timeoutMs: 10 })).toThrow(/timeoutMs: .*milliseconds between 100 and 600000/);
    expect(() => createLlmClient({ ...valid, maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createLlmClient({ ...valid, temperature: 3 })).toThrow(/temperature/);
    expect(() => createLlmClient({ ...valid, minBackoffMs: 500, maxBackoffMs: 100 })).toThrow(/minBackoffMs: must not exceed maxBackoffMs/);
  });

  it('rejects unknown settings', () => {
    expect(() => createLlmClient({ ...valid, retries: 3 } as LlmConfigInput)).toThrow(/retries/);
  });

  it('refuses a base URL carrying credentials, which fetch would refuse on every request', () => {
    expect(() => createLlmClient({ ...valid, baseUrl: 'http://user:secret@127.0.0.1:8000/v1' })).toThrow(/baseUrl: must not carry user:password/);
  });

  it('fills defaults and describes itself without the key', () => {
    const c = createLlmClient({ ...valid, baseUrl: 'http://127.0.0.1:8000/v1' });
    const text = c.describe();
    expect(text).toContain('timeoutMs=60000');
    expect(text).toContain('maxRetries=4');
    expect(text).toContain('jsonMode=true');
    expect(text).toContain('apiKey=***');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('secret');
    expect(c.baseUrl).toBe('http://127.0.0.1:8000/v1');
  });
});
