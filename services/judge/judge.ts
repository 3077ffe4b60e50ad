import type { JudgedItem, QaCandidate, RetrievalEvidence } from '../model/qaItem.ts';

export type { HierarchyScorer } from '../mesh/meshSimilarity.ts';

/** A judge backend (rule-based or LLM). */
export interface Judge {
  readonly name: string;
  readonly version: string;
  readonly promptVersion: string;
  /** Judges one candidate; `retrieval` carries the retrieval-grounded score when a literature index is configured. */
  judge(candidate: QaCandidate, signal?: AbortSignal, retrieval?: RetrievalEvidence): Promise<JudgedItem>;
}
