import { RuntimeUsageError } from '../../errors/medistillErrors.ts';

/** One offset to commit, in Kafka's convention: the next offset the group should read. */
export interface CommittableOffset {
  topic: string;
  partition: number;
  /** int64 as a decimal string. */
  offset: string;
}

/** Per-partition commit watermarks over messages that may complete out of order. */
export interface CommitTracker {
  /**
   * Records that a message was taken in. Returns false for a redelivery of an offset this
   * tracker already holds or already passed: it adds nothing and needs no `complete`.
   */
  track(topic: string, partition: number, offset: string): boolean;
  /**
   * Records that every output of the message was acknowledged or dead-lettered. Returns false
   * when the offset is unknown (e.g. its partition was revoked meanwhile) or already complete.
   */
  complete(topic: string, partition: number, offset: string): boolean;
  /** Offsets to commit, one per partition whose watermark moved since the last `markCommitted`. */
  committable(): CommittableOffset[];
  /** Records that these offsets were committed, so `committable` stops returning them. */
  markCommitted(offsets: readonly CommittableOffset[]): void;
  /** Messages tracked and not yet complete, in one partition, one topic, or everywhere. */
  pending(topic?: string, partition?: number): number;
  /**
   * Offsets held in memory (pending, plus complete ones waiting behind an older pending one):
   * the figure to bound, like a checkpoint limit, since a stuck message makes it grow.
   */
  held(topic?: string, partition?: number): number;
  /** Forgets the partitions lost in a rebalance; late completions for them are then ignored. */
  revoke(topic: string, partitions: readonly number[]): void;
  /** Forgets every partition (e.g. after a full rebalance or on shutdown). */
  clear(): void;
}

interface Entry {
  offset: bigint;
  done: boolean;
}

/**
 * State of one partition. `entries` is a queue sorted by offset starting at `head`: offsets
 * still pending, and complete offsets above the oldest pending one. Complete offsets at the
 * front are dropped as soon as they are complete, leaving only `doneThrough`, so memory is
 * bounded by what is in flight, not by what was ever seen.
 */
interface PartitionState {
  entries: Entry[];
  head: number;
  /** Highest offset below which every tracked offset is complete; null before the first completion. */
  doneThrough: bigint | null;
  /** Last committed "next offset", null when nothing was committed by this tracker. */
  committed: bigint | null;
  pendingCount: number;
}

/** Compact the queue once this many dead slots sit before `head` and they are at least half the array. */
const COMPACT_AFTER = 1024;

/** Creates an empty commit tracker; offsets are compared as int64 (BigInt), never as numbers. */
export function createCommitTracker(): CommitTracker {
  const topics = new Map<string, Map<number, PartitionState>>();

  function stateOf(topic: string, partition: number, create: boolean): PartitionState | undefined {
    let partitions = topics.get(topic);
    if (!partitions) {
      if (!create) return undefined;
      partitions = new Map();
      topics.set(topic, partitions);
    }
    let state = partitions.get(partition);
    if (!state && create) {
      state = { entries: [], head: 0, doneThrough: null, committed: null, pendingCount: 0 };
      partitions.set(partition, state);
    }
    return state;
  }

  function* statesMatching(topic?: string, partition?: number): Generator<PartitionState> {
    for (const [name, partitions] of topics) {
      if (topic !== undefined && name !== topic) continue;
      for (const [number, state] of partitions) {
        if (partition === undefined || number === partition) yield state;
      }
    }
  }

  return {
    track(topic, partition, offset) {
      const value = parseOffset(offset);
      const state = stateOf(topic, partition, true) as PartitionState;
      if (state.doneThrough !== null && value <= state.doneThrough) return false;
      const { entries } = state;
      const last = entries[entries.length - 1];
      if (entries.length === state.head || (last && value > last.offset)) {
        // The usual case: a partition delivers in increasing offset order.
        entries.push({ offset: value, done: false });
      } else {
        const index = lowerBound(state, value);
        if (entries[index]?.offset === value) return false;
        entries.splice(index, 0, { offset: value, done: false });
      }
      state.pendingCount += 1;
      return true;
    },

    complete(topic, partition, offset) {
      const value = parseOffset(offset);
      const state = stateOf(topic, partition, false);
      if (!state) return false;
      const index = lowerBound(state, value);
      const entry = state.entries[index];
      if (!entry || entry.offset !== value || entry.done) return false;
      entry.done = true;
      state.pendingCount -= 1;
      advance(state);
      return true;
    },

    committable() {
      const out: CommittableOffset[] = [];
      for (const [topic, partitions] of topics) {
        for (const [partition, state] of partitions) {
          if (state.doneThrough === null) continue;
          const next = state.doneThrough + 1n;
          if (state.committed === null || next > state.committed) out.push({ topic, partition, offset: next.toString() });
        }
      }
      return out;
    },

    markCommitted(offsets) {
      for (const { topic, partition, offset } of offsets) {
        const state = stateOf(topic, partition, false);
        if (!state) continue; // revoked between committable() and the commit: nothing to remember
        const value = parseOffset(offset);
        if (state.committed === null || value > state.committed) state.committed = value;
      }
    },

    pending(topic, partition) {
      let count = 0;
      for (const state of statesMatching(topic, partition)) count += state.pendingCount;
      return count;
    },

    held(topic, partition) {
      let count = 0;
      for (const state of statesMatching(topic, partition)) count += state.entries.length - state.head;
      return count;
    },

    revoke(topic, partitions) {
      const states = topics.get(topic);
      if (!states) return;
      for (const partition of partitions) states.delete(partition);
      if (states.size === 0) topics.delete(topic);
    },

    clear() {
      topics.clear();
    },
  };
}

/** Drops the complete prefix of the queue, moving the watermark over it. */
function advance(state: PartitionState): void {
  const { entries } = state;
  while (state.head < entries.length) {
    const entry = entries[state.head] as Entry;
    if (!entry.done) break;
    state.doneThrough = entry.offset;
    state.head += 1;
  }
  if (state.head === entries.length) {
    entries.length = 0;
    state.head = 0;
  } else if (state.head >= COMPACT_AFTER && state.head * 2 >= entries.length) {
    entries.splice(0, state.head);
    state.head = 0;
  }
}

/** Index of the first live entry whose offset is >= value (binary search from `head`). */
function lowerBound(state: PartitionState, value: bigint): number {
  let low = state.head;
  let high = state.entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((state.entries[mid] as Entry).offset < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function parseOffset(offset: string): bigint {
  if (!/^\d{1,19}$/.test(offset)) {
    throw new RuntimeUsageError(`commit tracker: offset must be a non-negative int64 decimal string, got "${offset}"`);
  }
  return BigInt(offset);
}
