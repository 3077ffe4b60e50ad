import { publishSnapshot, readSnapshotIndex, type SnapshotResult } from './exportSnapshot.ts';

/** Options of {@link createSnapshotSchedule}. */
export interface SnapshotScheduleOptions {
  outDir: string;
  /** Least time between two snapshots; 0 turns snapshots off. */
  intervalMs: number;
  now?: () => Date;
  /** Told of each snapshot published, and of a failure (which does not stop the export). */
  onSnapshot?: (result: SnapshotResult) => void;
  onError?: (err: unknown) => void;
}

/** Publishes a snapshot after a checkpoint once the interval since the last one has passed. */
export interface SnapshotSchedule {
  /** Call after each checkpoint; starts a snapshot when one is due and none is running. */
  afterCheckpoint(): void;
  /** Resolves when the snapshot in progress (if any) is done. */
  idle(): Promise<void>;
}

/**
 * The export service's snapshot schedule: at most one snapshot per interval, taken right after a
 * checkpoint (so an idle export, whose data does not change, publishes nothing new). The time of the
 * newest published snapshot is read from the folder at the first checkpoint, so a restart keeps the
 * rhythm. A failed snapshot is reported and tried again at the next checkpoint.
 * @example const s = createSnapshotSchedule({ outDir, intervalMs: 86_400_000 }); stage.onCheckpoint = () => s.afterCheckpoint();
 */
export function createSnapshotSchedule(options: SnapshotScheduleOptions): SnapshotSchedule {
  const now = options.now ?? (() => new Date());
  let last: number | null = null;
  let running: Promise<void> | null = null;
  const run = async () => {
    if (last === null) {
      const newest = (await readSnapshotIndex(options.outDir)).at(-1);
      last = newest ? Date.parse(newest.createdAt) : Number.NEGATIVE_INFINITY;
    }
    if (now().getTime() - last < options.intervalMs) return;
    const result = await publishSnapshot(options.outDir, { now });
    last = Date.parse(result.snapshot.createdAt);
    if (result.created) options.onSnapshot?.(result);
  };
  return {
    afterCheckpoint() {
      if (options.intervalMs <= 0 || running) return;
      running = run()
        .catch((err: unknown) => options.onError?.(err))
        .finally(() => (running = null));
    },
    async idle() {
      await running;
    },
  };
}
