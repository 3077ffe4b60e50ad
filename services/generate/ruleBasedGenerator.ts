import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import { abstractText, type PubmedArticle } from '../model/pubmedRecord.ts';
import { qaId } from '../model/qaId.ts';
import type { ItemType, MeshTarget, OptionLabel, Provenance, QaCandidate, QaOption } from '../model/qaItem.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { GenerateRequest, GenerateResult, Generator } from './generator.ts';
import { BLANK, clozeQuestion } from './clozeQuestion.ts';
import { createYesNoLabeller, type YesNoLabeller } from '../eval/yesNoLabeller.ts';
import { branchesOf, primaryBranch } from './meshBranches.ts';
import { pickDistractors } from './pickDistractors.ts';
import { RuleBasedGeneratorConfigError } from '../errors/medistillErrors.ts';
import { requestedTargets, selectTargets } from './selectTargets.ts';
import { splitSentences } from './splitSentences.ts';
import { stableHash } from './stableHash.ts';
import { findForm, surfaceFormsOf, type FormMatch } from './surfaceForms.ts';
import { titleQuestion } from './titleQuestion.ts';

/** Code version of the rule-based generator; part of every item id, so bump it when output changes. */
export const RULE_BASED_GENERATOR_VERSION = '1.2.0';

const OPTION_LABELS: readonly OptionLabel[] = ['A', 'B', 'C', 'D'];
/** Bounds on a sentence worth turning into a cloze: long enough to give context, short enough to read. */
const MIN_SENTENCE_CHARS = 30;
const MAX_SENTENCE_CHARS = 400;
const MIN_SENTENCE_WORDS = 6;
const MIN_CONCLUSION_CHARS = 20;
/** An unstructured abstract needs this many sentences besides its last for a context worth reading. */
const MIN_CONTEXT_SENTENCES = 2;

export interface RuleBasedGeneratorOptions {
  vocab: MeshVocabulary;
  /** Most items per record (default 3: one of each type when the abstract allows it). */
  itemsPerRecord?: number;
  /** Seeds answer-key positions and distractor order (default 0); a non-default seed shows in the version. */
  seed?: number;
  /** Clock for `createdAt` (default: the system clock). */
  now?: () => Date;
}

/**
 * A generator that needs no LLM: PubMedQA-style yes/no/maybe items from the abstract's conclusion, and
 * cloze items (open and multiple choice) from sentences that mention the record's MeSH targets.
 * @example const gen = createRuleBasedGenerator({ vocab }); const { items } = await gen.generate(record);
 */
export function createRuleBasedGenerator(options: RuleBasedGeneratorOptions): Generator {
  const itemsPerRecord = options.itemsPerRecord ?? 3;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(itemsPerRecord) || itemsPerRecord < 1 || itemsPerRecord > 100) {
    throw new RuleBasedGeneratorConfigError(`itemsPerRecord must be an integer from 1 to 100, got ${itemsPerRecord}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RuleBasedGeneratorConfigError(`seed must be a safe integer, got ${seed}`);
  }
  const version = seed === 0 ? RULE_BASED_GENERATOR_VERSION : `${RULE_BASED_GENERATOR_VERSION}+seed.${seed}`;
  const provenance: Provenance = { backend: 'rule-based', name: 'rule-based', version, promptVersion: 'none', model: null };
  const now = options.now ?? (() => new Date());
  const { vocab } = options;
  const labeller = createYesNoLabeller();

  return {
    name: 'rule-based',
    version,
    promptVersion: 'none',
    async generate(record: AnnotatedRecord, signal?: AbortSignal, request?: GenerateRequest): Promise<GenerateResult> {
      signal?.throwIfAborted();
      const article = record.record;
      const sections = article.abstract.filter((s) => s.text.trim().length > 0);
      if (sections.length === 0) return { items: [], failures: [] };
      // Asked for given targets, it writes at most one item for each of them.
      const requested = request?.targets !== undefined;
      const targets = requested ? requestedTargets(record, request.targets!) : selectTargets(record, Math.max(8, itemsPerRecord * 3));
      if (targets.length === 0) return { items: [], failures: [] };

      const base = {
        pmid: article.pmid,
        pmidVersion: article.version,
        context: abstractText(article),
        paperMesh: [...new Set(record.mesh.map((m) => m.descriptorUi))],
        generator: provenance,
        createdAt: now().toISOString(),
      };
      const make = (type: ItemType, target: MeshTerm, question: string, rest: Pick<QaCandidate, 'answer' | 'longAnswer' | 'options'>): QaCandidate => ({
        id: qaId(article.pmid, version, question),
        type,
        question,
        target: toTarget(target),
        ...rest,
        ...base,
      });
      const formsOf = memo((t: MeshTerm) => surfaceFormsOf(t, vocab));

      const items: QaCandidate[] = [];
      const ynm = yesNoMaybe(article, targets, formsOf, labeller);
      if (ynm) items.push({ ...make('yes_no_maybe', ynm.target, ynm.question, { answer: ynm.answer, longAnswer: ynm.longAnswer, options: null }), context: ynm.context });

      const sentences = sections.flatMap((s) => splitSentences(s.text));
      const used = new Set<string>();
      const counts = { open: 0, multiple_choice: 0 };
      for (const target of targets) {
        if (items.length >= itemsPerRecord) break;
        if (requested && ynm?.target === target) continue;
        const cloze = findCloze(sentences, formsOf(target), used);
        if (!cloze) continue;
        const branch = primaryBranch(target.treeNumbers);
        const statement = `${cloze.sentence.slice(0, cloze.match.start)}${BLANK}${cloze.sentence.slice(cloze.match.end)}`;
        let built = false;
        if (counts.multiple_choice <= counts.open) {
          const distractors = pickDistractors({
            vocab,
            targetUi: target.descriptorUi,
            keyText: cloze.match.text,
            sentence: cloze.sentence,
            exclude: new Set(base.paperMesh),
            count: OPTION_LABELS.length - 1,
            seed,
          });
          if (distractors.length === OPTION_LABELS.length - 1) {
            const question = clozeQuestion(branch, statement, 'multiple_choice');
            const keyIndex = stableHash(seed, article.pmid, target.descriptorUi, statement) % OPTION_LABELS.length;
            const texts = [...distractors];
            texts.splice(keyIndex, 0, cloze.match.text);
            const options: QaOption[] = texts.map((text, i) => ({ label: OPTION_LABELS[i]!, text }));
            items.push(make('multiple_choice', target, question, { answer: OPTION_LABELS[keyIndex]!, longAnswer: cloze.sentence, options }));
            counts.multiple_choice++;
            built = true;
          }
        }
        if (!built) {
          const question = clozeQuestion(branch, statement, 'open');
          items.push(make('open', target, question, { answer: cloze.match.text, longAnswer: cloze.sentence, options: null }));
          counts.open++;
        }
        used.add(cloze.sentence);
      }
      return { items: items.slice(0, itemsPerRecord), failures: [] };
    },
  };
}

interface YesNoMaybeDraft {
  target: MeshTerm;
  question: string;
  answer: string;
  longAnswer: string;
  context: string;
}

/**
 * A PubMedQA-style item, built the way PubMedQA built its artificial items: the title as a question
 * (kept when it asks one, inverted when it states a finding, else no item), the structured abstract's
 * conclusion (an unstructured abstract's last sentence) as the long answer, and the rest of the abstract
 * as the context. The answer is the title's own when it states or denies a finding, else the
 * labeller fitted on PubMedQA's expert labels reading question and conclusion.
 */
function yesNoMaybe(article: PubmedArticle, targets: readonly MeshTerm[], formsOf: (t: MeshTerm) => string[], labeller: YesNoLabeller): YesNoMaybeDraft | null {
  const isConclusion = (s: PubmedArticle['abstract'][number]): boolean => s.nlmCategory?.toUpperCase() === 'CONCLUSIONS' || /^conclusions?\b/i.test(s.label ?? '');
  const sections = article.abstract.filter((s) => s.text.trim());
  const conclusionSection = sections.find(isConclusion);
  let conclusion: string;
  let contexts: string[];
  if (conclusionSection) {
    conclusion = conclusionSection.text.trim().replace(/\s+/g, ' ');
    contexts = sections.filter((s) => !isConclusion(s)).map((s) => s.text.trim());
  } else {
    // An unstructured abstract states its finding last: its last sentence stands for the conclusion.
    const all = sections.flatMap((s) => splitSentences(s.text));
    if (all.length < MIN_CONTEXT_SENTENCES + 1) return null;
    conclusion = all.at(-1)!;
    contexts = [all.slice(0, -1).join(' ')];
  }
  if (conclusion.length < MIN_CONCLUSION_CHARS || contexts.length === 0) return null;
  const fromTitle = titleQuestion(article.title);
  if (!fromTitle) return null;
  const { question, titleAnswer } = fromTitle;
  const target = targets.find((t) => findForm(question, formsOf(t)) ?? findForm(conclusion, formsOf(t))) ?? targets[0];
  if (!target) return null;
  // A title that states (or denies) a finding answers its own question, as PubMedQA labelled its
  // artificial items: evidence apart from the conclusion the judge's labeller reads. A title that asks
  // leaves the answer to the labeller reading the conclusion.
  const answer = titleAnswer ?? labeller.label({ question, contexts, longAnswer: conclusion }, 'reasoning-free').label;
  return { target, question, answer, longAnswer: conclusion, context: contexts.join('\n') };
}

interface ClozeSource {
  sentence: string;
  match: FormMatch;
}

/** The first unused sentence that mentions the target exactly once and reads well as a cloze. */
function findCloze(sentences: readonly string[], forms: readonly string[], used: ReadonlySet<string>): ClozeSource | null {
  if (forms.length === 0) return null;
  for (const sentence of sentences) {
    if (used.has(sentence) || !usableSentence(sentence)) continue;
    const match = findForm(sentence, forms);
    if (!match) continue;
    const rest = `${sentence.slice(0, match.start)} ${sentence.slice(match.end)}`;
    if (findForm(rest, forms)) continue;
    return { sentence, match };
  }
  return null;
}

function usableSentence(s: string): boolean {
  return (
    s.length >= MIN_SENTENCE_CHARS &&
    s.length <= MAX_SENTENCE_CHARS &&
    s.split(/\s+/).length >= MIN_SENTENCE_WORDS &&
    !s.includes('"') &&
    !s.includes('_')
  );
}

function toTarget(t: MeshTerm): MeshTarget {
  return { descriptorUi: t.descriptorUi, name: t.name, treeNumbers: [...t.treeNumbers], branches: branchesOf(t.treeNumbers), source: t.source };
}

function memo<A extends { descriptorUi: string }, R>(fn: (a: A) => R): (a: A) => R {
  const cache = new Map<string, R>();
  return (a) => {
    let r = cache.get(a.descriptorUi);
    if (r === undefined) {
      r = fn(a);
      cache.set(a.descriptorUi, r);
    }
    return r;
  };
}
