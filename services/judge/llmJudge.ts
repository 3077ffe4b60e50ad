import type { LlmClient } from '../llm/llmClient.ts';
import { LlmAbortedError, LlmConfigError, LlmError } from '../errors/medistillErrors.ts';
import { RETRIEVAL_OFF, type Criterion, type CriterionScore, type JudgedItem, type Provenance, type QaCandidate, type RetrievalEvidence, type VerificationOfChoice } from '../model/qaItem.ts';
import type { HierarchyScorer, Judge } from './judge.ts';
import { buildJudgeMessages, JUDGE_PROMPT_VERSION, judgeAnswerSchema, VOC_PROMPT_VERSION } from './judgePrompt.ts';
import { decideVerdict, DEFAULT_THRESHOLDS, type Thresholds } from './verdict.ts';
import { verifyChoices } from './verificationOfChoice.ts';

/** Code version of the LLM judge: bump when the way verdicts are assembled changes. */
export const LLM_JUDGE_VERSION = '1.0.0';

/** Settings of the LLM judge. */
export interface LlmJudgeOptions {
  client: LlmClient;
  /** Computes the hierarchy criterion; the LLM is never asked for it. */
  hierarchyScorer: HierarchyScorer;
  thresholds?: Thresholds;
  /** Most Verification-of-Choice requests in flight per item (1..5, default 3). */
  vocConcurrency?: number;
  /** Model name recorded in provenance (defaults to the client's). */
  model?: string;
  /** Clock for judgedAt. */
  now?: () => Date;
}

/**
 * A Judge that asks an LLM to score grounded, answerable, correct and clear, takes hierarchy from
 * the injected scorer, verifies multiple-choice items option by option, and lets decideVerdict
 * decide. An LLM failure yields a rejected item with reason judge_error, never a throw
 * (except when the caller aborts).
 *
 * @example
 * const judge = createLlmJudge({ client, hierarchyScorer: scorer });
 * const judged = await judge.judge(candidate);
 */
export function createLlmJudge(options: LlmJudgeOptions): Judge {
  const vocConcurrency = options.vocConcurrency ?? 3;
  if (!Number.isInteger(vocConcurrency) || vocConcurrency < 1 || vocConcurrency > 5) {
    throw new LlmConfigError(`vocConcurrency must be a whole number from 1 to 5, got ${vocConcurrency}`);
  }
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const model = options.model ?? options.client.model;
  const now = options.now ?? (() => new Date());
  const promptVersion = `${JUDGE_PROMPT_VERSION}+${VOC_PROMPT_VERSION}`;
  const name = `llm:${model}`;
  const provenance: Provenance = { backend: 'llm', name, version: LLM_JUDGE_VERSION, promptVersion, model };

  async function judge(candidate: QaCandidate, signal?: AbortSignal, retrieval?: RetrievalEvidence): Promise<JudgedItem> {
    const retrievalScore: CriterionScore = retrieval ? { score: retrieval.score, reason: retrieval.reason } : RETRIEVAL_OFF;
    const retrievedPmids = retrieval ? [...retrieval.pmids] : [];
    const hierarchy = options.hierarchyScorer(candidate.target.descriptorUi, candidate.paperMesh);
    const hierarchyScore: CriterionScore = {
      score: hierarchy.score,
      reason: `${hierarchy.formula} similarity of ${candidate.target.descriptorUi} to the paper's ${candidate.paperMesh.length} descriptors`,
    };
    // One failure cancels the sibling requests of the same item instead of letting them run on.
    const local = new AbortController();
    const linked = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
    const isMcq = candidate.type === 'multiple_choice' && (candidate.options?.length ?? 0) > 0;
    try {
      const [scored, voc] = await Promise.all([
        options.client.chatJson(buildJudgeMessages(candidate), judgeAnswerSchema, { purpose: 'judge', promptVersion: JUDGE_PROMPT_VERSION, signal: linked }),
        isMcq ? verifyChoices(options.client, candidate, { concurrency: vocConcurrency, signal: linked }) : Promise.resolve(null),
      ]).catch((error: unknown) => {
        local.abort();
        throw error;
      });
      const scores: Record<Criterion, CriterionScore> = { ...scored.value, hierarchy: hierarchyScore, retrieval: retrievalScore };
      const { verdict, rejectReasons } = decideVerdict(scores, thresholds, voc);
      return assemble(candidate, scores, hierarchy.formula, voc, verdict, rejectReasons, retrievedPmids, scored.cached === true);
    } catch (error) {
      if (signal?.aborted) throw error instanceof LlmAbortedError ? error : new LlmAbortedError(undefined, { cause: error });
      if (!(error instanceof LlmError)) throw error;
      const reason = `judge_error: ${error.message}`;
      const failed: CriterionScore = { score: 0, reason };
      const scores: Record<Criterion, CriterionScore> = {
        grounded: failed,
        answerable: failed,
        correct: failed,
        clear: failed,
        hierarchy: hierarchyScore,
        retrieval: retrievalScore,
      };
      return assemble(candidate, scores, hierarchy.formula, null, 'reject', ['judge_error'], retrievedPmids);
    }
  }

  function assemble(
    candidate: QaCandidate,
    scores: Record<Criterion, CriterionScore>,
    hierarchyFormula: string,
    voc: VerificationOfChoice | null,
    verdict: JudgedItem['verdict'],
    rejectReasons: JudgedItem['rejectReasons'],
    retrievedPmids: string[],
    cached = false,
  ): JudgedItem {
    const judge = cached ? { ...provenance, cached: true } : provenance;
    return { candidate, scores, hierarchyFormula, voc, verdict, rejectReasons, judge, judgedAt: now().toISOString(), retrievedPmids };
  }

  return { name, version: LLM_JUDGE_VERSION, promptVersion, judge };
}
