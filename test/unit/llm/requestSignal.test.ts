import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAimdConcurrency } from '../../../services/llm/aimdConcurrency.ts';
import { gateLlmClient } from '../../../services/llm/gatedLlmClient.ts';
import { createLlmCallGate } from '../../../services/llm/llmCallGate.ts';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import { createLlmRateLimiter } from '../../../services/llm/llmRateLimiter.ts';
import { requestSignal } from '../../../services/llm/requestSignal.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ responder: () => ({ kind: 'reply', content: '{"ok": true}', delayMs: 150 }) });
});
afterAll(async () => {
  await server.close();
});

/** The real client behind the real gate, two requests at a time, so most of 24 requests wait for a slot. */
function gatedClient() {
  const client = createLlmClient({ baseUrl: server.url, apiKey: 'none', model: 'sim-1', maxRetries: 0 });
  const gate = createLlmCallGate({
    rateLimiter: createLlmRateLimiter({ requestsPerMinute: 60_000, tokensPerMinute: 100_000_000 }),
    concurrency: createAimdConcurrency({ maxLimit: 2, initialLimit: 2 }),
  });
  return gateLlmClient(client, gate, 256);
}

const ask = [{ role: 'user' as const, content: 'Reply {"ok": true}' }];
const schema = z.object({ ok: z.boolean() });

describe('requestSignal', () => {
  it('derives a signal aborted with the caller, adding no listener to it', () => {
    const caller = new AbortController();
    const own = requestSignal(caller.signal)!;
    own.addEventListener('abort', () => undefined);
    expect(own).not.toBe(caller.signal);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    caller.abort(new Error('stop'));
    expect(own.aborted).toBe(true);
    expect(requestSignal(undefined)).toBeUndefined();
  });

  it('24 gated requests sharing one caller signal put no listener on it and raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const llm = gatedClient();
      const caller = new AbortController();
      const calls = Array.from({ length: 24 }, () => llm.chatJson(ask, schema, { purpose: 'generate', signal: caller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
      const results = await Promise.all(calls);
      expect(results.every((r) => r.value.ok)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('aborting the caller signal still ends every waiting and running request', async () => {
    const llm = gatedClient();
    const caller = new AbortController();
    const calls = Array.from({ length: 12 }, () => llm.chatJson(ask, schema, { signal: caller.signal }).then(() => 'done', (e: Error) => e.name));
    await new Promise((resolve) => setTimeout(resolve, 30));
    caller.abort();
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(0);
    expect(outcomes.every((o) => /Abort/.test(o))).toBe(true);
  });
});
