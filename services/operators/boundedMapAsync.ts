import { Observable } from 'rxjs';

/**
 * Maps an async iterable through an async function with at most `concurrency` calls in flight,
 * pulling the next input only when a slot is free.
 *
 * Unlike `from(iterable).pipe(mergeMap(fn, n))`, whose mergeMap buffers every input that arrives
 * while n calls are busy, this never reads ahead of the work: memory stays bounded by
 * `concurrency` whatever the size of the input. Outputs arrive in completion order.
 *
 * @example
 * boundedMapAsync(readPubmedInputs('a.xml'), (item) => process(item), 8).subscribe(print)
 */
export function boundedMapAsync<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  project: (value: T) => Promise<R>,
  concurrency: number,
): Observable<R> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  return new Observable<R>((subscriber) => {
    const iterator: AsyncIterator<T> | Iterator<T> =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    let active = 0;
    let exhausted = false;
    let pulling = false;
    let stopped = false;

    const finishIfDone = (): void => {
      if (exhausted && active === 0 && !stopped) {
        stopped = true;
        subscriber.complete();
      }
    };
    const fail = (err: unknown): void => {
      if (stopped) return;
      stopped = true;
      subscriber.error(err);
    };

    // Only one pull loop runs at a time; completions re-enter it to refill free slots.
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
          active++;
          project(next.value).then(
            (result) => {
              active--;
              if (stopped) return;
              subscriber.next(result);
              void pump();
              finishIfDone();
            },
            fail,
          );
        }
        finishIfDone();
      } catch (err) {
        fail(err);
      } finally {
        pulling = false;
      }
    };

    void pump();
    return () => {
      if (!stopped) {
        stopped = true;
        void iterator.return?.();
      }
    };
  });
}
