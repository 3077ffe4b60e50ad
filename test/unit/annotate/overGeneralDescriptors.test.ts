import { describe, expect, it } from 'vitest';
import { isOverGeneral, OVER_GENERAL_UIS } from '../../../services/annotate/overGeneralDescriptors.ts';
import { predictionVocabulary } from './predictionVocabulary.ts';

const vocab = predictionVocabulary();

describe('isOverGeneral', () => {
  it('flags a heading at depth 1 or 2 named by a single word', () => {
    expect(isOverGeneral('D013812', false, vocab)).toBe(true); // Therapeutics, E02, "treatment"
    expect(isOverGeneral('D010361', false, vocab)).toBe(true); // Patients, M01.643
  });

  it('keeps it when the text used a term of several words', () => {
    expect(isOverGeneral('D004358', true, vocab)).toBe(false); // Drug Therapy, E02.319, "drug therapy"
  });

  it('keeps deeper headings, and organisms and places at any depth', () => {
    expect(isOverGeneral('D010024', false, vocab)).toBe(false); // Osteoporosis, depth 4
    expect(isOverGeneral('D001419', false, vocab)).toBe(false); // Bacteria, B03
    expect(isOverGeneral('D005060', false, vocab)).toBe(false); // Europe, Z01.542
  });

  it('counts a descriptor without tree numbers as top-level', () => {
    expect(isOverGeneral('D005260', false, vocab)).toBe(true);
  });

  it('flags an everyday word on the list whatever its depth and wording', () => {
    expect(OVER_GENERAL_UIS.has('D010209')).toBe(true);
    expect(isOverGeneral('D010209', false, vocab)).toBe(true); // Paper, depth 4: "this paper"
    expect(isOverGeneral('D010209', true, vocab)).toBe(true);
  });
});
