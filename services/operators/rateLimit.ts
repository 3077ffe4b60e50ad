import {
  asyncScheduler,
  concatMap,
  defer,
  type MonoTypeOperatorFunction,
  type Observable,
  of,
  type SchedulerLike,
  tap,
  timer,
} from 'rxjs';
import { QueueFullError, RuntimeConfigError } from '../errors/medistillErrors.ts';

/** Options of rateLimit. */
export interface RateLimitOptions {
  /**
   * Values let through at once after an idle spell: the bucket's capacity, and it starts full.
   * Default 1, which spaces values evenly, `perMs / count` apart.
   */
  burst?: number;
  /**
   * Most values held back at once, the one waiting for its token included. One more fails the
   * stream with a QueueFullError, so a source that does not pause shows up as an error rather than
   * as memory growing with the backlog. Default 1000, above the runtimes' default of 500 in flight.
   */
  maxQueued?: number;
  /** Scheduler for the clock and the waits; asyncScheduler by default (TestScheduler patches it in marble tests). */
  scheduler?: SchedulerLike;
}

/**
 * Lets values through at most `count` per `perMs` milliseconds, in order, delaying the ones that
 * come too fast: a token bucket of `burst` tokens refilled continuously at `count / perMs`, one
 * token per value. In any window of `perMs` milliseconds at most `count + burst - 1` values pass,
 * so with the default burst of 1 the limit holds exactly, for any window, not only aligned ones.
 * Waits are rounded up to whole milliseconds: the limiter may run a fraction slower, never faster.
 *
 * Values wait in arrival order (it is `concatMap` over a wait per value); completion waits for the
 * last one, an error drops the ones still waiting. The state lives per subscription.
 *
 * @example
 * // NCBI E-utilities: at most 10 requests a second with an API key.
 * pmidBatches$.pipe(
 *   rateLimit(10, 1000),
 *   mapWithConcurrency((batch) => efetch(batch), 4),
 * );
 * // Marble, 1 ms per frame, rateLimit(1, 5, { burst: 2 }):
 * //   (abcd|)
 * //   (ab)-c----(d|)    a and b spend the burst; c and d wait for a token each, 5 ms apart
 */
export function rateLimit<T>(count: number, perMs: number, options: RateLimitOptions = {}): MonoTypeOperatorFunction<T> {
  if (!Number.isFinite(count) || count <= 0) {
    throw new RuntimeConfigError(`rateLimit: count must be a positive number of values per interval, got ${count}`);
  }
  if (!Number.isFinite(perMs) || perMs <= 0) {
    throw new RuntimeConfigError(`rateLimit: perMs must be a positive number of milliseconds, got ${perMs}`);
  }
  const burst = options.burst ?? 1;
  if (!Number.isInteger(burst) || burst < 1) {
    throw new RuntimeConfigError(`rateLimit: burst must be an integer >= 1, got ${burst}`);
  }
  const maxQueued = options.maxQueued ?? 1000;
  if (!Number.isInteger(maxQueued) || maxQueued < 1) {
    throw new RuntimeConfigError(`rateLimit: maxQueued must be an integer >= 1, got ${maxQueued}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    defer(() => {
      // Generic cell rate algorithm, the token bucket stated as a time: `theoretical` is when the
      // bucket would be full again, and a value may pass from `theoretical - tolerance` on. Times
      // are scaled by `count` so that with whole milliseconds the arithmetic stays in integers:
      // a value costs `perMs`, and the burst lets a value pass `tolerance` early.
      const tolerance = (burst - 1) * perMs;
      let theoretical = Number.NEGATIVE_INFINITY;
      let held = 0;

      // Re-checks after each wait: a real timer may fire a moment early.
      const admit = (value: T): Observable<T> =>
        defer(() => {
          const now = scheduler.now() * count;
          const allowed = theoretical - tolerance;
          const wait = Math.ceil((allowed - now) / count);
          if (wait > 0) return timer(wait, scheduler).pipe(concatMap(() => admit(value)));
          // Less than a millisecond after the allowed time is on time: that lateness is the wait
          // rounded up, and charging it would slow the rate. Later than that (an idle spell, a late
          // timer) the bucket restarts from now, so a late value does not let the next one catch up.
          const reference = now - allowed < count ? allowed : now;
          theoretical = Math.max(theoretical, reference) + perMs;
          held--;
          return of(value);
        });

      return source.pipe(
        tap(() => {
          if (held >= maxQueued) throw new QueueFullError('rate limiter', maxQueued);
          held++;
        }),
        concatMap(admit),
      );
    });
}
