import { describe, expect, it } from 'vitest';
import { foldedWords, foldWord, scanWords } from '../../../services/mesh/wordScanner.ts';

const words = (text: string): string[] => {
  const out: string[] = [];
  scanWords(text, (s, e) => out.push(text.slice(s, e)));
  return out;
};

describe('scanWords', () => {
  it('splits on spaces, hyphens, slashes, commas and brackets', () => {
    expect(words('beta-Blockers, (ACE)/ARB  use')).toEqual(['beta', 'Blockers', 'ACE', 'ARB', 'use']);
  });

  it('drops a possessive s but keeps other apostrophes as separators', () => {
    expect(words("Alzheimer's disease")).toEqual(['Alzheimer', 'disease']);
    expect(words('Alzheimer\u2019s disease')).toEqual(['Alzheimer', 'disease']);
    expect(words("O'Brien's")).toEqual(['O', 'Brien']);
  });

  it('keeps letters with diacritics and digits inside words', () => {
    expect(words('Sjögren syndrome, COVID-19, A23187')).toEqual(['Sjögren', 'syndrome', 'COVID', '19', 'A23187']);
  });

  it('reports offsets that slice back to the word', () => {
    const text = '  Heart–attack (MI).';
    const spans: [number, number][] = [];
    scanWords(text, (s, e) => spans.push([s, e]));
    expect(spans).toEqual([[2, 7], [8, 14], [16, 18]]);
  });
});

describe('foldWord', () => {
  it('folds regular plurals to the singular', () => {
    expect(foldWord('tumors')).toBe('tumor');
    expect(foldWord('therapies')).toBe('therapy');
    expect(foldWord('diseases')).toBe('disease');
    expect(foldWord('abscesses')).toBe('abscess');
    expect(foldWord('viruses')).toBe('virus');
  });

  it('leaves words in -us, -is, -ss and short words alone', () => {
    expect(foldWord('virus')).toBe('virus');
    expect(foldWord('diagnosis')).toBe('diagnosis');
    expect(foldWord('process')).toBe('process');
    expect(foldWord('gas')).toBe('gas');
    expect(foldWord('tumor')).toBe('tumor');
  });
});

describe('foldedWords', () => {
  it('folds case, punctuation and plurals the same way for terms and text', () => {
    expect(foldedWords('Infarctions, Myocardial')).toEqual(['infarction', 'myocardial']);
    expect(foldedWords('BREAST-TUMORS')).toEqual(foldedWords('breast tumor'));
  });
});
