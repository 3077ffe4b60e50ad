import { describe, expect, it } from 'vitest';
import { POOR_TARGET_UIS, selectTargets } from '../../../services/generate/selectTargets.ts';
import { annotated, article, term } from './records.ts';

const rec = (mesh: ReturnType<typeof term>[]) => annotated(article('1', 'T', []), mesh);

describe('selectTargets', () => {
  it('takes one descriptor per MeSH branch before a second one from any branch', () => {
    const record = rec([
      term('D008687', { major: true }), // D
      term('D006442'), // D
      term('D007004'), // D
      term('D003924', { major: true }), // C
      term('D008099'), // A
    ]);
    const picked = selectTargets(record, 3).map((t) => t.treeNumbers[0]!.charAt(0));
    expect(new Set(picked)).toEqual(new Set(['A', 'C', 'D']));
  });

  it('skips check tags such as Humans, Male, Female and age groups', () => {
    const record = rec([term('D006801'), term('D008297'), term('D005260'), term('D000328'), term('D008875'), term('D010179')]);
    const picked = selectTargets(record, 10);
    expect(picked.map((t) => t.descriptorUi)).toEqual(['D010179']);
    for (const ui of ['D006801', 'D008297', 'D005260', 'D000328', 'D008875']) expect(POOR_TARGET_UIS.has(ui)).toBe(true);
  });

  it('puts major topics and higher scores first within a branch', () => {
    const record = rec([term('D006442', { score: 0.5 }), term('D007004', { score: 0.95 }), term('D008687', { major: true })]);
    expect(selectTargets(record, 3).map((t) => t.descriptorUi)).toEqual(['D008687', 'D007004', 'D006442']);
  });

  it('starts the round-robin with the branch holding the strongest term', () => {
    const record = rec([term('D008099'), term('D003924', { major: true })]);
    expect(selectTargets(record, 2).map((t) => t.descriptorUi)).toEqual(['D003924', 'D008099']);
  });

  it('returns the same selection whatever the input order, without duplicates', () => {
    const terms = [term('D008687', { major: true }), term('D003924', { major: true }), term('D008099'), term('D006442'), term('D008687')];
    const a = selectTargets(rec(terms), 10).map((t) => t.descriptorUi);
    const b = selectTargets(rec([...terms].reverse()), 10).map((t) => t.descriptorUi);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    expect(a).toHaveLength(4);
  });

  it('returns nothing for max 0 and respects max', () => {
    const record = rec([term('D008687', { major: true }), term('D003924', { major: true }), term('D008099')]);
    expect(selectTargets(record, 0)).toEqual([]);
    expect(selectTargets(record, 2)).toHaveLength(2);
  });
});
