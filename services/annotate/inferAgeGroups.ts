/**
 * MeSH age groups from ages written as numbers: "aged 45-64 years", "mean age, 56 years",
 * "a 63-year-old man", "participants 12 years of age or older", "infants aged 6-23 months".
 *
 * Rule: every stated age or age range is mapped to each MeSH age group it overlaps, using the ranges
 * of the groups' scope notes. A number counts as an age only in an age phrase: preceded by "age",
 * "aged" or "ages" (a few words before, no other number in between) or followed by "old" or "of age".
 * A bare duration ("followed for 2 to 5 years", "a 5-year survival") is never an age. Whole ages are
 * whole years of life, so "aged 45-64" covers 45.0 up to 65.0 and touches Middle Aged only.
 * "Or older", "and over", "≥", "over" or "at least" next to the number open the range up to 80 (it says nothing about the oldest old);
 * "under", "younger than", "<" or "≤" make the phrase too vague to use and it is skipped.
 */

/** A MeSH age group with the ages (in years, lower bound included, upper excluded) its scope note gives. */
export interface AgeGroup {
  ui: string;
  name: string;
  from: number;
  to: number;
}

/** The MeSH age groups (descriptors under M01.060), youngest first. */
export const AGE_GROUPS: readonly AgeGroup[] = [
  { ui: 'D007231', name: 'Infant, Newborn', from: 0, to: 1 / 12 },
  { ui: 'D007223', name: 'Infant', from: 1 / 12, to: 2 },
  { ui: 'D002675', name: 'Child, Preschool', from: 2, to: 6 },
  { ui: 'D002648', name: 'Child', from: 6, to: 13 },
  { ui: 'D000293', name: 'Adolescent', from: 13, to: 19 },
  { ui: 'D055815', name: 'Young Adult', from: 19, to: 25 },
  { ui: 'D000328', name: 'Adult', from: 19, to: 45 },
  { ui: 'D008875', name: 'Middle Aged', from: 45, to: 65 },
  { ui: 'D000368', name: 'Aged', from: 65, to: 80 },
  { ui: 'D000369', name: 'Aged, 80 and over', from: 80, to: Infinity },
];

/** One age group found, with the phrase that gave it, as written. */
export interface AgeGroupHit {
  ui: string;
  cue: string;
}

/** An open range ("18 years or older") says nobody's age beyond: stop before the oldest group. */
const OPEN_END = 80;
const MAX_AGE = 120;
const NUM = String.raw`(\d{1,3}(?:\.\d+)?)`;
const UNIT = String.raw`(years?|yrs?|y|months?|mo|weeks?|wk|days?)`;
const RANGE = String.raw`${NUM}(?:\s*(?:±|\+\/-)\s*\d+(?:\.\d+)?)?(?:\s*(?:-|–|—|to|and)\s*${NUM})?`;
// "aged 45-64 years", "mean age, 56 years", "ages between 18 and 65 yrs": the words in between hold no digit.
const AFTER_AGE_WORD = new RegExp(String.raw`\bage[sd]?\b([^.;:\d]{0,30}?)${RANGE}[\s-]*${UNIT}\b([^.;\d]{0,12})`, 'gi');
// "63-year-old", "12 years of age or older", "6-23 months old".
const BEFORE_OLD = new RegExp(String.raw`${RANGE}[\s-]*${UNIT}[\s-]*(?:old|of\s+age)\b([^.;\d]{0,12})`, 'gi');
const OPEN_ABOVE = /(?:≥|>=|>|\bover|\babove|\bat least|\bolder than)\s*$/i;
const OPEN_BELOW = /(?:≤|<=|<|\bunder|\bbelow|\byounger than|\bless than)\s*$/i;
const OR_OLDER = /^\s*(?:or|and)\s+(?:older|over|above)\b/i;

function years(n: number, unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('mo')) return n / 12;
  if (u.startsWith('w')) return n / 52;
  if (u.startsWith('d')) return n / 365;
  return n;
}

function collect(
  text: string,
  re: RegExp,
  prefixGroup: number | null,
  out: Map<string, string>,
): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const prefix = prefixGroup === null ? '' : (m[prefixGroup] ?? '');
    const first = m[prefixGroup === null ? 1 : 2];
    const second = m[prefixGroup === null ? 2 : 3];
    const unit = m[prefixGroup === null ? 3 : 4] ?? 'years';
    const suffix = m[prefixGroup === null ? 4 : 5] ?? '';
    if (first === undefined || OPEN_BELOW.test(prefix)) continue;
    // The text before the match may carry the comparator too: "patients ≥ 70 years of age".
    if (OPEN_BELOW.test(text.slice(Math.max(0, m.index - 14), m.index))) continue;
    const a = Number(first);
    const b = second === undefined ? a : Number(second);
    if (!(a <= MAX_AGE && b <= MAX_AGE && a <= b)) continue;
    const whole = /^y/i.test(unit) ? 1 : 0;
    let from = years(a, unit);
    let to = years(b, unit) + years(whole, unit);
    if (to <= from) to = from + 1 / 365;
    const open = OPEN_ABOVE.test(prefix) || OPEN_ABOVE.test(text.slice(Math.max(0, m.index - 14), m.index)) || OR_OLDER.test(suffix);
    if (open) to = Math.max(to, OPEN_END);
    from = Math.max(0, from);
    const cue = m[0].slice(0, m[0].length - suffix.length).trim();
    for (const g of AGE_GROUPS) if (from < g.to && g.from < to && !out.has(g.ui)) out.set(g.ui, cue);
  }
}

/**
 * Age groups stated by numeric ages in `texts` (title and abstract sections), each with the first
 * phrase that gave it; groups in AGE_GROUPS order. Whether the ages are human ones is the caller's call.
 *
 * @example inferAgeGroups(['A 63-year-old man presented with...']) // [{ ui: 'D008875', cue: '63-year-old' }]
 */
export function inferAgeGroups(texts: readonly string[]): AgeGroupHit[] {
  const found = new Map<string, string>();
  for (const text of texts) {
    collect(text, AFTER_AGE_WORD, 1, found);
    collect(text, BEFORE_OLD, null, found);
  }
  return AGE_GROUPS.filter((g) => found.has(g.ui)).map((g) => ({ ui: g.ui, cue: found.get(g.ui) as string }));
}
