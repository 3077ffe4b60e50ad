import { from, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../../../services/operators/rateLimit.ts';
import { QueueFullError, RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';
import { countingScheduler } from './countingScheduler.ts';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('rateLimit', () => {
  it('spaces values perMs / count apart with the default burst of 1, completing after the last', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abc|)').pipe(rateLimit(1, 3))).toBe('a--b--(c|)');
      expectObservable(cold('(abc|)').pipe(rateLimit(2, 6))).toBe('a--b--(c|)');
    });
  });

  it('lets a burst through at once, then one value per token (the documented example)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abcd|)').pipe(rateLimit(1, 5, { burst: 2 }))).toBe('(ab)-c----(d|)');
    });
  });

  it('rounds fractional spacing up per value without drifting: 3 per 10 ms emits at 0, 4, 7 and 10', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abcd|)').pipe(rateLimit(3, 10))).toBe('a---b--c--(d|)');
    });
  });

  it('passes values that come slower than the limit without delay', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a---b-----c|').pipe(rateLimit(1, 3))).toBe('a---b-----c|');
    });
  });

  it('refills the burst during an idle spell, and only up to the burst', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('(ab)------------------(cde)|');
      // a and b spend both tokens; 22 ms later c and d find the bucket full again, e waits 5 ms.
      expectObservable(source.pipe(rateLimit(1, 5, { burst: 2 }))).toBe('(ab)------------------(cd)-(e|)');
    });
  });

  it('never lets more than count + burst - 1 values through in any window of perMs', () => {
    const marbles = '(aaaaaaaaaa)---a-a-a---------(aaaaa)-a-a-a-a--------------(aaaaaaaaaa)|';
    const frames: number[] = [];
    const testScheduler = scheduler();
    testScheduler.run(({ cold }) => {
      cold(marbles).pipe(rateLimit(3, 10, { burst: 2 })).subscribe(() => frames.push(testScheduler.now()));
    });
    expect(frames).toHaveLength(marbles.split('a').length - 1);
    for (const start of frames) {
      expect(frames.filter((f) => f >= start && f < start + 10).length).toBeLessThanOrEqual(4);
    }
  });

  it('keeps the long-run rate: of 30 values at once, 2 pass at frame 0 and value i at ceil((i - 1) * 10 / 3)', () => {
    const frames: number[] = [];
    const testScheduler = scheduler();
    testScheduler.run(() => {
      from(Array.from({ length: 30 }, (_, i) => i))
        .pipe(rateLimit(3, 10, { burst: 2 }))
        .subscribe(() => frames.push(testScheduler.now()));
    });
    expect(frames).toEqual(Array.from({ length: 30 }, (_, i) => (i === 0 ? 0 : Math.ceil(((i - 1) * 10) / 3))));
    expect(frames.slice(0, 4)).toEqual([0, 0, 4, 7]);
    expect(frames[29]).toBe(94);
  });

  it('forwards an error at once and drops the values still waiting', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc#', undefined, new Error('fetch failed'));
      expectObservable(source.pipe(rateLimit(1, 5))).toBe('a--#', undefined, new Error('fetch failed'));
    });
  });

  it('fails with QueueFullError when more than maxQueued values are held back', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a passes, b and c wait (2 held), d is one too many.
      const source = cold('abcd----|');
      expectObservable(source.pipe(rateLimit(1, 10, { maxQueued: 2 }))).toBe(
        'a--#',
        undefined,
        new QueueFullError('rate limiter', 2),
      );
    });
  });

  it('cancels its pending waits on unsubscription, so no timer fires afterwards', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const counting = countingScheduler(testScheduler);
      const source = cold('(abc)-----|');
      expectObservable(source.pipe(rateLimit(1, 5, { scheduler: counting.scheduler })), '^--!').toBe('a--');
      // Runs after the unsubscription at frame 3, before the wait for b would have ended at frame 5.
      testScheduler.schedule(() => expect(counting.pending()).toBe(0), 4);
    });
  });

  it('runs on the scheduler it is given, not on the default one', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const counting = countingScheduler(testScheduler);
      expectObservable(cold('(ab|)').pipe(rateLimit(1, 4, { scheduler: counting.scheduler }))).toBe('a---(b|)');
      timer(10).subscribe(() => expect(counting.fired()).toBe(1));
    });
  });

  it('keeps separate buckets for separate subscriptions', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const limited = cold('(ab|)').pipe(rateLimit(1, 4));
      expectObservable(limited).toBe('a---(b|)');
      expectObservable(limited).toBe('a---(b|)');
    });
  });

  it('completes at once on an empty source', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(rateLimit(1, 5))).toBe('---|');
    });
  });

  it('refuses settings that cannot limit anything, naming the setting', () => {
    expect(() => rateLimit(0, 1000)).toThrow(RuntimeConfigError);
    expect(() => rateLimit(1, Number.POSITIVE_INFINITY)).toThrow(/perMs/);
    expect(() => rateLimit(1, 1000, { burst: 0 })).toThrow(/burst/);
    expect(() => rateLimit(1, 1000, { maxQueued: 0 })).toThrow(/maxQueued/);
  });
});
