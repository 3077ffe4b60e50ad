import { bufferTime } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchByCountOrTime } from '../../../services/operators/batchByCountOrTime.ts';
import { RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';
import { countingScheduler } from './countingScheduler.ts';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('batchByCountOrTime', () => {
  it('emits full batches on count, a partial batch on time, and the rest on completion (the documented example)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc-d------e|');
      expectObservable(source.pipe(batchByCountOrTime(3, 4))).toBe('--x-----y---(z|)', {
        x: ['a', 'b', 'c'],
        y: ['d'],
        z: ['e'],
      });
    });
  });

  it('starts the clock at the first item of each batch, not at subscription', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('---a-b----|');
      expectObservable(source.pipe(batchByCountOrTime(5, 3))).toBe('------x---|', { x: ['a', 'b'] });
    });
  });

  it('cancels the timer of a batch closed by count, so the next batch gets its own full wait', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc--d----|');
      expectObservable(source.pipe(batchByCountOrTime(3, 4))).toBe('--x------y|', { x: ['a', 'b', 'c'], y: ['d'] });
    });
  });

  it('emits nothing while idle, where bufferTime with the same settings emits empty arrays', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold<string>('----------|');
      expectObservable(source.pipe(batchByCountOrTime(3, 4))).toBe('----------|');
      expectObservable(source.pipe(bufferTime(4, null, 3))).toBe('----x---x-(y|)', { x: [], y: [] });
    });
  });

  it('drops the partial batch and forwards the error when the source fails', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-#', undefined, new Error('decode failed'));
      expectObservable(source.pipe(batchByCountOrTime(3, 4))).toBe('--#', undefined, new Error('decode failed'));
    });
  });

  it('emits nothing after unsubscription, its pending timer included', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab--------|');
      expectObservable(source.pipe(batchByCountOrTime(3, 4)), '^--!').toBe('---');
    });
  });

  it('cancels the pending timer on unsubscription, so it never fires', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const counting = countingScheduler(testScheduler);
      const source = cold('ab--------|');
      expectObservable(source.pipe(batchByCountOrTime(3, 4, { scheduler: counting.scheduler })), '^--!').toBe('---');
      // After the unsubscription at frame 3, before the timer started by a would have fired at frame 4.
      testScheduler.schedule(() => expect(counting.pending()).toBe(0), 3);
      testScheduler.schedule(() => expect(counting.fired()).toBe(0), 20);
    });
  });

  it('flushes on completion and cancels the timer of the flushed batch', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const counting = countingScheduler(testScheduler);
      expectObservable(cold('a-|').pipe(batchByCountOrTime(3, 4, { scheduler: counting.scheduler }))).toBe('--(x|)', {
        x: ['a'],
      });
      testScheduler.schedule(() => expect([counting.fired(), counting.pending()]).toEqual([0, 0]), 10);
    });
  });

  it('closes a batch by time on the scheduler it is given', () => {
    const testScheduler = scheduler();
    testScheduler.run(({ cold, expectObservable }) => {
      const counting = countingScheduler(testScheduler);
      expectObservable(cold('a------|').pipe(batchByCountOrTime(3, 2, { scheduler: counting.scheduler }))).toBe(
        '--x----|',
        { x: ['a'] },
      );
      testScheduler.schedule(() => expect(counting.fired()).toBe(1), 10);
    });
  });

  it('completes with no batch on an empty source', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(batchByCountOrTime(3, 4))).toBe('|');
    });
  });

  it('emits every item alone with maxCount 1', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(batchByCountOrTime(1, 100))).toBe('xy|', { x: ['a'], y: ['b'] });
    });
  });

  it('refuses a maxCount below 1 or a negative wait', () => {
    expect(() => batchByCountOrTime(0, 10)).toThrow(RuntimeConfigError);
    expect(() => batchByCountOrTime(10, -1)).toThrow(/maxWaitMs/);
  });
});
