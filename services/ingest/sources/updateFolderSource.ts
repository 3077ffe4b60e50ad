import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { abortableDelay } from '../eutils/abortableDelay.ts';
import { CheckpointError, InputNotFoundError, SourceConfigError, SourceUsageError } from '../../errors/medistillErrors.ts';
import type { ReadPubmedInputsOptions } from '../readPubmedInputs.ts';
import { createAckLedger } from './ackLedger.ts';
import type { CheckpointStore } from './checkpointStore.ts';
import { fileItems } from './fileItems.ts';
import { createFileCheckpointStore } from './fileCheckpointStore.ts';
import type { FileSourceItem } from './sourceItem.ts';

/** Name of the state file kept in the folder when no checkpoint store is given. */
export const DONE_FILE_NAME = '.medistill-done.json';

/** Instrumentation events of the folder source; must not throw. */
export type UpdateFolderEvent =
  | { type: 'folder.poll'; ready: number; settling: number }
  | { type: 'folder.file_started'; file: string }
  | { type: 'folder.file_read'; file: string; items: number }
  | { type: 'folder.file_done'; file: string }
  | { type: 'folder.file_vanished'; file: string };

/** Settings of the update-folder source. */
export interface UpdateFolderSourceOptions {
  /** The folder of baseline/update files (pubmed25n0001.xml.gz, ...); only its top level is read. */
  folder: string;
  /** How often the folder is listed; a file is taken once its size and mtime held for one interval. Default 60 000 ms. */
  pollIntervalMs?: number;
  /** Keep watching for new files (true, the default), or end once every file present is done. */
  watch?: boolean;
  /** Where the names of done files are kept. Default: a JSON file `.medistill-done.json` in the folder. */
  checkpoint?: CheckpointStore;
  /** Key of this folder in the checkpoint store. Default "update-folder". */
  checkpointKey?: string;
  /** Files read but not fully acknowledged before the source waits for acknowledgements. Default 2. */
  maxPendingFiles?: number;
  /** Names of the files to take. Default /\.xml(\.gz)?$/i. */
  pattern?: RegExp;
  /** Passed to readPubmedInputs. */
  read?: ReadPubmedInputsOptions;
  /** Stops the source: the iteration ends quietly after the current step. */
  signal?: AbortSignal;
  onEvent?: (event: UpdateFolderEvent) => void;
}

/** PubMed baseline/update files from a watched folder, as acknowledgeable items. */
export interface UpdateFolderSource extends AsyncIterable<FileSourceItem> {
  /** Resolves when every state write started so far is durable; rejects with the first write failure. */
  flush(): Promise<void>;
  /** Names of the files marked done (loaded from the checkpoint or completed in this run), in name order. */
  doneFiles(): string[];
}

interface Observation {
  size: number;
  mtimeMs: number;
  /** When the file was first seen with this size and mtime. */
  since: number;
}

function parseDone(value: unknown, key: string): string[] {
  if (value === null) return [];
  const done = (value as { done?: unknown } | undefined)?.done;
  if (!Array.isArray(done) || !done.every((name) => typeof name === 'string')) {
    throw new CheckpointError(`checkpoint "${key}" holds ${JSON.stringify(value).slice(0, 200)}, expected {"done": [file names]}`, { retriable: false });
  }
  return done as string[];
}

/**
 * Creates a source over a folder of PubMed baseline/update files. Files are taken in name order (so update
 * files apply in sequence), each streamed through readPubmedInputs (gzip detected by its magic bytes); the
 * folder is listed again every `pollIntervalMs` for new files. Polling is used rather than fs.watch, whose
 * events are missing or duplicated on network and container filesystems; it also gives the half-written
 * check for free: a file is taken only once its size and mtime held still for a whole poll interval.
 *
 * A file is marked done (its name saved in the checkpoint) only when it was read to the end and every one
 * of its items was acknowledged; files marked done are skipped after a restart, and a file that was not
 * fully acknowledged is read again from its start.
 *
 * @example
 * for await (const { item, file, ack } of createUpdateFolderSource({ folder: '/data/pubmed/updatefiles' })) { await produce(item); ack(); }
 */
export function createUpdateFolderSource(options: UpdateFolderSourceOptions): UpdateFolderSource {
  if (typeof options.folder !== 'string' || options.folder === '') throw new SourceConfigError('update folder: folder must be a path');
  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new SourceConfigError(`update folder: pollIntervalMs must be a positive integer, got ${pollIntervalMs}`);
  }
  const maxPendingFiles = options.maxPendingFiles ?? 2;
  if (!Number.isInteger(maxPendingFiles) || maxPendingFiles < 1) {
    throw new SourceConfigError(`update folder: maxPendingFiles must be a positive integer, got ${maxPendingFiles}`);
  }
  const folder = options.folder;
  const watch = options.watch ?? true;
  const pattern = options.pattern ?? /\.xml(?:\.gz)?$/i;
  const store = options.checkpoint ?? createFileCheckpointStore(join(folder, DONE_FILE_NAME));
  const key = options.checkpointKey ?? 'update-folder';
  const signal = options.signal;
  const emit = (event: UpdateFolderEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // Instrumentation must not stop ingestion.
    }
  };

  const done = new Set<string>();
  const taken = new Set<string>();
  const observed = new Map<string, Observation>();
  let iterated = false;
  let saves: Promise<void> = Promise.resolve();
  let saveFailure: unknown = null;

  const ledger = createAckLedger((name) => {
    done.add(name);
    const list = [...done].sort();
    saves = saves.then(async () => {
      try {
        await store.save(key, { done: list });
        emit({ type: 'folder.file_done', file: join(folder, name) });
      } catch (error) {
        saveFailure ??= error;
      }
    });
  });

  function throwIfSaveFailed(): void {
    if (saveFailure !== null) throw saveFailure;
  }

  /** Lists the folder: names ready to take (stable, not done, not taken) in name order, and how many are still settling. */
  async function scan(): Promise<{ ready: string[]; settling: number }> {
    const names = (await readdir(folder)).filter((name) => pattern.test(name) && !done.has(name) && !taken.has(name)).sort();
    const now = Date.now();
    const ready: string[] = [];
    let settling = 0;
    for (const name of names) {
      let info: Stats;
      try {
        info = await stat(join(folder, name));
      } catch {
        observed.delete(name);
        continue;
      }
      if (!info.isFile()) continue;
      const previous = observed.get(name);
      if (previous === undefined || previous.size !== info.size || previous.mtimeMs !== info.mtimeMs) {
        observed.set(name, { size: info.size, mtimeMs: info.mtimeMs, since: now });
        settling += 1;
      } else if (now - previous.since >= pollIntervalMs) {
        ready.push(name);
      } else {
        settling += 1;
      }
    }
    emit({ type: 'folder.poll', ready: ready.length, settling });
    return { ready, settling };
  }

  async function* run(): AsyncGenerator<FileSourceItem> {
    try {
      for (const name of parseDone(await store.load(key), key)) done.add(name);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot load checkpoint "${key}": ${(error as Error).message}`, { retriable: true, cause: error });
    }
    let queue: string[] = [];
    while (!signal?.aborted) {
      throwIfSaveFailed();
      if (queue.length === 0) {
        const { ready, settling } = await scan();
        queue = ready;
        if (queue.length === 0) {
          if (!watch && settling === 0) return;
          await abortableDelay(pollIntervalMs, signal);
          continue;
        }
      }
      const name = queue.shift() as string;
      await ledger.waitBelow(maxPendingFiles, signal);
      if (signal?.aborted) return;
      const path = join(folder, name);
      taken.add(name);
      observed.delete(name);
      emit({ type: 'folder.file_started', file: path });
      let items = 0;
      try {
        for await (const entry of fileItems(path, name, ledger, options.read)) {
          throwIfSaveFailed();
          items += 1;
          yield entry;
        }
      } catch (error) {
        if (!(error instanceof InputNotFoundError) || items > 0) throw error;
        // Deleted between the listing and the read: nothing to mark; it is taken again if it comes back.
        taken.delete(name);
        emit({ type: 'folder.file_vanished', file: path });
        continue;
      }
      emit({ type: 'folder.file_read', file: path, items });
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (iterated) throw new SourceUsageError('an update-folder source can be iterated once; create a new one to start again');
      iterated = true;
      return run();
    },
    async flush() {
      await saves;
      throwIfSaveFailed();
    },
    doneFiles: () => [...done].sort(),
  };
}
