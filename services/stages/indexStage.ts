import { PUBMED_ANNOTATED } from '../contracts/topicContracts.ts';
import { EmbeddingsError, StorageError } from '../errors/medistillErrors.ts';
import type { EmbeddingsClient } from '../llm/embeddingsClient.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import { indexedDocumentOf } from '../retrieval/indexedDocument.ts';
import type { LiteratureIndex, StoredVector } from '../retrieval/literatureIndex.ts';
import { stageResult, type StageDefinition, type StageResult } from './stageDefinition.ts';

export const INDEX_OUTCOMES = ['indexed', 'replaced', 'unchanged', 'stale', 'no_abstract', 'deleted'] as const;
export type IndexOutcome = (typeof INDEX_OUTCOMES)[number];

export interface IndexStageOptions {
  index: LiteratureIndex;
  /** Dense vectors stored beside the text; a failing endpoint leaves the paper indexed lexically (counted). */
  embeddings?: EmbeddingsClient;
}

/**
 * index: pubmed.annotated.v1 → the literature index (a sink). Every annotated abstract is indexed
 * with its PMID, version, title, abstract, MeSH descriptors, year and language; a newer version
 * replaces it, an older one is ignored, the same one again changes nothing (so a restart or a
 * redelivery does not re-index), and a tombstone (DeleteCitation) removes it. `flush` folds the
 * write-ahead log into the database file; every write is already committed on its own.
 */
export function createIndexStage(options: IndexStageOptions): StageDefinition<AnnotatedRecord, never, IndexOutcome> {
  const { index, embeddings } = options;
  return {
    name: 'index',
    input: PUBMED_ANNOTATED,
    output: null,
    outcomes: INDEX_OUTCOMES,
    failureReason: 'index_error',
    errors: [StorageError],
    dedupKey: () => null,
    async process(input, { instrumentation, signal }): Promise<StageResult<never, IndexOutcome>> {
      const report = (outcome: string): void => instrumentation.emit({ type: 'retrieval.indexed', stage: 'index', outcome, documents: index.count() });
      if (input.value === null) {
        index.remove(input.key);
        report('deleted');
        return stageResult('deleted');
      }
      const doc = indexedDocumentOf(input.value);
      if (!doc) {
        report('no_abstract');
        return stageResult('no_abstract');
      }
      let vector: StoredVector | undefined;
      const held = index.versionOf(doc.pmid);
      if (embeddings && (held === null || held < doc.version)) {
        try {
          const [v] = await embeddings.embed([`${doc.title}\n${doc.abstract}`], signal);
          vector = { model: embeddings.model, vector: v as Float32Array };
        } catch (err) {
          if (!(err instanceof EmbeddingsError)) throw err;
          report('embeddings_failed');
        }
      }
      const outcome = index.upsert(doc, vector);
      const stageOutcome: IndexOutcome = outcome === 'indexed' || outcome === 'replaced' || outcome === 'unchanged' || outcome === 'stale' ? outcome : 'indexed';
      report(stageOutcome);
      return stageResult(stageOutcome);
    },
    async flush() {
      index.checkpoint();
    },
  };
}
