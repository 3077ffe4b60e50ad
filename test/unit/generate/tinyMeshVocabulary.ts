import type { MeshDescriptor, MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';

/** [ui, name, tree numbers, further entry terms] of real MeSH 2024 descriptors. */
type Row = [string, string, string[], string[]];

const ROWS: Row[] = [
  ['D044882', 'Glucose Metabolism Disorders', ['C18.452.394'], []],
  ['D003920', 'Diabetes Mellitus', ['C18.452.394.750', 'C19.246'], []],
  ['D003924', 'Diabetes Mellitus, Type 2', ['C18.452.394.750.149', 'C19.246.300'], ['Type 2 Diabetes Mellitus', 'Type 2 Diabetes', 'NIDDM', 'Diabetes Mellitus, Noninsulin-Dependent']],
  ['D003922', 'Diabetes Mellitus, Type 1', ['C18.452.394.750.124', 'C19.246.267', 'C20.111.327'], ['Type 1 Diabetes Mellitus', 'Type 1 Diabetes', 'IDDM']],
  ['D016640', 'Diabetes, Gestational', ['C12.050.703.170', 'C18.452.394.750.448', 'C19.246.200'], ['Gestational Diabetes']],
  ['D011236', 'Prediabetic State', ['C18.452.394.750.774'], []],
  ['D003921', 'Diabetes Mellitus, Experimental', ['C18.452.394.750.074', 'C19.246.240', 'E05.598.500.374'], ['Experimental Diabetes Mellitus']],
  ['D006146', 'Guanidines', ['D02.078.370'], []],
  ['D001645', 'Biguanides', ['D02.078.370.141'], []],
  ['D008687', 'Metformin', ['D02.078.370.141.450'], ['Glucophage', 'Dimethylbiguanidine']],
  ['D002026', 'Buformin', ['D02.078.370.141.075'], ['Butylbiguanide']],
  ['D010629', 'Phenformin', ['D02.078.370.141.700'], ['Phenylethylbiguanide']],
  ['D002927', 'Cimetidine', ['D02.078.370.200'], []],
  ['D003401', 'Creatine', ['D02.078.370.280'], []],
  ['D007004', 'Hypoglycemic Agents', ['D27.505.696.422'], ['Antidiabetic Drugs']],
  ['D006442', 'Glycated Hemoglobin', ['D09.400.205.625.500.250', 'D12.776.124.400.354'], ['Hemoglobin A1c', 'HbA1c']],
  ['D041981', 'Gastrointestinal Tract', ['A03.556'], []],
  ['D008099', 'Liver', ['A03.620'], []],
  ['D010179', 'Pancreas', ['A03.734'], []],
  ['D014652', 'Vascular Diseases', ['C14.907'], []],
  ['D006973', 'Hypertension', ['C14.907.489'], ['High Blood Pressure']],
  ['D006801', 'Humans', ['B01.050.150.900.649.313.988.400.112.400.400'], []],
  ['D008297', 'Male', [], []],
  ['D005260', 'Female', [], []],
  ['D000328', 'Adult', ['M01.060.116'], []],
  ['D008875', 'Middle Aged', ['M01.060.116.630'], []],
];

/** A small in-memory MeSH vocabulary over real descriptors, enough for siblings, cousins and branches. */
export function tinyMeshVocabulary(): MeshVocabulary {
  const byUi = new Map<string, MeshDescriptor>();
  const byTree = new Map<string, MeshDescriptor>();
  for (const [ui, name, treeNumbers, extra] of ROWS) {
    const terms = [name, ...extra].map((text, i) => ({ text, recordPreferred: i === 0, conceptPreferred: i === 0, preferredConcept: true }));
    const d: MeshDescriptor = { ui, name, treeNumbers, terms };
    byUi.set(ui, d);
    for (const t of treeNumbers) byTree.set(t, d);
  }
  const parentTree = (t: string) => (t.includes('.') ? t.slice(0, t.lastIndexOf('.')) : null);
  const parents = (ui: string) => {
    const out = new Set<string>();
    for (const t of byUi.get(ui)?.treeNumbers ?? []) {
      const p = parentTree(t);
      const d = p ? byTree.get(p) : undefined;
      if (d) out.add(d.ui);
    }
    return [...out];
  };
  const ancestors = (ui: string) => {
    const out: string[] = [];
    for (const t of byUi.get(ui)?.treeNumbers ?? []) {
      for (let p = parentTree(t); p; p = parentTree(p)) {
        const d = byTree.get(p);
        if (d && !out.includes(d.ui)) out.push(d.ui);
      }
    }
    return out;
  };
  const children = (ui: string) => [...byUi.values()].filter((d) => parents(d.ui).includes(ui)).map((d) => d.ui);
  return {
    version: 'tiny MeSH 2024 subset',
    size: byUi.size,
    get: (ui) => byUi.get(ui),
    byTreeNumber: (t) => byTree.get(t),
    parents,
    ancestors,
    children,
    siblings: (ui) => [...new Set(parents(ui).flatMap((p) => children(p)))].filter((c) => c !== ui),
    depth: (ui) => Math.min(...(byUi.get(ui)?.treeNumbers ?? ['']).map((t) => t.split('.').length)),
    branches: (ui) => [...new Set((byUi.get(ui)?.treeNumbers ?? []).map((t) => t.charAt(0)))].sort(),
    descriptors: () => byUi.values(),
  };
}
