import { defer, finalize, from, lastValueFrom, map, type Observable, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../services/operators/mapWithConcurrency.ts';
import { QueueFullError, RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('mapWithConcurrency', () => {
  it('emits in completion order and starts a queued call when a slot frees (the documented example)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls = { a: cold('----A|'), b: cold('-B|'), c: cold('----C|') };
      const source = cold<'a' | 'b' | 'c'>('abc|');
      expectObservable(source.pipe(mapWithConcurrency((k) => calls[k], 2))).toBe('--B-A--C|');
      expectSubscriptions(calls.a.subscriptions).toBe('^----!');
      expectSubscriptions(calls.b.subscriptions).toBe('-^-!');
      expectSubscriptions(calls.c.subscriptions).toBe('---^----!');
    });
  });

  it('with ordered, holds B until A is out and keeps b its slot until then (the documented example)', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls = { a: cold('----A|'), b: cold('-B|'), c: cold('----C|') };
      const source = cold<'a' | 'b' | 'c'>('abc|');
      expectObservable(source.pipe(mapWithConcurrency((k) => calls[k], 2, { ordered: true }))).toBe('-----(AB)-(C|)');
      expectSubscriptions(calls.a.subscriptions).toBe('^----!');
      expectSubscriptions(calls.b.subscriptions).toBe('-^-!');
      expectSubscriptions(calls.c.subscriptions).toBe('-----^----!');
    });
  });

  it('keeps every result of a call together and in input order when a call emits several values', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const calls = { a: cold('--x--y|'), b: cold('(pq|)'), c: cold('-r|') };
      const source = cold<'a' | 'b' | 'c'>('(abc|)');
      expectObservable(source.pipe(mapWithConcurrency((k) => calls[k], 3, { ordered: true }))).toBe('------(xypqr|)');
    });
  });

  it('never has more than `concurrency` calls in flight, and reaches that many', () => {
    for (const ordered of [false, true]) {
      let active = 0;
      let maxActive = 0;
      const durations = [5, 1, 7, 2, 2, 9, 1, 3, 4, 1, 6, 2];
      const results: number[] = [];
      const call = (ms: number, index: number): Observable<number> =>
        defer(() => {
          active++;
          maxActive = Math.max(maxActive, active);
          return timer(ms).pipe(
            map(() => index),
            finalize(() => active--),
          );
        });
      scheduler().run(({ cold }) => {
        cold('(abcdef)-(ghij)--(kl|)', Object.fromEntries(durations.map((d, i) => [String.fromCharCode(97 + i), d])))
          .pipe(mapWithConcurrency(call, 3, { ordered }))
          .subscribe((i) => results.push(i));
      });
      expect(maxActive).toBe(3);
      expect(results).toHaveLength(durations.length);
      if (ordered) expect(results).toEqual(durations.map((_, i) => i));
      else expect(results).not.toEqual(durations.map((_, i) => i));
    }
  });

  it('gives project the index of the value in the source, not the order in which calls start', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('(abc|)');
      const indexed = source.pipe(mapWithConcurrency((v, i) => timer(i === 0 ? 3 : 1).pipe(map(() => `${v}${i}`)), 1));
      expectObservable(indexed).toBe('---xy(z|)', { x: 'a0', y: 'b1', z: 'c2' });
    });
  });

  it('forwards the first failed call and unsubscribes the others', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls = { a: cold('------A|'), b: cold('--#', undefined, new Error('judge failed')) };
      const source = cold<'a' | 'b'>('ab|');
      expectObservable(source.pipe(mapWithConcurrency((k) => calls[k], 2))).toBe('---#', undefined, new Error('judge failed'));
      expectSubscriptions(calls.a.subscriptions).toBe('^--!');
    });
  });

  it('forwards a source error, dropping queued values and unsubscribing calls in flight', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const call = cold('-----x|');
      const source = cold('ab#', undefined, new Error('poll failed'));
      expectObservable(source.pipe(mapWithConcurrency(() => call, 1))).toBe('--#', undefined, new Error('poll failed'));
      expectSubscriptions(call.subscriptions).toBe('^-!');
    });
  });

  it('fails with QueueFullError when more than maxQueued values wait for a slot', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a runs, b waits (1 queued), c is one too many.
      const source = cold('abc---|');
      expectObservable(source.pipe(mapWithConcurrency(() => cold('-----x|'), 1, { maxQueued: 1 }))).toBe(
        '--#',
        undefined,
        new QueueFullError('concurrency', 1),
      );
    });
  });

  it('does not count values that start at once as queued', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abc|)').pipe(mapWithConcurrency((v) => cold('-(x|)', { x: v }), 3, { maxQueued: 1 }))).toBe(
        '-(abc|)',
      );
    });
  });

  it('completes after the last call when the source completes first, and at once on an empty source', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(mapWithConcurrency(() => cold('---x|'), 2))).toBe('---x|');
      expectObservable(cold('--|').pipe(mapWithConcurrency(() => cold('x|'), 2))).toBe('--|');
      expectObservable(cold('--|').pipe(mapWithConcurrency(() => cold('x|'), 2, { ordered: true }))).toBe('--|');
    });
  });

  it('unsubscribes the calls in flight when unsubscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const call = cold('-----x|');
      expectObservable(cold('ab---|').pipe(mapWithConcurrency(() => call, 2, { ordered: true })), '^--!').toBe('---');
      expectSubscriptions(call.subscriptions).toBe(['^--!', '-^-!']);
    });
  });

  it('accepts a promise-returning project and keeps input order when asked', async () => {
    const delays = [30, 5, 15, 1];
    const out = await lastValueFrom(
      from(delays).pipe(
        mapWithConcurrency((ms, i) => new Promise<number>((resolve) => setTimeout(() => resolve(i), ms)), 2, { ordered: true }),
        toArray(),
      ),
    );
    expect(out).toEqual([0, 1, 2, 3]);
  });

  it('refuses a concurrency or a queue bound that is not a positive integer', () => {
    expect(() => mapWithConcurrency((v) => [v], 0)).toThrow(RuntimeConfigError);
    expect(() => mapWithConcurrency((v) => [v], Number.POSITIVE_INFINITY)).toThrow(/concurrency/);
    expect(() => mapWithConcurrency((v) => [v], 2, { maxQueued: 0 })).toThrow(/maxQueued/);
  });
});
