import { TOPICS } from '../contracts/avroSchemas.ts';
import { InvalidInputError } from '../errors/medistillErrors.ts';
import { createLineage } from '../contracts/lineage.ts';
import { toPubmedRecordValue } from '../contracts/pubmedRecordMapping.ts';
import type { PubmedRecordMessage } from '../contracts/topicMessages.ts';
import type { PubmedItem } from '../model/pubmedRecord.ts';

/** The stage name ingest outputs carry in their lineage and dead letters. */
export const INGEST_STAGE = 'ingest';

/** What one ingested entry becomes; the runtime produces it (Kafka) or hands it on (in-process). */
export type IngestOutput =
  /** An article: a record keyed by PMID; `dedupKey` (pmid@version) drops a version already emitted. */
  | { kind: 'record'; topic: string; key: string; value: PubmedRecordMessage; dedupKey: string }
  /** A DeleteCitation: a tombstone for the PMID, so the record leaves compacted topics and downstream data. */
  | { kind: 'tombstone'; topic: string; key: string; value: null }
  /**
   * A part that could not be parsed: it goes to the dead-letter topic of `topic` with its raw text.
   * `position` is the character offset in its input, standing in for a Kafka offset.
   */
  | { kind: 'dead_letter'; topic: string; key: string | null; raw: string; error: InvalidInputError; source: string; position: string };

/** How an entry is counted (ingest.entry events, medistill_ingest_records_total). */
export type IngestEntryKind = 'article' | 'deletion' | 'failure';

/** The kind of an entry as the ingest metrics label it. */
export function ingestEntryKind(item: PubmedItem): IngestEntryKind {
  return item.kind === 'error' ? 'failure' : item.kind;
}

/**
 * Maps one source entry to its output: an article to its pubmed.records.v1 value, a deletion to a
 * tombstone, a parse failure to a dead letter naming where in its input it was. Pure: no broker,
 * no clock unless `now` is left out (the lineage's producedAt).
 * @example const out = ingestSourceItem(item, { codeVersion: '1.4.0' }); if (out.kind === 'record') send(out.key, out.value);
 */
export function ingestSourceItem(item: PubmedItem, options: { codeVersion: string; now?: Date }): IngestOutput {
  switch (item.kind) {
    case 'article':
      return {
        kind: 'record',
        topic: TOPICS.records,
        key: item.pmid,
        value: toPubmedRecordValue(item, createLineage(INGEST_STAGE, options.codeVersion, options.now)),
        dedupKey: `${item.pmid}@${item.version}`,
      };
    case 'deletion':
      return { kind: 'tombstone', topic: TOPICS.records, key: item.pmid, value: null };
    case 'error': {
      const error = new InvalidInputError(`${item.source}:${item.position.line}:${item.position.column}: ${item.message}`, {
        stage: INGEST_STAGE,
        ...(item.pmid === null ? {} : { pmid: item.pmid }),
      });
      return { kind: 'dead_letter', topic: TOPICS.records, key: item.pmid, raw: item.raw, error, source: item.source, position: String(item.position.offset) };
    }
  }
}
