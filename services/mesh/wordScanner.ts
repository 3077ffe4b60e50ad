/**
 * Word segmentation and folding shared by the dictionary side and the text side of the matcher:
 * both must cut and fold words identically or a term cannot match its own text.
 *
 * A word is a run of letters, digits and combining marks. Everything else (spaces, hyphens, slashes,
 * commas, brackets, quotes) separates words, so "beta-Blockers", "beta blockers" and
 * "Blockers, beta" all become the same words. A possessive "'s" is dropped
 * ("Alzheimer's disease" -> alzheimer disease).
 */

const WORD = 1;
const SEPARATOR = 2;
/** Per UTF-16 code unit: 0 not classified yet, WORD or SEPARATOR; filled lazily. */
let charClasses: Uint8Array | null = null;
const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  if (c >= 0xd800 && c <= 0xdfff) return true; // astral letters: keep the pair together
  const table = (charClasses ??= new Uint8Array(65536));
  let k = table[c] as number;
  if (k === 0) {
    k = LETTER_OR_DIGIT.test(String.fromCharCode(c)) ? WORD : SEPARATOR;
    table[c] = k;
  }
  return k === WORD;
}

function isApostrophe(c: number): boolean {
  return c === 39 || c === 0x2019;
}

/** Calls `onWord(start, end)` for each word of `text`, in order, with UTF-16 offsets (end exclusive). */
export function scanWords(text: string, onWord: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && !isWordChar(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
    onWord(start, i);
    // Possessive: "X's" ends the word at the apostrophe and swallows the s.
    if (i + 1 < n && isApostrophe(text.charCodeAt(i))) {
      const s = text.charCodeAt(i + 1);
      if ((s === 115 || s === 83) && (i + 2 >= n || !isWordChar(text.charCodeAt(i + 2)))) i += 2;
    }
  }
}

/**
 * Folds a lower-case word to a singular key: "tumors" -> "tumor", "therapies" -> "therapy",
 * "abscesses" -> "abscess", "viruses" -> "virus"; words in -ss, -us, -is ("virus", "diagnosis")
 * and words of three letters or fewer are left alone. Both sides go through the same rules, so an
 * imperfect stem ("diabetes" -> "diabete") still matches itself.
 */
export function foldWord(w: string): string {
  const n = w.length;
  if (n <= 3 || w.charCodeAt(n - 1) !== 115 /* s */) return w;
  const p = w.charCodeAt(n - 2);
  if (p === 115 /* s */ || p === 117 /* u */ || p === 105 /* i */) return w;
  if (p === 101 /* e */) {
    const q = w.charCodeAt(n - 3);
    if (q === 105 /* i */ && n > 4) return w.slice(0, -3) + 'y';
    if (q === 115 /* s */ && (w.charCodeAt(n - 4) === 115 || w.charCodeAt(n - 4) === 117)) return w.slice(0, -2);
  }
  return w.slice(0, -1);
}

/** The folded words of a term or phrase, e.g. "Infarctions, Myocardial" -> ["infarction", "myocardial"]. */
export function foldedWords(text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  // Lower-casing can change the length of a few characters; fall back to per-word lower-casing then.
  const same = lower.length === text.length;
  scanWords(text, (s, e) => out.push(foldWord(same ? lower.slice(s, e) : text.slice(s, e).toLowerCase())));
  return out;
}
