import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointStore, CheckpointValue } from './checkpointStore.ts';
import { CheckpointError } from '../../errors/medistillErrors.ts';

interface CheckpointFile {
  version: 1;
  entries: Record<string, CheckpointValue>;
}

function isCheckpointFile(value: unknown): value is CheckpointFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { version?: unknown; entries?: unknown };
  return v.version === 1 && typeof v.entries === 'object' && v.entries !== null && !Array.isArray(v.entries);
}

/**
 * A CheckpointStore in one JSON file ({"version":1,"entries":{key: value}}). Each save writes a temp file
 * beside it, syncs it and renames it over the old one, so a crash leaves the old or the new file, never a
 * half-written one. Saves are serialised. A file that exists but is not a checkpoint throws CheckpointError
 * instead of starting over, which would repeat everything.
 *
 * @example const store = createFileCheckpointStore('state/eutils-checkpoint.json');
 */
export function createFileCheckpointStore(path: string): CheckpointStore {
  let cache: Record<string, CheckpointValue> | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  async function readEntries(): Promise<Record<string, CheckpointValue>> {
    if (cache !== null) return cache;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        cache = {};
        return cache;
      }
      throw new CheckpointError(`cannot read checkpoint file ${path}: ${(error as Error).message}`, { path, retriable: true, cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckpointError(`checkpoint file ${path} is not valid JSON; fix or remove it (removing it restarts from the configured start)`, {
        path,
        retriable: false,
        cause: error,
      });
    }
    if (!isCheckpointFile(parsed)) {
      throw new CheckpointError(`checkpoint file ${path} is not a checkpoint (expected {"version":1,"entries":{...}})`, { path, retriable: false });
    }
    cache = parsed.entries;
    return cache;
  }

  async function writeAtomically(entries: Record<string, CheckpointValue>): Promise<void> {
    const body = `${JSON.stringify({ version: 1, entries } satisfies CheckpointFile, null, 2)}\n`;
    const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(body, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw new CheckpointError(`cannot write checkpoint file ${path}: ${(error as Error).message}`, { path, retriable: true, cause: error });
    }
  }

  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  }

  return {
    load(key) {
      return serial(async () => {
        const entries = await readEntries();
        return Object.prototype.hasOwnProperty.call(entries, key) ? (entries[key] ?? null) : null;
      });
    },
    save(key, value) {
      return serial(async () => {
        const entries = { ...(await readEntries()), [key]: value };
        await writeAtomically(entries);
        cache = entries;
      });
    },
  };
}
