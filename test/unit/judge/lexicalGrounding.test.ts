import { describe, expect, it } from 'vitest';
import { contentWords, lexicalGrounding, lightStem, wordSet } from '../../../services/judge/lexicalGrounding.ts';

describe('lexicalGrounding', () => {
  it('stems inflections of a word to the same form', () => {
    expect(new Set(['reduces', 'reduced', 'reducing', 'reduce'].map(lightStem)).size).toBe(1);
    expect(lightStem('therapies')).toBe(lightStem('therapy'));
  });

  it('drops stopwords and question scaffolding but keeps numbers', () => {
    expect(contentWords('Which of the following completes the statement: type 2 diabetes?')).toEqual(['type', '2', 'diabet']);
  });

  it('gives the share of content words found in the context, and names the missing ones', () => {
    const g = lexicalGrounding('Metformin reduces mortality in sepsis', wordSet('Metformin reduced all-cause mortality.'));
    expect(g.total).toBe(4);
    expect(g.share).toBeCloseTo(3 / 4);
    expect(g.missing).toEqual(['sepsis']);
  });
});
