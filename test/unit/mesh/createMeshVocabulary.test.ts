import { beforeAll, describe, expect, it } from 'vitest';
import { createMeshVocabulary } from '../../../services/mesh/createMeshVocabulary.ts';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import { MeshConfigError } from '../../../services/errors/medistillErrors.ts';
import type { MeshDescriptor, MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import { DESC_FIXTURE } from './fixtureVocabulary.ts';

const MI = 'D009203';
const MYOCARDIAL_ISCHEMIA = 'D017202';
const HEART_DISEASES = 'D006331';
const CARDIOVASCULAR = 'D002318';
const PAIN = 'D010146';

let vocab: MeshVocabulary;
beforeAll(async () => {
  vocab = await loadMeshVocabulary(DESC_FIXTURE);
});

const d = (ui: string, treeNumbers: string[]): MeshDescriptor => ({
  ui,
  name: ui,
  treeNumbers,
  terms: [{ text: ui, recordPreferred: true, conceptPreferred: true, preferredConcept: true }],
});

describe('createMeshVocabulary', () => {
  it('finds descriptors by UI and by tree number, and undefined for unknown ones', () => {
    expect(vocab.get(HEART_DISEASES)?.name).toBe('Heart Diseases');
    expect(vocab.byTreeNumber('C14.280')?.ui).toBe(HEART_DISEASES);
    expect(vocab.byTreeNumber('C23.550.717.489.750')?.ui).toBe(MI);
    expect(vocab.get('D999999')).toBeUndefined();
    expect(vocab.byTreeNumber('C14.999')).toBeUndefined();
  });

  it('gives the parent chain C14.280.647.500 -> C14.280.647 -> C14.280 -> C14, and no parent above C14', () => {
    expect(vocab.parents(MYOCARDIAL_ISCHEMIA)).toEqual([HEART_DISEASES, 'D014652']);
    expect(vocab.parents(HEART_DISEASES)).toEqual([CARDIOVASCULAR]);
    expect(vocab.parents(CARDIOVASCULAR)).toEqual([]);
  });

  it('lists parents over all tree numbers without duplicates', () => {
    // MI sits under Myocardial Ischemia twice (C14.280.647 and C14.907.585) and under Infarction twice.
    expect(vocab.parents(MI)).toEqual([MYOCARDIAL_ISCHEMIA, 'D007238']);
  });

  it('lists ancestors nearest first across the poly-hierarchy, without duplicates or the descriptor itself', () => {
    expect(vocab.ancestors(MI)).toEqual([
      MYOCARDIAL_ISCHEMIA, 'D007238', // one level up
      HEART_DISEASES, 'D014652', 'D007511', 'D009336', // two levels up
      CARDIOVASCULAR, 'D010335', // three
      'D013568', // four
    ]);
    expect(vocab.ancestors(CARDIOVASCULAR)).toEqual([]);
  });

  it('keeps walking up through tree levels missing from the vocabulary', () => {
    // E02.760.169.812: E02.760 and E02.760.169 are not in the fixture, E02 (Therapeutics) is.
    expect(vocab.ancestors('D000069341')).toEqual(['D013812']);
    expect(vocab.parents('D000069341')).toEqual([]);
  });

  it('returns a copy of the ancestors that callers may change', () => {
    const first = vocab.ancestors(MI);
    first.push('X');
    expect(vocab.ancestors(MI)).not.toContain('X');
  });

  it('lists children and siblings', () => {
    expect(vocab.children(MYOCARDIAL_ISCHEMIA).sort()).toEqual(['D000787', 'D003327', MI].sort());
    expect(vocab.children(HEART_DISEASES).sort()).toEqual(['D006333', MYOCARDIAL_ISCHEMIA].sort());
    expect(vocab.children(MI)).toEqual([]);
    // MI's siblings: under Myocardial Ischemia and under Infarction (which has no other child here).
    expect(vocab.siblings(MI).sort()).toEqual(['D000787', 'D003327'].sort());
    expect(vocab.siblings(CARDIOVASCULAR)).toEqual([]);
  });

  it('gives depth 1 for a top-level heading, the smallest depth over tree numbers otherwise, 0 when unknown', () => {
    expect(vocab.depth(CARDIOVASCULAR)).toBe(1);
    expect(vocab.depth(HEART_DISEASES)).toBe(2);
    expect(vocab.depth(MI)).toBe(4);
    expect(vocab.depth(PAIN)).toBe(4);
    expect(vocab.depth('D999999')).toBe(0);
  });

  it('gives sorted, distinct branch letters', () => {
    expect(vocab.branches(PAIN)).toEqual(['C', 'F', 'G']);
    expect(vocab.branches(MI)).toEqual(['C']);
    expect(vocab.branches('D999999')).toEqual([]);
  });

  it('iterates every descriptor once', () => {
    const uis = [...vocab.descriptors()].map((x) => x.ui);
    expect(uis).toHaveLength(vocab.size);
    expect(new Set(uis).size).toBe(vocab.size);
  });

  it('rejects a duplicate UI and a tree number claimed twice', () => {
    expect(() => createMeshVocabulary([d('D1', ['A01']), d('D1', ['A02'])], 't')).toThrow(MeshConfigError);
    expect(() => createMeshVocabulary([d('D1', ['A01']), d('D2', ['A01'])], 't')).toThrow(/A01/);
  });

  it('keeps the version string it was given', () => {
    expect(createMeshVocabulary([d('D1', ['A01'])], 'MeSH test').version).toBe('MeSH test');
  });
});
