import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ExportIoError } from '../errors/medistillErrors.ts';

/** Bytes gathered before a write: few system calls without holding a shard in memory. */
const CHUNK_BYTES = 1 << 20;

/** A file written under a hidden temporary name and published whole by `commit`. */
export interface AtomicFile {
  readonly path: string;
  /** Lines written so far. */
  readonly lines: number;
  /** Appends one JSON line. */
  appendJson(value: unknown): Promise<void>;
  /** Appends one line of text already encoded (no newline in it). */
  appendLine(line: string): Promise<void>;
  /** Flushes, fsyncs and renames the file to its final name. */
  commit(): Promise<void>;
  /** Closes and removes the temporary file (nothing was published). */
  discard(): Promise<void>;
}

/** The temporary name of `path`: hidden, so a reader globbing `accepted-*.jsonl` never sees it. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

/**
 * Opens `path` for writing under its temporary name. Readers see either no file or the whole file:
 * the data is fsynced before the rename, so a crash never publishes a half-written one.
 * @example const f = await openAtomicFile('out/data/accepted-00001.jsonl'); await f.appendJson(row); await f.commit();
 */
export async function openAtomicFile(path: string): Promise<AtomicFile> {
  const tmp = temporaryPath(path);
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'w');
  } catch (cause) {
    throw new ExportIoError(tmp, { cause });
  }
  let chunk = '';
  let lines = 0;
  const flush = async () => {
    if (!chunk) return;
    const data = chunk;
    chunk = '';
    try {
      await fh.write(data);
    } catch (cause) {
      throw new ExportIoError(tmp, { cause });
    }
  };
  const appendLine = async (line: string) => {
    chunk += `${line}\n`;
    lines++;
    if (chunk.length >= CHUNK_BYTES) await flush();
  };
  return {
    path,
    get lines() {
      return lines;
    },
    appendJson: (value) => appendLine(JSON.stringify(value)),
    appendLine,
    async commit() {
      try {
        await flush();
        await fh.sync();
        await fh.close();
        await rename(tmp, path);
      } catch (cause) {
        throw cause instanceof ExportIoError ? cause : new ExportIoError(path, { cause });
      }
    },
    async discard() {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

/** Writes a whole small file atomically (temporary name, fsync, rename). */
export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
  const tmp = temporaryPath(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    throw new ExportIoError(path, { cause });
  }
}
