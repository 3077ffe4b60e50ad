/**
 * English function words and the scaffolding of question templates: they match nearly every
 * abstract, so they would only add noise to a ranked query.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been being but by can could did do does for from had has have how if in into is it its ' +
    'may might more most no nor not of on or our over should so such than that the their them then there these ' +
    'they this those to was we were what when where which while who whom whose why will with would yes maybe ' +
    'also both each other only same very all any between during after before under about against among ' +
    'following best complete completes statement according abstract study studies conclusion report ' +
    'finding findings option options answer question questions mesh true false describe described one'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;

/** Most terms a query keeps: long questions add little past this and cost time. */
export const MAX_QUERY_TERMS = 32;

/**
 * The content words of a text for a ranked query: lower case, no stopwords, no one-letter words
 * (two-letter ones only with a digit or in capitals in the text, such as "HIV"'s shorter kin),
 * distinct, in order of first appearance, at most `maxTerms` (default {@link MAX_QUERY_TERMS}).
 */
export function queryTerms(text: string, maxTerms = MAX_QUERY_TERMS): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const m of text.normalize('NFKC').matchAll(WORD)) {
    const raw = m[0];
    const w = raw.toLowerCase();
    if (STOPWORDS.has(w) || seen.has(w)) continue;
    if (w.length < 2) continue;
    if (w.length === 2 && !/\d/.test(w) && raw !== raw.toUpperCase()) continue;
    seen.add(w);
    out.push(w);
    if (out.length >= maxTerms) break;
  }
  return out;
}

/** An FTS5 MATCH expression that ORs the terms, each quoted so no word is read as an operator. */
export function ftsMatchExpression(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}
