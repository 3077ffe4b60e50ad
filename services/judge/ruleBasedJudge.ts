import { parseCloze, fillCloze } from '../generate/clozeQuestion.ts';
import { createYesNoLabeller, type YesNoLabeller } from '../eval/yesNoLabeller.ts';
import { findInjectedInstruction } from './injectedInstruction.ts';
import { splitSentences } from '../generate/splitSentences.ts';
import { RETRIEVAL_OFF, type Criterion, type CriterionScore, type JudgedItem, type Provenance, type QaCandidate, type RetrievalEvidence, type VerificationOfChoice } from '../model/qaItem.ts';
import { indexContext, type ContextIndex } from './contextIndex.ts';
import type { HierarchyScorer, Judge } from './judge.ts';
import { lexicalGrounding, wordSet } from './lexicalGrounding.ts';
import { RuleBasedJudgeConfigError } from '../errors/medistillErrors.ts';
import { verifyChoicesByRules } from './ruleBasedVoc.ts';
import { decideVerdict, thresholdsSchema, type Thresholds } from './verdict.ts';

/** Code version of the rule-based judge; bump it when scores change. */
export const RULE_BASED_JUDGE_VERSION = '1.2.0';

/** Template left in a question by a generator that failed to fill it. */
const PLACEHOLDER =
  /\{\{?[^}]*\}\}?|\[(?:answer|blank|mask|target|term|question|placeholder|insert[^\]]*)\]|<(?:answer|blank|mask|target|term)>|\bTODO\b|\bXXX\b|lorem ipsum/i;
/** A question shorter or longer than this (in words) is hard to read. */
const MIN_QUESTION_WORDS = 4;
const MAX_QUESTION_WORDS = 80;
/** Share of a conclusion's content words found in its own abstract at which it counts as fully answerable (own conclusions share most, another paper's few). */
const LONG_ANSWER_SHARE = 0.45;

export interface RuleBasedJudgeOptions {
  hierarchyScorer: HierarchyScorer;
  /** Minimum score per criterion (missing ones take the defaults of `thresholdsSchema`). */
  thresholds?: Partial<Thresholds>;
  /** Clock for `judgedAt` (default: the system clock). */
  now?: () => Date;
  /** The yes/no/maybe labeller (default: the shipped one, fitted on PubMedQA's expert labels). */
  labeller?: YesNoLabeller;
}

/**
 * A judge that needs no LLM: lexical grounding, answer support and correctness checked against the
 * context sentence by sentence, clarity by form, hierarchy alignment by the injected scorer, and a
 * rule-based Verification-of-Choice for multiple-choice items. The verdict comes from `decideVerdict`.
 * @example const judge = createRuleBasedJudge({ hierarchyScorer }); const judged = await judge.judge(candidate);
 */
export function createRuleBasedJudge(options: RuleBasedJudgeOptions): Judge {
  const parsed = thresholdsSchema.safeParse(options.thresholds ?? {});
  if (!parsed.success) {
    throw new RuleBasedJudgeConfigError(`thresholds must be numbers from 0 to 1: ${parsed.error.message}`, { cause: parsed.error });
  }
  const thresholds = parsed.data;
  const { hierarchyScorer } = options;
  const now = options.now ?? (() => new Date());
  const labeller = options.labeller ?? createYesNoLabeller();
  const provenance: Provenance = {
    backend: 'rule-based',
    name: 'rule-based',
    version: RULE_BASED_JUDGE_VERSION,
    promptVersion: 'none',
    model: null,
  };

  return {
    name: 'rule-based',
    version: RULE_BASED_JUDGE_VERSION,
    promptVersion: 'none',
    async judge(candidate: QaCandidate, signal?: AbortSignal, retrieval?: RetrievalEvidence): Promise<JudgedItem> {
      signal?.throwIfAborted();
      const ctx = indexContext(candidate.context);
      const voc = verifyChoicesByRules(candidate, ctx);
      const hierarchy = hierarchyScorer(candidate.target.descriptorUi, candidate.paperMesh);
      const scores: Record<Criterion, CriterionScore> = {
        grounded: grounded(candidate, ctx),
        answerable: answerable(candidate, ctx),
        correct: correct(candidate, ctx, voc, labeller),
        clear: clear(candidate),
        hierarchy: {
          score: clamp01(hierarchy.score),
          reason: `${hierarchy.formula} similarity of ${candidate.target.descriptorUi} to ${candidate.paperMesh.length} paper descriptors`,
        },
        retrieval: retrieval ? { score: clamp01(retrieval.score), reason: retrieval.reason } : RETRIEVAL_OFF,
      };
      const { verdict, rejectReasons } = decideVerdict(scores, thresholds, voc);
      return {
        candidate,
        scores,
        hierarchyFormula: hierarchy.formula,
        voc,
        verdict,
        rejectReasons,
        judge: provenance,
        judgedAt: now().toISOString(),
        retrievedPmids: retrieval ? [...retrieval.pmids] : [],
      };
    },
  };
}

/** The text that answers the item: the open answer, or the keyed option's text; null for yes/no/maybe. */
function answerText(c: QaCandidate): string | null {
  if (c.type === 'multiple_choice') return c.options?.find((o) => o.label === c.answer)?.text ?? null;
  if (c.type === 'open') return c.answer;
  return null;
}

/** The question without its MeSH branch note, which names a category rather than the content. */
function questionBody(c: QaCandidate): string {
  return c.question.replace(/\(MeSH:[^)]*\)/g, ' ');
}

function grounded(c: QaCandidate, ctx: ContextIndex): CriterionScore {
  const injected = findInjectedInstruction(c.context) ?? findInjectedInstruction(c.question);
  if (injected) return { score: 0, reason: `the passage or question holds an instruction addressed to a model ("${injected.slice(0, 80)}")` };
  // The item's topic must be the paper's: one of its descriptors, or named in the passage.
  if (!c.paperMesh.includes(c.target.descriptorUi) && !ctx.containsPhrase(c.target.name) && lexicalGrounding(c.target.name, ctx.words).share < 1) {
    return { score: 0, reason: `the target ${c.target.descriptorUi} (${c.target.name}) is neither among the paper's descriptors nor named in the passage` };
  }
  // For a cloze only the statement carries content; the lead ("Which drug completes...") is template.
  const question = parseCloze(c.question)?.statement ?? questionBody(c);
  const text = `${question} ${answerText(c) ?? ''}`;
  // A PubMedQA-style item keeps its conclusion beside the context: the question may rest on either.
  const words = c.type === 'yes_no_maybe' && c.longAnswer ? new Set([...ctx.words, ...wordSet(c.longAnswer)]) : ctx.words;
  const g = lexicalGrounding(text, words);
  if (g.total === 0) return { score: 0, reason: 'no content words in question and answer' };
  const missing = g.missing.length > 0 ? `; missing: ${g.missing.slice(0, 8).join(', ')}` : '';
  return { score: g.share, reason: `${g.total - g.missing.length}/${g.total} content words found in the context${missing}` };
}

function answerable(c: QaCandidate, ctx: ContextIndex): CriterionScore {
  if (c.type === 'yes_no_maybe') {
    if (c.longAnswer) {
      const parts = splitSentences(c.longAnswer);
      const found = parts.filter((p) => ctx.containsPassage(p)).length;
      if (parts.length > 0 && found > 0) {
        return { score: found / parts.length, reason: `${found}/${parts.length} sentences of the long answer occur in the context` };
      }
      // A PubMedQA-style item keeps the conclusion out of the context: it must still speak of what the context studied.
      const g = lexicalGrounding(c.longAnswer, new Set([...ctx.words, ...wordSet(c.question)]));
      const score = Math.min(1, g.share / LONG_ANSWER_SHARE);
      return { score, reason: `${pct(g.share)} of the long answer's content words occur in the context or the question${g.missing.length ? `; missing: ${g.missing.slice(0, 8).join(', ')}` : ''}` };
    }
    const best = ctx.bestSentence(questionBody(c));
    return best
      ? { score: best.share, reason: `closest context sentence shares ${pct(best.share)} of the question's content words` }
      : { score: 0, reason: 'the context has no sentences' };
  }
  const answer = answerText(c);
  if (!answer) return { score: 0, reason: 'no answer text (keyed option missing)' };
  if (!ctx.containsPhrase(answer)) return { score: 0, reason: `answer "${answer}" does not occur in the context` };
  if (c.longAnswer && ctx.containsPassage(c.longAnswer) && ctx.containsPhrase(answer, c.longAnswer)) {
    return { score: 1, reason: 'the long answer is a context sentence that holds the answer' };
  }
  const best = ctx.bestSentence(questionBody(c), answer);
  const share = best?.share ?? 0;
  return { score: 0.5 + 0.5 * share, reason: `answer occurs in a context sentence sharing ${pct(share)} of the question's content words` };
}

function correct(c: QaCandidate, ctx: ContextIndex, voc: VerificationOfChoice | null, labeller: YesNoLabeller): CriterionScore {
  if (c.type === 'yes_no_maybe') {
    const given = c.answer.trim().toLowerCase();
    if (given !== 'yes' && given !== 'no' && given !== 'maybe') return { score: 0, reason: `"${c.answer}" is not yes, no or maybe` };
    // The labeller fitted on PubMedQA's expert labels reads the question with the conclusion (or, without one, the passage).
    const setting = c.longAnswer ? 'reasoning-free' : 'reasoning-required';
    const p = labeller.label({ question: c.question, contexts: c.context.split(/\n+/), longAnswer: c.longAnswer }, setting);
    const score = p.probabilities[given] / p.probabilities[p.label];
    const probs = `yes ${pct(p.probabilities.yes)}, no ${pct(p.probabilities.no)}, maybe ${pct(p.probabilities.maybe)}`;
    return p.label === given
      ? { score: 1, reason: `the expert-fitted labeller reads the ${c.longAnswer ? 'long answer' : 'passage'} as "${p.label}" (${probs})` }
      : { score, reason: `answer "${given}" but the expert-fitted labeller reads the ${c.longAnswer ? 'long answer' : 'passage'} as "${p.label}" (${probs})` };
  }
  if (c.type === 'multiple_choice') {
    if (!voc) return { score: 0, reason: 'multiple-choice item without options' };
    if (!(voc.survivors as readonly string[]).includes(c.answer)) {
      return { score: 0, reason: `keyed option ${c.answer} is not supported by the context (survivors: ${voc.survivors.join(', ') || 'none'})` };
    }
    const n = voc.survivors.length;
    return n === 1
      ? { score: 1, reason: `keyed option ${c.answer} is the only supported option` }
      : { score: 1 / n, reason: `keyed option ${c.answer} is one of ${n} supported options (${voc.survivors.join(', ')})` };
  }
  const cloze = parseCloze(c.question);
  if (cloze) {
    if (ctx.containsPassage(fillCloze(cloze, c.answer))) return { score: 1, reason: 'filling the blank with the answer gives a sentence of the context' };
    return ctx.containsPhrase(c.answer)
      ? { score: 0.3, reason: 'the answer occurs in the context but does not complete the statement' }
      : { score: 0, reason: `answer "${c.answer}" does not occur in the context` };
  }
  if (!ctx.containsPhrase(c.answer)) return { score: 0, reason: `answer "${c.answer}" does not occur in the context` };
  const best = ctx.bestSentence(questionBody(c), c.answer);
  const share = best?.share ?? 0;
  return { score: share, reason: `the answer occurs in a context sentence sharing ${pct(share)} of the question's content words` };
}

function clear(c: QaCandidate): CriterionScore {
  const q = c.question.trim();
  const problems: string[] = [];
  let score = 1;
  if (PLACEHOLDER.test(q) || PLACEHOLDER.test(c.answer)) {
    return { score: 0, reason: 'leftover template placeholder' };
  }
  const blanks = q.match(/_{3,}/g)?.length ?? 0;
  if (blanks > 0 && !parseCloze(q)) {
    score -= 0.5;
    problems.push('malformed cloze (not exactly one blank)');
  } else if (blanks === 0 && !q.endsWith('?')) {
    // A question cut short (truncated text) is the usual cause: unreadable, not merely untidy.
    score -= 0.7;
    problems.push('does not end with a question mark');
  }
  const words = q.split(/\s+/).length;
  if (words < MIN_QUESTION_WORDS || words > MAX_QUESTION_WORDS) {
    score -= 0.3;
    problems.push(`${words} words (expected ${MIN_QUESTION_WORDS} to ${MAX_QUESTION_WORDS})`);
  }
  if (!c.answer.trim()) {
    score -= 0.5;
    problems.push('empty answer');
  }
  if (c.type === 'multiple_choice') {
    const opts = c.options ?? [];
    const texts = new Set(opts.map((o) => o.text.trim().toLowerCase()));
    if (opts.length < 3 || texts.size !== opts.length || texts.has('') || !opts.some((o) => o.label === c.answer)) {
      // Two identical options, or a key that names no option, make the item unanswerable as posed.
      return { score: 0, reason: 'options missing, empty, repeated, or the key is not among them' };
    }
  }
  return { score: clamp01(score), reason: problems.length > 0 ? problems.join('; ') : 'well-formed question of sensible length' };
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
