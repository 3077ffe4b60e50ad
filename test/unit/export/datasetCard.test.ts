import { describe, expect, it } from 'vitest';
import { renderDatasetCard } from '../../../services/export/datasetCard.ts';
import { toDatasetRow, toRejectedRow } from '../../../services/export/datasetRow.ts';
import { createStatsAccumulator } from '../../../services/export/datasetStats.ts';
import { judgedItem } from './judgedItems.ts';

function statsOf(scores: number[]) {
  const acc = createStatsAccumulator('MeSH 2024');
  scores.forEach((score, i) => acc.addAccepted(toDatasetRow(judgedItem({ id: String(i), score, treeNumbers: ['A03.620'] }))));
  acc.addRejected(toRejectedRow(judgedItem({ id: 'r', verdict: 'reject', reasons: ['low_hierarchy'] })));
  acc.addRejected(toRejectedRow(judgedItem({ id: 'd' }), '0'));
  return acc.snapshot();
}

describe('renderDatasetCard', () => {
  it('summarises score distributions with quartiles and a ten-bin histogram', () => {
    const stats = statsOf([0.15, 0.35, 0.55, 0.75, 0.95]);
    const d = stats.scores.correct;
    expect(d.count).toBe(5);
    expect(d.min).toBe(0.15);
    expect(d.max).toBe(0.95);
    expect(d.median).toBeCloseTo(0.55, 2);
    expect(d.p25).toBeCloseTo(0.35, 2);
    expect(d.p75).toBeCloseTo(0.75, 2);
    expect(d.histogram).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const card = renderDatasetCard(stats);
    expect(card).toMatch(/\| correct \| 5 \| 0\.150 \| 0\.35\d \| 0\.55\d \| 0\.75\d \| 0\.950 \| .+ \| 0 1 0 1 0 1 0 1 0 1 \|/);
  });

  it('lists branches by name, rejection reasons, duplicates, generators and the MeSH version', () => {
    const card = renderDatasetCard(statsOf([0.9, 0.8]), { title: 'Sample set' });
    expect(card.startsWith('# Sample set\n')).toBe(true);
    expect(card).toContain('| A | Anatomy | 2 | 100.0 % |');
    expect(card).toContain('| low_hierarchy | 1 |');
    expect(card).toContain('| duplicate | 1 |');
    expect(card).toContain('| duplicates dropped | 1 |');
    expect(card).toContain('| rule-based | rule-based | 1.0.0 | none | - | 2 | 4 |');
    expect(card).toContain('MeSH version: MeSH 2024');
  });

  it('renders an empty dataset without failing', () => {
    const card = renderDatasetCard(createStatsAccumulator(null).snapshot());
    expect(card).toContain('| accepted | 0 |');
    expect(card).toContain('MeSH version: not given');
    expect(card).toContain('| grounded | 0 | - | - | - | - | - | - |');
  });
});
