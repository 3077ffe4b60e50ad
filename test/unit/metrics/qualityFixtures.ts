import type { AnnotatedRecord, MeshSource, MeshTerm } from '../../../services/model/annotatedRecord.ts';
import type { Criterion, ItemType, JudgedItem, QaCandidate, RejectReason } from '../../../services/model/qaItem.ts';
import { testArticle } from '../../support/testArticle.ts';

/** A MeSH term as the annotator attaches it. */
export function meshTerm(ui: string, source: MeshSource, treeNumbers: string[]): MeshTerm {
  return { descriptorUi: ui, name: `Descriptor ${ui}`, source, score: source === 'nlm' ? 1 : 0.7, majorTopic: false, treeNumbers, ancestors: [] };
}

/** An annotated record with the given terms (the article fields are the minimum the metrics do not read). */
export function annotatedRecord(pmid: string, mesh: MeshTerm[]): AnnotatedRecord {
  return {
    record: testArticle({
      pmid,
      title: 'Metformin in adults with type 2 diabetes',
      abstract: [{ label: null, nlmCategory: null, text: 'Metformin lowered glycated haemoglobin.' }],
      pubDate: { year: 2024, month: 5, day: 1, raw: '2024 May 1' },
      source: 'fixture.xml',
    }),
    mesh,
    meshVersion: 'MeSH fixture',
    annotator: { name: 'fixture', version: '0' },
  };
}

/** A candidate of the given type about a descriptor with these tree numbers. */
export function candidate(id: string, type: ItemType, treeNumbers: string[]): QaCandidate {
  return {
    id,
    pmid: '100',
    pmidVersion: 1,
    type,
    question: `Question ${id}?`,
    answer: 'yes',
    longAnswer: null,
    options: null,
    context: 'Metformin lowered glycated haemoglobin.',
    target: { descriptorUi: 'D008687', name: 'Metformin', treeNumbers, branches: [...new Set(treeNumbers.map((t) => t.charAt(0)))].sort(), source: 'nlm' },
    paperMesh: ['D008687'],
    generator: { backend: 'rule-based', name: 'rule-based', version: '1', promptVersion: 'none', model: null },
    createdAt: '2024-05-01T00:00:00.000Z',
  };
}

/** A judged item: every criterion gets `scores[criterion]` (default 0.9). */
export function judged(c: QaCandidate, verdict: 'accept' | 'reject', reasons: RejectReason[] = [], scores: Partial<Record<Criterion, number>> = {}): JudgedItem {
  const all: Criterion[] = ['grounded', 'answerable', 'correct', 'clear', 'hierarchy', 'retrieval'];
  return {
    candidate: c,
    scores: Object.fromEntries(all.map((k) => [k, { score: scores[k] ?? 0.9, reason: 'fixture' }])) as JudgedItem['scores'],
    hierarchyFormula: 'fixture/v1',
    voc: null,
    verdict,
    rejectReasons: reasons,
    judge: { backend: 'rule-based', name: 'rule-based', version: '1', promptVersion: 'none', model: null },
    judgedAt: '2024-05-01T00:00:00.000Z',
    retrievedPmids: [],
  };
}
