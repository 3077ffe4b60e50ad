import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import { copyLineage, type Lineage } from './lineage.ts';
import { fromPubmedRecordValue, toPubmedRecordValue } from './pubmedRecordMapping.ts';
import { SCHEMA_VERSION, type AnnotatedRecordMessage, type MeshTermValue } from './topicMessages.ts';

function toMeshTermValue(term: MeshTerm): MeshTermValue {
  return {
    descriptorUi: term.descriptorUi,
    name: term.name,
    source: term.source,
    score: term.score,
    majorTopic: term.majorTopic,
    treeNumbers: [...term.treeNumbers],
    ancestors: [...term.ancestors],
    matches: term.matches ? [...term.matches] : null,
  };
}

function fromMeshTermValue(value: MeshTermValue): MeshTerm {
  const term: MeshTerm = {
    descriptorUi: value.descriptorUi,
    name: value.name,
    source: value.source,
    score: value.score,
    majorTopic: value.majorTopic,
    treeNumbers: [...value.treeNumbers],
    ancestors: [...value.ancestors],
  };
  // The domain leaves `matches` out rather than setting it to undefined.
  if (value.matches !== null) term.matches = [...value.matches];
  return term;
}

/**
 * The pubmed.annotated.v1 value of an annotated record. `recordLineage` is the lineage of the
 * pubmed.records.v1 message the record arrived in (the ingest that produced it); default `lineage`.
 */
export function toAnnotatedRecordValue(
  annotated: AnnotatedRecord,
  lineage: Lineage,
  recordLineage: Lineage = lineage,
): AnnotatedRecordMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    record: toPubmedRecordValue(annotated.record, recordLineage),
    mesh: annotated.mesh.map(toMeshTermValue),
    meshVersion: annotated.meshVersion,
    annotator: { name: annotated.annotator.name, version: annotated.annotator.version },
    lineage: copyLineage(lineage),
  };
}

/** The annotated record carried by a pubmed.annotated.v1 value. */
export function fromAnnotatedRecordValue(value: AnnotatedRecordMessage): AnnotatedRecord {
  return {
    record: fromPubmedRecordValue(value.record),
    mesh: value.mesh.map(fromMeshTermValue),
    meshVersion: value.meshVersion,
    annotator: { name: value.annotator.name, version: value.annotator.version },
  };
}
