import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { boundedMapAsync } from '../../../services/operators/boundedMapAsync.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('boundedMapAsync', () => {
  it('never has more than `concurrency` calls in flight and never reads ahead of free slots', async () => {
    let pulled = 0;
    let active = 0;
    let maxActive = 0;
    let maxReadAhead = 0;
    async function* source() {
      for (let i = 0; i < 50; i++) {
        pulled++;
        maxReadAhead = Math.max(maxReadAhead, pulled - done);
        yield i;
      }
    }
    let done = 0;
    const out = await lastValueFrom(
      boundedMapAsync(
        source(),
        async (n) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await tick(n % 3);
          active--;
          done++;
          return n * 2;
        },
        3,
      ).pipe(toArray()),
    );
    expect(out.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(maxActive).toBe(3);
    expect(maxReadAhead).toBeLessThanOrEqual(3);
  });

  it('accepts a plain array and completes on empty input', async () => {
    await expect(lastValueFrom(boundedMapAsync([1, 2, 3], async (n) => n + 1, 2).pipe(toArray()))).resolves.toHaveLength(3);
    await expect(lastValueFrom(boundedMapAsync([], async (n: number) => n, 2).pipe(toArray()))).resolves.toEqual([]);
  });

  it('propagates the first error of the mapping function', async () => {
    const run = boundedMapAsync([1, 2, 3, 4], async (n) => {
      if (n === 3) throw new Error('boom on 3');
      return n;
    }, 2);
    await expect(lastValueFrom(run)).rejects.toThrow('boom on 3');
  });

  it('stops pulling from the source when unsubscribed', async () => {
    let pulled = 0;
    async function* endless() {
      while (true) {
        pulled++;
        yield pulled;
      }
    }
    const seen: number[] = [];
    const sub = boundedMapAsync(endless(), async (n) => n, 2).subscribe((n) => {
      seen.push(n);
      if (seen.length === 5) sub.unsubscribe();
    });
    await tick(20);
    const after = pulled;
    await tick(20);
    expect(pulled).toBe(after);
    expect(pulled).toBeLessThan(20);
  });

  it('rejects a concurrency that is not a positive integer', () => {
    expect(() => boundedMapAsync([1], async (n) => n, 0)).toThrow(RangeError);
  });
});
