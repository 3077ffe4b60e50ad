import { QA_JUDGED } from '../contracts/topicContracts.ts';
import type { RecordJudgement } from '../contracts/topicMessages.ts';
import type { PaperEntry } from '../export/paperEntry.ts';
import { StorageError } from '../errors/medistillErrors.ts';
import { stageResult, type StageDefinition } from './stageDefinition.ts';

export const EXPORT_OUTCOMES = ['applied', 'stale', 'deleted'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];

/** The newest judgement of one paper, as the export keeps it. */
export type ExportEntry = PaperEntry;

/** Where the export keeps papers and writes the dataset (the export store). */
export interface ExportTarget<C = unknown> {
  /** Keeps the entry unless one at least as new is held or the paper was deleted; false when ignored. */
  apply(entry: ExportEntry): Promise<boolean> | boolean;
  /** A deleted paper's items leave the dataset for good. */
  delete(pmid: string): Promise<void> | void;
  readonly dirty: boolean;
  /** Makes what was applied durable and brings the dataset folder up to date. */
  checkpoint(): Promise<C>;
}

export interface ExportStageOptions<C> {
  target: ExportTarget<C>;
  /** Told what each checkpoint wrote (the services log it). */
  onCheckpoint?: (checkpoint: C) => void;
}

/**
 * export: qa.judged.v1 → the dataset folder (a sink). The export keeps the newest judgement of each
 * paper: a higher PMID version, or the same version judged later (a replay with a new prompt or
 * model), replaces the old items; a tombstone removes the paper for good. Applying the same
 * judgement twice changes nothing, which makes redelivery harmless. `flush` checkpoints the store;
 * the Kafka runtime calls it before committing offsets, the in-process runtime at the end.
 */
export function createExportStage<C>(options: ExportStageOptions<C>): StageDefinition<RecordJudgement, never, ExportOutcome> {
  const { target } = options;
  return {
    name: 'export',
    input: QA_JUDGED,
    output: null,
    outcomes: EXPORT_OUTCOMES,
    failureReason: 'export_error',
    errors: [StorageError],
    dedupKey: () => null,
    async process(input) {
      if (input.value === null) {
        await target.delete(input.key);
        return stageResult('deleted');
      }
      const j = input.value;
      const applied = await target.apply({ pmid: j.pmid, pmidVersion: j.pmidVersion, producedAt: input.producedAt.getTime(), meshVersion: j.meshVersion, items: j.items });
      return stageResult(applied ? 'applied' : 'stale');
    },
    async flush() {
      if (!target.dirty) return;
      const checkpoint = await target.checkpoint();
      options.onCheckpoint?.(checkpoint);
    },
  };
}
