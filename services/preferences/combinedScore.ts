import type { CriterionScore } from '../model/qaItem.ts';

/** Id of the combined score, recorded with every pair: bump it when the formula changes. */
export const COMBINED_SCORE_FORMULA = 'mean-of-criteria/v1';

/**
 * The single number two candidates of a target are ranked by: the mean of every criterion the
 * judge scored (whatever criteria it has), each in 0..1. Equal weights on purpose: a criterion
 * that matters more already has its own threshold in the verdict, and the pair keeps every score
 * so a trainer can re-rank with its own weights.
 * @example combinedScore({ grounded: { score: 1, reason: '' }, clear: { score: 0.5, reason: '' } }) // 0.75
 */
export function combinedScore(scores: Readonly<Record<string, CriterionScore>>): number {
  const values = Object.values(scores).map((s) => s.score);
  if (values.length === 0) return 0;
  return values.reduce((a, b) => a + b, 0) / values.length;
}
