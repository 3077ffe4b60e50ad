import { QA_JUDGED, QA_PREFERENCES } from '../contracts/topicContracts.ts';
import type { RecordJudgement } from '../contracts/topicMessages.ts';
import { PreferenceInputError } from '../errors/medistillErrors.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';
import { buildPreferencePairs, checkPreferenceMargin, DEFAULT_PREFERENCE_MARGIN } from '../preferences/buildPreferencePairs.ts';
import { passTombstone, stageResult, type StageDefinition, type StageResult } from './stageDefinition.ts';

export const PREFERENCES_OUTCOMES = ['pairs', 'no_pairs', 'deleted'] as const;
export type PreferencesOutcome = (typeof PREFERENCES_OUTCOMES)[number];

export interface PreferencesStageOptions {
  /** Least difference of combined scores for a pair (default 0.05). */
  margin?: number;
}

/**
 * preferences: qa.judged.v1 → qa.preferences.v1, one message per judged PMID version, with the
 * preference pairs of its targets (two generators' candidates for one target, the better chosen,
 * the worse rejected, when their combined scores differ by at least the margin) and why every
 * other target gave none. A message goes out even with no pairs, so a revision or a regeneration
 * that yields none still replaces the paper's old pairs; a tombstone passes through. A judgement
 * that cannot be read (items of another paper, scores outside 0..1) is an error the runtime
 * dead-letters. Redeliveries of one judgement (same items) are dropped.
 */
export function createPreferencesStage(options: PreferencesStageOptions = {}): StageDefinition<RecordJudgement, RecordPreferences, PreferencesOutcome> {
  const margin = checkPreferenceMargin(options.margin ?? DEFAULT_PREFERENCE_MARGIN);
  return {
    name: 'preferences',
    input: QA_JUDGED,
    output: QA_PREFERENCES,
    outcomes: PREFERENCES_OUTCOMES,
    failureReason: 'preferences_error',
    errors: [PreferenceInputError],
    dedupKey: (input) =>
      input.value === null ? null : `${input.key}@${input.value.pmidVersion}@${input.value.items.map((i) => `${i.candidate.id}:${i.judgedAt}`).join(',')}@${margin}`,
    async process(input, { instrumentation }): Promise<StageResult<RecordPreferences, PreferencesOutcome>> {
      if (input.value === null) return passTombstone(input.key);
      const preferences = buildPreferencePairs(input.value, { margin });
      instrumentation.emit({ type: 'quality.preferences', stage: 'preferences', preferences });
      return stageResult(preferences.outcome, [{ key: input.key, value: preferences }]);
    },
  };
}
