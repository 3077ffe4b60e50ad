import { lastValueFrom, toArray, defaultIfEmpty } from 'rxjs';
import { QA_CANDIDATES, QA_JUDGED } from '../contracts/topicContracts.ts';
import type { RecordCandidates, RecordJudgement } from '../contracts/topicMessages.ts';
import type { Judge } from '../judge/judge.ts';
import type { JudgedItem, QaCandidate } from '../model/qaItem.ts';
import type { RetrievalGrounder } from '../retrieval/retrievalGrounding.ts';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';
import { boundedMapAsync } from '../operators/boundedMapAsync.ts';
import { LlmError } from '../errors/medistillErrors.ts';
import { passTombstone, stageResult, type StageDefinition, type StageResult } from './stageDefinition.ts';

export const JUDGE_OUTCOMES = ['with_items', 'no_accepted_items', 'no_candidates', 'no_abstract', 'deleted'] as const;
export type JudgeOutcome = (typeof JUDGE_OUTCOMES)[number];

export interface JudgeStageOptions {
  judge: Judge;
  /** Candidates of one record judged at once (default 4). */
  concurrency?: number;
  /** Retrieval-grounded hierarchy score from the literature index; without it the criterion says retrieval is off. */
  grounder?: RetrievalGrounder;
}

/**
 * judge: qa.candidates.v1 → qa.judged.v1, one judgement per PMID version. Every candidate of the
 * record is judged (at most `concurrency` at once) and carried, in the order generate gave, with its
 * scores, verdict and reasons; the outcome says whether at least one item was accepted. A record that reached judge without
 * candidates keeps the outcome generate gave it; a tombstone passes through. A record's candidates
 * are judged once per judge, version and prompt version: a regeneration carries new item ids and
 * is judged again, a redelivery is dropped.
 */
export function createJudgeStage(options: JudgeStageOptions): StageDefinition<RecordCandidates, RecordJudgement, JudgeOutcome> {
  const { judge } = options;
  const concurrency = options.concurrency ?? 4;
  const { grounder } = options;
  const judgeOne = async (c: QaCandidate, signal: AbortSignal, bus: Instrumentation): Promise<JudgedItem> => {
    if (!grounder) return judge.judge(c, signal);
    const started = performance.now();
    const support = await grounder({ question: c.question, pmid: c.pmid, paperMesh: c.paperMesh }, signal);
    bus.emit({ type: 'retrieval.query', stage: 'judge', outcome: support.outcome, seconds: (performance.now() - started) / 1000 });
    return judge.judge(c, signal, support);
  };
  return {
    name: 'judge',
    input: QA_CANDIDATES,
    output: QA_JUDGED,
    outcomes: JUDGE_OUTCOMES,
    failureReason: 'judge_error',
    errors: [LlmError],
    // Each record costs LLM calls; a small in-flight bound keeps a slow LLM from filling memory.
    defaultMaxInFlight: 64,
    dedupKey: (input) =>
      input.value === null
        ? null
        : `${input.key}@${input.value.pmidVersion}@${input.value.items.map((i) => i.id).join(',')}@${judge.name}/${judge.version}/${judge.promptVersion}`,
    async process(input, { signal, instrumentation }): Promise<StageResult<RecordJudgement, JudgeOutcome>> {
      if (input.value === null) return passTombstone(input.key);
      const candidates = input.value;
      const items = await lastValueFrom(
        boundedMapAsync(candidates.items, (c) => judgeOne(c, signal, instrumentation), concurrency, { ordered: true }).pipe(toArray(), defaultIfEmpty([] as JudgedItem[])),
      );
      instrumentation.emit({ type: 'quality.judged', stage: 'judge', items });
      const judgement: RecordJudgement = { ...candidates, items };
      const outcome: JudgeOutcome =
        items.length === 0
          ? candidates.outcome === 'no_abstract'
            ? 'no_abstract'
            : 'no_candidates'
          : items.some((i) => i.verdict === 'accept')
            ? 'with_items'
            : 'no_accepted_items';
      return stageResult(outcome, [{ key: input.key, value: judgement }]);
    },
  };
}
