import type { JudgedItem, QaCandidate } from '../model/qaItem.ts';

export type { HierarchyScorer } from '../mesh/meshSimilarity.ts';

/** A judge backend (rule-based or LLM). */
export interface Judge {
  readonly name: string;
  readonly version: string;
  readonly promptVersion: string;
  judge(candidate: QaCandidate, signal?: AbortSignal): Promise<JudgedItem>;
}
