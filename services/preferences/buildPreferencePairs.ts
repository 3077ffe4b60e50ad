import { createHash } from 'node:crypto';
import { PreferenceConfigError, PreferenceInputError } from '../errors/medistillErrors.ts';
import type { PreferencePair, PreferenceSide, RecordPreferences, UnpairedTarget } from '../model/preferencePair.ts';
import type { JudgedItem } from '../model/qaItem.ts';
import { COMBINED_SCORE_FORMULA, combinedScore } from './combinedScore.ts';
import { preferencePrompt, preferenceResponse } from './preferenceText.ts';

/** The default least difference of combined scores for a pair: below it the judge has no real preference. */
export const DEFAULT_PREFERENCE_MARGIN = 0.05;

/** The judged paper pairs are built from. */
export interface JudgedPaper {
  pmid: string;
  pmidVersion: number;
  items: readonly JudgedItem[];
  meshVersion: string;
}

/** Checks a margin setting: a number from 0 to 1. */
export function checkPreferenceMargin(margin: number): number {
  if (!Number.isFinite(margin) || margin < 0 || margin > 1) throw new PreferenceConfigError(`the preference margin must be a number from 0 to 1, got ${margin}`);
  return margin;
}

const identity = (i: JudgedItem): string => `${i.candidate.generator.name}/${i.candidate.generator.version}/${i.candidate.generator.promptVersion}`;

/**
 * Turns the judged candidates of one paper into preference pairs. Candidates are grouped by target
 * descriptor; a target with candidates from two generators gives a pair when their combined scores
 * differ by at least `margin`: the higher is chosen, the lower rejected (the i-th candidate of one
 * generator is matched with the i-th of the other when a generator wrote several). Every target that
 * gives no pair is listed with the reason: one generator only, a difference below the margin, or a
 * judge error (scores that say nothing). Throws PreferenceInputError for a judgement that cannot
 * be read (items of another paper, scores outside 0..1). Pure and deterministic.
 * @example const { pairs, unpaired } = buildPreferencePairs(judgement, { margin: 0.05 });
 */
export function buildPreferencePairs(paper: JudgedPaper, options: { margin?: number } = {}): RecordPreferences {
  const margin = checkPreferenceMargin(options.margin ?? DEFAULT_PREFERENCE_MARGIN);
  const byTarget = new Map<string, JudgedItem[]>();
  for (const item of paper.items) {
    check(paper, item);
    const ui = item.candidate.target.descriptorUi;
    const list = byTarget.get(ui);
    if (list) list.push(item);
    else byTarget.set(ui, [item]);
  }
  const pairs: PreferencePair[] = [];
  const unpaired: UnpairedTarget[] = [];
  for (const [ui, items] of byTarget) {
    const byGenerator = new Map<string, JudgedItem[]>();
    for (const item of items) {
      const list = byGenerator.get(identity(item));
      if (list) list.push(item);
      else byGenerator.set(identity(item), [item]);
    }
    const groups = [...byGenerator.values()];
    if (groups.length < 2) {
      unpaired.push({ targetUi: ui, reason: 'one_generator', detail: `${items.length} candidate(s), all from ${identity(items[0]!)}` });
      continue;
    }
    // Two generators per target; a third configuration (never built by medistill) is left unpaired rather than guessed at.
    const [a, b] = groups as [JudgedItem[], JudgedItem[]];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x.rejectReasons.includes('judge_error') || y.rejectReasons.includes('judge_error')) {
        unpaired.push({ targetUi: ui, reason: 'judge_error', detail: `the judge failed on ${x.rejectReasons.includes('judge_error') ? x.candidate.id : y.candidate.id}` });
        continue;
      }
      const sx = combinedScore(x.scores);
      const sy = combinedScore(y.scores);
      const diff = Math.abs(sx - sy);
      if (diff < margin) {
        unpaired.push({ targetUi: ui, reason: 'below_margin', detail: `combined scores ${sx.toFixed(3)} and ${sy.toFixed(3)} differ by less than ${margin}` });
        continue;
      }
      const [chosen, rejected] = sx > sy ? [x, y] : [y, x];
      pairs.push(toPair(paper, chosen, rejected));
    }
  }
  return {
    pmid: paper.pmid,
    pmidVersion: paper.pmidVersion,
    outcome: pairs.length > 0 ? 'pairs' : 'no_pairs',
    margin,
    scoring: COMBINED_SCORE_FORMULA,
    pairs,
    unpaired,
    meshVersion: paper.meshVersion,
  };
}

function check(paper: JudgedPaper, item: JudgedItem): void {
  const c = item.candidate;
  if (c.pmid !== paper.pmid) {
    throw new PreferenceInputError(`judgement of PMID ${paper.pmid} holds item ${c.id} of PMID ${c.pmid}`, { pmid: paper.pmid });
  }
  for (const [criterion, s] of Object.entries(item.scores)) {
    if (!Number.isFinite(s.score) || s.score < 0 || s.score > 1) {
      throw new PreferenceInputError(`PMID ${paper.pmid} item ${c.id}: score ${criterion} = ${s.score} is not a number from 0 to 1`, { pmid: paper.pmid });
    }
  }
}

function side(item: JudgedItem): PreferenceSide {
  const c = item.candidate;
  return {
    itemId: c.id,
    type: c.type,
    text: preferenceResponse(c),
    generator: { ...c.generator },
    scores: Object.fromEntries(Object.entries(item.scores).map(([k, s]) => [k, { score: s.score, reason: s.reason }])),
    combined: combinedScore(item.scores),
    verdict: item.verdict,
    rejectReasons: [...item.rejectReasons],
  };
}

function toPair(paper: JudgedPaper, chosenItem: JudgedItem, rejectedItem: JudgedItem): PreferencePair {
  const chosen = side(chosenItem);
  const rejected = side(rejectedItem);
  const t = chosenItem.candidate.target;
  return {
    id: createHash('sha256').update(`${chosen.itemId}\u0000${rejected.itemId}`).digest('hex').slice(0, 24),
    pmid: paper.pmid,
    pmidVersion: paper.pmidVersion,
    target: { descriptorUi: t.descriptorUi, name: t.name, treeNumbers: [...t.treeNumbers] },
    prompt: preferencePrompt(chosenItem.candidate),
    chosen,
    rejected,
    margin: chosen.combined - rejected.combined,
    reasons: pairReasons(chosen, rejected),
  };
}

/** The verdicts when they differ, then the criteria where the chosen side scored higher, largest gap first. */
function pairReasons(chosen: PreferenceSide, rejected: PreferenceSide): string[] {
  const out: string[] = [];
  if (chosen.verdict !== rejected.verdict) {
    out.push(`chosen ${chosen.verdict}ed, rejected ${rejected.verdict}ed${rejected.rejectReasons.length ? ` (${rejected.rejectReasons.join(', ')})` : ''}`);
  }
  const gaps = Object.keys(chosen.scores)
    .map((k) => ({ k, gap: chosen.scores[k]!.score - (rejected.scores[k]?.score ?? 0) }))
    .filter((g) => g.gap !== 0)
    .sort((p, q) => Math.abs(q.gap) - Math.abs(p.gap) || p.k.localeCompare(q.k));
  for (const { k, gap } of gaps) {
    out.push(`${k} ${chosen.scores[k]!.score.toFixed(2)} vs ${rejected.scores[k]!.score.toFixed(2)} (${gap > 0 ? '+' : ''}${gap.toFixed(2)}): ${rejected.scores[k]!.reason}`);
  }
  return out;
}
