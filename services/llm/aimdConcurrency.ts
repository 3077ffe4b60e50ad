import { QueueFullError, RuntimeConfigError, WaitAbortedError } from '../errors/medistillErrors.ts';

/** Settings of an adaptive concurrency limit. */
export interface AimdConcurrencyOptions {
  /** Highest limit the additive increase may reach; an integer >= 1. */
  maxLimit: number;
  /** Limit at start; default maxLimit (the rate limiter is the first line of defence, overloads bring it down). */
  initialLimit?: number;
  /** Lowest limit a decrease may reach; default 1. */
  minLimit?: number;
  /**
   * Consecutive successes that earn +1. 'limit' (the default) means the current limit, i.e. +1 per
   * window of calls, the classic additive increase: slow at high limits, quick to recover at low ones.
   */
  successesPerIncrease?: number | 'limit';
  /** Longest pause a Retry-After may impose; longer values are capped. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Most callers waiting for a slot; one more is refused with a retriable QueueFullError. Default 1000. */
  maxQueue?: number;
  /** Clock in milliseconds; Date.now by default. */
  now?: () => number;
}

/** A concurrency limit that halves on overload and grows slowly on success (AIMD). */
export interface AimdConcurrency {
  /** Waits for a slot (and for any Retry-After pause to end), runs fn, frees the slot. Reports nothing by itself. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Reports a 429 / overload: halves the limit (not below minLimit) and, with retryAfterMs, holds
   * every new start until then. `startedAt` (clock ms when the failed call began) lets a burst
   * of failures from calls sent under the old limit count as one decrease, not one each.
   */
  onOverload(retryAfterMs?: number, startedAt?: number): void;
  /** Reports a successful call. */
  onSuccess(): void;
  readonly limit: number;
  readonly active: number;
  readonly queued: number;
  /** Milliseconds left in the current Retry-After pause, 0 when none. */
  readonly pausedForMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const NAME = 'AIMD concurrency';

/** Creates an adaptive concurrency limit with a bounded FIFO queue of waiters. */
export function createAimdConcurrency(options: AimdConcurrencyOptions): AimdConcurrency {
  const maxLimit = options.maxLimit;
  const minLimit = options.minLimit ?? 1;
  const initialLimit = options.initialLimit ?? maxLimit;
  const increaseAfter = options.successesPerIncrease ?? 'limit';
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const maxQueue = options.maxQueue ?? 1000;
  const now = options.now ?? Date.now;
  requireInteger('maxLimit', maxLimit, 1);
  requireInteger('minLimit', minLimit, 1);
  if (minLimit > maxLimit) throw new RuntimeConfigError(`${NAME}: minLimit (${minLimit}) must be <= maxLimit (${maxLimit})`);
  requireInteger('initialLimit', initialLimit, minLimit);
  if (initialLimit > maxLimit) {
    throw new RuntimeConfigError(`${NAME}: initialLimit (${initialLimit}) must be <= maxLimit (${maxLimit})`);
  }
  if (increaseAfter !== 'limit') requireInteger('successesPerIncrease', increaseAfter, 1);
  requireInteger('maxQueue', maxQueue, 0);
  if (!(maxRetryAfterMs >= 0)) throw new RuntimeConfigError(`${NAME}: maxRetryAfterMs must be >= 0, got ${maxRetryAfterMs}`);

  let limit = initialLimit;
  let active = 0;
  let successes = 0;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let lastDecreaseAt = Number.NEGATIVE_INFINITY;
  const queue: Waiter[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  const canStart = (): boolean => active < limit && now() >= pausedUntil;

  /** Starts waiters in order while slots are free; arms a timer only for the end of a pause. */
  function pump(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (queue.length > 0 && canStart()) {
      const waiter = queue.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      // The slot is taken here, before the waiter's continuation runs, so no other caller can grab it in between.
      active += 1;
      waiter.resolve();
    }
    // A slot freed by a finishing call pumps by itself; only the end of a pause needs a timer.
    if (queue.length > 0 && active < limit) timer = setTimeout(pump, Math.max(1, pausedUntil - now()));
  }

  function slot(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(new WaitAbortedError(NAME, { cause: signal.reason }));
    if (queue.length === 0 && canStart()) {
      active += 1;
      return Promise.resolve();
    }
    if (queue.length >= maxQueue) return Promise.reject(new QueueFullError(NAME, maxQueue));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index < 0) return;
          queue.splice(index, 1);
          reject(new WaitAbortedError(NAME, { cause: signal.reason }));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      queue.push(waiter);
      pump();
    });
  }

  return {
    async run(fn, signal) {
      await slot(signal);
      try {
        return await fn();
      } finally {
        active -= 1;
        pump();
      }
    },
    onOverload(retryAfterMs, startedAt) {
      const at = now();
      successes = 0;
      // Calls already in flight when the limit was last cut were sent under the old limit;
      // their overloads say nothing new, so they do not cut it again (one decrease per episode).
      if (startedAt === undefined || startedAt >= lastDecreaseAt) {
        limit = Math.max(minLimit, Math.floor(limit / 2));
        lastDecreaseAt = at;
      }
      if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0) {
        pausedUntil = Math.max(pausedUntil, at + Math.min(retryAfterMs, maxRetryAfterMs));
        pump();
      }
    },
    onSuccess() {
      if (limit >= maxLimit) {
        successes = 0;
        return;
      }
      successes += 1;
      if (successes >= (increaseAfter === 'limit' ? limit : increaseAfter)) {
        limit += 1;
        successes = 0;
        pump();
      }
    },
    get limit() {
      return limit;
    },
    get active() {
      return active;
    },
    get queued() {
      return queue.length;
    },
    get pausedForMs() {
      return Math.max(0, pausedUntil - now());
    },
  };
}

function requireInteger(setting: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RuntimeConfigError(`${NAME}: ${setting} must be an integer >= ${min}, got ${value}`);
  }
}
