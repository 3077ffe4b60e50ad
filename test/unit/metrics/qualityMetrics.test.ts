import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createQualityMetrics } from '../../../services/metrics/qualityMetrics.ts';
import { labelNames, samples, valueOf } from './metricSamples.ts';
import { annotatedRecord, candidate, judged, meshTerm } from './qualityFixtures.ts';
import { CRITERIA } from '../../../services/model/qaItem.ts';
import { buildPreferencePairs } from '../../../services/preferences/buildPreferencePairs.ts';

describe('createQualityMetrics', () => {
  it('observes MeSH terms per record by source, zero included, and counts records once per branch', async () => {
    const registry = new Registry();
    const q = createQualityMetrics(registry, 'annotate');
    q.annotated(
      annotatedRecord('1', [
        meshTerm('D008687', 'nlm', ['D02.078.370.141.450', 'D02.455.426']),
        meshTerm('D003924', 'nlm', ['C18.452.394.750.149', 'C19.246.300']),
        meshTerm('D006801', 'dictionary', ['B01.050.150.900.649.313.988.400.112.400.400']),
      ]),
    );
    q.annotated(annotatedRecord('2', []));

    const sum = (source: string) => valueOf(registry, 'medistill_mesh_terms_per_record', { source }, 'medistill_mesh_terms_per_record_sum');
    const count = (source: string) => valueOf(registry, 'medistill_mesh_terms_per_record', { source }, 'medistill_mesh_terms_per_record_count');
    expect(await sum('nlm')).toBe(2);
    expect(await sum('dictionary')).toBe(1);
    expect(await sum('llm')).toBe(0);
    expect(await count('llm')).toBe(2);
    expect(await valueOf(registry, 'medistill_mesh_terms_per_record', { source: 'nlm', le: '0' }, 'medistill_mesh_terms_per_record_bucket')).toBe(1);
    expect(await valueOf(registry, 'medistill_annotated_records_total', { outcome: 'with_mesh' })).toBe(1);
    expect(await valueOf(registry, 'medistill_annotated_records_total', { outcome: 'without_mesh' })).toBe(1);

    const branches = (await samples(registry, 'medistill_annotated_records_by_branch_total')).map((s) => [s.labels.branch, s.value]);
    expect(branches.sort()).toEqual([['B', 1], ['C', 1], ['D', 1]]);
  });

  it('counts preference pairs by verdicts, their margins, records with and without pairs, and unpaired targets by reason', async () => {
    const registry = new Registry();
    const q = createQualityMetrics(registry, 'preferences');
    const a = candidate('a', 'open', ['C14.1']);
    const b = { ...candidate('b', 'open', ['C14.1']), generator: { ...a.generator, name: 'second' } };
    q.preferences(buildPreferencePairs({ pmid: '100', pmidVersion: 1, items: [judged(a, 'accept'), judged(b, 'reject', ['low_correct'], { correct: 0.4 })], meshVersion: 'm' }));
    q.preferences(buildPreferencePairs({ pmid: '100', pmidVersion: 1, items: [judged(a, 'accept')], meshVersion: 'm' }));
    expect(await valueOf(registry, 'medistill_preference_pairs_total', { chosen: 'accept', rejected: 'reject' })).toBe(1);
    expect(await valueOf(registry, 'medistill_preference_pairs_total', { chosen: 'accept', rejected: 'accept' })).toBe(0);
    expect(await valueOf(registry, 'medistill_preference_records_total', { outcome: 'pairs' })).toBe(1);
    expect(await valueOf(registry, 'medistill_preference_records_total', { outcome: 'no_pairs' })).toBe(1);
    expect(await valueOf(registry, 'medistill_preference_unpaired_targets_total', { reason: 'one_generator' })).toBe(1);
    expect(await valueOf(registry, 'medistill_preference_unpaired_targets_total', { reason: 'below_margin' })).toBe(0);
    // One criterion 0.5 lower, the others equal: the margin is 0.5 over the number of criteria.
    expect(await valueOf(registry, 'medistill_preference_margin', {}, 'medistill_preference_margin_sum')).toBeCloseTo(0.5 / CRITERIA.length, 10);
    expect(await valueOf(registry, 'medistill_preference_margin', { le: '0.1' }, 'medistill_preference_margin_bucket')).toBe(1);
  });

  it('counts candidates by item type', async () => {
    const registry = new Registry();
    const q = createQualityMetrics(registry, 'generate');
    q.candidates([candidate('a', 'open', ['D02']), candidate('b', 'open', ['D02']), candidate('c', 'multiple_choice', ['C18'])]);
    expect(await valueOf(registry, 'medistill_qa_candidates_total', { type: 'open' })).toBe(2);
    expect(await valueOf(registry, 'medistill_qa_candidates_total', { type: 'multiple_choice' })).toBe(1);
    expect(await valueOf(registry, 'medistill_qa_candidates_total', { type: 'yes_no_maybe' })).toBe(0);
    expect(await labelNames(registry, 'medistill_qa_candidates_total')).toEqual(['service', 'type']);
  });

  it('records score histograms per criterion, verdicts by type and branch, and reject reasons', async () => {
    const registry = new Registry();
    const q = createQualityMetrics(registry, 'judge');
    q.judged([
      judged(candidate('a', 'open', ['D02.078', 'C18.452']), 'accept', [], { grounded: 1, hierarchy: 0.35 }),
      judged(candidate('b', 'yes_no_maybe', ['D02.078']), 'reject', ['low_grounded', 'low_grounded', 'low_clear'], { grounded: 0.05 }),
      judged(candidate('c', 'yes_no_maybe', ['G03']), 'accept'),
    ]);
    expect(await valueOf(registry, 'medistill_judge_score', { criterion: 'grounded' }, 'medistill_judge_score_count')).toBe(3);
    expect(await valueOf(registry, 'medistill_judge_score', { criterion: 'grounded', le: '0.1' }, 'medistill_judge_score_bucket')).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_score', { criterion: 'grounded', le: '0.9' }, 'medistill_judge_score_bucket')).toBe(2);
    expect(await valueOf(registry, 'medistill_judge_score', { criterion: 'hierarchy', le: '0.4' }, 'medistill_judge_score_bucket')).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'open', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'yes_no_maybe', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'yes_no_maybe', outcome: 'reject' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'multiple_choice', outcome: 'reject' })).toBe(0);
    expect(await valueOf(registry, 'medistill_judge_verdicts_by_branch_total', { branch: 'D', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_by_branch_total', { branch: 'D', outcome: 'reject' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_by_branch_total', { branch: 'C', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_by_branch_total', { branch: 'G', outcome: 'accept' })).toBe(1);
    // A reason repeated on one item counts once.
    expect(await valueOf(registry, 'medistill_judge_reject_reasons_total', { reason: 'low_grounded' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_reject_reasons_total', { reason: 'low_clear' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_reject_reasons_total', { reason: 'voc_failed' })).toBe(0);
    expect(await labelNames(registry, 'medistill_judge_verdicts_by_branch_total')).toEqual(['branch', 'outcome', 'service']);
  });

  it('keeps branch labels to single letters whatever the tree numbers hold', async () => {
    const registry = new Registry();
    const q = createQualityMetrics(registry, 'annotate');
    q.annotated(annotatedRecord('3', [meshTerm('D1', 'llm', ['', 'x12', '9.1', 'E01'])]));
    const branches = (await samples(registry, 'medistill_annotated_records_by_branch_total')).map((s) => s.labels.branch);
    expect(branches).toEqual(['E']);
  });
});
