import { describe, expect, it } from 'vitest';
import { titleQuestion } from '../../../services/generate/titleQuestion.ts';

describe('titleQuestion', () => {
  it('keeps a title that asks, leaving the answer to the conclusion', () => {
    expect(titleQuestion('Is routine chest radiography necessary after central line placement?')).toEqual({
      question: 'Is routine chest radiography necessary after central line placement?',
      titleAnswer: null,
    });
  });

  it('inverts a stated finding and answers it "yes", as the title asserts', () => {
    expect(titleQuestion('Metformin reduces mortality in sepsis.')).toEqual({ question: 'Does metformin reduce mortality in sepsis?', titleAnswer: 'yes' });
    expect(titleQuestion('Early mobilisation is associated with shorter stays: a cohort study')).toEqual({ question: 'Is early mobilisation associated with shorter stays?', titleAnswer: 'yes' });
  });

  it('asks a denied finding without its "not" and answers it "no"', () => {
    expect(titleQuestion('Metformin does not reduce mortality in sepsis.')).toEqual({ question: 'Does metformin reduce mortality in sepsis?', titleAnswer: 'no' });
    expect(titleQuestion('Vitamin D is not associated with falls in nursing homes.')).toEqual({ question: 'Is vitamin D associated with falls in nursing homes?', titleAnswer: 'no' });
    expect(titleQuestion('Ankle pressure cannot predict mortality in older adults.')).toEqual({ question: 'Can ankle pressure predict mortality in older adults?', titleAnswer: 'no' });
  });

  it('leaves a denial that is not a plain "not" to the conclusion, and gives nothing for a topic title', () => {
    expect(titleQuestion('Statin therapy has no effect on stroke recovery.')?.titleAnswer).toBeNull();
    expect(titleQuestion('Heart failure in older adults: a randomised trial')).toBeNull();
    expect(titleQuestion('Metformin does not reduce mortality in sepsis.')?.question).toBe('Does metformin reduce mortality in sepsis?');
  });
});
