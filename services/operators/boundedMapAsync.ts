import { Observable } from 'rxjs';
import { RuntimeConfigError } from '../errors/medistillErrors.ts';

/** Options of boundedMapAsync. */
export interface BoundedMapAsyncOptions {
  /**
   * Emit results in input order (true) or as soon as each is ready (false, the default). In order,
   * a slot stays taken until its result is emitted, so memory stays bounded by `concurrency` and a
   * slow call holds back reading once `concurrency` calls are done and waiting behind it.
   */
  ordered?: boolean;
}

/**
 * Maps an iterable or async iterable through an async function with at most `concurrency` calls
 * in flight, reading the next input only when a slot is free; results in completion order, or in
 * input order with `ordered: true`. `project` gets the input's index.
 *
 * Unlike `from(iterable).pipe(mapWithConcurrency(fn, n))`, which reads the whole iterable as fast
 * as it can and queues what it cannot start, this pulls: it never reads ahead of the work, so
 * memory stays bounded by `concurrency` whatever the size of the input, with no queue to bound.
 * That is why it is a creation function rather than an operator: an Observable cannot be asked to
 * wait. It uses no timers, so it takes no scheduler.
 *
 * Unsubscribing, an error, or a failed call closes the iterator (`return()`), so a file being read
 * is closed; calls in flight run to their end (a promise cannot be cancelled) and are ignored.
 *
 * @example
 * // Run every record of a PubMed file through the stages, eight at a time.
 * await lastValueFrom(boundedMapAsync(readPubmedInputs('a.xml'), (record) => process(record), 8), {
 *   defaultValue: undefined,
 * });
 */
export function boundedMapAsync<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  project: (value: T, index: number) => Promise<R>,
  concurrency: number,
  options: BoundedMapAsyncOptions = {},
): Observable<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RuntimeConfigError(`boundedMapAsync: concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const ordered = options.ordered ?? false;

  return new Observable<R>((subscriber) => {
    const iterator: AsyncIterator<T> | Iterator<T> =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    // Calls started and not yet emitted (in order, a finished call waiting for its turn still counts).
    let active = 0;
    let read = 0;
    let nextToEmit = 0;
    const waiting = new Map<number, R>();
    let exhausted = false;
    let pulling = false;
    let stopped = false;

    const close = (): void => {
      // The consumer has gone or failed: a failure to close the input has nowhere left to go.
      try {
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
      } catch {
        // A synchronous iterator's return() threw; same as above.
      }
    };
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (!exhausted) close();
    };
    const fail = (err: unknown): void => {
      if (stopped) return;
      stop();
      subscriber.error(err);
    };
    const finishIfDone = (): void => {
      if (exhausted && active === 0 && !stopped) {
        stopped = true;
        subscriber.complete();
      }
    };
    const emit = (result: R): void => {
      active--;
      subscriber.next(result);
    };
    const settle = (index: number, result: R): void => {
      if (stopped) return;
      if (!ordered) {
        emit(result);
      } else {
        waiting.set(index, result);
        while (!stopped && waiting.has(nextToEmit)) {
          const next = waiting.get(nextToEmit) as R;
          waiting.delete(nextToEmit);
          nextToEmit++;
          emit(next);
        }
      }
      // A synchronous consumer may have unsubscribed in next().
      if (stopped) return;
      void pump();
      finishIfDone();
    };

    // Only one pull loop runs at a time; settled calls re-enter it to refill free slots.
    const pump = async (): Promise<void> => {
      if (pulling) return;
      pulling = true;
      try {
        while (!stopped && !exhausted && active < concurrency) {
          const next = await iterator.next();
          if (stopped) return;
          if (next.done) {
            exhausted = true;
            break;
          }
          const index = read++;
          active++;
          project(next.value, index).then((result) => settle(index, result), fail);
        }
        finishIfDone();
      } catch (err) {
        fail(err);
      } finally {
        pulling = false;
      }
    };

    void pump();
    return stop;
  });
}
