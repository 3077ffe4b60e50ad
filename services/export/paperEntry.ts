import type { JudgedItem } from '../model/qaItem.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';

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
export function isNewerJudgement(next: Pick<PaperEntry, 'pmidVersion' | 'producedAt'>, current: Pick<PaperEntry, 'pmidVersion' | 'producedAt'>): boolean {
  return next.pmidVersion > current.pmidVersion || (next.pmidVersion === current.pmidVersion && next.producedAt > current.producedAt);
}

/** The newest preference pairs of one paper, as the export keeps them. */
export interface PreferencesEntry {
  pmid: string;
  pmidVersion: number;
  /** When the pairs were produced (ms since epoch): a regeneration replaces older ones. */
  producedAt: number;
  preferences: RecordPreferences;
}
