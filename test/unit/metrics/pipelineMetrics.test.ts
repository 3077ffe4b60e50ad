import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createPipelineMetrics } from '../../../services/metrics/pipelineMetrics.ts';
import type { PubmedItem } from '../../../services/model/pubmedRecord.ts';
import type { FailureEntry, FailureLog } from '../../../services/runtime/inprocess/failureLog.ts';
import { valueOf } from './metricSamples.ts';
import { annotatedRecord, candidate, judged, meshTerm } from './qualityFixtures.ts';

async function* items(list: PubmedItem[]): AsyncGenerator<PubmedItem> {
  yield* list;
}

describe('createPipelineMetrics (medistill run)', () => {
  it('reports the in-process stages as hops with the services\' topic names, plus ingest, quality and dead letters', async () => {
    const registry = new Registry();
    const m = createPipelineMetrics(registry, { service: 'run', source: 'files', pricePer1kInput: 0, pricePer1kOutput: 0 });
    const record = annotatedRecord('7', [meshTerm('D008687', 'nlm', ['D02.078'])]);
    const seen: PubmedItem[] = [];
    for await (const item of m.items(
      items([
        record.record,
        { kind: 'deletion', pmid: '8', version: 1, source: 'f.xml' },
        { kind: 'error', source: 'f.xml', position: { line: 1, column: 1, offset: 0 }, pmid: null, message: 'bad', raw: '<x', truncated: false },
      ]),
    )) {
      seen.push(item);
    }
    expect(seen.map((i) => i.kind)).toEqual(['article', 'deletion', 'error']);

    const c = candidate('q1', 'open', ['D02.078']);
    const stages = m.stages({
      annotate: () => record,
      generator: { name: 'g', version: '1', promptVersion: 'p', generate: async () => ({ items: [c], failures: [] }) },
      judge: { name: 'j', version: '1', promptVersion: 'p', judge: async (x) => judged(x, 'accept') },
    });
    expect(stages.generator.name).toBe('g');
    const a = stages.annotate(record.record);
    const g = await stages.generator.generate(a);
    const j = await stages.judge.judge(g.items[0]!);
    expect(j.verdict).toBe('accept');

    const logged: FailureEntry[] = [];
    const inner: FailureLog = { add: async (e) => void logged.push(e), count: 0, close: async () => undefined };
    const failures = m.failures(inner);
    await failures.add({ reason: 'parse_error', message: 'bad' });
    await failures.add({ reason: 'no_targets', message: 'item-level, not a dead letter' });
    expect(logged).toHaveLength(2);

    expect(await registry.getSingleMetricAsString('medistill_ingest_records_total')).toContain('medistill_ingest_records_total{source="files",type="article",service="run"} 1');
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'files', type: 'failure' })).toBe(1);
    for (const topic of ['pubmed.records.v1', 'pubmed.annotated.v1', 'qa.candidates.v1']) {
      expect(await valueOf(registry, 'medistill_records_consumed_total', { service: 'run', topic })).toBe(1);
      expect(await valueOf(registry, 'medistill_processing_duration_seconds', { topic }, 'medistill_processing_duration_seconds_count')).toBe(1);
    }
    expect(await valueOf(registry, 'medistill_records_produced_total', { topic: 'qa.judged.v1' })).toBe(1);
    expect(await valueOf(registry, 'medistill_qa_candidates_total', { type: 'open' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'open', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_annotated_records_by_branch_total', { branch: 'D' })).toBe(1);
    expect(await valueOf(registry, 'medistill_dead_letters_total', { reason: 'invalid_input' })).toBe(1);
    const deadLetters = (await registry.getSingleMetricAsString('medistill_dead_letters_total')).split('\n').filter((l) => /\} [1-9]/.test(l));
    expect(deadLetters).toHaveLength(1);
  });
});
