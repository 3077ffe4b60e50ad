import { describe, expect, it } from 'vitest';
import { RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';
import { createTokenBucket } from '../../../services/llm/tokenBucket.ts';

function manualClock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('createTokenBucket', () => {
  it('starts full, lets a burst up to capacity through, then refills continuously at the per-minute rate', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 60, perMinute: 60, now: clock.now });
    let taken = 0;
    while (bucket.tryTake(1)) taken += 1;
    expect(taken).toBe(60);
    expect(bucket.msUntil(1)).toBe(1000);

    clock.advance(500);
    expect(bucket.available()).toBeCloseTo(0.5, 9);
    expect(bucket.tryTake(1)).toBe(false);
    clock.advance(500);
    expect(bucket.tryTake(1)).toBe(true);
  });

  it('never refills beyond capacity, however long it stays idle', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 10, perMinute: 600, now: clock.now });
    bucket.tryTake(10);
    clock.advance(3_600_000);
    expect(bucket.available()).toBe(10);
  });

  it('goes negative on a debit and makes the next request wait for the debt to be paid back', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 1000, perMinute: 6000, now: clock.now });
    bucket.tryTake(1000);
    bucket.debit(500);
    expect(bucket.available()).toBe(-500);
    // 100 tokens per second: 500 to repay, then 100 more.
    expect(bucket.msUntil(100)).toBe(6000);
  });

  it('caps a refund at capacity and reports Infinity for a count above capacity', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ capacity: 100, perMinute: 100, now: clock.now });
    bucket.tryTake(30);
    bucket.refund(50);
    expect(bucket.available()).toBe(100);
    expect(bucket.msUntil(101)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a zero or negative capacity or rate', () => {
    expect(() => createTokenBucket({ capacity: 0, perMinute: 10 })).toThrow(RuntimeConfigError);
    expect(() => createTokenBucket({ capacity: 10, perMinute: -1 })).toThrow(/perMinute/);
  });
});
