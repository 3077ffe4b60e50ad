import { QA_PREFERENCES } from '../contracts/topicContracts.ts';
import { StorageError } from '../errors/medistillErrors.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';
import type { PreferencesEntry } from '../export/paperEntry.ts';
import { stageResult, type StageDefinition } from './stageDefinition.ts';

export const PREFERENCES_EXPORT_OUTCOMES = ['applied', 'stale', 'deleted'] as const;
export type PreferencesExportOutcome = (typeof PREFERENCES_EXPORT_OUTCOMES)[number];


/** Where the pairs go: the export store, beside the paper's items. */
export interface PreferencesTarget {
  /** Keeps the entry unless one at least as new is held or the paper was deleted; false when ignored. */
  applyPreferences(entry: PreferencesEntry): Promise<boolean> | boolean;
  /** A deleted paper's pairs leave the dataset for good (with its items). */
  delete(pmid: string): Promise<void> | void;
  readonly dirty: boolean;
  checkpoint(): Promise<unknown>;
}

/**
 * export-preferences: qa.preferences.v1 → the dataset folder (a sink beside export, on the same
 * export store). The newest set of pairs of each paper replaces the older one whole (a higher PMID
 * version, or the same version produced later: a replay with a new generator), so the export holds
 * one set per paper; the store shows only pairs whose two items are in the paper's current
 * judgement, so pairs of a superseded judgement never sit beside new items. A tombstone deletes
 * the paper. `flush` checkpoints the store before offsets are committed.
 */
export function createPreferencesExportStage(options: { target: PreferencesTarget }): StageDefinition<RecordPreferences, never, PreferencesExportOutcome> {
  const { target } = options;
  return {
    name: 'export-preferences',
    input: QA_PREFERENCES,
    output: null,
    outcomes: PREFERENCES_EXPORT_OUTCOMES,
    failureReason: 'export_error',
    errors: [StorageError],
    dedupKey: () => null,
    async process(input) {
      if (input.value === null) {
        await target.delete(input.key);
        return stageResult('deleted');
      }
      const p = input.value;
      const applied = await target.applyPreferences({ pmid: p.pmid, pmidVersion: p.pmidVersion, producedAt: input.producedAt.getTime(), preferences: p });
      return stageResult(applied ? 'applied' : 'stale');
    },
    async flush() {
      if (target.dirty) await target.checkpoint();
    },
  };
}
