import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';

/**
 * Over-general descriptors. Everyday scientific words are entry terms of headings near the top of the
 * tree: "treatment" (Therapeutics), "cells" (Cells), "patients" (Patients), "population", "risk",
 * "disease", "proteins", "methods". Abstracts use them in passing on nearly every page, while
 * indexers pick the specific heading (a drug, a cell type, a disease) and almost never the general one.
 *
 * Rule: a predicted descriptor is over-general when it sits at depth 1 or 2 of the tree (a top-level
 * heading such as "C04", or one level below, such as "M01.643"; a descriptor without tree numbers counts
 * as top-level) and the text named it only by single words. A multi-word term ("drug therapy") is
 * specific enough to keep: the writer chose that phrase. Organisms and places (branches B and Z) are
 * exempt: "bacteria", "fungi" or "Europe" name a topic even at the top of the tree.
 *
 * A few deeper descriptors are everyday English words that the text almost never means as the heading
 * ("affect" the verb, "paper" as in "this paper", "with respect to", "life", "growth", "family",
 * "literature", "standards", "ability", "understanding", "self", "research", "gene", "genetic",
 * "in vitro"): OVER_GENERAL_UIS lists them by UI, whatever their depth. The list holds only such
 * everyday words, taken from the false positives measured on real abstracts; a specific heading that
 * indexers use when a paper is about it (Plasma, Hospitals, Mutation) is not on it.
 */

/** Descriptors that are common English or lab words rather than topics, by UI. */
export const OVER_GENERAL_UIS: ReadonlySet<string> = new Set([
  'D000339', // Affect ("affects", "affect")
  'D010209', // Paper ("this paper")
  'D019369', // Life
  'D006128', // Growth
  'D005190', // Family ("gene family", "family member")
  'D008091', // Literature ("the literature")
  'D012015', // Reference Standards ("standard", "standards")
  'D001076', // Aptitude ("ability")
  'D032882', // Comprehension ("understanding")
  'D004532', // Ego ("self")
  'D019370', // Observation ("observations")
  'D012306', // Risk
  'D004194', // Disease
  'D013850', // Thinking ("thought")
  'D005796', // Genes ("gene", "genes")
  'D005823', // Genetics ("genetic")
  'D012106', // Research
  'D000078682', // Respect ("with respect to")
  'D066298', // In Vitro Techniques ("in vitro")
]);

/** Deepest level at which a single-word match counts as over-general; see the file comment. */
export const OVER_GENERAL_MAX_DEPTH = 2;

/** Organisms (B) and places (Z) are named, not said in passing: "Bacteria", "Fungi", "Europe" stay. */
export const OVER_GENERAL_EXEMPT_BRANCHES: readonly string[] = ['B', 'Z'];

/**
 * Whether a predicted descriptor is too general to predict: listed in OVER_GENERAL_UIS, or at depth
 * <= OVER_GENERAL_MAX_DEPTH, named by single words only (`multiWord` false) and not only in branch B or Z.
 */
export function isOverGeneral(ui: string, multiWord: boolean, vocab: MeshVocabulary): boolean {
  if (OVER_GENERAL_UIS.has(ui)) return true;
  if (multiWord || vocab.depth(ui) > OVER_GENERAL_MAX_DEPTH) return false;
  const branches = vocab.branches(ui);
  return branches.length === 0 || !branches.every((b) => OVER_GENERAL_EXEMPT_BRANCHES.includes(b));
}
