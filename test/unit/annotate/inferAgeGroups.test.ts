import { describe, expect, it } from 'vitest';
import { AGE_GROUPS, inferAgeGroups } from '../../../services/annotate/inferAgeGroups.ts';

const names = (text: string): string[] =>
  inferAgeGroups([text]).map((h) => AGE_GROUPS.find((g) => g.ui === h.ui)?.name ?? h.ui);

describe('inferAgeGroups', () => {
  it('maps a case report age to its one group and names the phrase as the cue', () => {
    expect(inferAgeGroups(['A 63-year-old man presented with haematuria.'])).toEqual([
      { ui: 'D008875', cue: '63-year-old' },
    ]);
  });

  it('maps a range to every group it overlaps, counting whole years of life', () => {
    expect(names('Volunteers aged 18 to 30 years were enrolled.')).toEqual(['Adolescent', 'Young Adult', 'Adult']);
    expect(names('Women aged 45-64 years took part.')).toEqual(['Middle Aged']);
    expect(names('patients (age range, 66–84 years)')).toEqual(['Aged', 'Aged, 80 and over']);
  });

  it('reads a mean age with its standard deviation as the mean only', () => {
    expect(names('Mean age was 56 ± 10 years.')).toEqual(['Middle Aged']);
    expect(names('The mean age, 71.4 years, was higher.')).toEqual(['Aged']);
  });

  it('opens "or older" up to, but not into, the oldest group', () => {
    expect(names('Patients 12 years of age or older were eligible.')).toEqual([
      'Child', 'Adolescent', 'Young Adult', 'Adult', 'Middle Aged', 'Aged',
    ]);
    expect(names('Residents aged ≥ 70 years were screened.')).toEqual(['Aged']);
  });

  it('skips a phrase bounded only from above', () => {
    expect(names('Children aged under 5 years were excluded.')).toEqual([]);
    expect(names('Patients younger than 18 years of age were excluded.')).toEqual([]);
  });

  it('reads months and days as fractions of a year', () => {
    expect(names('Infants aged 6-23 months received the vaccine.')).toEqual(['Infant']);
    expect(names('Neonates aged 3 days were examined.')).toEqual(['Infant, Newborn']);
  });

  it('never reads a duration or a year as an age', () => {
    expect(names('Patients were followed for 2 to 5 years.')).toEqual([]);
    expect(names('The 5-year survival was 40% in 2019.')).toEqual([]);
    expect(names('After 12 months, 30 of 45 years of data were analysed.')).toEqual([]);
  });
});
