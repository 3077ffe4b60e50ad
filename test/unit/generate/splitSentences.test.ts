import { describe, expect, it } from 'vitest';
import { splitSentences } from '../../../services/generate/splitSentences.ts';

describe('splitSentences', () => {
  it('splits at full stops followed by a capital and keeps abbreviations and decimals inside sentences', () => {
    expect(splitSentences('We used e.g. metformin vs. placebo for 4.2 years. Mortality fell (p < 0.05). Smith et al. agreed.')).toEqual([
      'We used e.g. metformin vs. placebo for 4.2 years.',
      'Mortality fell (p < 0.05).',
      'Smith et al. agreed.',
    ]);
  });

  it('splits at line breaks and drops empty lines', () => {
    expect(splitSentences('BACKGROUND: One two.\n\nRESULTS: Three four')).toEqual(['BACKGROUND: One two.', 'RESULTS: Three four']);
  });
});
