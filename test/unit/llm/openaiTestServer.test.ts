import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import type { LlmEvent } from '../../../services/llm/llmEvents.ts';
import { hang, replyJson, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

const KEY = 'sk-server-test-1122334455667788';
let server: OpenAiTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startOpenAiTestServer', () => {
  it('serves GET /v1/models and a chat completion in the OpenAI format to the official client', async () => {
    server = await startOpenAiTestServer({ models: ['m1', 'm2'], responder: (body) => `{"echo": "${body.model}"}` });
    const openai = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'm2']);

    const completion = await openai.chat.completions.create({ model: 'm2', messages: [{ role: 'user', content: 'hello' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('m2');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: '{"echo": "m2"}' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('records headers with the Authorization value redacted and only its fingerprint kept', async () => {
    server = await startOpenAiTestServer();
    const openai = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    await openai.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    const [request] = server.chatRequests();
    expect(request?.headers.authorization).toBe('<redacted>');
    expect(request?.headers['content-type']).toContain('application/json');
    expect(request?.body?.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(server.sentKey(request!, KEY)).toBe(true);
    expect(JSON.stringify(server.requests)).not.toContain(KEY);
  });

  it('answers requests beyond the rate limit with 429 and Retry-After, which the client waits out', async () => {
    server = await startOpenAiTestServer({ rateLimit: { maxRequests: 2, windowMs: 1000 }, responder: () => replyJson({ n: 1 }) });
    const events: LlmEvent[] = [];
    const client = createLlmClient(
      { baseUrl: server.url, apiKey: KEY, model: 'x', minBackoffMs: 1, maxBackoffMs: 5 },
      { onEvent: (e) => events.push(e) },
    );
    const schema = z.object({ n: z.number() });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await client.chatJson([{ role: 'user', content: `q${i}` }], schema);

    const statuses = events.filter((e) => e.type === 'llm.request_end').map((e) => e.status);
    expect(statuses).toEqual([200, 200, 429, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('lets close() end while a request hangs', async () => {
    server = await startOpenAiTestServer({ responder: () => hang() });
    const openai = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    const pending = openai.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    while (server.chatRequests().length === 0) await new Promise((r) => setTimeout(r, 5));
    await server.close();
    server = undefined;
    expect(await pending).toBeInstanceOf(Error);
  });
});
