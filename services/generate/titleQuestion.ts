/** Auxiliaries that, moved to the front, turn a statement title into a yes/no question. */
const AUXILIARIES = new Set(['is', 'are', 'was', 'were', 'can', 'could', 'may', 'might', 'does', 'do', 'did', 'has', 'have', 'should', 'will']);
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

/**
 * The title as a yes/no question about the paper's finding, the way PubMedQA built its artificial
 * items: a title that asks one is kept; a statement whose main verb is an auxiliary ("X is associated
 * with Y") or a verb of finding ("X reduces Y") is inverted ("Is X associated with Y?", "Does X reduce
 * Y?"). Anything else (a topic, "X: a randomised trial") gives null: no question is better than one
 * that is not about the finding.
 * @example titleAsQuestion('Metformin reduces mortality in sepsis.') // 'Does metformin reduce mortality in sepsis?'
 */
export function titleAsQuestion(rawTitle: string): string | null {
  const title = rawTitle.trim().replace(/^\[(.*)\]\.?$/, '$1').replace(/\s+/g, ' ');
  if (!title) return null;
  const count = title.split(/\s+/).length;
  // One sentence only: a title of several sentences is a headline or a letter, not a research question.
  if (/[.!?]\s+\p{Lu}/u.test(title.replace(/[?.]+$/, '')) || count > MAX_WORDS) return null;
  if (title.endsWith('?')) return count >= MIN_WORDS ? title : null;
  // "Finding: design" — the finding is before the colon; a design or topic alone is not a question.
  const statement = title.split(/:\s/)[0]!.replace(/[.\s]+$/, '');
  const words = statement.split(' ');
  if (words.length < MIN_WORDS || /[;?!]/.test(statement) || WH_WORDS.test(words[0]!)) return null;
  for (let i = 1; i < Math.min(words.length - 1, 12); i++) {
    const w = words[i]!.toLowerCase();
    if (/[,()]/.test(words[i - 1]!) || /[,()]/.test(words[i]!)) return null;
    if (AUXILIARIES.has(w)) {
      return `${capitalise(w)} ${subject(words.slice(0, i))} ${words.slice(i + 1).join(' ')}?`;
    }
    const pluralVerb = PLURAL_FINDING_VERBS.has(w) && /[^su]s$/i.test(words[i - 1]!);
    if (FINDING_VERBS.has(w) || pluralVerb) {
      const plural = pluralVerb && !FINDING_VERBS.has(w);
      const base = plural ? w : baseForm(w);
      return `${plural ? 'Do' : 'Does'} ${subject(words.slice(0, i))} ${base} ${words.slice(i + 1).join(' ')}?`;
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
