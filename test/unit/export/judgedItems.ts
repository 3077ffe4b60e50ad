import type { Criterion, ItemType, JudgedItem, RejectReason } from '../../../services/model/qaItem.ts';

export interface ItemSpec {
  id: string;
  pmid?: string;
  version?: number;
  type?: ItemType;
  question?: string;
  verdict?: 'accept' | 'reject';
  reasons?: RejectReason[];
  score?: number;
  treeNumbers?: string[];
  generatorVersion?: string;
}

/** A judged item built by hand, as the judge stage would emit it. */
export function judgedItem(spec: ItemSpec): JudgedItem {
  const type = spec.type ?? 'open';
  const treeNumbers = spec.treeNumbers ?? ['D02.078.370.141.450'];
  const score = spec.score ?? 0.9;
  const scores = Object.fromEntries(
    (['grounded', 'answerable', 'correct', 'clear', 'hierarchy', 'retrieval'] as Criterion[]).map((c) => [c, { score, reason: `${c} reason` }]),
  ) as JudgedItem['scores'];
  const mcq = type === 'multiple_choice';
  return {
    candidate: {
      id: spec.id,
      pmid: spec.pmid ?? '100',
      pmidVersion: spec.version ?? 1,
      type,
      question: spec.question ?? `Question ${spec.id}?`,
      answer: mcq ? 'C' : type === 'yes_no_maybe' ? 'yes' : 'metformin',
      longAnswer: type === 'yes_no_maybe' ? 'Metformin helps.' : null,
      options: mcq
        ? [
            { label: 'A', text: 'buformin' },
            { label: 'B', text: 'phenformin' },
            { label: 'C', text: 'metformin' },
            { label: 'D', text: 'creatine' },
          ]
        : null,
      context: 'Patients received metformin daily. Metformin helps.',
      target: {
        descriptorUi: 'D008687',
        name: 'Metformin',
        treeNumbers,
        branches: [...new Set(treeNumbers.map((t) => t.charAt(0)))].sort(),
        source: 'nlm',
      },
      paperMesh: ['D008687', 'D003924'],
      generator: { backend: 'rule-based', name: 'rule-based', version: spec.generatorVersion ?? '1.0.0', promptVersion: 'none', model: null },
      createdAt: '2024-05-01T00:00:00.000Z',
    },
    scores,
    hierarchyFormula: 'wu-palmer-bma/v1',
    voc: mcq
      ? {
          options: (['A', 'B', 'C', 'D'] as const).map((label) => ({ label, argument: `argument ${label}`, supported: label === 'C' })),
          survivors: ['C'],
          passed: true,
        }
      : null,
    verdict: spec.verdict ?? 'accept',
    rejectReasons: spec.reasons ?? [],
    judge: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
    judgedAt: '2024-05-02T00:00:00.000Z',
    retrievedPmids: [],
  };
}
