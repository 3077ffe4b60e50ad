import { TOPICS } from '../contracts/avroSchemas.ts';
import { fromPubmedRecordValue } from '../contracts/pubmedRecordMapping.ts';
import { toAnnotatedRecordValue } from '../contracts/annotatedRecordMapping.ts';
import { createLineage } from '../contracts/lineage.ts';
import type { PubmedRecordMessage } from '../contracts/topicMessages.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import { annotateRecord } from './annotateRecord.ts';
import type { AnnotateContext } from './annotateContext.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';

/** The annotate stage as a Kafka service: pubmed.records.v1 → pubmed.annotated.v1; tombstones pass through. */
export function createAnnotateKafkaStage(options: {
  ctx: AnnotateContext;
  codeVersion: string;
  onAnnotated?: (record: AnnotatedRecord) => void;
}): KafkaStage {
  return {
    name: 'annotate',
    inputTopic: TOPICS.records,
    outputTopics: [TOPICS.annotated],
    dedupKey: (input) => (input.value === null ? null : `${input.key}@${(input.value as PubmedRecordMessage).version}`),
    async process(input) {
      if (input.value === null) return [{ topic: TOPICS.annotated, key: input.key, value: null }];
      const message = input.value as PubmedRecordMessage;
      const annotated = annotateRecord(fromPubmedRecordValue(message), options.ctx);
      options.onAnnotated?.(annotated);
      const lineage = createLineage('annotate', options.codeVersion);
      return [{ topic: TOPICS.annotated, key: input.key, value: toAnnotatedRecordValue(annotated, lineage, message.lineage) }];
    },
  };
}
