import { describe, expect, it } from 'vitest';
import { createAnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { annotateRecord, CHECK_TAG_SCORE } from '../../../services/annotate/annotateRecord.ts';
import type { MeshTerm } from '../../../services/model/annotatedRecord.ts';
import type { PubmedArticle } from '../../../services/model/pubmedRecord.ts';
import { predictionVocabulary } from './predictionVocabulary.ts';
import { testArticle } from '../../support/testArticle.ts';

function article(title: string, ...sections: string[]): PubmedArticle {
  return testArticle({ pmid: '200', title, abstract: sections.map((text) => ({ label: null, nlmCategory: null, text })) });
}

const vocab = predictionVocabulary();
const ctx = createAnnotateContext(vocab);
const byUi = (mesh: MeshTerm[]): Map<string, MeshTerm> => new Map(mesh.map((t) => [t.descriptorUi, t]));
const uis = (mesh: MeshTerm[]): string[] => mesh.map((t) => t.descriptorUi);

const osteoporosis = article(
  'Osteoporosis treatment in middle-aged women',
  'In this paper we report on 48 women aged 45-64 years with osteoporosis. Treatment with the drug raised bone mineral density.',
  'Patients tolerated the treatment; osteoporosis did not progress. Treatment was stopped in two patients.',
);

describe('annotateRecord predictions with check tags and without general terms (defaults)', () => {
  it('adds the check tags implied by cue words, after the topical terms, as scored dictionary terms naming the cue', () => {
    const mesh = annotateRecord(osteoporosis, ctx).mesh;
    expect(uis(mesh)).toEqual(['D010024', 'D015519', 'D006801', 'D005260', 'D008875']);
    const humans = byUi(mesh).get('D006801');
    expect(humans).toMatchObject({ source: 'dictionary', score: CHECK_TAG_SCORE, majorTopic: false, matches: ['women'] });
    expect(humans?.ancestors).toEqual(vocab.ancestors('D006801'));
    expect(byUi(mesh).get('D008875')?.matches).toEqual(['middle-aged']);
    expect(byUi(mesh).get('D008875')?.treeNumbers).toEqual(['M01.060.116.630']);
  });

  it('leaves out over-general headings named by everyday words and everyday words on the list', () => {
    const got = uis(annotateRecord(osteoporosis, ctx).mesh);
    expect(got).not.toContain('D013812'); // Therapeutics: "treatment" four times, in the title too
    expect(got).not.toContain('D010361'); // Patients
    expect(got).not.toContain('D010209'); // Paper: "this paper"
  });

  it('scores one mention of a phrase over the default minScore and one mention of a single word under it', () => {
    const mesh = byUi(annotateRecord(article('', 'Bone mineral density and osteoporosis were measured.'), ctx).mesh);
    expect(mesh.get('D015519')?.score).toBeCloseTo(0.45, 10);
    expect(mesh.has('D010024')).toBe(false); // 0.40: a single word, named once
  });

  it('does not read "adult rats" as the human age group Adult, even though the matcher finds "adult"', () => {
    const mesh = annotateRecord(article('Adult rats', 'Adult male rats and adult female rats were given the drug.'), ctx).mesh;
    expect(uis(mesh)).toEqual(['D000818', 'D051381', 'D005260', 'D008297']);
    const old = annotateRecord(article('Adult rats', 'Adult male rats and adult female rats were given the drug.'), {
      ...ctx,
      options: { ...ctx.options, checkTags: false },
    }).mesh;
    expect(uis(old)).toContain('D000328');
  });

  it('keeps the better score and every surface form when the text names a check tag itself', () => {
    const mesh = byUi(annotateRecord(article('Humans and bacteria', 'Human carriers of bacteria; human hosts.'), ctx).mesh);
    const humans = mesh.get('D006801');
    expect(humans?.score).toBeGreaterThan(CHECK_TAG_SCORE);
    expect(humans?.matches).toEqual(['Humans', 'Human', 'human']);
    expect(mesh.has('D001419')).toBe(true); // Bacteria: B03, yet an organism, not an everyday word
  });

  it('adds only check tags the vocabulary holds', () => {
    const small = createAnnotateContext(predictionVocabulary(['D005260', 'D008875']));
    expect(uis(annotateRecord(osteoporosis, small).mesh)).toEqual(['D010024', 'D015519', 'D006801']);
  });

  it('does not count check tags against maxTerms', () => {
    const mesh = annotateRecord(osteoporosis, { ...ctx, options: { ...ctx.options, maxTerms: 1 } }).mesh;
    expect(uis(mesh)).toEqual(['D010024', 'D006801', 'D005260', 'D008875']);
  });
});

describe('annotateRecord predictions with the previous behaviour', () => {
  it('gives the old output with checkTags false, generalTerms keep, phraseBonus 0 and minScore 0.4', () => {
    const old = createAnnotateContext(vocab, { checkTags: false, generalTerms: 'keep', phraseBonus: 0, minScore: 0.4 });
    const mesh = annotateRecord(osteoporosis, old).mesh;
    // Therapeutics 0.95 (five mentions, title), Osteoporosis 0.85, Patients 0.55, Middle Aged 0.55 (from the
    // title's "middle-aged", as a text match), Paper 0.40; Bone Density (one synonym mention) 0.35 is under 0.4.
    expect(uis(mesh)).toEqual(['D013812', 'D010024', 'D010361', 'D008875', 'D010209']);
    expect(byUi(mesh).get('D013812')?.score).toBeCloseTo(0.95, 10);
    expect(byUi(mesh).get('D008875')).toMatchObject({ score: 0.55, majorTopic: true });
  });

  it('drops the check tags when minScore is above their score', () => {
    const strict = createAnnotateContext(vocab, { minScore: CHECK_TAG_SCORE + 0.05 });
    expect(uis(annotateRecord(osteoporosis, strict).mesh)).toEqual(['D010024']);
  });

  it('drops check tags in an excluded branch like any predicted term', () => {
    const noM = createAnnotateContext(vocab, { excludeBranches: ['M'] });
    expect(uis(annotateRecord(osteoporosis, noM).mesh)).toEqual(['D010024', 'D015519', 'D006801', 'D005260']);
  });
});
