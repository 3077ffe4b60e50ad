import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { boundedMapAsync } from '../../../services/operators/boundedMapAsync.ts';
import { RuntimeConfigError } from '../../../services/errors/medistillErrors.ts';

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

  it('stops pulling from the source and closes it when unsubscribed', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless() {
      try {
        while (true) {
          pulled++;
          yield pulled;
        }
      } finally {
        closed = true;
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
    expect(closed).toBe(true);
  });

  it('with ordered, emits in input order and reads nothing while the slots hold finished calls waiting for a slow one', async () => {
    const release: (() => void)[] = [];
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 6; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: number[] = [];
    const done = lastValueFrom(
      boundedMapAsync(
        source(),
        (n) => new Promise<number>((resolve) => release.push(() => resolve(n))),
        2,
        { ordered: true },
      ).pipe(toArray()),
    );
    await tick(1);
    expect(pulled).toBe(2);
    release[1]!(); // the second call finishes first; its slot stays taken until the first is out
    await tick(1);
    expect(pulled).toBe(2);
    release[0]!(); // both go out in order and two more inputs are read
    await tick(1);
    expect(pulled).toBe(4);
    release[3]!();
    release[2]!();
    await tick(1);
    release[5]!();
    release[4]!();
    seen.push(...(await done));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('gives project the index of each input', async () => {
    const out = await lastValueFrom(boundedMapAsync(['a', 'b', 'c'], async (v, i) => `${v}${i}`, 2, { ordered: true }).pipe(toArray()));
    expect(out).toEqual(['a0', 'b1', 'c2']);
  });

  it('closes the input when a call fails, so a file being read is released', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const run = boundedMapAsync(source(), async (n) => {
      if (n === 2) throw new Error('judge failed on 2');
      await tick(1);
      return n;
    }, 2);
    await expect(lastValueFrom(run)).rejects.toThrow('judge failed on 2');
    await tick(5);
    expect(closed).toBe(true);
  });

  it('forwards an error of the input itself', async () => {
    async function* source() {
      yield 1;
      throw new Error('malformed XML');
    }
    await expect(lastValueFrom(boundedMapAsync(source(), async (n) => n, 2))).rejects.toThrow('malformed XML');
  });

  it('refuses a concurrency that is not a positive integer, naming it', () => {
    expect(() => boundedMapAsync([1], async (n) => n, 0)).toThrow(RuntimeConfigError);
    expect(() => boundedMapAsync([1], async (n) => n, 1.5)).toThrow(/concurrency/);
  });
});
