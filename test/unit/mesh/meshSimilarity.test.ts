import { beforeAll, describe, expect, it } from 'vitest';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import { MeshConfigError } from '../../../services/errors/medistillErrors.ts';
import { createHierarchyScorer, descriptorSimilarity, setSimilarity, type SimilarityFormula } from '../../../services/mesh/meshSimilarity.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import { DESC_FIXTURE } from './fixtureVocabulary.ts';

const MI = 'D009203'; // C14.280.647.500 (+ C14.907.585.500, C23.550.513.355.750, C23.550.717.489.750)
const MYOCARDIAL_ISCHEMIA = 'D017202'; // C14.280.647, C14.907.585
const CORONARY = 'D003327'; // C14.280.647.250, C14.907.585.250
const HEART_FAILURE = 'D006333'; // C14.280.434
const NEOPLASMS = 'D009369'; // C04
const NERVOUS = 'D009422'; // C10
const ASPIRIN = 'D001241'; // D02....
const SPAIN = 'D013030'; // Z01.542.846
const HEADACHE = 'D006261'; // C23.888.592.612.441

let vocab: MeshVocabulary;
beforeAll(async () => {
  vocab = await loadMeshVocabulary(DESC_FIXTURE);
});

const sim = (a: string, b: string, f: SimilarityFormula): number => descriptorSimilarity(vocab, a, b, f).score;

describe('descriptorSimilarity', () => {
  it('scores a descriptor against itself 1 with both formulas', () => {
    expect(sim(MI, MI, 'wu-palmer')).toBe(1);
    expect(sim(MI, MI, 'lcp')).toBe(1);
  });

  it('scores parent and child: wu-palmer 2*4/(5+4), lcp 3/4', () => {
    expect(sim(MI, MYOCARDIAL_ISCHEMIA, 'wu-palmer')).toBeCloseTo(8 / 9, 10);
    expect(sim(MI, MYOCARDIAL_ISCHEMIA, 'lcp')).toBeCloseTo(3 / 4, 10);
  });

  it('scores siblings: wu-palmer 2*4/(5+5), lcp 3/4', () => {
    expect(sim(MI, CORONARY, 'wu-palmer')).toBeCloseTo(0.8, 10);
    expect(sim(MI, CORONARY, 'lcp')).toBeCloseTo(0.75, 10);
    expect(sim(HEART_FAILURE, MYOCARDIAL_ISCHEMIA, 'wu-palmer')).toBeCloseTo(0.75, 10);
    expect(sim(HEART_FAILURE, MYOCARDIAL_ISCHEMIA, 'lcp')).toBeCloseTo(2 / 3, 10);
  });

  it('is symmetric', () => {
    expect(sim(MYOCARDIAL_ISCHEMIA, MI, 'wu-palmer')).toBe(sim(MI, MYOCARDIAL_ISCHEMIA, 'wu-palmer'));
    expect(sim(CORONARY, MI, 'lcp')).toBe(sim(MI, CORONARY, 'lcp'));
  });

  it('gives two top-level headings of one category 0.5 with wu-palmer (they meet at the letter) and 0 with lcp', () => {
    expect(sim(NEOPLASMS, NERVOUS, 'wu-palmer')).toBeCloseTo(0.5, 10);
    expect(sim(NEOPLASMS, NERVOUS, 'lcp')).toBe(0);
  });

  it('scores descriptors in different categories 0 with both formulas', () => {
    expect(sim(ASPIRIN, SPAIN, 'wu-palmer')).toBe(0);
    expect(sim(ASPIRIN, SPAIN, 'lcp')).toBe(0);
  });

  it('takes the best pair of tree numbers: MI meets Headache only in C23', () => {
    // C23.550.513.355.750 vs C23.888.592.612.441 share one level: 2*2/(6+6).
    expect(sim(MI, HEADACHE, 'wu-palmer')).toBeCloseTo(1 / 3, 10);
  });

  it('scores an unknown UI 0, even against itself', () => {
    expect(sim('D999999', MI, 'wu-palmer')).toBe(0);
    expect(sim('D999999', 'D999999', 'lcp')).toBe(0);
  });

  it('returns a named, versioned formula id', () => {
    expect(descriptorSimilarity(vocab, MI, CORONARY, 'wu-palmer').formula).toBe('wu-palmer/v1');
    expect(descriptorSimilarity(vocab, MI, CORONARY, 'lcp').formula).toBe('lcp/v1');
  });

  it('rejects an unknown formula name', () => {
    expect(() => descriptorSimilarity(vocab, MI, MI, 'cosine' as SimilarityFormula)).toThrow(MeshConfigError);
  });
});

describe('setSimilarity', () => {
  it('averages the best matches in both directions', () => {
    // A->B: MI best 8/9. B->A: Myocardial Ischemia 8/9, Spain 0 -> 4/9. BMA = (8/9 + 4/9) / 2.
    const r = setSimilarity(vocab, [MI], [MYOCARDIAL_ISCHEMIA, SPAIN], 'wu-palmer');
    expect(r.score).toBeCloseTo(2 / 3, 10);
    expect(r.formula).toBe('wu-palmer-bma/v1');
  });

  it('uses the lcp pair formula under the lcp-bma id', () => {
    const r = setSimilarity(vocab, [MI, NEOPLASMS], [CORONARY], 'lcp');
    // A->B: MI 3/4, Neoplasms 0 -> 3/8. B->A: Coronary 3/4. BMA = (3/8 + 3/4) / 2.
    expect(r.score).toBeCloseTo(9 / 16, 10);
    expect(r.formula).toBe('lcp-bma/v1');
  });

  it('scores identical sets 1 and an empty side 0', () => {
    expect(setSimilarity(vocab, [MI, SPAIN], [SPAIN, MI], 'wu-palmer').score).toBe(1);
    expect(setSimilarity(vocab, [], [MI], 'wu-palmer').score).toBe(0);
    expect(setSimilarity(vocab, [MI], [], 'lcp').score).toBe(0);
  });

  it('counts unknown UIs as 0 in the averages', () => {
    expect(setSimilarity(vocab, [MI, 'D999999'], [MI], 'wu-palmer').score).toBeCloseTo((0.5 + 1) / 2, 10);
  });
});

describe('createHierarchyScorer', () => {
  it('scores a target against the paper set with BMA of {target} vs the set', () => {
    const score = createHierarchyScorer(vocab);
    // target->paper: 1. paper->target: MI 1, Headache 1/3 -> 2/3. BMA = 5/6.
    const r = score(MI, [MI, HEADACHE]);
    expect(r.score).toBeCloseTo(5 / 6, 10);
    expect(r.formula).toBe('wu-palmer-bma/v1');
  });

  it('gives 0 for an empty paper set and for an unknown target', () => {
    const score = createHierarchyScorer(vocab, 'lcp');
    expect(score(MI, [])).toEqual({ score: 0, formula: 'lcp-bma/v1' });
    expect(score('D999999', [MI]).score).toBe(0);
  });

  it('rejects an unknown formula when built, not when called', () => {
    expect(() => createHierarchyScorer(vocab, 'jaccard' as SimilarityFormula)).toThrow(/unknown similarity formula/);
  });
});
