/**
 * Abbreviations after which a full stop does not end a sentence (lower case, without the stop).
 * Biomedical abstracts use these constantly; splitting on them would cut statements in half.
 */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'e.g', 'i.e', 'vs', 'al', 'fig', 'figs', 'approx', 'ca', 'no', 'nos', 'ref', 'refs', 'dr', 'mr', 'mrs', 'ms',
  'prof', 'st', 'spp', 'sp', 'var', 'cf', 'resp', 'etc', 'viz', 'incl', 'min', 'max', 'mo', 'yr', 'yrs', 'wk', 'wks',
]);

const BOUNDARY = /([.!?])(["')\]]?)(\s+)(?=[\p{Lu}\p{N}(["'])/gu;

/**
 * Splits text into sentences at '.', '!' or '?' followed by space and an upper-case letter, digit or
 * opening bracket, and at line breaks; known abbreviations and single-letter initials do not end a sentence.
 * @example splitSentences('We used e.g. metformin. It worked.') // ['We used e.g. metformin.', 'It worked.']
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let start = 0;
    for (const m of line.matchAll(BOUNDARY)) {
      const end = m.index + m[1]!.length + m[2]!.length;
      if (m[1] === '.' && !endsSentence(line.slice(start, m.index))) continue;
      pushTrimmed(out, line.slice(start, end));
      start = end + m[3]!.length;
    }
    pushTrimmed(out, line.slice(start));
  }
  return out;
}

function endsSentence(before: string): boolean {
  const lastToken = /([\p{L}.]+)$/u.exec(before)?.[1]?.toLowerCase() ?? '';
  if (lastToken.length === 1) return false;
  return !ABBREVIATIONS.has(lastToken);
}

function pushTrimmed(out: string[], s: string): void {
  const t = s.trim();
  if (t) out.push(t);
}
