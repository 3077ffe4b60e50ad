import { PUBMED_ANNOTATED, QA_CANDIDATES } from '../contracts/topicContracts.ts';
import type { RecordCandidates } from '../contracts/topicMessages.ts';
import type { Generator } from '../generate/generator.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import { LlmError } from '../errors/medistillErrors.ts';
import { passTombstone, stageResult, type StageDefinition, type StageResult } from './stageDefinition.ts';

export const GENERATE_OUTCOMES = ['candidates', 'no_abstract', 'no_candidates', 'deleted'] as const;
export type GenerateOutcome = (typeof GENERATE_OUTCOMES)[number];

export interface GenerateStageOptions {
  generator: Generator;
}

/**
 * generate: pubmed.annotated.v1 → qa.candidates.v1, one message per PMID version, so every paper is
 * accounted for downstream:
 * - a record without an abstract gives no items, outcome "no_abstract" (nothing to ground them in);
 * - otherwise the generator writes candidates for descriptors chosen across MeSH branches; items
 *   it could not produce are listed with their reasons (the record goes on), and a record with none
 *   left has outcome "no_candidates";
 * - a tombstone passes through.
 * A record version is generated once per generator, version and prompt version: a redelivery is
 * dropped, a new prompt or model generates again.
 */
export function createGenerateStage(options: GenerateStageOptions): StageDefinition<AnnotatedRecord, RecordCandidates, GenerateOutcome> {
  const { generator } = options;
  return {
    name: 'generate',
    input: PUBMED_ANNOTATED,
    output: QA_CANDIDATES,
    outcomes: GENERATE_OUTCOMES,
    failureReason: 'generate_error',
    errors: [LlmError],
    // Each record costs LLM calls; a small in-flight bound keeps a slow LLM from filling memory.
    defaultMaxInFlight: 64,
    dedupKey: (input) =>
      input.value === null ? null : `${input.key}@${input.value.record.version}@${generator.name}/${generator.version}/${generator.promptVersion}`,
    async process(input, { signal, instrumentation }): Promise<StageResult<RecordCandidates, GenerateOutcome>> {
      if (input.value === null) return passTombstone(input.key);
      const annotated = input.value;
      const { record } = annotated;
      const base = { pmid: record.pmid, pmidVersion: record.version, meshVersion: annotated.meshVersion };
      if (record.abstract.length === 0) {
        return stageResult('no_abstract', [{ key: input.key, value: { ...base, outcome: 'no_abstract', items: [], failures: [] } }]);
      }
      const { items, failures } = await generator.generate(annotated, signal);
      instrumentation.emit({ type: 'quality.candidates', stage: 'generate', items });
      const outcome = items.length > 0 ? 'candidates' : 'no_candidates';
      return stageResult(outcome, [{ key: input.key, value: { ...base, outcome, items, failures } }], failures);
    },
  };
}
