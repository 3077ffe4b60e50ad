import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JudgedItem } from '../model/qaItem.ts';
import { compactExport } from './compactExport.ts';
import { renderDatasetCard } from './datasetCard.ts';
import { toDatasetRow, toRejectedRow } from './datasetRow.ts';
import { createStatsAccumulator, type DatasetStats } from './datasetStats.ts';
import { ExportConfigError, ExportIoError, WriterClosedError } from '../errors/medistillErrors.ts';
import { openJsonlFile } from './jsonlFile.ts';
import { questionKey } from './questionKey.ts';

export const DATASET_FILE = 'dataset.jsonl';
export const REJECTED_FILE = 'rejected.jsonl';
export const CARD_FILE = 'card.md';
/** Suffix of files still being written: a crash leaves them under this name, never as a finished export. */
const PARTIAL = '.partial';

export interface DatasetWriterOptions {
  outDir: string;
  /** MeSH version behind the annotations, shown in the card. */
  meshVersion?: string | null;
  /** Title of the dataset card. */
  title?: string;
  /**
   * Most distinct questions remembered for de-duplication (default 5,000,000, a few hundred MB at
   * worst); past it new questions are no longer remembered, so memory stays bounded on huge runs.
   */
  maxDedupeKeys?: number;
  /** Clock for the card's generation time (default: the system clock). */
  now?: () => Date;
}

/** What an export produced: the card's statistics and where the files are. */
export interface DatasetSummary extends DatasetStats {
  files: { dataset: string; rejected: string; card: string };
}

/** Decides at close which record versions stay in the export (e.g. only the latest version of a paper). */
export type KeepRecord = (pmid: string, version: number) => boolean;

/** Writes judged items as a JSONL dataset, a JSONL of rejected items, and a dataset card. */
export interface DatasetWriter {
  /** Appends one item; resolves once the file stream can take more (backpressure). */
  write(item: JudgedItem): Promise<void>;
  /** Drops every item of a deleted paper: later items are skipped, earlier ones are filtered out at close. */
  remove(pmid: string): void;
  /**
   * Flushes, drops the items of removed papers and of record versions `keep` rejects, moves the files
   * to their final names and writes the card. Calling it again returns the first call's result.
   */
  close(keep?: KeepRecord): Promise<DatasetSummary>;
}

/**
 * Creates the export writer. Accepted items go to `dataset.jsonl` (exact duplicate questions, compared
 * without case or extra spaces, are dropped and logged with reason "duplicate"), rejected ones to
 * `rejected.jsonl`; both are written under a `.partial` name and renamed at close, and the card is
 * written to a temporary name and renamed, so a crash never leaves a finished-looking half export.
 * @example const w = createDatasetWriter({ outDir: 'out' }); await w.write(item); const summary = await w.close();
 */
export function createDatasetWriter(options: DatasetWriterOptions): DatasetWriter {
  const maxDedupeKeys = options.maxDedupeKeys ?? 5_000_000;
  if (!options.outDir) throw new ExportConfigError('outDir must be a non-empty path');
  if (!Number.isInteger(maxDedupeKeys) || maxDedupeKeys < 0) {
    throw new ExportConfigError(`maxDedupeKeys must be a non-negative integer, got ${maxDedupeKeys}`);
  }
  const now = options.now ?? (() => new Date());
  const meshVersion = options.meshVersion ?? null;
  const files = {
    dataset: join(options.outDir, DATASET_FILE),
    rejected: join(options.outDir, REJECTED_FILE),
    card: join(options.outDir, CARD_FILE),
  };
  try {
    mkdirSync(options.outDir, { recursive: true });
  } catch (cause) {
    throw new ExportIoError(options.outDir, { cause });
  }

  const dataset = openJsonlFile(files.dataset + PARTIAL);
  const rejected = openJsonlFile(files.rejected + PARTIAL);
  const stats = createStatsAccumulator(meshVersion);
  const seenQuestions = new Map<string, string>();
  const removed = new Set<string>();
  /** Versions written per PMID, so close() rewrites the files only when something really must go. */
  const written = new Map<string, Set<number>>();
  let closing: Promise<DatasetSummary> | null = null;

  const noteWritten = (pmid: string, version: number) => {
    const versions = written.get(pmid);
    if (versions) versions.add(version);
    else written.set(pmid, new Set([version]));
  };

  const finish = async (keep: KeepRecord | undefined): Promise<DatasetSummary> => {
    await Promise.all([dataset.end(), rejected.end()]);
    const drop = (pmid: string, version: number) => removed.has(pmid) || (keep !== undefined && !keep(pmid, version));
    const mustCompact = [...written].some(([pmid, versions]) => [...versions].some((v) => drop(pmid, v)));
    const final = mustCompact
      ? await compactExport({
          datasetPath: dataset.path,
          rejectedPath: rejected.path,
          drop,
          meshVersion,
          removedBefore: stats.snapshot().removed,
          maxDedupeKeys,
        })
      : stats;
    await moveInto(dataset.path, files.dataset);
    await moveInto(rejected.path, files.rejected);
    const snapshot = final.snapshot();
    const card = renderDatasetCard(snapshot, { title: options.title, generatedAt: now().toISOString() });
    try {
      await writeFile(files.card + PARTIAL, card);
    } catch (cause) {
      throw new ExportIoError(files.card, { cause });
    }
    await moveInto(files.card + PARTIAL, files.card);
    return { ...snapshot, files: { ...files } };
  };

  return {
    async write(item) {
      if (closing) throw new WriterClosedError();
      const c = item.candidate;
      if (removed.has(c.pmid)) {
        stats.addRemoved(1);
        return;
      }
      noteWritten(c.pmid, c.pmidVersion);
      if (item.verdict !== 'accept') {
        const row = toRejectedRow(item);
        stats.addRejected(row);
        return rejected.append(row);
      }
      const key = questionKey(c.question);
      const firstId = seenQuestions.get(key);
      if (firstId !== undefined) {
        const row = toRejectedRow(item, firstId);
        stats.addRejected(row);
        return rejected.append(row);
      }
      if (seenQuestions.size < maxDedupeKeys) seenQuestions.set(key, c.id);
      const row = toDatasetRow(item);
      stats.addAccepted(row);
      return dataset.append(row);
    },
    remove(pmid) {
      if (closing) throw new WriterClosedError();
      removed.add(pmid);
    },
    close(keep) {
      closing ??= finish(keep);
      return closing;
    },
  };
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (cause) {
    throw new ExportIoError(to, { cause });
  }
}
