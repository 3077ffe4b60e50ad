import { describe, expect, it } from 'vitest';
import { CHECK_TAG_RULES, CHECK_TAG_UIS, inferCheckTags } from '../../../services/annotate/inferCheckTags.ts';

const HUMANS = 'D006801';
const ANIMALS = 'D000818';
const FEMALE = 'D005260';
const MALE = 'D008297';
const RATS = 'D051381';
const MICE = 'D051379';
const ADULT = 'D000328';
const MIDDLE_AGED = 'D008875';
const AGED = 'D000368';
const CHILD = 'D002648';
const ADOLESCENT = 'D000293';

const all = (): boolean => true;
const tags = (texts: string[], known: (ui: string) => boolean = all): string[] =>
  inferCheckTags(texts, known).map((h) => h.ui);

describe('inferCheckTags', () => {
  it('tags a clinical abstract about women with Humans, Female and the stated age group, naming each cue', () => {
    const hits = inferCheckTags(
      [
        'Hormone therapy and bone loss',
        'We followed postmenopausal Women aged 45-64 years for two years. Bone density fell less with therapy.',
      ],
      all,
    );
    expect(hits).toEqual([
      { ui: HUMANS, cue: 'Women' },
      { ui: FEMALE, cue: 'postmenopausal' },
      { ui: MIDDLE_AGED, cue: 'aged 45-64 years' },
    ]);
  });

  it('tags a rat study with Rats, Animals and Male, and gives no human age group to "adult rats"', () => {
    const got = tags(['Adult male Wistar rats received the drug; 8-week-old rats served as controls.']);
    expect(got).toEqual([ANIMALS, RATS, MALE]);
    expect(got).not.toContain(ADULT);
    expect(got).not.toContain(HUMANS);
  });

  it('tags mice from "murine" and "mice" alike', () => {
    expect(tags(['A murine model of colitis.'])).toEqual([ANIMALS, MICE]);
  });

  it('gives both sexes to a counted group of ten or more people whose sex is never stated', () => {
    expect(tags(['We enrolled 120 consecutive patients with asthma.'])).toEqual([HUMANS, FEMALE, MALE]);
    expect(tags(['We enrolled 1,024 adult participants.'])).toEqual([HUMANS, FEMALE, MALE, ADULT]);
    // Fewer than ten, a sex cue, or a number that counts something else: no inference.
    expect(tags(['We describe 6 patients with asthma.'])).toEqual([HUMANS]);
    expect(tags(['We enrolled 120 women with asthma.'])).toEqual([HUMANS, FEMALE]);
    expect(tags(['Doses of 100 mg for patients with asthma.'])).toEqual([HUMANS]);
  });

  it('reads "older adults" as Aged and not also as Adult', () => {
    expect(tags(['Falls among older adults living at home.'])).toEqual([HUMANS, AGED]);
    expect(tags(['Falls among older adults and their carers, all adults.'])).toEqual([HUMANS, ADULT, AGED]);
  });

  it('counts children and adolescents as people, so they bring Humans and their age group', () => {
    expect(tags(['Asthma in children and adolescents.'])).toEqual([HUMANS, CHILD, ADOLESCENT]);
  });

  it('drops age groups when the text also speaks of animals', () => {
    expect(tags(['Patients and mice aged 45-64 years; middle-aged volunteers.'])).toEqual([HUMANS, ANIMALS, MICE]);
  });

  it('returns only tags the vocabulary knows and nothing for a text without cues', () => {
    expect(tags(['Women with anaemia.'], (ui) => ui !== FEMALE)).toEqual([HUMANS]);
    expect(tags(['Crystal structure of a bacterial kinase.'])).toEqual([]);
    expect(tags([])).toEqual([]);
  });

  it('lists every tag of the rule table in CHECK_TAG_UIS', () => {
    for (const rule of CHECK_TAG_RULES) for (const ui of rule.tags) expect(CHECK_TAG_UIS.has(ui)).toBe(true);
    expect(CHECK_TAG_UIS.size).toBe(16);
  });
});
