import type { AnnotatedRecord, MeshTerm } from '../../../services/model/annotatedRecord.ts';
import type { QaCandidate } from '../../../services/model/qaItem.ts';
import type { AbstractSection } from '../../../services/model/pubmedRecord.ts';

/** A hand-written record about metformin in type 2 diabetes, with NLM-style MeSH terms (real UIs and tree numbers). */
export function metforminRecord(overrides: { abstract?: AbstractSection[] } = {}): AnnotatedRecord {
  const term = (t: Partial<MeshTerm> & Pick<MeshTerm, 'descriptorUi' | 'name' | 'treeNumbers' | 'ancestors'>): MeshTerm => ({
    source: 'nlm',
    score: 1,
    majorTopic: false,
    ...t,
  });
  return {
    record: {
      kind: 'article',
      recordType: 'PubmedArticle',
      pmid: '90000001',
      version: 1,
      title: 'Metformin and glycaemic control in adults with newly diagnosed type 2 diabetes: a randomised trial',
      abstract: overrides.abstract ?? [
        {
          label: 'BACKGROUND',
          nlmCategory: 'BACKGROUND',
          text: 'Early pharmacological treatment of type 2 diabetes may delay the loss of glycaemic control.',
        },
        {
          label: 'METHODS',
          nlmCategory: 'METHODS',
          text: 'We randomly assigned 412 adults with newly diagnosed type 2 diabetes to metformin or placebo for 24 weeks.',
        },
        {
          label: 'RESULTS',
          nlmCategory: 'RESULTS',
          text: 'Glycated haemoglobin fell by 0.9 percentage points with metformin and by 0.1 with placebo; insulin resistance fell only with metformin. Gastrointestinal side effects were more frequent with metformin.',
        },
        {
          label: 'CONCLUSIONS',
          nlmCategory: 'CONCLUSIONS',
          text: 'Metformin improved glycaemic control and insulin sensitivity over 24 weeks.',
        },
      ],
      languages: ['eng'],
      journal: { title: 'Journal of Test Fixtures', isoAbbreviation: 'J Test Fixt', issn: null },
      pubDate: { year: 2024, month: 3, day: null, raw: '2024 Mar' },
      articleIds: { pubmed: '90000001' },
      publicationTypes: ['Randomized Controlled Trial'],
      keywords: [],
      chemicals: [],
      meshHeadings: [],
      status: 'MEDLINE',
      source: 'fixture',
    },
    mesh: [
      term({
        descriptorUi: 'D003924',
        name: 'Diabetes Mellitus, Type 2',
        majorTopic: true,
        treeNumbers: ['C18.452.394.750.149', 'C19.246.300'],
        ancestors: ['D003920', 'D044882', 'D004700', 'D008659', 'D009750'],
      }),
      term({
        descriptorUi: 'D008687',
        name: 'Metformin',
        majorTopic: true,
        treeNumbers: ['D02.078.370.141.450'],
        ancestors: ['D001645', 'D006146', 'D000578', 'D009930'],
      }),
      term({
        descriptorUi: 'D007333',
        name: 'Insulin Resistance',
        score: 0.9,
        treeNumbers: ['C18.452.394.968.500', 'G07.690.773.984.617'],
        ancestors: ['D044882'],
      }),
      term({ descriptorUi: 'D006801', name: 'Humans', score: 0.9, treeNumbers: ['B01.050.150.900.649.313.988.400.112.400.400'], ancestors: [] }),
      term({ descriptorUi: 'D003920', name: 'Diabetes Mellitus', score: 0.9, treeNumbers: ['C18.452.394.750', 'C19.246'], ancestors: [] }),
    ],
    meshVersion: 'MeSH 2024 (fixture)',
    annotator: { name: 'fixture', version: '0' },
  };
}

/** Targets in a fixed order, so tests do not depend on the production selection rules. */
export function fixedTargets(uis: string[]) {
  return (record: AnnotatedRecord, max: number): MeshTerm[] =>
    uis
      .map((ui) => record.mesh.find((t) => t.descriptorUi === ui))
      .filter((t): t is MeshTerm => t !== undefined)
      .slice(0, max);
}

/** A candidate as the generator would build it. */
export function candidate(overrides: Partial<QaCandidate> = {}): QaCandidate {
  return {
    id: 'c0ffee000000000000000001',
    pmid: '90000001',
    pmidVersion: 1,
    type: 'open',
    question: 'By how much did glycated haemoglobin fall with metformin over 24 weeks in newly diagnosed type 2 diabetes?',
    answer: 'By 0.9 percentage points.',
    longAnswer: 'The results report a 0.9 point fall with metformin against 0.1 with placebo.',
    options: null,
    context:
      'RESULTS: Glycated haemoglobin fell by 0.9 percentage points with metformin and by 0.1 with placebo; insulin resistance fell only with metformin.',
    target: { descriptorUi: 'D008687', name: 'Metformin', treeNumbers: ['D02.078.370.141.450'], branches: ['D'], source: 'nlm' },
    paperMesh: ['D003924', 'D008687', 'D007333'],
    generator: { backend: 'llm', name: 'llm:test-model', version: '1.0.0', promptVersion: 'generate-v1', model: 'test-model' },
    createdAt: '2024-05-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A multiple-choice candidate keyed on `key`. */
export function mcqCandidate(key: 'A' | 'B' | 'C' | 'D' = 'B'): QaCandidate {
  return candidate({
    type: 'multiple_choice',
    question: 'Which measure fell only in the metformin group of newly diagnosed type 2 diabetes patients?',
    answer: key,
    longAnswer: null,
    options: [
      { label: 'A', text: 'Body weight' },
      { label: 'B', text: 'Insulin resistance' },
      { label: 'C', text: 'Blood pressure' },
      { label: 'D', text: 'LDL cholesterol' },
    ],
  });
}
