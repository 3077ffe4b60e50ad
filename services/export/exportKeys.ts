import { pmidKey } from './pmidKey.ts';

/**
 * Key layout of the export's table store. One letter per table, then `!`; keys sort as strings, so a
 * table is the range from `<letter>!` up to `<letter>"` (`"` is the character after `!`).
 *
 * - `p!<pmid key>`: the newest judgement of a paper (StoredPaper)
 * - `t!<pmid key>`: tombstone of a deleted PMID
 * - `q!<question key>!<position>`: one accepted item asking that question (QuestionHolder); the
 *   first in key order holds the question, the others are its duplicates
 * - `o!<question key>`: the current holder of a question, kept so a shard resolves its duplicates in
 *   one multi-get
 * - `r!<pmid key>`: the newest preference pairs of a paper (StoredPreferences)
 * - `d!<pmid key>`: a paper whose rows changed since the last checkpoint
 * - `m!counters`: sequence and removal counters
 */
export const KEYS = {
  paper: (pmid: string) => `p!${pmidKey(pmid)}`,
  paperAt: (key: string) => `p!${key}`,
  tombstone: (pmid: string) => `t!${pmidKey(pmid)}`,
  preferences: (pmid: string) => `r!${pmidKey(pmid)}`,
  holder: (question: string, position: string) => `q!${question}!${position}`,
  holdersOf: (question: string) => ({ gt: `q!${question}!`, lt: `q!${question}"` }),
  owner: (question: string) => `o!${question}`,
  dirty: (pmid: string) => `d!${pmidKey(pmid)}`,
  dirtyRange: { gt: 'd!', lt: 'd"' },
  paperRange: (fromKey: string, toKey: string | null) => ({ gte: `p!${fromKey}`, lt: toKey === null ? 'p"' : `p!${toKey}` }),
  anyPaper: { gt: 'p!', lt: 'p"', limit: 1 },
  counters: 'm!counters',
} as const;

/**
 * The position of an item in the question order: the paper's arrival sequence, then the item's index.
 * A revision keeps its paper's sequence, so a paper keeps the questions it held first.
 */
export function itemPosition(seq: number, index: number): string {
  return `${seq.toString(36).padStart(9, '0')}.${index.toString(36).padStart(4, '0')}`;
}
