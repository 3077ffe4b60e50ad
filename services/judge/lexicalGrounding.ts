/**
 * Function words, and the scaffolding words of question templates ("Which ... completes the statement"),
 * which say nothing about whether an item is grounded in its context.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by can could did do does for from had has have how if in into is it its ' +
    'may might more most no nor not of on or our over should so such than that the their them then there these ' +
    'they this those to was we were what when where which while who whom whose why will with would yes maybe ' +
    'also both each other only same very all any between during after before under about against among ' +
    'following best complete completes statement according abstract study conclusion conclusions report ' +
    'clear positive finding findings option options answer question mesh'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'-]*/gu;

/**
 * Light suffix stripping (plurals, -ed, -ing, final e), applied the same way to both sides of a
 * comparison, so "reduces", "reduced" and "reducing" meet; it is not a linguistic stemmer.
 */
export function lightStem(word: string): string {
  let w = word.toLowerCase().replace(/'s$/, '');
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (/(?:ches|shes|xes|zes)$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** Stemmed content words of a text: no stopwords, no one- or two-letter words unless they hold a digit. */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = m[0].toLowerCase().replace(/['-]+$/, '');
    if (STOPWORDS.has(w)) continue;
    if (w.length < 3 && !/\d/.test(w)) continue;
    out.push(lightStem(w));
  }
  return out;
}

/** The set of stemmed words of a text (stopwords included: a context may hold any word). */
export function wordSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(WORD)) out.add(lightStem(m[0].toLowerCase().replace(/['-]+$/, '')));
  return out;
}

/** Share of the distinct content words of `text` that occur in `words` (0 when text has none), with the missing ones. */
export function lexicalGrounding(text: string, words: ReadonlySet<string>): { share: number; total: number; missing: string[] } {
  const distinct = [...new Set(contentWords(text))];
  if (distinct.length === 0) return { share: 0, total: 0, missing: [] };
  const missing = distinct.filter((w) => !words.has(w));
  return { share: (distinct.length - missing.length) / distinct.length, total: distinct.length, missing };
}
