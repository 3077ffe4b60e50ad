import {
  concat,
  defer,
  EMPTY,
  from,
  map,
  mergeMap,
  type Observable,
  type ObservableInput,
  type OperatorFunction,
  Subject,
  tap,
  toArray,
} from 'rxjs';
import { QueueFullError, RuntimeConfigError } from '../errors/medistillErrors.ts';

/** Options of mapWithConcurrency. */
export interface MapWithConcurrencyOptions {
  /**
   * Emit results in input order (true) or as soon as each is ready (false, the default). In order,
   * a slot stays taken until its results are emitted, so a slow call holds back the calls after it
   * once `concurrency` of them are done and waiting; in exchange, the results held for reordering
   * never exceed `concurrency` calls' worth.
   */
  ordered?: boolean;
  /**
   * Most inputs waiting for a free slot. One more fails the stream with a QueueFullError, so a
   * source that does not pause shows up as an error rather than as memory growing with the
   * backlog. Default 1000, above the runtimes' default of 500 in flight.
   */
  maxQueued?: number;
}

/**
 * Maps each value through `project` (a promise or an observable) with at most `concurrency` calls
 * in flight, the rest waiting in a bounded queue; results in completion order, or in input order
 * with `ordered: true`. `project` gets the value's index in the source.
 *
 * It is `mergeMap(project, concurrency)` with the queue bounded, and in order when asked: each call
 * starts at once, holds its results (`toArray`) until every earlier input's results are out, and only
 * then completes and frees its slot.
 *
 * Backpressure is the caller's: this operator is pushed to, and cannot slow its source. In both
 * runtimes its queue sits behind the bound on records in flight (the Kafka runtime pauses the
 * consumer at `maxInFlight`; the in-process pipeline pulls with `boundedMapAsync`), and `maxQueued`
 * catches a source with no such bound. A rate limit is a separate operator placed in front:
 * `rateLimit` before this one limits how often calls start, since a call never starts before its
 * input arrives. For an async iterable that should be read only as slots free up, use
 * `boundedMapAsync`, which pulls instead of buffering.
 *
 * Unsubscribing unsubscribes every call in flight; a promise cannot be cancelled, so a `project`
 * that should stop its work returns an observable whose teardown aborts it.
 *
 * @example
 * // Judge the candidates of one record, four LLM calls at a time, keeping their order.
 * from(candidates).pipe(
 *   mapWithConcurrency((candidate) => judge.judge(candidate, signal), 4, { ordered: true }),
 *   toArray(),
 * );
 * // Marble, 1 ms per frame, concurrency 2, calls a: ----A|, b: -B|, c: ----C|
 * //   abc|
 * //   --B-A--C|          unordered: c starts at frame 3, when b's slot frees
 * //   -----(AB)-(C|)     ordered: B waits for A, and c for b's slot until frame 5
 */
export function mapWithConcurrency<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  concurrency: number,
  options: MapWithConcurrencyOptions = {},
): OperatorFunction<T, R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RuntimeConfigError(`mapWithConcurrency: concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const maxQueued = options.maxQueued ?? 1000;
  if (!Number.isInteger(maxQueued) || maxQueued < 1) {
    throw new RuntimeConfigError(`mapWithConcurrency: maxQueued must be an integer >= 1, got ${maxQueued}`);
  }
  const ordered = options.ordered ?? false;

  return (source) =>
    defer(() => {
      // mergeMap calls its project when a call starts, not when a value arrives, so arrivals minus
      // starts is the length of its queue. A non-empty queue means every slot is taken, so the next
      // arrival would wait too: with maxQueued >= 1, a queue already at maxQueued is the overflow.
      let arrived = 0;
      let started = 0;
      // Completes once every result of the previous input has been emitted (ordered mode only).
      let previousDone: Observable<never> = EMPTY;

      const call = (value: T, index: number, turn: Observable<never>, done: Subject<never> | null): Observable<R> => {
        started++;
        const results = from(project(value, index));
        if (done === null) return results;
        return results.pipe(
          toArray(),
          mergeMap((values) => concat(turn, values)),
          // On completion only: after an error or unsubscription nothing waits for this turn.
          tap({ complete: () => done.complete() }),
        );
      };

      return source.pipe(
        map((value, index) => {
          if (arrived - started >= maxQueued) throw new QueueFullError('concurrency', maxQueued);
          arrived++;
          const turn = previousDone;
          const done = ordered ? new Subject<never>() : null;
          if (done !== null) previousDone = done;
          return { value, index, turn, done };
        }),
        mergeMap(({ value, index, turn, done }) => call(value, index, turn, done), concurrency),
      );
    });
}
