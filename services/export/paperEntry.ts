import type { JudgedItem } from '../model/qaItem.ts';

/** The newest judgement of one paper, as the export keeps it. */
export interface PaperEntry {
  pmid: string;
  pmidVersion: number;
  /** When the judgement was produced (ms since epoch): a regeneration replaces an older one. */
  producedAt: number;
  meshVersion: string;
  items: JudgedItem[];
}

/**
 * True when `next` replaces `current`: a higher PMID version, or the same version produced later
 * (a replay with a new prompt or model). An equal entry is not newer, so redelivery changes nothing.
 */
export function isNewerJudgement(next: PaperEntry, current: PaperEntry): boolean {
  return next.pmidVersion > current.pmidVersion || (next.pmidVersion === current.pmidVersion && next.producedAt > current.producedAt);
}
