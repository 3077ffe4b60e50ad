import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import { primaryBranch } from './meshBranches.ts';

/**
 * Descriptors that make poor question targets, by UI: NLM's check tags (species, sex, age groups,
 * pregnancy) and study-design headings that describe how a paper was done rather than what it found.
 * The list is explicit on purpose: a tree-number rule (all of M01, all of B01.050) would also drop
 * good targets such as "Health Personnel" (M01.526) or a pathogen under B01.
 */
export const POOR_TARGET_UIS: ReadonlySet<string> = new Set([
  'D006801', // Humans
  'D000818', // Animals
  'D008297', // Male
  'D005260', // Female
  'D011247', // Pregnancy
  'D007231', // Infant, Newborn
  'D007223', // Infant
  'D002675', // Child, Preschool
  'D002648', // Child
  'D000293', // Adolescent
  'D055815', // Young Adult
  'D000328', // Adult
  'D008875', // Middle Aged
  'D000368', // Aged
  'D000369', // Aged, 80 and over
  'D051379', // Mice
  'D051381', // Rats
  'D002417', // Cattle
  'D002415', // Cats
  'D004285', // Dogs
  'D013552', // Swine
  'D011817', // Rabbits
  'D012756', // Sheep
  'D006168', // Guinea Pigs
  'D006224', // Cricetinae
  'D006736', // Horses
  'D012189', // Retrospective Studies
  'D011446', // Prospective Studies
  'D015331', // Cohort Studies
  'D003430', // Cross-Sectional Studies
  'D005500', // Follow-Up Studies
  'D016896', // Treatment Outcome
  'D013997', // Time Factors
  'D011795', // Surveys and Questionnaires
]);

/** Branch V (Publication Characteristics) describes the document, never its content. */
const EXCLUDED_BRANCHES: ReadonlySet<string> = new Set(['V']);

/**
 * Chooses up to `max` target descriptors so that items spread over MeSH branches: terms are grouped
 * by the branch of their first tree number, ordered within a branch by major topic, then score, then
 * UI, and taken round-robin across branches (the branch with the strongest term first). Check tags,
 * study-design headings, branch V and descriptors without tree numbers are skipped. Deterministic.
 * @example selectTargets(record, 3) // e.g. one disease, one drug, one anatomy term
 */
export function selectTargets(record: AnnotatedRecord, max: number): MeshTerm[] {
  if (!Number.isInteger(max) || max <= 0) return [];
  // A descriptor attached twice (e.g. by NLM and by the dictionary) counts once, with its strongest entry.
  const best = new Map<string, MeshTerm>();
  for (const term of record.mesh) {
    const other = best.get(term.descriptorUi);
    if (!other || compareTerms(term, other) < 0) best.set(term.descriptorUi, term);
  }
  const byBranch = new Map<string, MeshTerm[]>();
  for (const term of best.values()) {
    if (POOR_TARGET_UIS.has(term.descriptorUi)) continue;
    const branch = primaryBranch(term.treeNumbers);
    if (!branch || EXCLUDED_BRANCHES.has(branch)) continue;
    const list = byBranch.get(branch);
    if (list) list.push(term);
    else byBranch.set(branch, [term]);
  }
  const queues = [...byBranch.entries()].map(([branch, terms]) => ({ branch, terms: terms.sort(compareTerms) }));
  queues.sort((a, b) => compareTerms(a.terms[0]!, b.terms[0]!) || a.branch.localeCompare(b.branch));

  const out: MeshTerm[] = [];
  for (let round = 0; out.length < max; round++) {
    let took = false;
    for (const q of queues) {
      const term = q.terms[round];
      if (!term) continue;
      took = true;
      out.push(term);
      if (out.length >= max) break;
    }
    if (!took) break;
  }
  return out;
}

function compareTerms(a: MeshTerm, b: MeshTerm): number {
  return (
    Number(b.majorTopic) - Number(a.majorTopic) ||
    b.score - a.score ||
    a.descriptorUi.localeCompare(b.descriptorUi)
  );
}

/**
 * The record's terms for the given descriptor UIs, in the order given (the strongest entry of a
 * descriptor attached twice); UIs the record does not carry are left out.
 * @example requestedTargets(record, ['D003924', 'D008687'])
 */
export function requestedTargets(record: AnnotatedRecord, uis: readonly string[]): MeshTerm[] {
  const best = new Map<string, MeshTerm>();
  for (const term of record.mesh) {
    const other = best.get(term.descriptorUi);
    if (!other || compareTerms(term, other) < 0) best.set(term.descriptorUi, term);
  }
  const out: MeshTerm[] = [];
  for (const ui of new Set(uis)) {
    const term = best.get(ui);
    if (term) out.push(term);
  }
  return out;
}
