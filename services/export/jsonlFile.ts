import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { ExportIoError } from '../errors/medistillErrors.ts';

/** A JSON-lines file being written, with backpressure. */
export interface JsonlFile {
  readonly path: string;
  /** Appends one object; resolves when the stream can take more, rejects with ExportIoError after a write failure. */
  append(value: unknown): Promise<void>;
  /** Flushes and closes the file. */
  end(): Promise<void>;
  /** Closes the file without flushing (after a failure). */
  destroy(): void;
}

/** Opens (truncates) a JSONL file for writing. */
export function openJsonlFile(path: string): JsonlFile {
  const stream = createWriteStream(path, { flags: 'w' });
  let failure: ExportIoError | null = null;
  // Concurrent writers share one wait for 'drain' instead of each adding listeners.
  let drained: Promise<unknown> | null = null;
  stream.on('error', (cause) => {
    failure ??= new ExportIoError(path, { cause });
  });
  return {
    path,
    async append(value) {
      if (failure) throw failure;
      if (stream.write(`${JSON.stringify(value)}\n`)) return;
      try {
        drained ??= once(stream, 'drain').finally(() => (drained = null));
        await drained;
      } catch (cause) {
        throw failure ?? new ExportIoError(path, { cause });
      }
    },
    async end() {
      if (!stream.closed && !stream.destroyed) {
        await new Promise<void>((resolve) => {
          stream.once('error', () => resolve());
          stream.end(() => resolve());
        });
      }
      if (failure) throw failure;
    },
    destroy() {
      stream.destroy();
    },
  };
}
