import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { redactUrlCredentials } from '../../config/urlCredentials.ts';

/** One input part or item that could not be processed, kept with its reason so nothing is lost silently. */
export interface FailureEntry {
  reason: string;
  message: string;
  source?: string;
  pmid?: string | null;
  position?: { line: number; column: number; offset: number };
  raw?: string;
  truncated?: boolean;
}

/** Appends failures as JSON lines; the run's dead-letter file. */
export interface FailureLog {
  add(entry: FailureEntry): Promise<void>;
  readonly count: number;
  close(): Promise<void>;
}

/**
 * A failure log writing to a JSONL file, created at once so that a run with no failure leaves an
 * empty file rather than none. `encode` writes an entry as one line (default JSON.stringify).
 */
export function createFailureLog(path: string, encode: (entry: FailureEntry) => string = (e) => JSON.stringify(e)): FailureLog {
  let stream: WriteStream | null = createWriteStream(path, { flags: 'w' });
  let count = 0;
  // Concurrent writers share one wait for 'drain' instead of each adding listeners.
  let drained: Promise<unknown> | null = null;
  return {
    async add(entry) {
      count++;
      stream ??= createWriteStream(path, { flags: 'w' });
      // The raw input is kept as it was; the message is ours, and may quote a URL.
      if (!stream.write(`${encode({ ...entry, message: redactUrlCredentials(entry.message) })}\n`)) {
        drained ??= once(stream, 'drain').finally(() => (drained = null));
        await drained;
      }
    },
    get count() {
      return count;
    },
    async close() {
      if (!stream) return;
      const s = stream;
      await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}

/** A failure log kept in memory (tests, and callers that report failures themselves). */
export function createMemoryFailureLog(): FailureLog & { entries: FailureEntry[] } {
  const entries: FailureEntry[] = [];
  return {
    entries,
    async add(entry) {
      entries.push(entry);
    },
    get count() {
      return entries.length;
    },
    async close() {},
  };
}
