import type { CriterionScore, ItemType, Provenance } from './qaItem.ts';

/** One side of a preference pair: a judged candidate as a DPO response, with its scores. */
export interface PreferenceSide {
  itemId: string;
  type: ItemType;
  /** The candidate written out as the response a generator gives to the pair's prompt. */
  text: string;
  generator: Provenance;
  /** Every criterion the judge scored, with its reason. */
  scores: Record<string, CriterionScore>;
  /** The combined score the pair was ranked by. */
  combined: number;
  verdict: 'accept' | 'reject';
  rejectReasons: string[];
}

/** Two candidates for one target from two generators: the better one chosen, the other rejected. */
export interface PreferencePair {
  /** Deterministic: a hash of the two item ids. */
  id: string;
  pmid: string;
  pmidVersion: number;
  target: { descriptorUi: string; name: string; treeNumbers: string[] };
  /** What both generators were asked: the target and the abstract. */
  prompt: string;
  chosen: PreferenceSide;
  rejected: PreferenceSide;
  /** chosen.combined − rejected.combined (at least the configured margin). */
  margin: number;
  /** Why the chosen one won: the criteria where the two differ most, and the verdicts. */
  reasons: string[];
}

/** Why a target of a judged paper gave no pair. */
export type UnpairedReason = 'one_generator' | 'below_margin' | 'judge_error';
export const UNPAIRED_REASONS: readonly UnpairedReason[] = ['one_generator', 'below_margin', 'judge_error'];

export interface UnpairedTarget {
  targetUi: string;
  reason: UnpairedReason;
  detail: string;
}

/** The preference pairs of one judged PMID version (possibly none): the export keeps the newest set per paper. */
export interface RecordPreferences {
  pmid: string;
  pmidVersion: number;
  outcome: 'pairs' | 'no_pairs';
  /** The margin the pairs were cut at, and the formula of the combined score. */
  margin: number;
  scoring: string;
  pairs: PreferencePair[];
  unpaired: UnpairedTarget[];
  meshVersion: string;
}
