import { splitSentences } from '../generate/splitSentences.ts';
import { lightStem } from '../judge/lexicalGrounding.ts';
import type { Features } from './softmaxRegression.ts';

/**
 * What a yes/no/maybe question is answered from: `reasoning-free` sees the conclusion (PubMedQA's long
 * answer); `reasoning-required` sees only the abstract without it, and reads its last sections (the
 * results) in the conclusion's place.
 */
export type LabelSetting = 'reasoning-free' | 'reasoning-required';
export const LABEL_SETTINGS: readonly LabelSetting[] = ['reasoning-free', 'reasoning-required'];

/** A question with the text it is answered from. */
export interface LabellerInput {
  question: string;
  /** The abstract without its conclusion, by section. */
  contexts: readonly string[];
  /** The conclusion; ignored in the reasoning-required setting. */
  longAnswer: string | null;
}

/** Words that reverse what follows them up to the next punctuation (the classic NOT_ marking of sentiment analysis). */
/** Pairs of opposite predicates (stemmed as lightStem does): a question asking one, answered with the other, is answered "no". */
const ANTONYMS: ReadonlyArray<readonly [string, string]> = [
  ['increas', 'decreas'], ['increas', 'reduc'], ['higher', 'lower'], ['more', 'less'], ['more', 'fewer'], ['better', 'worse'],
  ['improv', 'wors'], ['improv', 'deteriorat'], ['similar', 'differ'], ['similar', 'different'], ['same', 'different'],
  ['equivalent', 'differ'], ['equivalent', 'lower'], ['equivalent', 'higher'], ['accurat', 'inaccurat'], ['reliabl', 'unreliabl'],
  ['safe', 'unsaf'], ['effectiv', 'ineffectiv'], ['necessary', 'unnecessary'], ['awar', 'unawar'], ['superior', 'inferior'],
  ['benefit', 'harm'], ['advantag', 'disadvantag'], ['success', 'failur'], ['possibl', 'impossibl'], ['appropriat', 'inappropriat'],
];

/** Words that, like negators, put what follows in doubt or denial. */
const SCOPE_OPENERS = /^(?:unlikely|poor|poorly|insufficient|inadequate|unable|rarely|seldom|limited|questionable)$/;
const NEGATORS = /^(?:not|no|never|none|neither|nor|without|cannot|n't|lack|lacks|lacking|absence|absent|fail|fails|failed|unable|little|nothing)$/;
/** Statements that two things do not differ: a "no" to "is A better than B", a "yes" to "is A as good as B". */
const SAME = /\b(?:no (?:statistically )?significant (?:difference|change|association|effect|correlation|relationship|benefit|improvement)s?|not (?:statistically )?significantly|did not differ|does not differ|were similar|was similar|similar|comparable|equivalent|equally|no difference|no differences|non-?inferior|as (?:safe|effective|good|accurate) as)\b/i;
const HEDGE = /\b(?:may|might|could|possibly|perhaps|potential(?:ly)?|suggests?|appears?|seems?|unclear|uncertain|inconclusive|controversial|remains? to be|further (?:\w+ )?(?:studies|study|research|trials|investigation)|larger (?:\w+ )?(?:studies|trials)|warranted|limited|insufficient|preliminary)\b/i;
const STRONG = /\b(?:significant(?:ly)?|clearly|strongly|confirm(?:s|ed)?|demonstrat(?:e|es|ed)|show(?:s|ed|n)?|effective|improv(?:e|es|ed)|reduc(?:e|es|ed)|increas(?:e|es|ed)|associated|predict(?:s|ed|ive|or)?|superior|better|higher|lower)\b/i;
/** Questions that ask for a difference or an effect, where "no difference" answers "no". */
const DIRECTIONAL = /\b(?:better|worse|more|less|superior|inferior|higher|lower|increase[sd]?|reduce[sd]?|decrease[sd]?|improve[sd]?|affect(?:s|ed)?|influence[sd]?|differ(?:s|ent|ence)?|associated|predict(?:s|ive)?|effective|benefit|useful|necessary|needed|required|worth|impact|change)\b/i;
const EQUALITY = /\b(?:as (?:\w+ )?as|equivalent|comparable|similar|same|non-?inferior|safe)\b/i;
const QUESTION_NEGATION = /\b(?:not|n't|no|without|fail)\b/i;
/** Words that speak against what they qualify: "unlikely", "poor", "insufficient"... (a general polarity lexicon, not a list of answers). */
const CONTRARY = /\b(?:unlikely|poor(?:ly)?|insufficient|inadequate|unnecessary|unjustified|unreliable|deficit|deficient|lack(?:s|ed|ing)?|little|rarely|seldom|contrary|rather than|instead|overestimat\w*|underestimat\w*|questionable|doubtful|revisit\w*|reconsider\w*|misleading|not (?:necessary|needed|required|justified|recommended|useful|helpful|warranted)|no (?:need|role|value|benefit|advantage)|limited (?:value|role|benefit|use)|does not support|do not support|differ(?:s|ed|ent|ing|ences?)?|lower|worse|inferior)\b/i;
/** Questions that doubt what they ask ("really", "justified", "myth"): PubMedQA's titles use them for findings against the common view. */
const DOUBTING = /\b(?:really|truly|actually|myth|justified|worth|always|still|necessary|routinely|indeed|need)\b/i;
const STOP = new Set(
  'a an and are as at be been by can could did do does for from had has have how if in into is it its may might of on or our should so than that the their these they this those to was we were what when where which while who will with would'.split(' '),
);

/**
 * The features a yes/no/maybe labeller reads: cue counts (negation, sameness, hedging, strong
 * findings) in the evidence and in its sentence closest to the question, the question's form (its
 * first word, its words, negated, asking for a difference or for an equality) crossed with those cues,
 * and whether the question's words fall in a negation's scope in the evidence (the NOT_ marking of
 * sentiment analysis) or meet their opposites there. Nothing here names an answer of a data set: the
 * weights are what is fitted. Words of the evidence are not features: on a few hundred items they
 * overfit (cross-validated accuracy fell by 1 to 2 points with them).
 */
export function labellerFeatures(input: LabellerInput, setting: LabelSetting): Map<string, number> {
  const evidence = setting === 'reasoning-free' && input.longAnswer ? input.longAnswer : input.contexts.slice(-2).join(' ');
  const f = new Map<string, number>();
  const add = (name: string, v = 1): void => {
    f.set(name, (f.get(name) ?? 0) + v);
  };
  const q = input.question;
  const qWords = tokens(q);
  const first = qWords[0] ?? '';
  add(`qfirst:${/^(?:is|are|was|were|does|do|did|can|could|should|has|have|will|would)$/.test(first) ? first : 'other'}`);
  const qNeg = QUESTION_NEGATION.test(q);
  const qDir = DIRECTIONAL.test(q);
  const qEq = EQUALITY.test(q);
  if (qNeg) add('q:negated');
  if (qDir) add('q:directional');
  if (qEq) add('q:equality');
  if (DOUBTING.test(q)) add('q:doubting');
  for (const w of qWords) if (!STOP.has(w)) f.set(`q:${lightStem(w)}`, 1);

  const sentences = splitSentences(evidence);
  const qContent = new Set(qWords.filter((w) => !STOP.has(w)).map(lightStem));
  let best = '';
  let bestOverlap = -1;
  for (const s of sentences) {
    const ws = new Set(tokens(s).map(lightStem));
    let overlap = 0;
    for (const w of qContent) if (ws.has(w)) overlap++;
    if (overlap > bestOverlap) {
      best = s;
      bestOverlap = overlap;
    }
  }
  const firstSentence = sentences[0] ?? '';
  const cues = (prefix: string, text: string): void => {
    if (!text) return;
    const neg = negationCount(text) > 0;
    const same = SAME.test(text);
    const hedge = HEDGE.test(text);
    const strong = STRONG.test(text);
    const contrary = CONTRARY.test(text);
    if (contrary) add(`${prefix}:contrary`);
    if (contrary && qEq) add(`${prefix}:contrary×qeq`);
    if (contrary && DOUBTING.test(q)) add(`${prefix}:contrary×qdoubt`);
    if (neg) add(`${prefix}:neg`);
    if (same) add(`${prefix}:same`);
    if (hedge) add(`${prefix}:hedge`);
    if (strong) add(`${prefix}:strong`);
    if (neg && !hedge) add(`${prefix}:neg-plain`);
    if (hedge && !neg) add(`${prefix}:hedge-only`);
    if (!neg && !hedge) add(`${prefix}:plain`);
    if (qNeg && neg) add(`${prefix}:neg×qneg`);
    if (qDir && same) add(`${prefix}:same×qdir`);
    if (qEq && same) add(`${prefix}:same×qeq`);
    if (qDir && neg) add(`${prefix}:neg×qdir`);
  };
  cues('all', evidence);
  cues('best', best);
  cues('first', firstSentence);
  add('all:negcount', Math.min(3, negationCount(evidence)) / 3);
  add('all:sentences', Math.min(6, sentences.length) / 6);
  add('best:overlap', qContent.size === 0 ? 0 : Math.max(0, bestOverlap) / qContent.size);

  let negated = false;
  const inScope = new Set<string>();
  const outScope = new Set<string>();
  for (const raw of evidence.toLowerCase().split(/([.,;:!?()])/)) {
    if (/^[.,;:!?()]$/.test(raw)) {
      negated = false;
      continue;
    }
    for (const w of tokens(raw)) {
      if (NEGATORS.test(w) || SCOPE_OPENERS.test(w)) {
        negated = true;
        add(`neg:${w}`);
        continue;
      }
      if (STOP.has(w)) continue;
      const stem = lightStem(w);
      (negated ? inScope : outScope).add(stem);

    }
  }
  let qIn = 0;
  let qOut = 0;
  for (const w of qContent) {
    if (inScope.has(w)) qIn++;
    else if (outScope.has(w)) qOut++;
  }
  const evStems = new Set(tokens(evidence).map(lightStem));
  const qStems = new Set(qWords.map(lightStem));
  for (const [a, b] of ANTONYMS) {
    if ((qStems.has(a) && evStems.has(b) && !evStems.has(a)) || (qStems.has(b) && evStems.has(a) && !evStems.has(b))) {
      add('align:antonym');
      break;
    }
  }
  if (qIn > 0) add('align:qword-negated');
  if (qIn > 0 && qOut === 0) add('align:only-negated');
  if (qIn + qOut > 0) add('align:negated-share', qIn / (qIn + qOut));
  if (qIn > 0 && qNeg) add('align:qword-negated×qneg');
  if (qIn > 0 && qEq) add('align:qword-negated×qeq');
  return f;
}

/** Lower-case word tokens, "n't" split off so "didn't" reads as did + n't. */
function tokens(text: string): string[] {
  return (text.toLowerCase().replace(/n't\b/g, " n't").match(/n't|[\p{L}\p{N}][\p{L}\p{N}-]*/gu) ?? []);
}

function negationCount(text: string): number {
  return tokens(text).filter((w) => NEGATORS.test(w)).length;
}

/** The features as a read-only sparse vector. */
export function asFeatures(map: Map<string, number>): Features {
  return map;
}
