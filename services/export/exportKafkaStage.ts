import { TOPICS } from '../contracts/avroSchemas.ts';
import { fromRecordJudgementValue } from '../contracts/recordJudgementMapping.ts';
import type { RecordJudgementMessage } from '../contracts/topicMessages.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import { ExportState } from './exportState.ts';

/**
 * The export stage as a Kafka sink: qa.judged.v1 → the dataset folder. It keeps the newest
 * judgement of each paper (a revision or a regeneration replaces the old items; a tombstone removes
 * them) and, before offsets are committed, saves its state and rewrites the dataset atomically.
 */
export async function createExportKafkaStage(options: { outDir: string; log: (line: string) => void }): Promise<KafkaStage> {
  // Beside the dataset folder, which is swapped whole on every checkpoint.
  const stateDir = `${options.outDir.replace(/\/+$/, '')}.state`;
  const state = await ExportState.load(stateDir);
  options.log(`export: ${state.size} papers restored from ${stateDir}`);
  return {
    name: 'export',
    inputTopic: TOPICS.judged,
    outputTopics: [],
    async process(input) {
      if (input.value === null) {
        state.delete(input.key);
        return [];
      }
      const message = input.value as RecordJudgementMessage;
      const judgement = fromRecordJudgementValue(message);
      state.apply({
        pmid: judgement.pmid,
        pmidVersion: judgement.pmidVersion,
        producedAt: message.lineage.producedAt.getTime(),
        meshVersion: judgement.meshVersion,
        items: judgement.items,
      });
      return [];
    },
    async flush() {
      if (!state.dirty) return;
      await state.save(stateDir);
      const summary = await state.materialize(options.outDir);
      options.log(`export: ${state.size} papers, ${summary.accepted} accepted items in ${summary.files.dataset}`);
    },
  };
}
