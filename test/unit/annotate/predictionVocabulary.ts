import { createMeshVocabulary } from '../../../services/mesh/createMeshVocabulary.ts';
import type { MeshDescriptor, MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';

/** A descriptor whose first term is its name and the others synonyms, all in the preferred concept. */
function descriptor(ui: string, treeNumbers: string[], name: string, ...synonyms: string[]): MeshDescriptor {
  return {
    ui,
    name,
    treeNumbers,
    terms: [name, ...synonyms].map((text, i) => ({
      text,
      recordPreferred: i === 0,
      conceptPreferred: i === 0,
      preferredConcept: true,
    })),
  };
}

/**
 * A small hand-made vocabulary with real UIs and tree numbers: the check tags, a few over-general
 * headings, and specific ones, for the prediction tests.
 */
export function predictionVocabulary(withoutUis: readonly string[] = []): MeshVocabulary {
  const all = [
    descriptor('D006801', ['B01.050.150.900.649.313.988.400.112.400.400'], 'Humans', 'Human'),
    descriptor('D000818', ['B01.050'], 'Animals', 'Animal'),
    descriptor('D051381', ['B01.050.150.900.649.313.992.635.505.700'], 'Rats', 'Rat'),
    descriptor('D005260', [], 'Female', 'Females'),
    descriptor('D008297', [], 'Male', 'Males'),
    descriptor('D000328', ['M01.060.116'], 'Adult', 'Adults'),
    descriptor('D008875', ['M01.060.116.630'], 'Middle Aged', 'Middle Age'),
    descriptor('D010361', ['M01.643'], 'Patients', 'Patient'),
    descriptor('D013812', ['E02'], 'Therapeutics', 'Therapy', 'Treatment'),
    descriptor('D010209', ['J01.637.051.720'], 'Paper', 'Papers'),
    descriptor('D001419', ['B03'], 'Bacteria', 'Bacterium'),
    descriptor('D005060', ['Z01.542'], 'Europe'),
    descriptor('D010024', ['C05.116.198.579'], 'Osteoporosis'),
    descriptor('D015519', ['G11.427.100'], 'Bone Density', 'Bone Mineral Density'),
    descriptor('D004358', ['E02.319'], 'Drug Therapy', 'Chemotherapy'),
  ];
  return createMeshVocabulary(all.filter((d) => !withoutUis.includes(d.ui)), 'prediction-fixture');
}
