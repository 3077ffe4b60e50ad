import { copyLineage, type Lineage } from './lineage.ts';
import { fromQaCandidateValue, toQaCandidateValue } from './qaCandidateMapping.ts';
import { SCHEMA_VERSION, type RecordCandidates, type RecordCandidatesMessage } from './topicMessages.ts';

/** The qa.candidates.v1 value of one PMID version's candidates (one message per input, even with none). */
export function toRecordCandidatesValue(candidates: RecordCandidates, lineage: Lineage): RecordCandidatesMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    pmid: candidates.pmid,
    pmidVersion: candidates.pmidVersion,
    outcome: candidates.outcome,
    items: candidates.items.map(toQaCandidateValue),
    failures: candidates.failures.map((f) => ({ reason: f.reason, message: f.message })),
    meshVersion: candidates.meshVersion,
    lineage: copyLineage(lineage),
  };
}

/** The candidates carried by a qa.candidates.v1 value. */
export function fromRecordCandidatesValue(value: RecordCandidatesMessage): RecordCandidates {
  return {
    pmid: value.pmid,
    pmidVersion: value.pmidVersion,
    outcome: value.outcome,
    items: value.items.map(fromQaCandidateValue),
    failures: value.failures.map((f) => ({ reason: f.reason, message: f.message })),
    meshVersion: value.meshVersion,
  };
}
