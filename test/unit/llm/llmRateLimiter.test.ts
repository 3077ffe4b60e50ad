import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLlmRateLimiter } from '../../../services/llm/llmRateLimiter.ts';
import { QueueFullError, RequestTooLargeError, RuntimeConfigError, WaitAbortedError } from '../../../services/errors/medistillErrors.ts';

/** Wraps a promise so a test can look at its state without awaiting it. */
function observe<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createLlmRateLimiter', () => {
  it('lets 60 requests through at once under 60 RPM, then makes the 61st wait about one second', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 1_000_000 });
    for (let i = 0; i < 60; i++) {
      const permit = await limiter.acquire(10);
      expect(permit.waitedMs).toBe(0);
    }
    const sixtyFirst = observe(limiter.acquire(10));
    await vi.advanceTimersByTimeAsync(990);
    expect(sixtyFirst.done).toBe(false);
    expect(limiter.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(sixtyFirst.done).toBe(true);
    expect(sixtyFirst.value?.waitedMs).toBe(1000);
  });

  it('holds the rate after the burst: 30 more requests take about 30 s under 60 RPM', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 1_000_000 });
    for (let i = 0; i < 60; i++) await limiter.acquire(1);
    const later = Array.from({ length: 30 }, () => observe(limiter.acquire(1)));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(later.filter((s) => s.done).length).toBe(15);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(later.every((s) => s.done)).toBe(true);
  });

  it('limits a big request by tokens per minute even when requests are plentiful', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 1000, tokensPerMinute: 6000 });
    await limiter.acquire(5000);
    // 1000 tokens left, 100 tokens/s: 2000 more take 20 s.
    const big = observe(limiter.acquire(3000));
    await vi.advanceTimersByTimeAsync(19_900);
    expect(big.done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(big.value?.waitedMs).toBe(20_000);
  });

  it('refuses at once a request larger than the token bucket can ever hold', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 6000 });
    const error = await limiter.acquire(6001).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTooLargeError);
    expect((error as RequestTooLargeError).retriable).toBe(false);
    expect((error as Error).message).toMatch(/6001 tokens.*at most 6000/);
  });

  it('refunds an overestimate on settle, letting a waiting request through at once', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 1000, tokensPerMinute: 6000 });
    const permit = await limiter.acquire(5000);
    const next = observe(limiter.acquire(4000));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.done).toBe(false);
    expect(permit.settle(1000)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(next.done).toBe(true);
    expect(limiter.tokens.available()).toBeCloseTo(1000, 6);
  });

  it('debits an underestimate on settle, so the next request waits longer', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 1000, tokensPerMinute: 6000 });
    const permit = await limiter.acquire(1000);
    permit.settle(4000);
    expect(permit.settle(9999)).toBe(false); // a second settle changes nothing
    expect(limiter.tokens.available()).toBe(2000);
    const next = observe(limiter.acquire(3000));
    await vi.advanceTimersByTimeAsync(9_900);
    expect(next.done).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(next.done).toBe(true);
  });

  it('serves waiters in arrival order: a small request does not overtake a big one at the head', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 1000, tokensPerMinute: 6000 });
    await limiter.acquire(4000);
    const order: string[] = [];
    // 2000 tokens are left: enough for the small request, not for the big one ahead of it.
    const big = limiter.acquire(3000).then(() => order.push('big'));
    const small = limiter.acquire(10).then(() => order.push('small'));
    await vi.advanceTimersByTimeAsync(9_900);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['big']);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('rejects a waiter whose signal aborts, with the reason as cause, and lets the next one move up', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 1000, tokensPerMinute: 6000 });
    await limiter.acquire(6000);
    const controller = new AbortController();
    const big = observe(limiter.acquire(3000, controller.signal));
    const small = observe(limiter.acquire(10));
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(new Error('shutting down'));
    await vi.advanceTimersByTimeAsync(0);
    expect(big.error).toBeInstanceOf(WaitAbortedError);
    expect(((big.error as Error).cause as Error).message).toBe('shutting down');
    expect(limiter.queued).toBe(1);
    // 5 tokens refilled in the first 50 ms: 5 more take 50 ms.
    await vi.advanceTimersByTimeAsync(49);
    expect(small.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(small.done).toBe(true);
  });

  it('rejects at once a request whose signal is already aborted', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 6000 });
    await expect(limiter.acquire(1, AbortSignal.abort())).rejects.toBeInstanceOf(WaitAbortedError);
    expect(limiter.requests.available()).toBe(60);
  });

  it('refuses a request beyond the queue bound with a retriable error', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 6000, burstRequests: 1, maxQueue: 2 });
    await limiter.acquire(1);
    const waiting = [observe(limiter.acquire(1)), observe(limiter.acquire(1))];
    const error = await limiter.acquire(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).retriable).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(waiting.every((s) => s.done && s.error === undefined)).toBe(true);
  });

  it('gives back the request and its tokens when a permit is cancelled', async () => {
    const limiter = createLlmRateLimiter({ requestsPerMinute: 60, tokensPerMinute: 6000, burstRequests: 1 });
    const permit = await limiter.acquire(2000);
    const next = observe(limiter.acquire(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.done).toBe(false);
    permit.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(next.done).toBe(true);
    expect(limiter.tokens.available()).toBe(5999);
  });

  it('refuses settings that cannot work, naming the setting', () => {
    expect(() => createLlmRateLimiter({ requestsPerMinute: 0, tokensPerMinute: 10 })).toThrow(RuntimeConfigError);
    expect(() => createLlmRateLimiter({ requestsPerMinute: 10, tokensPerMinute: 10, maxQueue: -1 })).toThrow(/maxQueue/);
  });
});
