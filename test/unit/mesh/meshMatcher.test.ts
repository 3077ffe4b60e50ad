import { beforeAll, describe, expect, it } from 'vitest';
import { createMeshVocabulary } from '../../../services/mesh/createMeshVocabulary.ts';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import { MeshConfigError } from '../../../services/errors/medistillErrors.ts';
import { createMeshMatcher, type MeshMatcher } from '../../../services/mesh/meshMatcher.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import { DESC_FIXTURE } from './fixtureVocabulary.ts';

let vocab: MeshVocabulary;
let matcher: MeshMatcher;
beforeAll(async () => {
  vocab = await loadMeshVocabulary(DESC_FIXTURE);
  matcher = createMeshMatcher(vocab);
});

const uis = (text: string, m: MeshMatcher = matcher): string[] => m.match(text).map((x) => x.descriptorUi);

describe('createMeshMatcher', () => {
  it('finds a preferred name whatever its case, with offsets and surface text', () => {
    const text = 'Outcomes after MYOCARDIAL infarction were poor.';
    const [m, ...rest] = matcher.match(text);
    expect(rest).toEqual([]);
    expect(m).toEqual({ descriptorUi: 'D009203', surface: 'MYOCARDIAL infarction', start: 15, end: 36, kind: 'preferred' });
    expect(text.slice(m?.start, m?.end)).toBe(m?.surface);
  });

  it('marks a synonym match as an entry term', () => {
    expect(matcher.match('a heart attack')).toMatchObject([{ descriptorUi: 'D009203', kind: 'entry', surface: 'heart attack' }]);
  });

  it('matches a permuted entry term written in natural order', () => {
    // "Heart Failure, Congestive" and "Congestive Heart Failure" are both entry terms of Heart Failure.
    expect(uis('congestive heart failure')).toEqual(['D006333']);
  });

  it('folds plurals on both sides: tumors ~ tumor, therapies ~ therapy, virus ~ viruses', () => {
    expect(uis('breast tumor')).toEqual(['D001943']);
    expect(uis('new therapies')).toEqual(['D013812']);
    expect(uis('a virus')).toEqual(['D014780']);
    expect(uis('headaches')).toEqual(['D006261']);
  });

  it('treats hyphens and punctuation as word separators', () => {
    expect(uis('heart-attack')).toEqual(['D009203']);
    expect(uis('2-(acetyloxy)benzoic acid')).toEqual(['D001241']);
    expect(uis('2 acetyloxy benzoic acid')).toEqual(['D001241']);
  });

  it('drops a possessive s in text and terms alike', () => {
    expect(matcher.match("Texidor's twinge")).toMatchObject([{ descriptorUi: 'D002637', surface: "Texidor's twinge" }]);
  });

  it('takes the longest match first and does not also report the terms inside it', () => {
    expect(uis('chest pain')).toEqual(['D002637']);
    expect(uis('myocardial ischemia and ischemia')).toEqual(['D017202', 'D007511']);
    expect(uis('coronary heart disease')).toEqual(['D003327']);
  });

  it('matches whole words only: no pain inside Spain or painful', () => {
    expect(uis('patients in Spain had painful knees')).toEqual(['D013030']);
    expect(uis('pain')).toEqual(['D010146']);
  });

  it('keeps the descriptor whose record-preferred term the ambiguous form is', () => {
    // "Acetic Acids" (Acetates) and "Acetic Acid" (Acetic Acid's name) fold to the same form.
    expect(uis('acetic acids')).toEqual(['D019342']);
  });

  it('else keeps the descriptor whose preferred concept holds the form', () => {
    // "Transition Care" (Transitional Care, preferred concept) vs "Transition, Care" (Patient Transfer, other concept).
    expect(uis('transition care')).toEqual(['D000069341']);
  });

  it('else drops the match, counts it, and still lets a longer term win', () => {
    // "Caribbean" (Caribbean Region) and "Caribbeans" (Caribbean People): both preferred concept, neither the name.
    const m = createMeshMatcher(vocab);
    expect(m.stats.ambiguousForms).toBeGreaterThanOrEqual(1);
    expect(uis('the Caribbean', m)).toEqual([]);
    expect(m.stats.ambiguousDropped).toBe(1);
    expect(uis('Caribbean people in the Caribbean region', m)).toEqual(['D000094859', 'D017691']);
    expect(m.stats.ambiguousDropped).toBe(1);
  });

  it('skips stop-listed single words but keeps multi-word terms containing them', () => {
    expect(uis('who will lead the WHO study')).toEqual([]);
    expect(uis('the World Health Organization')).toEqual(['D014944']);
    expect(matcher.stats.skippedStopWord).toBe(2);
  });

  it('uses a caller stop-list instead of the default one', () => {
    const m = createMeshMatcher(vocab, { stopWords: ['aspirin'] });
    expect(uis('lead and aspirin', m)).toEqual(['D007854']);
  });

  it('skips single-word terms shorter than three characters', () => {
    const small = createMeshVocabulary(
      [
        {
          ui: 'D013999',
          name: 'Thyroid Hormones',
          treeNumbers: ['D06.472.931'],
          terms: [
            { text: 'Thyroid Hormones', recordPreferred: true, conceptPreferred: true, preferredConcept: true },
            { text: 'T3', recordPreferred: false, conceptPreferred: false, preferredConcept: false },
            { text: 'T 3 receptor', recordPreferred: false, conceptPreferred: false, preferredConcept: false },
          ],
        },
      ],
      'small',
    );
    const m = createMeshMatcher(small);
    expect(m.stats.skippedShort).toBe(1);
    expect(uis('T3 levels', m)).toEqual([]);
    expect(uis('t-3 receptor', m)).toEqual(['D013999']);
    expect(uis('T3 levels', createMeshMatcher(small, { minWordLength: 2 }))).toEqual(['D013999']);
  });

  it('returns matches in text order and handles long texts', () => {
    const text = 'Aspirin after myocardial infarction. '.repeat(500);
    const found = matcher.match(text);
    expect(found).toHaveLength(1000);
    expect(found.every((m, i) => i === 0 || m.start > (found[i - 1]?.start ?? -1))).toBe(true);
  });

  it('finds nothing in empty or punctuation-only text', () => {
    expect(matcher.match('')).toEqual([]);
    expect(matcher.match(' -- ,; ')).toEqual([]);
  });

  it('rejects a bad minWordLength', () => {
    expect(() => createMeshMatcher(vocab, { minWordLength: 0 })).toThrow(MeshConfigError);
  });
});
