import { TOPICS } from '../contracts/avroSchemas.ts';
import { fromRecordJudgementValue } from '../contracts/recordJudgementMapping.ts';
import type { RecordJudgementMessage } from '../contracts/topicMessages.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import { openExportStore, type ExportStoreOptions } from './exportStore.ts';

/**
 * The export stage as a Kafka sink: qa.judged.v1 → the dataset folder. The export store keeps the
 * newest judgement of each paper (a revision or a regeneration replaces the old items; a tombstone
 * removes them) and, before offsets are committed, makes the changes durable and rewrites only the
 * shards they touched.
 */
export async function createExportKafkaStage(
  options: { outDir: string; log: (line: string) => void } & Omit<ExportStoreOptions, 'outDir'>,
): Promise<KafkaStage> {
  const { log, ...storeOptions } = options;
  // Beside the dataset folder, where the export state has always been kept.
  const stateDir = storeOptions.stateDir ?? `${options.outDir.replace(/\/+$/, '')}.state`;
  const store = await openExportStore({ ...storeOptions, stateDir });
  const restored = await store.checkpoint();
  log(`export: ${restored.papers} papers restored from ${stateDir}`);
  return {
    name: 'export',
    inputTopic: TOPICS.judged,
    outputTopics: [],
    async process(input) {
      if (input.value === null) {
        await store.delete(input.key);
        return [];
      }
      const message = input.value as RecordJudgementMessage;
      const judgement = fromRecordJudgementValue(message);
      await store.apply({
        pmid: judgement.pmid,
        pmidVersion: judgement.pmidVersion,
        producedAt: message.lineage.producedAt.getTime(),
        meshVersion: judgement.meshVersion,
        items: judgement.items,
      });
      return [];
    },
    async flush() {
      if (!store.dirty) return;
      const c = await store.checkpoint();
      log(`export: ${c.papers} papers, ${c.accepted} accepted items in ${c.files.accepted} (${c.shardsWritten} of ${c.shards} shards written)`);
    },
  };
}
