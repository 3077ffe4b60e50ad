/** Live counts shown while a run goes on. */
export interface ProgressSnapshot {
  records: number;
  accepted: number;
  failed: number;
  /** 0..1 when the total work is known (bytes of input read), else null. */
  fraction: number | null;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** Clears the bar (on a terminal) so the summary prints cleanly. */
  finish(snapshot: ProgressSnapshot): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** Minimum time between two plain progress lines when the stream is not a terminal. */
  plainIntervalMs?: number;
  /** Minimum time between two redraws of the bar on a terminal. */
  ttyIntervalMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 28;

/** Formats a bar such as `[#########-------]  56%`, or a moving marker when the total is unknown. */
export function renderBar(fraction: number | null, tick: number): string {
  if (fraction === null) {
    const pos = tick % BAR_WIDTH;
    return `[${'-'.repeat(pos)}#${'-'.repeat(BAR_WIDTH - pos - 1)}]`;
  }
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** A progress bar on a terminal, plain progress lines (at most one per interval) otherwise. */
export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const { stream } = options;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 100) : (options.plainIntervalMs ?? 5_000);
  const started = now();
  let last = 0;
  let tick = 0;

  const line = (s: ProgressSnapshot): string => {
    const secs = Math.max(0.001, (now() - started) / 1000);
    const rate = (s.records / secs).toFixed(1);
    return `${s.records} records, ${s.accepted} items accepted, ${s.failed} failed, ${rate} records/s`;
  };

  return {
    update(snapshot) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      if (tty) {
        tick++;
        stream.write(`\r\x1b[2K${renderBar(snapshot.fraction, tick)} ${line(snapshot)}`);
      } else {
        stream.write(`progress: ${line(snapshot)}\n`);
      }
    },
    finish(snapshot) {
      if (tty) stream.write('\r\x1b[2K');
      else stream.write(`progress: ${line(snapshot)} (done)\n`);
    },
  };
}
