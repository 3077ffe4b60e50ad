import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { buildPreferencePairs, type JudgedPaper } from '../../../services/preferences/buildPreferencePairs.ts';
import { combinedScore, COMBINED_SCORE_FORMULA } from '../../../services/preferences/combinedScore.ts';
import { PreferenceConfigError, PreferenceInputError, ContractError } from '../../../services/errors/medistillErrors.ts';
import { AVRO_SCHEMAS, TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { QA_PREFERENCES } from '../../../services/contracts/topicContracts.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import { avroTypeFor } from '../../../services/contracts/avroTypes.ts';
import { CRITERIA, type Criterion, type JudgedItem, type RejectReason } from '../../../services/model/qaItem.ts';
import { candidate, judged } from '../metrics/qualityFixtures.ts';

/** A judged candidate for target `ui` by generator `gen`, every criterion at `score` unless given. */
function item(id: string, ui: string, gen: string, score: number, opts: { verdict?: 'accept' | 'reject'; reasons?: RejectReason[]; scores?: Partial<Record<Criterion, number>> } = {}): JudgedItem {
  const c = candidate(id, 'open', ['D02.1']);
  c.target = { ...c.target, descriptorUi: ui, name: `Name ${ui}` };
  c.generator = { ...c.generator, name: gen };
  const all = { ...Object.fromEntries(CRITERIA.map((k) => [k, score])), ...opts.scores };
  return judged(c, opts.verdict ?? 'accept', opts.reasons ?? [], all);
}

const paper = (items: JudgedItem[]): JudgedPaper => ({ pmid: '100', pmidVersion: 1, items, meshVersion: 'MeSH fixture' });

describe('buildPreferencePairs', () => {
  it('pairs the two generators\' candidates of a target, the higher combined score chosen, with both score sets and the reasons', () => {
    const a = item('a1', 'D1', 'cloze', 0.9);
    const b = item('b1', 'D1', 'findings', 0.6, { verdict: 'reject', reasons: ['low_correct'], scores: { correct: 0.2 } });
    const p = buildPreferencePairs(paper([b, a]), { margin: 0.1 });
    expect(p.outcome).toBe('pairs');
    expect(p.scoring).toBe(COMBINED_SCORE_FORMULA);
    expect(p.pairs).toHaveLength(1);
    const pair = p.pairs[0]!;
    expect(pair.chosen.itemId).toBe('a1');
    expect(pair.rejected.itemId).toBe('b1');
    expect(pair.margin).toBeCloseTo(0.9 - (0.6 * (CRITERIA.length - 1) + 0.2) / CRITERIA.length, 10);
    expect(pair.chosen.scores.correct).toEqual({ score: 0.9, reason: 'fixture' });
    expect(pair.rejected.scores.correct!.score).toBe(0.2);
    expect(pair.reasons[0]).toBe('chosen accepted, rejected rejected (low_correct)');
    expect(pair.reasons[1]).toMatch(/^correct 0\.90 vs 0\.20 \(\+0\.70\)/);
    expect(pair.prompt).toContain('"Name D1" (D1; tree numbers D02.1)');
    expect(pair.prompt).toContain('Metformin lowered glycated haemoglobin.');
    expect(pair.chosen.text).toBe('Question: Question a1?\nAnswer: yes');
    expect(pair.id).toMatch(/^[0-9a-f]{24}$/);
    // Deterministic: the same two items give the same pair id whatever the input order.
    expect(buildPreferencePairs(paper([a, b]), { margin: 0.1 }).pairs[0]!.id).toBe(pair.id);
  });

  it('lists every target that gives no pair with its reason: one generator, a difference below the margin, a judge error', () => {
    const p = buildPreferencePairs(
      paper([
        item('a1', 'D1', 'cloze', 0.9),
        item('a2', 'D2', 'cloze', 0.9),
        item('b2', 'D2', 'findings', 0.88),
        item('a3', 'D3', 'cloze', 0.9),
        item('b3', 'D3', 'findings', 0, { verdict: 'reject', reasons: ['judge_error'] }),
        item('a4', 'D4', 'cloze', 0.9),
        item('b4', 'D4', 'findings', 0.5),
      ]),
      { margin: 0.05 },
    );
    expect(p.pairs.map((x) => [x.target.descriptorUi, x.chosen.itemId, x.rejected.itemId])).toEqual([['D4', 'a4', 'b4']]);
    expect(p.unpaired.map((u) => [u.targetUi, u.reason])).toEqual([
      ['D1', 'one_generator'],
      ['D2', 'below_margin'],
      ['D3', 'judge_error'],
    ]);
    expect(p.unpaired[1]!.detail).toMatch(/0\.900 and 0\.880 differ by less than 0\.05/);
  });

  it('a margin of exactly the difference makes a pair; a paper with no items has no pairs', () => {
    expect(buildPreferencePairs(paper([item('a', 'D1', 'x', 0.75), item('b', 'D1', 'y', 0.5)]), { margin: 0.25 }).pairs).toHaveLength(1);
    const none = buildPreferencePairs(paper([]));
    expect(none).toMatchObject({ outcome: 'no_pairs', pairs: [], unpaired: [], margin: 0.05 });
  });

  it('matches the i-th candidate of one generator with the i-th of the other when they wrote several for a target', () => {
    const p = buildPreferencePairs(paper([item('a1', 'D1', 'x', 0.9), item('a2', 'D1', 'x', 0.2), item('b1', 'D1', 'y', 0.5), item('b2', 'D1', 'y', 0.6)]), { margin: 0.05 });
    expect(p.pairs.map((x) => [x.chosen.itemId, x.rejected.itemId])).toEqual([
      ['a1', 'b1'],
      ['b2', 'a2'],
    ]);
  });

  it('refuses a judgement it cannot read, and a margin outside 0..1', () => {
    const other = item('a', 'D1', 'x', 0.9);
    other.candidate.pmid = '999';
    expect(() => buildPreferencePairs(paper([other]))).toThrow(PreferenceInputError);
    expect(() => buildPreferencePairs(paper([item('a', 'D1', 'x', 1.5)]))).toThrow(/score grounded = 1.5 is not a number from 0 to 1/);
    expect(() => buildPreferencePairs(paper([item('a', 'D1', 'x', Number.NaN)]))).toThrow(PreferenceInputError);
    expect(() => buildPreferencePairs(paper([]), { margin: 2 })).toThrow(PreferenceConfigError);
  });

  it('combines whatever criteria the judge scored, equally weighted', () => {
    expect(combinedScore({ a: { score: 1, reason: '' }, b: { score: 0.5, reason: '' } })).toBe(0.75);
    expect(combinedScore({})).toBe(0);
  });
});

describe('qa.preferences.v1', () => {
  it('carries a paper\'s pairs through the Avro schema and back unchanged', () => {
    const p = buildPreferencePairs(paper([item('a1', 'D1', 'cloze', 0.9), item('b1', 'D1', 'findings', 0.4, { verdict: 'reject', reasons: ['low_grounded'] }), item('a2', 'D2', 'cloze', 0.9)]));
    const type = avroTypeFor(AVRO_SCHEMAS[TOPICS.preferences] as Record<string, unknown>);
    const lineage = createLineage('preferences', '1.0.0', new Date('2025-01-01T00:00:00Z'));
    const value = QA_PREFERENCES.toValue(p, lineage, null);
    const decoded = type.fromBuffer(type.toBuffer(value));
    const back = QA_PREFERENCES.fromValue(decoded);
    expect(back.value).toEqual(p);
    expect(back.lineage.producedAt.getTime()).toBe(lineage.producedAt.getTime());
  });

  it('refuses an unpaired reason this code does not know', () => {
    const p = buildPreferencePairs(paper([item('a1', 'D1', 'cloze', 0.9)]));
    const value = QA_PREFERENCES.toValue(p, createLineage('preferences', '1'), null) as { unpaired: { reason: string }[] };
    value.unpaired[0]!.reason = 'mystery';
    expect(() => QA_PREFERENCES.fromValue(value)).toThrow(ContractError);
  });

  it('is a valid Avro schema named RecordPreferences', () => {
    expect(avro.Type.forSchema(AVRO_SCHEMAS[TOPICS.preferences] as avro.Schema).name).toBe('org.medistill.v1.RecordPreferences');
  });
});
