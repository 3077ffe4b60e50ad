import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBatchQueue, type BatchQueue, type BatchQueueOptions } from '../../../services/llm/batchQueue.ts';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import type { LlmEvent } from '../../../services/llm/llmEvents.ts';
import { LlmBatchError, LlmBadOutputError } from '../../../services/errors/medistillErrors.ts';
import { invalidJson, replyJson, serverError, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';

const KEY = 'sk-batch-test-5566778899aabbcc';
const schema = z.object({ n: z.number() });

let server: OpenAiTestServer;
let queue: BatchQueue | undefined;
let events: LlmEvent[];

beforeEach(async () => {
  events = [];
  server = await startOpenAiTestServer({
    batchProcessDelayMs: 5,
    responder: (body) => {
      const text = String(body.messages?.find((m) => /n=\d+/.test(m.content))?.content ?? '');
      const n = Number(/n=(\d+)/.exec(text)?.[1] ?? -1);
      return JSON.stringify({ n });
    },
  });
});
afterEach(async () => {
  await queue?.close();
  queue = undefined;
  await server.close();
});

function setup(overrides: Partial<BatchQueueOptions> = {}) {
  queue = createBatchQueue({
    endpoint: 'primary',
    baseUrl: server.url,
    apiKey: KEY,
    maxRequests: 10,
    maxWaitMs: 30,
    pollMs: 10,
    maxSubmissions: 3,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  const client = createLlmClient(
    { baseUrl: server.url, apiKey: KEY, model: 'test-model' },
    { send: queue.send, endpoint: 'primary', prices: { input: 0.5, output: 1 }, onEvent: (e) => events.push(e) },
  );
  const ask = (n: number) => client.chatJson([{ role: 'user', content: `n=${n}` }], schema, { purpose: 'generate' });
  return { client, ask };
}

const ofType = <T extends LlmEvent['type']>(type: T) => events.filter((e): e is Extract<LlmEvent, { type: T }> => e.type === type);

describe('createBatchQueue', () => {
  it('gathers 25 calls into batch files of at most 10, returns every result, and reports batch-mode usage and cost', async () => {
    const { ask } = setup();
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => ask(i)));
    expect(results.map((r) => r.value.n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(server.batches().map((b) => b.request_counts.total).sort((a, b) => a - b)).toEqual([5, 10, 10]);
    expect(server.chatRequests()).toHaveLength(0);
    expect(server.batchLinesRun()).toHaveLength(25);
    const ends = ofType('llm.request_end');
    expect(ends).toHaveLength(25);
    for (const e of ends) {
      expect(e).toMatchObject({ mode: 'batch', endpoint: 'primary', outcome: 'ok', status: 200 });
      expect(e.cost).toBeCloseTo((e.promptTokens / 1000) * 0.5 + (e.completionTokens / 1000) * 1, 10);
      expect(e.promptTokens).toBeGreaterThan(0);
    }
    expect(ofType('llm.batch').filter((e) => e.status === 'completed').map((e) => e.requests).reduce((a, b) => a + b, 0)).toBe(25);
    expect(queue?.pending).toBe(0);
  });

  it('sends identical requests once and answers every caller from the one line', async () => {
    const { ask } = setup();
    const results = await Promise.all([ask(7), ask(7), ask(7), ask(8)]);
    expect(results.map((r) => r.value.n)).toEqual([7, 7, 7, 8]);
    expect(server.batchLinesRun()).toHaveLength(2);
  });

  it('resubmits error lines with a retriable status and fails a line refused with a 4xx, counting both', async () => {
    const { ask } = setup({ maxRequests: 3 });
    server.enqueue(serverError(500), serverError(400, 'bad request'), replyJson({ n: 2 }));
    const settled = await Promise.allSettled([ask(0), ask(1), ask(2)]);
    const ok = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ value: { n: number } }>).value.value.n).sort();
    const failed = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason as unknown);
    expect(ok).toHaveLength(2);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toBeInstanceOf(LlmBatchError);
    expect(failed[0]).toMatchObject({ kind: 'line_error', status: 400, retriable: false });
    expect(server.batches()).toHaveLength(2);
    expect(ofType('llm.batch_lines').filter((e) => e.outcome === 'resubmitted').reduce((n, e) => n + e.count, 0)).toBe(1);
    expect(ofType('llm.batch_lines').filter((e) => e.outcome === 'error').reduce((n, e) => n + e.count, 0)).toBe(2);
  });

  it('takes the partial results of an expired batch and resubmits the requests that never ran', async () => {
    const { ask } = setup({ maxRequests: 5 });
    server.enqueueBatchPlan({ kind: 'expire', processed: 3 });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(i)));
    expect(results.map((r) => r.value.n)).toEqual([0, 1, 2, 3, 4]);
    expect(server.batches().map((b) => b.status)).toEqual(['expired', 'completed']);
    expect(server.batches()[1]?.request_counts.total).toBe(2);
    expect(ofType('llm.batch').map((e) => e.status)).toContain('expired');
  });

  it('fails the unanswered requests of a cancelled batch, not retriable, and keeps the answered ones', async () => {
    const { ask } = setup({ maxRequests: 4 });
    server.enqueueBatchPlan({ kind: 'cancel', processed: 1 });
    const settled = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => ask(i)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const reasons = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason as LlmBatchError);
    expect(reasons).toHaveLength(3);
    for (const r of reasons) expect(r).toMatchObject({ kind: 'cancelled', retriable: false });
    expect(server.batches()).toHaveLength(1);
  });

  it('resubmits after a batch that failed validation, and gives up after maxSubmissions with a retriable error', async () => {
    const { ask } = setup({ maxRequests: 2, maxSubmissions: 2 });
    server.enqueueBatchPlan({ kind: 'fail' }, { kind: 'fail' });
    const settled = await Promise.allSettled([ask(1), ask(2)]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toMatchObject({ kind: 'failed', retriable: true });
      expect(String((s as PromiseRejectedResult).reason.message)).not.toContain(KEY);
    }
    expect(server.batches().map((b) => b.status)).toEqual(['failed', 'failed']);
  });

  it('counts an output line that matches no request and one that does not decode, and resubmits a line missing from a completed batch', async () => {
    const { ask } = setup({ maxRequests: 3 });
    server.enqueueBatchPlan({ kind: 'complete', dropLines: 1, extraLines: ['{"custom_id":"medistill-nobody","response":{"status_code":200,"body":{}}}', 'not json at all'] });
    const results = await Promise.all([ask(1), ask(2), ask(3)]);
    expect(results.map((r) => r.value.n)).toEqual([1, 2, 3]);
    const lines = ofType('llm.batch_lines');
    const count = (outcome: string) => lines.filter((e) => e.outcome === outcome).reduce((n, e) => n + e.count, 0);
    expect(count('unmatched')).toBe(1);
    expect(count('undecodable')).toBe(1);
    expect(count('missing')).toBe(1);
    expect(count('resubmitted')).toBe(1);
    expect(server.batches()).toHaveLength(2);
  });

  it('repairs an unusable answer through the next batch, with the same validation as online', async () => {
    const { ask } = setup({ maxRequests: 1 });
    server.enqueue(invalidJson(), invalidJson());
    await expect(ask(5)).rejects.toBeInstanceOf(LlmBadOutputError);
    server.enqueue(invalidJson());
    expect((await ask(6)).value.n).toBe(6);
    expect(server.batches()).toHaveLength(4);
    expect(ofType('llm.repair').length).toBeGreaterThanOrEqual(2);
  });

  it('resumes the batch an earlier process left running: its requests wait for it and nothing is paid twice', async () => {
    const first = setup({ maxRequests: 3, resumeAs: 'medistill-generate' });
    server.enqueueBatchPlan({ kind: 'complete', afterMs: 400 });
    const lost = Promise.allSettled([first.ask(1), first.ask(2), first.ask(3)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.batches()).toHaveLength(1);
    // The process dies while its batch runs: its callers are gone, the batch is not.
    await queue?.close();
    expect((await lost).every((s) => s.status === 'rejected')).toBe(true);

    const second = setup({ maxRequests: 3, resumeAs: 'medistill-generate' });
    const results = await Promise.all([second.ask(1), second.ask(2), second.ask(3)]);
    expect(results.map((r) => r.value.n)).toEqual([1, 2, 3]);
    expect(server.batches()).toHaveLength(1);
    expect(server.batchLinesRun()).toHaveLength(3);
    expect(ofType('llm.batch').some((e) => e.status === 'resumed' && e.requests === 3)).toBe(true);
  });

  it('keeps the answers of a resumed batch that arrive before their requests are asked again', async () => {
    const first = setup({ maxRequests: 2, resumeAs: 'medistill-judge' });
    server.enqueueBatchPlan({ kind: 'complete', afterMs: 150 });
    const lost = Promise.allSettled([first.ask(4), first.ask(5)]);
    await new Promise((r) => setTimeout(r, 60));
    await queue?.close();
    await lost;
    const second = setup({ maxRequests: 2, resumeAs: 'medistill-judge' });
    // Let the resumed batch finish before anyone asks.
    await new Promise((r) => setTimeout(r, 400));
    expect((await second.ask(5)).value.n).toBe(5);
    expect(server.batches()).toHaveLength(1);
    await queue?.close();
    // Another queue name does not take them.
    const other = setup({ maxRequests: 1, maxWaitMs: 0, resumeAs: 'medistill-other' });
    expect((await other.ask(4)).value.n).toBe(4);
    expect(server.batches()).toHaveLength(2);
  });

  it('fails waiting requests on close with a retriable error', async () => {
    const { ask } = setup({ maxRequests: 100, maxWaitMs: 0 });
    server.enqueueBatchPlan({ kind: 'stall' });
    const pending = ask(1);
    await new Promise((r) => setTimeout(r, 50));
    await queue?.close();
    await expect(pending).rejects.toMatchObject({ retriable: true });
  });
});
