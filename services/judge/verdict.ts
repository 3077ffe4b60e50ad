import { z } from 'zod';
import { CRITERIA, type Criterion, type CriterionScore, type RejectReason, type VerificationOfChoice } from '../model/qaItem.ts';

/** Minimum score per criterion for an item to be accepted (0..1). */
export const thresholdsSchema = z.object({
  grounded: z.number().min(0).max(1).default(0.6),
  answerable: z.number().min(0).max(1).default(0.6),
  correct: z.number().min(0).max(1).default(0.6),
  clear: z.number().min(0).max(1).default(0.5),
  hierarchy: z.number().min(0).max(1).default(0.3),
  // Reported, not gating, by default: it ranks a target's candidates (preferences) more than it filters.
  retrieval: z.number().min(0).max(1).default(0),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;
export const DEFAULT_THRESHOLDS: Thresholds = thresholdsSchema.parse({});

/**
 * The single place that turns scores into a verdict: every criterion must reach its threshold,
 * and a multiple-choice item must pass Verification-of-Choice.
 */
export function decideVerdict(
  scores: Record<Criterion, CriterionScore>,
  thresholds: Thresholds,
  voc: VerificationOfChoice | null,
): { verdict: 'accept' | 'reject'; rejectReasons: RejectReason[] } {
  const rejectReasons: RejectReason[] = [];
  for (const c of CRITERIA) {
    if (scores[c].score < thresholds[c]) rejectReasons.push(`low_${c}`);
  }
  if (voc && !voc.passed) rejectReasons.push('voc_failed');
  return { verdict: rejectReasons.length === 0 ? 'accept' : 'reject', rejectReasons };
}
