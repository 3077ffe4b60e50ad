import { abortableDelay } from './abortableDelay.ts';

/** Spaces the starts of operations at least `minIntervalMs` apart, in arrival order. */
export interface IntervalLimiter {
  /** Resolves when the caller may start; resolves early (without taking a slot) when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * Creates a limiter that lets one operation start per `minIntervalMs`. The next slot is counted from the
 * moment the previous caller really went, not from when it was scheduled, so a late timer never lets two
 * requests go out closer together than the interval: NCBI counts requests per second on its side.
 *
 * @example const limiter = createIntervalLimiter(350); await limiter.take(); send();
 */
export function createIntervalLimiter(minIntervalMs: number, now: () => number = Date.now): IntervalLimiter {
  let last = Number.NEGATIVE_INFINITY;
  let queue: Promise<void> = Promise.resolve();
  return {
    take(signal) {
      const turn = queue.then(async () => {
        let wait = last + minIntervalMs - now();
        while (wait > 0 && !signal?.aborted) {
          await abortableDelay(wait, signal);
          wait = last + minIntervalMs - now();
        }
        if (!signal?.aborted) last = now();
      });
      queue = turn;
      return turn;
    },
  };
}
