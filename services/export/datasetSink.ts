import type { DatasetSink } from '../runtime/inprocess/runPipeline.ts';
import { createDatasetWriter, type DatasetSummary, type DatasetWriterOptions } from './createDatasetWriter.ts';

/** The in-process pipeline's sink: the dataset writer, reporting what the run summary needs. */
export interface DatasetExportSink extends DatasetSink {
  remove(pmid: string): void;
  close(keep: (pmid: string, version: number) => boolean): Promise<DatasetSummary & { accepted: number; duplicatesDropped: number }>;
}

/**
 * Adapts the dataset writer to the pipeline's `DatasetSink`: `close(keep)` drops the items of record
 * versions the run superseded or deleted before the files and the card are finalised.
 * @example const sink = createDatasetSink({ outDir: 'out', meshVersion: vocab.version });
 */
export function createDatasetSink(options: DatasetWriterOptions): DatasetExportSink {
  const writer = createDatasetWriter(options);
  return {
    write: (item) => writer.write(item),
    remove: (pmid) => writer.remove(pmid),
    async close(keep) {
      const summary = await writer.close(keep);
      return { ...summary, duplicatesDropped: summary.duplicates };
    },
  };
}
