import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAimdConcurrency } from '../../../services/llm/aimdConcurrency.ts';
import { QueueFullError, RuntimeConfigError, WaitAbortedError } from '../../../services/errors/medistillErrors.ts';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createAimdConcurrency', () => {
  it('runs at most `limit` calls at once and starts a waiter as soon as a slot frees', async () => {
    const aimd = createAimdConcurrency({ maxLimit: 2 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      aimd.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 1]);
    expect(aimd.active).toBe(2);
    expect(aimd.queued).toBe(1);

    gates[1]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(aimd.active).toBe(0);
  });

  it('frees the slot when the call throws, and passes the error on', async () => {
    const aimd = createAimdConcurrency({ maxLimit: 1 });
    await expect(aimd.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(aimd.active).toBe(0);
    await expect(aimd.run(async () => 'next')).resolves.toBe('next');
  });

  it('halves the limit on each overload down to a floor of 1', () => {
    const aimd = createAimdConcurrency({ maxLimit: 20 });
    const limits: number[] = [];
    for (let i = 0; i < 6; i++) {
      aimd.onOverload();
      limits.push(aimd.limit);
    }
    expect(limits).toEqual([10, 5, 2, 1, 1, 1]);
  });

  it('grows by one per window of consecutive successes (the current limit) up to maxLimit', () => {
    const aimd = createAimdConcurrency({ maxLimit: 4, initialLimit: 1 });
    const limits: number[] = [];
    for (let i = 0; i < 12; i++) {
      aimd.onSuccess();
      limits.push(aimd.limit);
    }
    // 1 success -> 2, 2 more -> 3, 3 more -> 4, then capped.
    expect(limits).toEqual([2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4]);
  });

  it('grows by one per fixed number of successes when configured, and an overload restarts the count', () => {
    const aimd = createAimdConcurrency({ maxLimit: 10, initialLimit: 2, successesPerIncrease: 3 });
    aimd.onSuccess();
    aimd.onSuccess();
    aimd.onOverload();
    expect(aimd.limit).toBe(1);
    aimd.onSuccess();
    aimd.onSuccess();
    expect(aimd.limit).toBe(1);
    aimd.onSuccess();
    expect(aimd.limit).toBe(2);
  });

  it('cuts the limit once for a burst of overloads from calls sent before the cut', () => {
    const aimd = createAimdConcurrency({ maxLimit: 16 });
    const sentAt = Date.now();
    vi.advanceTimersByTime(100);
    aimd.onOverload(undefined, sentAt);
    aimd.onOverload(undefined, sentAt);
    aimd.onOverload(undefined, sentAt);
    expect(aimd.limit).toBe(8);
    vi.advanceTimersByTime(100);
    aimd.onOverload(undefined, Date.now()); // a call sent after the cut: a new episode
    expect(aimd.limit).toBe(4);
  });

  it('holds every new start until a Retry-After has passed, even with free slots', async () => {
    const aimd = createAimdConcurrency({ maxLimit: 8 });
    aimd.onOverload(2000);
    expect(aimd.pausedForMs).toBe(2000);
    const started: number[] = [];
    const runs = [1, 2].map((i) => aimd.run(async () => started.push(i)));
    await vi.advanceTimersByTimeAsync(1999);
    expect(started).toEqual([]);
    expect(aimd.queued).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(runs);
    expect(started).toEqual([1, 2]);
    expect(aimd.pausedForMs).toBe(0);
  });

  it('caps a Retry-After at maxRetryAfterMs and never shortens a pause already running', async () => {
    const aimd = createAimdConcurrency({ maxLimit: 8, maxRetryAfterMs: 5000 });
    aimd.onOverload(86_400_000);
    expect(aimd.pausedForMs).toBe(5000);
    aimd.onOverload(1000);
    expect(aimd.pausedForMs).toBe(5000);
  });

  it('refuses a caller beyond the queue bound and rejects an aborted waiter', async () => {
    const aimd = createAimdConcurrency({ maxLimit: 1, maxQueue: 1 });
    const hold = deferred();
    const first = aimd.run(() => hold.promise);
    const controller = new AbortController();
    const waiting = aimd.run(async () => 'never', controller.signal);
    await expect(aimd.run(async () => 'x')).rejects.toBeInstanceOf(QueueFullError);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);
    expect(aimd.queued).toBe(0);
    hold.resolve();
    await first;
    expect(aimd.active).toBe(0);
  });

  it('refuses settings that cannot work', () => {
    expect(() => createAimdConcurrency({ maxLimit: 0 })).toThrow(RuntimeConfigError);
    expect(() => createAimdConcurrency({ maxLimit: 4, initialLimit: 5 })).toThrow(/initialLimit/);
    expect(() => createAimdConcurrency({ maxLimit: 4, successesPerIncrease: 0 })).toThrow(/successesPerIncrease/);
  });
});
