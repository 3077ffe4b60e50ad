import { describe, expect, it } from 'vitest';
import { createCommitTracker, type CommittableOffset } from '../../../services/runtime/kafka/commitTracker.ts';
import { RuntimeUsageError } from '../../../services/errors/medistillErrors.ts';

function byPartition(offsets: CommittableOffset[]): Record<string, string> {
  return Object.fromEntries(offsets.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
}

describe('createCommitTracker', () => {
  it('advances each partition only over its contiguous completed prefix when two partitions complete out of order', () => {
    const tracker = createCommitTracker();
    for (const offset of ['10', '11', '12', '13']) tracker.track('records', 0, offset);
    for (const offset of ['5', '6', '7']) tracker.track('records', 1, offset);

    tracker.complete('records', 0, '12');
    tracker.complete('records', 1, '6');
    expect(tracker.committable()).toEqual([]);

    tracker.complete('records', 0, '10');
    expect(byPartition(tracker.committable())).toEqual({ 'records/0': '11' });

    tracker.complete('records', 0, '11');
    tracker.complete('records', 1, '5');
    expect(byPartition(tracker.committable())).toEqual({ 'records/0': '13', 'records/1': '7' });
    expect(tracker.pending()).toBe(2);
    expect(tracker.pending('records', 0)).toBe(1);
    expect(tracker.pending('records', 1)).toBe(1);
  });

  it('returns a partition again only after its watermark moved past the last markCommitted', () => {
    const tracker = createCommitTracker();
    tracker.track('t', 0, '0');
    tracker.track('t', 0, '1');
    tracker.track('t', 3, '100');
    tracker.complete('t', 0, '0');
    tracker.complete('t', 3, '100');
    const first = tracker.committable();
    expect(byPartition(first)).toEqual({ 't/0': '1', 't/3': '101' });

    tracker.markCommitted(first);
    expect(tracker.committable()).toEqual([]);

    tracker.complete('t', 0, '1');
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
  });

  it('skips offsets never tracked (compaction gaps, transaction markers) when they lie below complete ones', () => {
    const tracker = createCommitTracker();
    tracker.track('t', 0, '3');
    tracker.track('t', 0, '7');
    tracker.track('t', 0, '20');
    tracker.complete('t', 0, '7');
    tracker.complete('t', 0, '3');
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '8' }]);
  });

  it('compares offsets as int64, not as strings or doubles', () => {
    const tracker = createCommitTracker();
    // 9 < 10 numerically but "9" > "10" as strings; 2^53 + 1 is not representable as a double.
    tracker.track('t', 0, '9');
    tracker.track('t', 0, '10');
    tracker.complete('t', 0, '9');
    expect(tracker.committable()[0]?.offset).toBe('10');

    tracker.track('t', 1, '9007199254740993');
    tracker.track('t', 1, '9007199254740994');
    tracker.complete('t', 1, '9007199254740993');
    expect(byPartition(tracker.committable())['t/1']).toBe('9007199254740994');
  });

  it('ignores a redelivered offset that is still pending, already complete, or already below the watermark', () => {
    const tracker = createCommitTracker();
    expect(tracker.track('t', 0, '1')).toBe(true);
    expect(tracker.track('t', 0, '2')).toBe(true);
    expect(tracker.track('t', 0, '3')).toBe(true);
    expect(tracker.track('t', 0, '2')).toBe(false); // pending, delivered twice
    expect(tracker.pending()).toBe(3);

    tracker.complete('t', 0, '1');
    tracker.complete('t', 0, '3');
    expect(tracker.track('t', 0, '1')).toBe(false); // below the watermark
    expect(tracker.track('t', 0, '3')).toBe(false); // complete, held behind 2
    expect(tracker.pending()).toBe(1);

    // One completion of the twice-delivered offset is enough.
    expect(tracker.complete('t', 0, '2')).toBe(true);
    expect(tracker.complete('t', 0, '2')).toBe(false);
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 0, offset: '4' }]);
  });

  it('accepts an offset tracked out of order and keeps the watermark behind it until it completes', () => {
    const tracker = createCommitTracker();
    tracker.track('t', 0, '5');
    tracker.track('t', 0, '7');
    tracker.track('t', 0, '6');
    tracker.complete('t', 0, '5');
    tracker.complete('t', 0, '7');
    expect(tracker.committable()[0]?.offset).toBe('6');
    tracker.complete('t', 0, '6');
    expect(tracker.committable()[0]?.offset).toBe('8');
  });

  it('drops revoked partitions and ignores their late completions, leaving other partitions intact', () => {
    const tracker = createCommitTracker();
    tracker.track('t', 0, '1');
    tracker.track('t', 1, '1');
    tracker.track('t', 2, '1');
    tracker.complete('t', 1, '1');
    tracker.revoke('t', [0, 1]);

    expect(tracker.pending()).toBe(1);
    expect(tracker.complete('t', 0, '1')).toBe(false);
    expect(tracker.committable()).toEqual([]);

    tracker.complete('t', 2, '1');
    expect(tracker.committable()).toEqual([{ topic: 't', partition: 2, offset: '2' }]);

    // Reassigned later, the partition starts afresh from whatever the broker redelivers.
    expect(tracker.track('t', 0, '1')).toBe(true);
  });

  it('holds only offsets in flight: a long run of completed messages leaves nothing behind', () => {
    const tracker = createCommitTracker();
    for (let i = 0; i < 10_000; i++) {
      tracker.track('t', 0, String(i));
      if (i >= 3) tracker.complete('t', 0, String(i - 3));
    }
    expect(tracker.held()).toBe(3);
    expect(tracker.committable()[0]?.offset).toBe('9997');
  });

  it('counts complete offsets stuck behind a slow one as held, not pending', () => {
    const tracker = createCommitTracker();
    for (let i = 0; i < 2_000; i++) tracker.track('t', 0, String(i));
    for (let i = 1; i < 2_000; i++) tracker.complete('t', 0, String(i));
    expect(tracker.pending()).toBe(1);
    expect(tracker.held()).toBe(2_000);
    expect(tracker.committable()).toEqual([]);
    tracker.complete('t', 0, '0');
    expect(tracker.held()).toBe(0);
    expect(tracker.committable()[0]?.offset).toBe('2000');
  });

  it('rejects an offset that is not an int64 decimal string', () => {
    const tracker = createCommitTracker();
    expect(() => tracker.track('t', 0, '-1')).toThrow(RuntimeUsageError);
    expect(() => tracker.track('t', 0, '1e3')).toThrow(RuntimeUsageError);
  });
});
