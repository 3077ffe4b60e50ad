import { resolveInputFiles, type ReadPubmedInputsOptions } from '../readPubmedInputs.ts';
import { createAckLedger } from './ackLedger.ts';
import { fileItems } from './fileItems.ts';
import { SourceUsageError } from '../../errors/medistillErrors.ts';
import type { FileSourceItem } from './sourceItem.ts';

/** Settings of a local source. */
export interface LocalSourceOptions {
  /** Passed to readPubmedInputs. */
  read?: ReadPubmedInputsOptions;
  /** Called once per file when it was read to the end and every one of its items was acknowledged. */
  onFileDone?: (file: string) => void;
  /** Files read but not fully acknowledged before the source waits for acknowledgements. Default 2. */
  maxPendingFiles?: number;
  /** Stops the source: the iteration ends quietly after the current item. */
  signal?: AbortSignal;
}

/** Local PubMed files as acknowledgeable items, in the same shape as the update-folder source. */
export interface LocalSource extends AsyncIterable<FileSourceItem> {
  /** Files read to the end and fully acknowledged, in completion order. */
  doneFiles(): string[];
}

/**
 * Creates a source over local PubMed XML: files, folders (their .xml and .xml.gz files, recursively, in name
 * order) and glob patterns, as readPubmedInputs reads them. Nothing is persisted: a one-shot run has no
 * checkpoint; `onFileDone` tells the caller when a file is fully acknowledged. Inputs that match no file
 * throw InputNotFoundError at the first `next()`, before any item.
 *
 * @example for await (const { item, ack } of createLocalSource(['samples/pubmed'])) { handle(item); ack(); }
 */
export function createLocalSource(inputs: string | readonly string[], options: LocalSourceOptions = {}): LocalSource {
  const maxPendingFiles = options.maxPendingFiles ?? 2;
  if (!Number.isInteger(maxPendingFiles) || maxPendingFiles < 1) {
    throw new SourceUsageError(`local source: maxPendingFiles must be a positive integer, got ${maxPendingFiles}`);
  }
  const done: string[] = [];
  let iterated = false;
  const ledger = createAckLedger((file) => {
    done.push(file);
    options.onFileDone?.(file);
  });

  async function* run(): AsyncGenerator<FileSourceItem> {
    const files = await resolveInputFiles(inputs);
    for (const file of files) {
      await ledger.waitBelow(maxPendingFiles, options.signal);
      if (options.signal?.aborted) return;
      for await (const entry of fileItems(file, file, ledger, options.read)) {
        yield entry;
        if (options.signal?.aborted) return;
      }
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (iterated) throw new SourceUsageError('a local source can be iterated once; create a new one to read the inputs again');
      iterated = true;
      return run();
    },
    doneFiles: () => [...done],
  };
}
