import type { HierarchyScorer } from '../../../services/judge/judge.ts';
import type { QaCandidate } from '../../../services/model/qaItem.ts';

/** A structured abstract as abstractText() joins it. */
export const CONTEXT = [
  'BACKGROUND: Type 2 diabetes is a growing burden on health systems worldwide.',
  'METHODS: We randomised 412 adults to metformin or placebo for 24 weeks. In a pilot phase, patients received insulin daily. Patients in the active arm received metformin daily. Afterwards, patients received metformin daily.',
  'RESULTS: Metformin lowered glycated hemoglobin by 0.9 percentage points compared with placebo.',
  'CONCLUSIONS: Metformin improves glycaemic control in adults with type 2 diabetes.',
].join('\n');

const base: Omit<QaCandidate, 'id' | 'type' | 'question' | 'answer' | 'longAnswer' | 'options'> = {
  pmid: '38000001',
  pmidVersion: 1,
  context: CONTEXT,
  target: { descriptorUi: 'D008687', name: 'Metformin', treeNumbers: ['D02.078.370.141.450'], branches: ['D'], source: 'nlm' },
  paperMesh: ['D008687', 'D003924', 'D006442'],
  generator: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', promptVersion: 'none', model: null },
  createdAt: '2024-05-01T00:00:00.000Z',
};

export function openItem(answer = 'Metformin', statement = '____ lowered glycated hemoglobin by 0.9 percentage points compared with placebo.'): QaCandidate {
  return {
    ...base,
    id: 'open-1',
    type: 'open',
    question: `Which chemical or drug (MeSH: Chemicals and Drugs) completes the statement: "${statement}"?`,
    answer,
    longAnswer: null,
    options: null,
  };
}

export function mcqItem(statement: string, texts: [string, string, string, string], key: 'A' | 'B' | 'C' | 'D'): QaCandidate {
  return {
    ...base,
    id: 'mcq-1',
    type: 'multiple_choice',
    question: `Which of the following is the chemical or drug (MeSH: Chemicals and Drugs) that best completes the statement: "${statement}"?`,
    answer: key,
    longAnswer: null,
    options: texts.map((text, i) => ({ label: (['A', 'B', 'C', 'D'] as const)[i]!, text })),
  };
}

export function yesNoItem(answer: string, longAnswer = 'Metformin improves glycaemic control in adults with type 2 diabetes.'): QaCandidate {
  return {
    ...base,
    id: 'ynm-1',
    type: 'yes_no_maybe',
    question: 'Does metformin improve glycaemic control in adults with type 2 diabetes?',
    answer,
    longAnswer,
    options: null,
  };
}

/** A scorer returning a fixed similarity, so tests control the hierarchy criterion. */
export function fixedScorer(score: number): HierarchyScorer {
  return () => ({ score, formula: 'fixed-test/v1' });
}
