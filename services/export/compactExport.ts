import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { DatasetRow, RejectedRow } from './datasetRow.ts';
import { createStatsAccumulator, type StatsAccumulator } from './datasetStats.ts';
import { ExportIoError } from '../errors/medistillErrors.ts';
import { openJsonlFile, type JsonlFile } from './jsonlFile.ts';
import { questionKey } from './questionKey.ts';

export interface CompactExportOptions {
  datasetPath: string;
  rejectedPath: string;
  /** True for a record version whose items must leave the export (deleted or superseded paper). */
  drop: (pmid: string, version: number) => boolean;
  meshVersion: string | null;
  /** Items already skipped at write time because their paper was deleted. */
  removedBefore: number;
  maxDedupeKeys: number;
}

/**
 * Rewrites both JSONL files without the rows of dropped record versions, and recomputes the statistics
 * from what remains. A duplicate whose first occurrence was dropped takes its place in the dataset,
 * so a revised paper does not lose the questions it shares with its withdrawn version.
 */
export async function compactExport(options: CompactExportOptions): Promise<StatsAccumulator> {
  const stats = createStatsAccumulator(options.meshVersion);
  stats.addRemoved(options.removedBefore);
  const seen = new Map<string, string>();
  const dataset = openJsonlFile(`${options.datasetPath}.compact`);
  const rejected = openJsonlFile(`${options.rejectedPath}.compact`);
  try {
    for await (const row of readRows<DatasetRow>(options.datasetPath)) {
      if (options.drop(row.pmid, row.pmid_version)) {
        stats.addRemoved(1);
        continue;
      }
      remember(seen, row, options.maxDedupeKeys);
      stats.addAccepted(row);
      await dataset.append(row);
    }
    for await (const row of readRows<RejectedRow>(options.rejectedPath)) {
      if (options.drop(row.pmid, row.pmid_version)) {
        stats.addRemoved(1);
        continue;
      }
      if (row.reject_reasons.includes('duplicate')) {
        const first = seen.get(questionKey(row.question));
        if (first === undefined) {
          const { verdict: _verdict, reject_reasons: _reasons, duplicate_of: _dup, ...promoted } = row;
          remember(seen, promoted, options.maxDedupeKeys);
          stats.addAccepted(promoted);
          await dataset.append(promoted);
          continue;
        }
        row.duplicate_of = first;
      }
      stats.addRejected(row);
      await rejected.append(row);
    }
    await Promise.all([dataset.end(), rejected.end()]);
    await replace(dataset.path, options.datasetPath);
    await replace(rejected.path, options.rejectedPath);
    return stats;
  } catch (err) {
    await discard(dataset);
    await discard(rejected);
    throw err instanceof ExportIoError ? err : new ExportIoError(options.datasetPath, { cause: err });
  }
}

function remember(seen: Map<string, string>, row: DatasetRow, max: number): void {
  if (seen.size < max) seen.set(questionKey(row.question), row.id);
}

async function* readRows<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line) yield JSON.parse(line) as T;
  }
}

async function replace(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (cause) {
    throw new ExportIoError(to, { cause });
  }
}

async function discard(file: JsonlFile): Promise<void> {
  file.destroy();
  await rm(file.path, { force: true });
}
