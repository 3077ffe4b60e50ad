import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { createPipelineMetrics } from '../../../services/metrics/pipelineMetrics.ts';
import type { PubmedItem } from '../../../services/model/pubmedRecord.ts';
import { createMemoryFailureLog } from '../../../services/runtime/inprocess/failureLog.ts';
import { runPipeline } from '../../../services/runtime/inprocess/runPipeline.ts';
import type { AnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { createAnnotateStage } from '../../../services/stages/annotateStage.ts';
import { createGenerateStage } from '../../../services/stages/generateStage.ts';
import { createJudgeStage } from '../../../services/stages/judgeStage.ts';
import { createExportStage } from '../../../services/stages/exportStage.ts';
import type { AnyStageDefinition } from '../../../services/stages/stageDefinition.ts';
import { valueOf } from './metricSamples.ts';
import { annotatedRecord, candidate, judged, meshTerm } from './qualityFixtures.ts';

async function* items(list: PubmedItem[]): AsyncGenerator<PubmedItem> {
  yield* list;
}

describe('createPipelineMetrics (medistill run)', () => {
  it('reports the in-process stages as hops with the services\' topic names, plus ingest, quality and dead letters', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createPipelineMetrics(registry, { service: 'run', pricePer1kInput: 0, pricePer1kOutput: 0 }, bus);
    const record = annotatedRecord('7', [meshTerm('D008687', 'nlm', ['D02.078'])]);
    const c = candidate('q1', 'open', ['D02.078']);
    // The real stage definitions; only annotation is replaced by the fixture record.
    const annotate = createAnnotateStage({ ctx: {} as AnnotateContext });
    const stages: AnyStageDefinition[] = [
      {
        ...annotate,
        process: async (input, context) => {
          if (input.value === null) return annotate.process(input, context);
          context.instrumentation.emit({ type: 'quality.annotated', stage: 'annotate', record });
          return { outcome: 'annotated', problems: [], outputs: [{ key: input.key, value: { ...record, record: input.value } }] };
        },
      },
      createGenerateStage({ generator: { name: 'g', version: '1', promptVersion: 'p', generate: async () => ({ items: [c], failures: [] }) } }),
      createJudgeStage({ judge: { name: 'j', version: '1', promptVersion: 'p', judge: async (x) => judged(x, 'accept') } }),
      createExportStage({ target: { apply: () => true, delete: () => undefined, dirty: false, checkpoint: async () => undefined } }),
    ];
    const result = await runPipeline({
      items: items([
        record.record,
        { kind: 'deletion', pmid: '8', version: 1, source: 'f.xml' },
        { kind: 'error', source: 'f.xml', position: { line: 1, column: 1, offset: 0 }, pmid: null, message: 'bad', raw: '<x', truncated: false },
      ]),
      stages,
      failures: createMemoryFailureLog(),
      instrumentation: bus,
    });
    expect(result.outcomes.with_items).toBe(1);

    expect(await registry.getSingleMetricAsString('medistill_ingest_records_total')).toContain('medistill_ingest_records_total{source="files",type="article",service="run"} 1');
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'files', type: 'failure' })).toBe(1);
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'files', type: 'deletion' })).toBe(1);
    // The record and the tombstone both pass every hop.
    for (const topic of ['pubmed.records.v1', 'pubmed.annotated.v1', 'qa.candidates.v1', 'qa.judged.v1']) {
      expect(await valueOf(registry, 'medistill_records_consumed_total', { service: 'run', topic })).toBe(2);
      expect(await valueOf(registry, 'medistill_processing_duration_seconds', { topic }, 'medistill_processing_duration_seconds_count')).toBe(2);
    }
    expect(await valueOf(registry, 'medistill_records_produced_total', { topic: 'qa.judged.v1' })).toBe(2);
    expect(await valueOf(registry, 'medistill_qa_candidates_total', { type: 'open' })).toBe(1);
    expect(await valueOf(registry, 'medistill_judge_verdicts_total', { type: 'open', outcome: 'accept' })).toBe(1);
    expect(await valueOf(registry, 'medistill_annotated_records_by_branch_total', { branch: 'D' })).toBe(1);
    expect(await valueOf(registry, 'medistill_dead_letters_total', { reason: 'invalid_input' })).toBe(1);
    const deadLetters = (await registry.getSingleMetricAsString('medistill_dead_letters_total')).split('\n').filter((l) => /\} [1-9]/.test(l));
    expect(deadLetters).toHaveLength(1);
  });
});
