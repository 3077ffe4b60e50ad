import { PUBMED_ANNOTATED, PUBMED_RECORDS } from '../contracts/topicContracts.ts';
import type { AnnotateContext } from '../annotate/annotateContext.ts';
import { annotateRecord } from '../annotate/annotateRecord.ts';
import { withNeighbourMesh, type NeighbourAnnotation, type NeighbourSearch } from '../annotate/neighbourMesh.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import { passTombstone, stageResult, type StageDefinition, type StageResult } from './stageDefinition.ts';

export const ANNOTATE_OUTCOMES = ['annotated', 'deleted'] as const;
export type AnnotateOutcome = (typeof ANNOTATE_OUTCOMES)[number];

export interface AnnotateStageOptions {
  ctx: AnnotateContext;
  /** MeSH from the nearest indexed papers for records NLM has not indexed yet (source `neighbours`). */
  neighbours?: NeighbourAnnotation;
}

/**
 * annotate: pubmed.records.v1 → pubmed.annotated.v1. Every record is annotated with MeSH
 * descriptors, their tree numbers and ancestors (the NLM headings when it has them, predicted from
 * title and abstract when it has none), whether or not it has an abstract: what to do without one is
 * generate's decision. A tombstone (a deleted paper) passes through. A record version is annotated
 * once: redeliveries of the same PMID and version are dropped.
 */
export function createAnnotateStage(options: AnnotateStageOptions): StageDefinition<PubmedArticle, AnnotatedRecord, AnnotateOutcome> {
  const { ctx } = options;
  return {
    name: 'annotate',
    input: PUBMED_RECORDS,
    output: PUBMED_ANNOTATED,
    outcomes: ANNOTATE_OUTCOMES,
    failureReason: 'annotate_error',
    errors: [],
    dedupKey: (input) => (input.value === null ? null : `${input.key}@${input.value.version}`),
    async process(input, { instrumentation }): Promise<StageResult<AnnotatedRecord, AnnotateOutcome>> {
      if (input.value === null) return passTombstone(input.key);
      const annotated = annotateRecord(input.value, ctx);
      const nb = options.neighbours;
      if (nb && input.value.meshHeadings.length === 0) {
        // The neighbours' query is a retrieval like the judge's: counted by outcome (an empty index, no hits) and timed.
        const started = performance.now();
        let outcome = 'no_hits';
        const search: NeighbourSearch = {
          search(text, o) {
            const found = nb.search.search(text, o);
            outcome = found.outcome ?? (found.documents.length > 0 ? 'hits' : 'no_hits');
            return found;
          },
        };
        annotated.mesh = withNeighbourMesh(input.value, annotated.mesh, { ...nb, search });
        instrumentation.emit({ type: 'retrieval.query', stage: 'annotate', outcome, seconds: (performance.now() - started) / 1000 });
      }
      instrumentation.emit({ type: 'quality.annotated', stage: 'annotate', record: annotated });
      return stageResult('annotated', [{ key: input.key, value: annotated }]);
    },
  };
}
