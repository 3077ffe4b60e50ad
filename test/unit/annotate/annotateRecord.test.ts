import { beforeAll, describe, expect, it } from 'vitest';
import { createAnnotateContext, type AnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { AnnotateConfigError } from '../../../services/errors/medistillErrors.ts';
import { ANNOTATOR, annotateRecord, scoreDictionaryTerm } from '../../../services/annotate/annotateRecord.ts';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import { testArticle } from '../../support/testArticle.ts';
import { DESC_FIXTURE } from '../mesh/fixtureVocabulary.ts';

let vocab: MeshVocabulary;
let ctx: AnnotateContext;
beforeAll(async () => {
  vocab = await loadMeshVocabulary(DESC_FIXTURE);
  ctx = createAnnotateContext(vocab);
});

const article = testArticle;

const section = (text: string, label: string | null = null) => ({ label, nlmCategory: null, text });

describe('annotateRecord with NLM headings', () => {
  const indexed = article({
    title: 'Chest pain in Spain',
    meshHeadings: [
      { descriptorUi: 'D009203', descriptorName: 'Myocardial Infarction', majorTopic: true, qualifiers: [] },
      {
        descriptorUi: 'D001241', descriptorName: 'Aspirin', majorTopic: false,
        qualifiers: [{ ui: 'Q000627', name: 'therapeutic use', majorTopic: true }],
      },
      { descriptorUi: 'D013030', descriptorName: 'Spain', majorTopic: false, qualifiers: [] },
      { descriptorUi: 'D000099999', descriptorName: 'Descriptor Newer Than The Vocabulary', majorTopic: false, qualifiers: [] },
    ],
  });

  it('uses the headings as they are, scored 1 for a major topic and 0.9 otherwise, and ignores the text', () => {
    const r = annotateRecord(indexed, ctx);
    expect(r.mesh.map((t) => [t.descriptorUi, t.source, t.score, t.majorTopic])).toEqual([
      ['D009203', 'nlm', 1, true],
      ['D001241', 'nlm', 1, true], // a starred qualifier makes the heading a major topic
      ['D013030', 'nlm', 0.9, false],
      ['D000099999', 'nlm', 0.9, false],
    ]);
    expect(r.mesh.some((t) => t.descriptorUi === 'D002637')).toBe(false);
  });

  it('attaches tree numbers and ancestors from the vocabulary', () => {
    const mi = annotateRecord(indexed, ctx).mesh[0];
    expect(mi?.treeNumbers).toEqual(vocab.get('D009203')?.treeNumbers);
    expect(mi?.ancestors).toEqual(vocab.ancestors('D009203'));
    expect(mi?.ancestors[0]).toBe('D017202');
  });

  it('keeps a heading the vocabulary does not know, with empty tree numbers and ancestors', () => {
    const unknown = annotateRecord(indexed, ctx).mesh.find((t) => t.descriptorUi === 'D000099999');
    expect(unknown).toMatchObject({ name: 'Descriptor Newer Than The Vocabulary', treeNumbers: [], ancestors: [] });
  });

  it('stamps the annotator and the vocabulary version', () => {
    const r = annotateRecord(indexed, ctx);
    expect(r.annotator).toEqual({ name: 'medistill-annotate', version: ANNOTATOR.version });
    expect(ANNOTATOR.version).toBe('2'); // check tags, general terms and the phrase bonus changed the predictions
    expect(r.meshVersion).toBe('desc-fixture.xml (36 descriptors)');
    expect(r.record).toBe(indexed);
  });
});

describe('annotateRecord without headings (dictionary)', () => {
  const fresh = article({
    title: 'Aspirin after myocardial infarction',
    abstract: [
      section('Patients with a myocardial infarction or a heart attack received aspirin.', 'BACKGROUND'),
      section('Chest pain recurred in few patients. Cephalalgia was reported once.', 'Pain'),
    ],
  });

  it('predicts descriptors from title and abstract, scored by count, title, preferred name and phrase', () => {
    const r = annotateRecord(fresh, ctx);
    const byUi = new Map(r.mesh.map((t) => [t.descriptorUi, t]));
    // MI: 3 mentions, in title, preferred name, a multi-word term: 0.35 + 0.30 + 0.15 + 0.05 + 0.1.
    expect(byUi.get('D009203')).toMatchObject({ source: 'dictionary', score: 0.95, majorTopic: true });
    // Aspirin: 2 mentions, in title, preferred, one word: 0.35 + 0.15 + 0.15 + 0.05.
    expect(byUi.get('D001241')?.score).toBeCloseTo(0.7, 10);
    // Chest Pain: once, abstract only, preferred name, two words: 0.50, over the default minScore (0.45).
    expect(byUi.get('D002637')?.score).toBeCloseTo(0.5, 10);
    expect(r.mesh.map((t) => t.descriptorUi)).toEqual(['D009203', 'D001241', 'D002637']);
  });

  it('drops a single synonym mention below the default minScore and never matches section labels', () => {
    const r = annotateRecord(fresh, ctx);
    expect(r.mesh.some((t) => t.descriptorUi === 'D006261')).toBe(false); // "Cephalalgia": 0.35
    expect(r.mesh.some((t) => t.descriptorUi === 'D010146')).toBe(false); // label "Pain"
  });

  it('lists the surface forms found and the place in the tree', () => {
    const mi = annotateRecord(fresh, ctx).mesh[0];
    expect(mi?.matches).toEqual(['myocardial infarction', 'heart attack']);
    expect(mi?.treeNumbers).toContain('C14.280.647.500');
    expect(mi?.ancestors).toEqual(vocab.ancestors('D009203'));
  });

  it('honours maxTerms and minScore from the context', () => {
    const two = annotateRecord(fresh, { ...ctx, options: { ...ctx.options, maxTerms: 2 } });
    expect(two.mesh.map((t) => t.descriptorUi)).toEqual(['D009203', 'D001241']);
    const all = annotateRecord(fresh, { ...ctx, options: { ...ctx.options, minScore: 0 } });
    expect(all.mesh.map((t) => t.descriptorUi)).toContain('D006261');
  });

  it('drops predicted descriptors that sit only in an excluded branch', () => {
    const r = article({ title: 'Heart failure and lead exposure in Spain' });
    expect(annotateRecord(r, ctx).mesh.map((t) => t.descriptorUi)).toEqual(['D006333', 'D013030']);
    const noZ = annotateRecord(r, { ...ctx, options: { ...ctx.options, excludeBranches: ['Z'] } });
    expect(noZ.mesh.map((t) => t.descriptorUi)).toEqual(['D006333']);
  });

  it('gives an empty term list to a record with no title and no abstract', () => {
    expect(annotateRecord(article({}), ctx).mesh).toEqual([]);
  });
});

describe('scoreDictionaryTerm', () => {
  it('grows with mentions up to four and stays within 0..1', () => {
    const s = (count: number) => scoreDictionaryTerm({ count, inTitle: false, preferred: false });
    expect([1, 2, 3, 4, 9].map(s)).toEqual([0.35, 0.5, 0.65, 0.8, 0.8]);
    expect(scoreDictionaryTerm({ count: 9, inTitle: true, preferred: true })).toBe(1);
  });
});

describe('createAnnotateContext', () => {
  it('fills defaults and rejects bad options with a message naming the option', () => {
    expect(createAnnotateContext(vocab).options).toEqual({
      maxTerms: 12, minScore: 0.45, phraseBonus: 0.1, excludeBranches: ['V'], checkTags: true, generalTerms: 'drop',
    });
    expect(() => createAnnotateContext(vocab, { generalTerms: 'some' as 'drop' })).toThrow(/generalTerms/);
    expect(() => createAnnotateContext(vocab, { excludeBranches: ['geo'] })).toThrow(/excludeBranches/);
    expect(() => createAnnotateContext(vocab, { maxTerms: 0 })).toThrow(AnnotateConfigError);
    expect(() => createAnnotateContext(vocab, { minScore: 2 })).toThrow(/minScore/);
  });
});
