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
/** Negators and words of denial whose nearness to the question's words turns its predicate down ("AAI is not predictive"). */
const NEAR_NEGATORS = /^(?:not|no|never|none|neither|nor|without|cannot|n't|lack|lacks|lacking|absence|absent|fail|fails|failed|unable|unlikely|poor|poorly|insufficient|inadequate|little|rarely)$/;
/** A general polarity lexicon (words that state a finding for, or against, what they qualify); no answer of a data set is named. */
const FOR_WORDS = /^(?:effective|effectively|efficacious|improv\w*|benefit\w*|beneficial|significant(?:ly)?|associated|increas\w*|higher|better|useful|feasible|safe|safely|reliabl\w*|accurate\w*|valid|important|predict\w*|strong(?:ly)?|support\w*|confirm\w*|good|excellent|success\w*|superior|recommend\w*|valuable|advantag\w*|appropriate|sensitive|specific|correlat\w*|reduc\w*|prevent\w*|protect\w*)$/;
const AGAINST_WORDS = /^(?:not|no|poor|poorly|lack\w*|low|weak|less|limited|minor|fail\w*|unnecessary|unlikely|only|insufficient|difficult|deficit|inferior|worse|small|minority|neither|rarely|negative|ineffective|unreliable|inaccurate|questionable|cannot|n't|never|without|absence|absent|nor|none|doubtful|inadequate|contrary|however|although|despite|unable|nonsignificant|non-significant)$/;
/** Hedges: what makes a conclusion a "maybe" (modals, calls for further studies, open questions). */
const HEDGE_CUES = /\b(?:may|might|could|possibl[ey]|perhaps|potential(?:ly)?|suggests?|suggested|appears?|seems?|unclear|uncertain|inconclusive|controversial|remains?|further|larger|prospective|warrant\w*|needed|required|preliminary|not clear|trend|yet|whether|limited)\b/gi;
const FURTHER_STUDIES = /\bfurther (?:\w+ )?(?:stud|research|trial|investigation|evaluation|work)/i;
const OPEN_QUESTION = /\b(?:unclear|uncertain|inconclusive|controversial|not clear|remains? (?:to be|unknown|unclear))\b/i;
const MODAL = /\b(?:may|might|could)\b/i;
const Q_SAME = /\b(?:same|similar|equivalent|comparable|equal|identical|as \w+ as)\b/i;
const E_DIFFERENT = /\b(?:differ\w*|longer|shorter|higher|lower|more|less|greater|smaller|superior|inferior|better|worse|increas\w*|decreas\w*)\b/i;
const E_SAME = /\b(?:same|similar|equivalent|comparable|equal|identical|no (?:significant )?difference|did not differ|not differ)\b/i;
const Q_DIFFERENT = /\b(?:differ\w*|better|worse|superior|inferior|more|less|higher|lower|improve\w*|increase\w*|reduce\w*|decrease\w*)\b/i;
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
  nearnessFeatures(q, evidence, sentences, add);
  return f;
}

/**
 * Features of v2: whether the words of the question proper (after a title's colon) meet a negator
 * within a few words in the same clause ("AAI is not predictive for..."), the balance of a general
 * polarity lexicon in the evidence and its first sentence, hedging (modals, calls for further
 * studies, open questions: the marks of a "maybe"), and sameness asked against difference found.
 */
function nearnessFeatures(q: string, evidence: string, sentences: readonly string[], add: (name: string, v?: number) => void): void {
  const core = q.includes(':') && /\?\s*$/.test(q) ? q.slice(q.lastIndexOf(':') + 1) : q;
  const qs = new Set(tokens(core).filter((w) => !STOP.has(w) && w !== 'patients' && w !== 'study').map(lightStem));
  let near = 0;
  let plain = 0;
  for (const clause of evidence.replace(/\bnot only\b/gi, 'also').split(/[.,;:()!?]/)) {
    const t = tokens(clause);
    t.forEach((w, i) => {
      if (!qs.has(lightStem(w))) return;
      if (t.slice(Math.max(0, i - 5), i + 4).some((x) => NEAR_NEGATORS.test(x))) near++;
      else plain++;
    });
  }
  if (near > 0) add('near:qneg');
  if (near > 0 && plain === 0) add('near:qneg-only');
  if (near + plain > 0) add('near:share', near / (near + plain));
  else add('near:none');

  const balance = (prefix: string, text: string): void => {
    const t = tokens(text);
    const pro = t.filter((w) => FOR_WORDS.test(w)).length;
    const con = t.filter((w) => AGAINST_WORDS.test(w)).length;
    if (prefix === 'lex') {
      add('lex:for', Math.min(pro, 5) / 5);
      add('lex:against', Math.min(con, 5) / 5);
    }
    add(pro > con ? `${prefix}:for>against` : pro < con ? `${prefix}:for<against` : `${prefix}:for=against`);
  };
  balance('lex', evidence);
  balance('lex0', sentences[0] ?? '');

  add('hedge:n', Math.min(evidence.match(HEDGE_CUES)?.length ?? 0, 4) / 4);
  if (FURTHER_STUDIES.test(evidence)) add('hedge:further');
  if (OPEN_QUESTION.test(evidence)) add('hedge:unclear');
  if (MODAL.test(sentences[0] ?? '')) add('hedge:first-modal');
  if (MODAL.test(sentences.at(-1) ?? '')) add('hedge:last-modal');

  const eSame = E_SAME.test(evidence);
  if (Q_SAME.test(core) && E_DIFFERENT.test(evidence) && !eSame) add('eq:qsame-edifferent');
  if (Q_SAME.test(core) && eSame) add('eq:qsame-esame');
  if (Q_DIFFERENT.test(core) && eSame) add('eq:qdifferent-esame');
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
