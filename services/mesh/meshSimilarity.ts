import { MeshConfigError } from '../errors/medistillErrors.ts';
import type { MeshVocabulary } from './meshVocabulary.ts';
import { commonTreeDepth, treeNumberDepth } from './treeNumber.ts';

/** Hierarchy alignment between an item's target and the paper's descriptors (0..1, with the formula id). */
export type HierarchyScorer = (targetUi: string, paperUis: readonly string[]) => { score: number; formula: string };

/** Named similarity formulas over tree positions. */
export type SimilarityFormula = 'lcp' | 'wu-palmer';
export const SIMILARITY_FORMULAS: readonly SimilarityFormula[] = ['lcp', 'wu-palmer'];

/**
 * Version of the formulas: bump it whenever a score for the same inputs can change,
 * so judged items can say which formula their hierarchy score came from.
 */
const FORMULA_VERSION = 'v1';

/** A score in 0..1 and the id of the formula that produced it, e.g. "wu-palmer-bma/v1". */
export interface SimilarityScore {
  score: number;
  formula: string;
}

/** Id of the pairwise formula, e.g. "wu-palmer/v1". */
export function descriptorFormulaId(formula: SimilarityFormula): string {
  return `${formula}/${FORMULA_VERSION}`;
}

/** Id of the best-match-average set formula, e.g. "wu-palmer-bma/v1". */
export function setFormulaId(formula: SimilarityFormula): string {
  return `${formula}-bma/${FORMULA_VERSION}`;
}

function checkFormula(formula: string): asserts formula is SimilarityFormula {
  if (!SIMILARITY_FORMULAS.includes(formula as SimilarityFormula)) {
    throw new MeshConfigError(`unknown similarity formula "${formula}"; use one of ${SIMILARITY_FORMULAS.join(', ')}`);
  }
}

/**
 * Similarity of two tree numbers.
 * - lcp: shared levels / deeper depth ("C14" and "C15" share nothing and score 0).
 * - wu-palmer: 2·depth(lcs) / (depth(a) + depth(b)) with the category letter as an extra root level,
 *   so "C14" and "C15" meet at "C" and score 0.5, while "C14" and "D02" have no common node and score 0.
 */
function treeSimilarity(a: string, b: string, formula: SimilarityFormula): number {
  if (a === b) return 1;
  const shared = commonTreeDepth(a, b);
  const da = treeNumberDepth(a);
  const db = treeNumberDepth(b);
  if (formula === 'lcp') return shared / Math.max(da, db);
  if (a.charCodeAt(0) !== b.charCodeAt(0)) return 0;
  return (2 * (shared + 1)) / (da + 1 + (db + 1));
}

function pairScore(vocab: MeshVocabulary, a: string, b: string, formula: SimilarityFormula): number {
  const da = vocab.get(a);
  const db = vocab.get(b);
  if (!da || !db) return 0;
  if (a === b) return 1;
  let best = 0;
  for (const ta of da.treeNumbers) {
    for (const tb of db.treeNumbers) {
      const s = treeSimilarity(ta, tb, formula);
      if (s > best) best = s;
    }
  }
  return best;
}

/** Similarity of two descriptors: the best over every pair of their tree numbers; unknown UIs score 0. */
export function descriptorSimilarity(vocab: MeshVocabulary, a: string, b: string, formula: SimilarityFormula = 'wu-palmer'): SimilarityScore {
  checkFormula(formula);
  return { score: pairScore(vocab, a, b, formula), formula: descriptorFormulaId(formula) };
}

/**
 * Best-match average of two descriptor sets: the mean over A of each one's best match in B,
 * and the same from B to A, averaged. An empty side gives 0.
 */
export function setSimilarity(
  vocab: MeshVocabulary,
  as: readonly string[],
  bs: readonly string[],
  formula: SimilarityFormula = 'wu-palmer',
): SimilarityScore {
  checkFormula(formula);
  const id = setFormulaId(formula);
  if (as.length === 0 || bs.length === 0) return { score: 0, formula: id };
  const bestForB = new Array<number>(bs.length).fill(0);
  let sumA = 0;
  for (const a of as) {
    let bestA = 0;
    for (let j = 0; j < bs.length; j++) {
      const s = pairScore(vocab, a, bs[j] as string, formula);
      if (s > bestA) bestA = s;
      if (s > (bestForB[j] as number)) bestForB[j] = s;
    }
    sumA += bestA;
  }
  let sumB = 0;
  for (const s of bestForB) sumB += s;
  return { score: (sumA / as.length + sumB / bs.length) / 2, formula: id };
}

/** Judge hook: BMA of {target} against the paper's descriptors. */
export function createHierarchyScorer(vocab: MeshVocabulary, formula: SimilarityFormula = 'wu-palmer'): HierarchyScorer {
  checkFormula(formula);
  return (targetUi, paperUis) => setSimilarity(vocab, [targetUi], paperUis, formula);
}
