import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { createEvalMetrics } from '../../../services/metrics/evalMetrics.ts';

describe('eval gauges', () => {
  it('hold the last PubMedQA figures per setting and backend and the judge rejection rate per kind', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createEvalMetrics(registry, bus);
    bus.emit({ type: 'eval.pubmedqa', setting: 'reasoning-free', backend: 'offline', accuracy: 0.74, macroF1: 0.52, scored: 500, failed: 0 });
    bus.emit({ type: 'eval.pubmedqa', setting: 'reasoning-free', backend: 'offline', accuracy: 0.7, macroF1: 0.5, scored: 400, failed: 2 });
    bus.emit({ type: 'eval.judge', backend: 'offline', kind: 'label_flipped', rejectionRate: 0.9, items: 10 });
    const text = await registry.metrics();
    expect(text).toContain('medistill_eval_accuracy{benchmark="pubmedqa",setting="reasoning-free",backend="offline"} 0.7\n');
    expect(text).toContain('medistill_eval_items_failed{benchmark="pubmedqa",setting="reasoning-free",backend="offline"} 2\n');
    expect(text).toContain('medistill_eval_judge_rejection_rate{backend="offline",kind="label_flipped"} 0.9\n');
  });
});
