import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAimdConcurrency } from '../../../services/llm/aimdConcurrency.ts';
import { createLlmCallGate, isOverloadError, type LlmCallGateEvent } from '../../../services/llm/llmCallGate.ts';
import { createLlmRateLimiter } from '../../../services/llm/llmRateLimiter.ts';
import { QueueFullError } from '../../../services/errors/medistillErrors.ts';

class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

function setup(overrides: { maxLimit?: number; maxQueue?: number } = {}) {
  const rateLimiter = createLlmRateLimiter({ requestsPerMinute: 600, tokensPerMinute: 60_000 });
  const concurrency = createAimdConcurrency({ maxLimit: overrides.maxLimit ?? 8, maxQueue: overrides.maxQueue ?? 100 });
  const events: LlmCallGateEvent[] = [];
  const gate = createLlmCallGate({ rateLimiter, concurrency, onEvent: (event) => events.push(event) });
  return { rateLimiter, concurrency, gate, events };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createLlmCallGate', () => {
  it('runs the call, charges the real token count and reports a success', async () => {
    const rateLimiter = createLlmRateLimiter({ requestsPerMinute: 600, tokensPerMinute: 60_000 });
    const concurrency = createAimdConcurrency({ maxLimit: 4, initialLimit: 1 });
    const events: LlmCallGateEvent[] = [];
    const gate = createLlmCallGate({ rateLimiter, concurrency, onEvent: (event) => events.push(event) });
    const value = await gate({ estimatedTokens: 1000, call: async () => ({ text: 'ok', used: 400 }), tokensUsed: (r) => r.used });
    expect(value.text).toBe('ok');
    expect(rateLimiter.tokens.available()).toBeCloseTo(60_000 - 400, 6);
    expect(rateLimiter.requests.available()).toBeCloseTo(599, 6);
    expect(events).toEqual([{ type: 'llm_gate.call', outcome: 'ok', rateWaitMs: 0, slotWaitMs: 0, tokens: 400 }]);
    expect(concurrency.limit).toBe(2);
  });

  it('on a 429 halves the concurrency, pauses new calls for the Retry-After, refunds the tokens and rethrows', async () => {
    const { rateLimiter, concurrency, gate, events } = setup({ maxLimit: 8 });
    const failure = gate({
      estimatedTokens: 1000,
      call: () => Promise.reject(new FakeHttpError(429, 3000)),
      tokensUsed: () => 0,
    });
    await expect(failure).rejects.toBeInstanceOf(FakeHttpError);
    expect(concurrency.limit).toBe(4);
    expect(concurrency.pausedForMs).toBe(3000);
    expect(rateLimiter.tokens.available()).toBeCloseTo(60_000, 6);
    expect(events[0]?.outcome).toBe('overload');

    let ranAt = -1;
    const next = gate({ estimatedTokens: 10, call: async () => (ranAt = Date.now()), tokensUsed: () => 10 });
    await vi.advanceTimersByTimeAsync(3000);
    await next;
    expect(ranAt).toBe(3000);
    expect(events[1]).toMatchObject({ outcome: 'ok', slotWaitMs: 3000 });
  });

  it('keeps the estimate charged and leaves the limit alone on a failure that is not an overload', async () => {
    const { rateLimiter, concurrency, gate, events } = setup();
    await expect(
      gate({ estimatedTokens: 2000, call: () => Promise.reject(new FakeHttpError(400)), tokensUsed: () => 0 }),
    ).rejects.toThrow('HTTP 400');
    expect(concurrency.limit).toBe(8);
    expect(rateLimiter.tokens.available()).toBeCloseTo(58_000, 6);
    expect(events[0]).toMatchObject({ outcome: 'error', tokens: 2000 });
  });

  it('gives the request and tokens back when the call never got a slot', async () => {
    const { rateLimiter, gate, events } = setup({ maxLimit: 1, maxQueue: 0 });
    let release!: () => void;
    const holding = gate({
      estimatedTokens: 100,
      call: () => new Promise<number>((resolve) => (release = () => resolve(100))),
      tokensUsed: (n) => n,
    });
    await vi.advanceTimersByTimeAsync(0);
    await expect(gate({ estimatedTokens: 5000, call: async () => 1, tokensUsed: () => 1 })).rejects.toBeInstanceOf(QueueFullError);
    expect(events[0]).toMatchObject({ outcome: 'refused', tokens: 0 });
    expect(rateLimiter.tokens.available()).toBeCloseTo(59_900, 6);
    expect(rateLimiter.requests.available()).toBeCloseTo(599, 6);
    release();
    await holding;
  });

  it('charges the estimate when the call reports no usable token count', async () => {
    const { rateLimiter, gate } = setup();
    await expect(gate({ estimatedTokens: 700, call: async () => 'x', tokensUsed: () => Number.NaN })).resolves.toBe('x');
    expect(rateLimiter.tokens.available()).toBeCloseTo(59_300, 6);
  });

  it('never runs more calls at once than the concurrency limit', async () => {
    const { gate } = setup({ maxLimit: 3 });
    let running = 0;
    let peak = 0;
    const calls = Array.from({ length: 20 }, () =>
      gate({
        estimatedTokens: 10,
        call: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 100));
          running -= 1;
          return 10;
        },
        tokensUsed: (n) => n,
      }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(calls);
    expect(peak).toBe(3);
  });
});

describe('isOverloadError', () => {
  it('finds a 429 or 503 status, or lastStatus, anywhere in the cause chain, with its Retry-After', () => {
    expect(isOverloadError(new FakeHttpError(429, 1500))).toEqual({ retryAfterMs: 1500 });
    expect(isOverloadError(new Error('wrapped', { cause: new FakeHttpError(503) }))).toEqual({});
    expect(isOverloadError(Object.assign(new Error('gave up'), { lastStatus: 429 }))).toEqual({});
    expect(isOverloadError(new FakeHttpError(500))).toBeNull();
    expect(isOverloadError('not an error')).toBeNull();
  });
});
