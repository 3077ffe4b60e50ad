import { CRITERIA, type Criterion, type CriterionScore, type JudgedItem, type RejectReason } from '../model/qaItem.ts';
import { ContractError } from '../errors/medistillErrors.ts';
import { copyLineage, type Lineage } from './lineage.ts';
import { fromProvenanceValue, fromQaCandidateValue, toProvenanceValue, toQaCandidateValue } from './qaCandidateMapping.ts';
import { SCHEMA_VERSION, type JudgedItemValue, type RecordJudgement, type RecordJudgementMessage } from './topicMessages.ts';

const REJECT_REASONS: ReadonlySet<string> = new Set<RejectReason>([
  ...CRITERIA.map((c): RejectReason => `low_${c}`),
  'voc_failed',
  'judge_error',
  'duplicate',
]);

function isRejectReason(reason: string): reason is RejectReason {
  return REJECT_REASONS.has(reason);
}

function copyScores(scores: Record<Criterion, CriterionScore>): Record<Criterion, CriterionScore> {
  const copy = {} as Record<Criterion, CriterionScore>;
  for (const c of CRITERIA) copy[c] = { score: scores[c].score, reason: scores[c].reason };
  return copy;
}

function toJudgedItemValue(item: JudgedItem): JudgedItemValue {
  return {
    candidate: toQaCandidateValue(item.candidate),
    scores: copyScores(item.scores),
    hierarchyFormula: item.hierarchyFormula,
    voc: item.voc
      ? {
          options: item.voc.options.map((o) => ({ label: o.label, argument: o.argument, supported: o.supported })),
          survivors: [...item.voc.survivors],
          passed: item.voc.passed,
        }
      : null,
    verdict: item.verdict,
    rejectReasons: [...item.rejectReasons],
    judge: toProvenanceValue(item.judge),
    judgedAt: item.judgedAt,
    retrievedPmids: [...item.retrievedPmids],
  };
}

function fromJudgedItemValue(value: JudgedItemValue, pmid: string): JudgedItem {
  const rejectReasons = value.rejectReasons.map((reason) => {
    // Plain strings on the wire; a reason this code does not know cannot be typed as one.
    if (!isRejectReason(reason)) {
      throw new ContractError(
        'invalid_value',
        `judgement of PMID ${pmid}, item ${value.candidate.id}: unknown reject reason "${reason}" ` +
          `(known: ${[...REJECT_REASONS].join(', ')})`,
      );
    }
    return reason;
  });
  return {
    candidate: fromQaCandidateValue(value.candidate),
    scores: copyScores(value.scores),
    hierarchyFormula: value.hierarchyFormula,
    voc: value.voc
      ? {
          options: value.voc.options.map((o) => ({ label: o.label, argument: o.argument, supported: o.supported })),
          survivors: [...value.voc.survivors],
          passed: value.voc.passed,
        }
      : null,
    verdict: value.verdict,
    rejectReasons,
    judge: fromProvenanceValue(value.judge),
    judgedAt: value.judgedAt,
    retrievedPmids: [...value.retrievedPmids],
  };
}

/** The qa.judged.v1 value of one PMID version's judgements (one message per input, even with no items). */
export function toRecordJudgementValue(judgement: RecordJudgement, lineage: Lineage): RecordJudgementMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    pmid: judgement.pmid,
    pmidVersion: judgement.pmidVersion,
    outcome: judgement.outcome,
    items: judgement.items.map(toJudgedItemValue),
    failures: judgement.failures.map((f) => ({ reason: f.reason, message: f.message })),
    meshVersion: judgement.meshVersion,
    lineage: copyLineage(lineage),
  };
}

/** The judgements carried by a qa.judged.v1 value; throws ContractError on a reject reason this code does not know. */
export function fromRecordJudgementValue(value: RecordJudgementMessage): RecordJudgement {
  return {
    pmid: value.pmid,
    pmidVersion: value.pmidVersion,
    outcome: value.outcome,
    items: value.items.map((item) => fromJudgedItemValue(item, value.pmid)),
    failures: value.failures.map((f) => ({ reason: f.reason, message: f.message })),
    meshVersion: value.meshVersion,
  };
}
