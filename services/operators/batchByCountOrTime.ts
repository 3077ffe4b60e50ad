import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { RuntimeConfigError } from '../errors/medistillErrors.ts';

/** Options of batchByCountOrTime. */
export interface BatchByCountOrTimeOptions {
  /** Scheduler for the timer; asyncScheduler by default (TestScheduler patches it in marble tests). */
  scheduler?: SchedulerLike;
}

/**
 * Collects items into batches, emitting a batch when it holds `maxCount` items or when
 * `maxWaitMs` have passed since its first item, whichever comes first. On completion the
 * partial batch is flushed; on error it is dropped (its items were never acknowledged, so
 * they will be redelivered). A batch never holds more than `maxCount` items.
 *
 * Why not `bufferTime(maxWaitMs, null, maxCount)`: bufferTime runs its timer on a fixed
 * period from subscription, not from the first item, so a batch can close a moment after
 * its first item arrived (or wait a full period plus), and it emits empty arrays on every
 * idle period, which would send empty batches down the pipeline. Here the clock starts at
 * the first item of each batch, and nothing is emitted while idle. It is written by hand, as
 * bufferTime is: built from bufferWhen or windowToggle, the closing notifier would depend on the
 * batch's own first item and count, which reads worse than the two variables below.
 *
 * @example
 * // Produce at most 100 records per send, and never hold a record longer than 50 ms.
 * records$.pipe(
 *   batchByCountOrTime(100, 50),
 *   mapWithConcurrency((batch) => producer.send(batch), 2),
 * );
 * // Marble, 1 ms per frame, batchByCountOrTime(3, 4):
 * //   abc-d------e|
 * //   --x-----y---(z|)    x = [a,b,c] (count), y = [d] (4 ms after d), z = [e] (completion)
 */
export function batchByCountOrTime<T>(
  maxCount: number,
  maxWaitMs: number,
  options: BatchByCountOrTimeOptions = {},
): OperatorFunction<T, T[]> {
  if (!Number.isInteger(maxCount) || maxCount < 1) {
    throw new RuntimeConfigError(`batchByCountOrTime: maxCount must be an integer >= 1, got ${maxCount}`);
  }
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new RuntimeConfigError(`batchByCountOrTime: maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | null = null;

      const flush = (): void => {
        timer?.unsubscribe();
        timer = null;
        if (batch.length === 0) return;
        // Swap before emitting: a synchronous downstream may push more items into this operator.
        const out = batch;
        batch = [];
        subscriber.next(out);
      };

      const upstream = source.subscribe({
        next(item) {
          batch.push(item);
          if (batch.length >= maxCount) flush();
          else if (batch.length === 1) timer = scheduler.schedule(flush, maxWaitMs);
        },
        error(error: unknown) {
          batch = [];
          subscriber.error(error);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
        batch = [];
      };
    });
}
