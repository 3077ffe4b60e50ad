import type { MeshDescriptor, MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { POOR_TARGET_UIS } from './selectTargets.ts';
import { stableHash } from './stableHash.ts';
import { containsAnyForm, descriptorForms } from './surfaceForms.ts';

/** Most descriptors collected when falling back to the target's top-level heading, to bound the cost. */
const BRANCH_SCAN_LIMIT = 5_000;

export interface PickDistractorsOptions {
  vocab: MeshVocabulary;
  targetUi: string;
  /** The key as written in the sentence; distractors differ from it and copy its casing style. */
  keyText: string;
  /** The full sentence: a descriptor that occurs in it is never a distractor. */
  sentence: string;
  /** Descriptors never to offer (the paper's own terms: they could be right too). */
  exclude: ReadonlySet<string>;
  count: number;
  seed: number;
}

/**
 * Picks wrong options for a multiple-choice item from the target's neighbourhood in MeSH: siblings
 * first, then cousins, then other descriptors under the same top-level heading. Ancestors and
 * descendants of the target are skipped (they would complete the sentence too). Order within a tier
 * is a seeded hash, so the result is deterministic. May return fewer than `count`.
 */
export function pickDistractors(opts: PickDistractorsOptions): string[] {
  const { vocab, targetUi } = opts;
  const targetAncestors = new Set(vocab.ancestors(targetUi));
  const picked: string[] = [];
  const usedTexts = new Set([opts.keyText.toLowerCase()]);
  const tried = new Set<string>([targetUi]);

  const consider = (uis: Iterable<string>): boolean => {
    const fresh = [...new Set(uis)]
      .filter((ui) => !tried.has(ui))
      .map((ui) => ({ ui, rank: stableHash(opts.seed, targetUi, ui) }))
      .sort((a, b) => a.rank - b.rank || a.ui.localeCompare(b.ui));
    for (const { ui } of fresh) {
      tried.add(ui);
      const d = vocab.get(ui);
      if (!d || !acceptable(d)) continue;
      const text = matchCase(displayText(d), opts.keyText);
      if (usedTexts.has(text.toLowerCase())) continue;
      usedTexts.add(text.toLowerCase());
      picked.push(text);
      if (picked.length >= opts.count) return true;
    }
    return false;
  };

  const acceptable = (d: MeshDescriptor): boolean =>
    !opts.exclude.has(d.ui) &&
    !POOR_TARGET_UIS.has(d.ui) &&
    !targetAncestors.has(d.ui) &&
    !vocab.ancestors(d.ui).includes(targetUi) &&
    !containsAnyForm(opts.sentence, descriptorForms(d));

  if (consider(vocab.siblings(targetUi))) return picked;
  const cousins: string[] = [];
  for (const parent of vocab.parents(targetUi)) {
    for (const uncle of vocab.siblings(parent)) cousins.push(...vocab.children(uncle));
  }
  if (consider(cousins)) return picked;
  consider(sameHeading(vocab, targetUi));
  return picked;
}

/** Descriptors under the target's top-level headings (e.g. "C18"), breadth-first, up to a bound. */
function sameHeading(vocab: MeshVocabulary, targetUi: string): string[] {
  const queue: string[] = [];
  for (const t of vocab.get(targetUi)?.treeNumbers ?? []) {
    // Some vocabularies have no descriptor at the category level ("C18"): start at the highest one that exists.
    const parts = t.split('.');
    for (let n = 1; n < parts.length; n++) {
      const head = vocab.byTreeNumber(parts.slice(0, n).join('.'));
      if (head) {
        if (!queue.includes(head.ui)) queue.push(head.ui);
        break;
      }
    }
  }
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && queue.length < BRANCH_SCAN_LIMIT; i++) {
    for (const child of vocab.children(queue[i]!)) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
    }
  }
  return queue;
}

/** A readable option text: the name unless it is inverted ("Diabetes Mellitus, Type 1"), else an uninverted entry term. */
function displayText(d: MeshDescriptor): string {
  if (!d.name.includes(',')) return d.name;
  const uninverted = (pred: (t: MeshDescriptor['terms'][number]) => boolean) =>
    d.terms.find((t) => pred(t) && !t.text.includes(','))?.text;
  return (
    uninverted((t) => t.preferredConcept && t.conceptPreferred) ??
    uninverted((t) => t.preferredConcept) ??
    uninverted(() => true) ??
    d.name
  );
}

/**
 * Copies the key's casing style so the key does not stand out: an all-lower-case key makes capitalised
 * words of the option lower case; a sentence-case key ("Type 2 diabetes") does so after the first word.
 * Acronyms and mixed-case words ("HbA1c") are left alone.
 */
function matchCase(text: string, keyText: string): string {
  const lowerAll = keyText === keyText.toLowerCase();
  const rest = keyText.slice(keyText.search(/\s/) + 1);
  const sentenceCase = !lowerAll && /\s/.test(keyText) && rest === rest.toLowerCase();
  if (!lowerAll && !sentenceCase) return text;
  let first = true;
  return text.replace(/\p{L}[\p{L}\p{N}-]*/gu, (w) => {
    const keep = sentenceCase && first;
    first = false;
    return !keep && /^\p{Lu}[\p{Ll}-]*$/u.test(w) ? w.toLowerCase() : w;
  });
}
