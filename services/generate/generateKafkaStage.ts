import { TOPICS } from '../contracts/avroSchemas.ts';
import { fromAnnotatedRecordValue } from '../contracts/annotatedRecordMapping.ts';
import { toRecordCandidatesValue } from '../contracts/recordCandidatesMapping.ts';
import { createLineage } from '../contracts/lineage.ts';
import type { AnnotatedRecordMessage, MessageOutcome } from '../contracts/topicMessages.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import type { QaCandidate } from '../model/qaItem.ts';
import type { Generator } from './generator.ts';

/**
 * The generate stage as a Kafka service: pubmed.annotated.v1 → qa.candidates.v1, one message per
 * PMID version (with no items and the reason when nothing could be generated), so every paper is
 * accounted for downstream. Tombstones pass through.
 */
export function createGenerateKafkaStage(options: {
  generator: Generator;
  codeVersion: string;
  onCandidates?: (items: QaCandidate[]) => void;
}): KafkaStage {
  const { generator } = options;
  return {
    name: 'generate',
    inputTopic: TOPICS.annotated,
    // Each record costs LLM calls; a small in-flight bound keeps a slow LLM from filling memory.
    defaultMaxInFlight: 64,
    outputTopics: [TOPICS.candidates],
    dedupKey: (input) =>
      input.value === null ? null : `${input.key}@${(input.value as AnnotatedRecordMessage).record.version}@${generator.name}/${generator.version}/${generator.promptVersion}`,
    async process(input, signal) {
      if (input.value === null) return [{ topic: TOPICS.candidates, key: input.key, value: null }];
      const annotated = fromAnnotatedRecordValue(input.value as AnnotatedRecordMessage);
      const { record } = annotated;
      let outcome: MessageOutcome;
      let items: QaCandidate[] = [];
      let failures: { reason: string; message: string }[] = [];
      if (record.abstract.length === 0) {
        outcome = 'no_abstract';
      } else {
        const result = await generator.generate(annotated, signal);
        items = result.items;
        failures = result.failures;
        outcome = items.length > 0 ? 'candidates' : 'no_candidates';
      }
      options.onCandidates?.(items);
      const value = toRecordCandidatesValue(
        { pmid: record.pmid, pmidVersion: record.version, outcome, items, failures, meshVersion: annotated.meshVersion },
        createLineage('generate', options.codeVersion),
      );
      return [{ topic: TOPICS.candidates, key: input.key, value }];
    },
  };
}
