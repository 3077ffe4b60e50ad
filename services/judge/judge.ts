import type { JudgedItem, QaCandidate } from '../model/qaItem.ts';

/** Hierarchy alignment between an item's target and the paper's descriptors (0..1, with the formula id). */
export type HierarchyScorer = (targetUi: string, paperUis: readonly string[]) => { score: number; formula: string };

/** A judge backend (rule-based or LLM). */
export interface Judge {
  readonly name: string;
  readonly version: string;
  readonly promptVersion: string;
  judge(candidate: QaCandidate, signal?: AbortSignal): Promise<JudgedItem>;
}
