import { lastValueFrom, toArray, defaultIfEmpty } from 'rxjs';
import { TOPICS } from '../contracts/avroSchemas.ts';
import { fromRecordCandidatesValue } from '../contracts/recordCandidatesMapping.ts';
import { toRecordJudgementValue } from '../contracts/recordJudgementMapping.ts';
import { createLineage } from '../contracts/lineage.ts';
import type { RecordCandidatesMessage } from '../contracts/topicMessages.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import { boundedMapAsync } from '../operators/boundedMapAsync.ts';
import type { JudgedItem } from '../model/qaItem.ts';
import type { Judge } from './judge.ts';

/** The judge stage as a Kafka service: qa.candidates.v1 → qa.judged.v1, one judgement per PMID version. */
export function createJudgeKafkaStage(options: {
  judge: Judge;
  codeVersion: string;
  concurrency?: number;
  onJudged?: (items: JudgedItem[]) => void;
}): KafkaStage {
  const { judge } = options;
  return {
    name: 'judge',
    inputTopic: TOPICS.candidates,
    // Each record costs LLM calls; a small in-flight bound keeps a slow LLM from filling memory.
    defaultMaxInFlight: 64,
    outputTopics: [TOPICS.judged],
    dedupKey: (input) => {
      if (input.value === null) return null;
      const m = input.value as RecordCandidatesMessage;
      // A regeneration carries new item ids, so it is judged again; a redelivery is not.
      return `${input.key}@${m.pmidVersion}@${m.items.map((i) => i.id).join(',')}@${judge.name}/${judge.version}/${judge.promptVersion}`;
    },
    async process(input) {
      if (input.value === null) return [{ topic: TOPICS.judged, key: input.key, value: null }];
      const candidates = fromRecordCandidatesValue(input.value as RecordCandidatesMessage);
      const items = await lastValueFrom(
        boundedMapAsync(candidates.items, (c) => judge.judge(c), options.concurrency ?? 4).pipe(toArray(), defaultIfEmpty([] as JudgedItem[])),
      );
      options.onJudged?.(items);
      const value = toRecordJudgementValue({ ...candidates, items }, createLineage('judge', options.codeVersion));
      return [{ topic: TOPICS.judged, key: input.key, value }];
    },
  };
}
