import type { MeshTerm } from '../model/annotatedRecord.ts';
import type { MeshDescriptor, MeshVocabulary } from '../mesh/meshVocabulary.ts';

/** Shortest surface form worth blanking: two-letter forms ("DM", "MS") are too ambiguous. */
const MIN_FORM_LENGTH = 3;

/** A surface form found in a text, with its span. */
export interface FormMatch {
  /** The text as written in the sentence (original case). */
  text: string;
  start: number;
  end: number;
}

/**
 * Surface forms under which a target may appear in running text, longest first: the matches the
 * annotator found, else the descriptor's name and entry terms. Inverted forms ("Diabetes Mellitus,
 * Type 2") are left out because prose never writes them.
 */
export function surfaceFormsOf(term: Pick<MeshTerm, 'descriptorUi' | 'name' | 'matches'>, vocab: MeshVocabulary): string[] {
  if (term.matches && term.matches.length > 0) return normaliseForms(term.matches);
  const d = vocab.get(term.descriptorUi);
  return normaliseForms([term.name, ...(d ? descriptorTexts(d) : [])]);
}

/** Every text a descriptor may be written as: its name and its entry terms, uninverted ones only. */
export function descriptorForms(d: MeshDescriptor): string[] {
  return normaliseForms(descriptorTexts(d));
}

function descriptorTexts(d: MeshDescriptor): string[] {
  return [d.name, ...d.terms.map((t) => t.text)];
}

function normaliseForms(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of texts) {
    const t = raw.trim();
    if (t.length < MIN_FORM_LENGTH || t.includes(',')) continue;
    const key = t.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out.sort((a, b) => b.length - a.length || a.localeCompare(b));
}

/** First occurrence of any form in the text, case-insensitive on word boundaries; longer forms win at a tie. */
export function findForm(text: string, forms: readonly string[]): FormMatch | null {
  let best: FormMatch | null = null;
  const folded = fold(text);
  for (const form of forms) {
    if (!folded.includes(fold(form))) continue;
    const m = formPattern(form).exec(text);
    if (!m) continue;
    if (!best || m.index < best.start || (m.index === best.start && m[0].length > best.text.length)) {
      best = { text: m[0], start: m.index, end: m.index + m[0].length };
    }
  }
  return best;
}

/** True when any form occurs in the text (case-insensitive, whole words). */
export function containsAnyForm(text: string, forms: readonly string[]): boolean {
  const folded = fold(text);
  return forms.some((f) => folded.includes(fold(f)) && formPattern(f).test(text));
}

/**
 * Lower case with single spaces: a cheap substring pre-check that every regex match also passes,
 * so the (much slower) word-boundary regex only runs on texts that may hold the form.
 */
function fold(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

const patternCache = new Map<string, RegExp>();
const PATTERN_CACHE_MAX = 10_000;

function formPattern(form: string): RegExp {
  let p = patternCache.get(form);
  if (!p) {
    const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
    p = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu');
    if (patternCache.size >= PATTERN_CACHE_MAX) patternCache.clear();
    patternCache.set(form, p);
  }
  return p;
}
