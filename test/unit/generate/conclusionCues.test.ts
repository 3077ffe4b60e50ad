import { describe, expect, it } from 'vitest';
import { analyseConclusion } from '../../../services/generate/conclusionCues.ts';

describe('analyseConclusion', () => {
  it.each([
    ['Metformin did not reduce all-cause mortality.', 'no'],
    ['There was no significant difference between the groups.', 'no'],
    ['Statin use was not associated with dementia.', 'no'],
    ['Vitamin D may lower the risk of falls, but further studies are needed.', 'maybe'],
    ['The role of screening remains unclear.', 'maybe'],
    ['Metformin improves glycaemic control in adults with type 2 diabetes.', 'yes'],
  ])('reads "%s" as %s', (text, expected) => {
    expect(analyseConclusion(text).answer).toBe(expected);
  });

  it('lets negation win over hedging', () => {
    const r = analyseConclusion('Aspirin may not prevent stroke.');
    expect(r.answer).toBe('no');
    expect(r.cues.length).toBeGreaterThan(0);
  });
});
