/** Auxiliaries that, moved to the front, turn a statement title into a yes/no question. */
const AUXILIARIES = new Set(['is', 'are', 'was', 'were', 'can', 'could', 'may', 'might', 'does', 'do', 'did', 'has', 'have', 'should', 'will']);
/** Contracted or fused negated auxiliaries, by the auxiliary they deny. */
const NEGATED_AUXILIARIES: Readonly<Record<string, string>> = {
  cannot: 'can', "can't": 'can', "doesn't": 'does', "don't": 'do', "didn't": 'did', "isn't": 'is', "aren't": 'are', "wasn't": 'was',
  "weren't": 'were', "hasn't": 'has', "haven't": 'have', "shouldn't": 'should', "won't": 'will',
};
/** Verbs that report a finding; in the third person they take "does" ("X reduces Y" → "Does X reduce Y?"). */
const FINDING_VERBS = new Set(
  (
    'predicts improves reduces increases decreases prevents affects causes protects promotes inhibits enhances impairs induces ' +
    'correlates modulates alters worsens lowers raises attenuates mediates regulates suppresses influences determines ' +
    'contributes facilitates accelerates delays restores limits doubles triples identifies detects benefits shortens prolongs ' +
    'exacerbates ameliorates elevates activates blocks abolishes'
  ).split(' '),
);
/** The same verbs in the plural ("Statins reduce..."): taken only after a plural-looking subject, since many are also nouns or adjectives. */
const PLURAL_FINDING_VERBS = new Set([...FINDING_VERBS].map((v) => baseForm(v)));
const WH_WORDS = /^(?:how|what|why|when|where|which|who|whom|whose)$/i;
const MIN_WORDS = 4;
const MAX_WORDS = 40;

/** A question made from a title, with the answer the title itself gives when it states a finding. */
export interface TitleQuestion {
  question: string;
  /**
   * What the title asserts: "yes" for a finding stated, "no" for one denied ("X does not reduce Y" asks
   * "Does X reduce Y?"), the way PubMedQA labelled its artificial items; null when the title asks
   * (the answer is then in the conclusion) or its denial does not read as a plain "not".
   */
  titleAnswer: 'yes' | 'no' | null;
}

/**
 * The title as a yes/no question about the paper's finding, the way PubMedQA built its artificial
 * items, with the answer the title itself gives: a title that asks one is kept (no answer); a statement
 * whose main verb is an auxiliary ("X is associated with Y") or a verb of finding ("X reduces Y") is
 * inverted ("Is X associated with Y?", "Does X reduce Y?") and answered "yes"; a denied finding is
 * asked without its "not" and answered "no". Anything else (a topic, "X: a randomised trial") gives
 * null: no question is better than one that is not about the finding.
 * @example titleQuestion('Metformin reduces mortality in sepsis.') // { question: 'Does metformin reduce mortality in sepsis?', titleAnswer: 'yes' }
 * @example titleQuestion('Metformin does not reduce mortality in sepsis.') // { question: 'Does metformin reduce mortality in sepsis?', titleAnswer: 'no' }
 */
export function titleQuestion(rawTitle: string): TitleQuestion | null {
  const title = rawTitle.trim().replace(/^\[(.*)\]\.?$/, '$1').replace(/\s+/g, ' ');
  if (!title) return null;
  const count = title.split(/\s+/).length;
  // One sentence only: a title of several sentences is a headline or a letter, not a research question.
  if (/[.!?]\s+\p{Lu}/u.test(title.replace(/[?.]+$/, '')) || count > MAX_WORDS) return null;
  if (title.endsWith('?')) return count >= MIN_WORDS ? { question: title, titleAnswer: null } : null;
  // "Finding: design" — the finding is before the colon; a design or topic alone is not a question.
  const statement = title.split(/:\s/)[0]!.replace(/[.\s]+$/, '');
  const words = statement.split(' ');
  if (words.length < MIN_WORDS || /[;?!]/.test(statement) || WH_WORDS.test(words[0]!)) return null;
  for (let i = 1; i < Math.min(words.length - 1, 12); i++) {
    const w = words[i]!.toLowerCase();
    if (/[,()]/.test(words[i - 1]!) || /[,()]/.test(words[i]!)) return null;
    const negated = NEGATED_AUXILIARIES[w];
    if (AUXILIARIES.has(w) || negated) {
      const aux = negated ?? w;
      const rest = words.slice(i + 1);
      const denied = negated !== undefined || rest[0]?.toLowerCase() === 'not';
      if (rest[0]?.toLowerCase() === 'not') rest.shift();
      if (rest.length === 0) return null;
      // "X has no effect on Y": a denial that does not read as a plain "not" is left to the conclusion.
      const titleAnswer = denied ? 'no' : /^(?:no|never|neither)$/i.test(rest[0]!) ? null : 'yes';
      return { question: `${capitalise(aux)} ${subject(words.slice(0, i))} ${rest.join(' ')}?`, titleAnswer };
    }
    const pluralVerb = PLURAL_FINDING_VERBS.has(w) && /[^su]s$/i.test(words[i - 1]!);
    if (FINDING_VERBS.has(w) || pluralVerb) {
      const plural = pluralVerb && !FINDING_VERBS.has(w);
      const base = plural ? w : baseForm(w);
      return { question: `${plural ? 'Do' : 'Does'} ${subject(words.slice(0, i))} ${base} ${words.slice(i + 1).join(' ')}?`, titleAnswer: 'yes' };
    }
  }
  return null;
}

function baseForm(verb: string): string {
  if (verb.endsWith('ies')) return `${verb.slice(0, -3)}y`;
  if (/(?:sses|shes|ches|xes|zes)$/.test(verb)) return verb.slice(0, -2);
  return verb.slice(0, -1);
}

function capitalise(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** The subject, its first word lower-cased unless it is an acronym or a name-like word (second letter upper case, digits). */
function subject(words: readonly string[]): string {
  const [first, ...rest] = words;
  const keep = /^\p{Lu}[\p{Lu}\p{N}-]/u.test(first!) || /\d/.test(first!);
  return [keep ? first! : first!.charAt(0).toLowerCase() + first!.slice(1), ...rest].join(' ');
}
