import type { Provenance, QaCandidate } from '../model/qaItem.ts';
import type { BackendSymbol, ProvenanceValue, QaCandidateValue } from './topicMessages.ts';

const BACKEND_SYMBOLS: Readonly<Record<Provenance['backend'], BackendSymbol>> = { 'rule-based': 'rule_based', llm: 'llm' };
const BACKENDS: Readonly<Record<BackendSymbol, Provenance['backend']>> = { rule_based: 'rule-based', llm: 'llm' };

/** Provenance on the wire: the backend as an Avro enum symbol. */
export function toProvenanceValue(provenance: Provenance): ProvenanceValue {
  return {
    backend: BACKEND_SYMBOLS[provenance.backend],
    name: provenance.name,
    version: provenance.version,
    promptVersion: provenance.promptVersion,
    model: provenance.model,
    cached: provenance.cached === true,
  };
}

/** Provenance from the wire. */
export function fromProvenanceValue(value: ProvenanceValue): Provenance {
  return {
    backend: BACKENDS[value.backend],
    name: value.name,
    version: value.version,
    promptVersion: value.promptVersion,
    model: value.model,
    ...(value.cached ? { cached: true } : {}),
  };
}

/** A candidate on the wire (a qa.candidates.v1 item, and the candidate inside a judgement). */
export function toQaCandidateValue(candidate: QaCandidate): QaCandidateValue {
  return {
    id: candidate.id,
    pmid: candidate.pmid,
    pmidVersion: candidate.pmidVersion,
    type: candidate.type,
    question: candidate.question,
    answer: candidate.answer,
    longAnswer: candidate.longAnswer,
    options: candidate.options ? candidate.options.map((o) => ({ label: o.label, text: o.text })) : null,
    context: candidate.context,
    target: {
      descriptorUi: candidate.target.descriptorUi,
      name: candidate.target.name,
      treeNumbers: [...candidate.target.treeNumbers],
      branches: [...candidate.target.branches],
      source: candidate.target.source,
    },
    paperMesh: [...candidate.paperMesh],
    generator: toProvenanceValue(candidate.generator),
    createdAt: candidate.createdAt,
  };
}

/** A candidate from the wire. */
export function fromQaCandidateValue(value: QaCandidateValue): QaCandidate {
  return {
    id: value.id,
    pmid: value.pmid,
    pmidVersion: value.pmidVersion,
    type: value.type,
    question: value.question,
    answer: value.answer,
    longAnswer: value.longAnswer,
    options: value.options ? value.options.map((o) => ({ label: o.label, text: o.text })) : null,
    context: value.context,
    target: {
      descriptorUi: value.target.descriptorUi,
      name: value.target.name,
      treeNumbers: [...value.target.treeNumbers],
      branches: [...value.target.branches],
      source: value.target.source,
    },
    paperMesh: [...value.paperMesh],
    generator: fromProvenanceValue(value.generator),
    createdAt: value.createdAt,
  };
}
