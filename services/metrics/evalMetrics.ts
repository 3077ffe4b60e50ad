import { Gauge, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';

/**
 * Declares the evaluation gauges on the registry passed in, set from `eval.*` events: PubMedQA
 * accuracy, macro-F1 and items scored per setting and backend, and the judge-validation suite's
 * rejection rate per corruption kind ("clean" is the share of clean items rejected, so the
 * acceptance of clean items is 1 minus it). Labels: setting (2), backend (offline, llm), kind (a
 * fixed list of corruption kinds). Returns the unsubscribe.
 */
export function createEvalMetrics(registry: Registry, bus: Instrumentation): () => void {
  const registers = [registry];
  const accuracy = new Gauge({ name: 'medistill_eval_accuracy', help: 'PubMedQA accuracy of the last evaluation (0..1), by setting and backend', labelNames: ['benchmark', 'setting', 'backend'], registers });
  const macroF1 = new Gauge({ name: 'medistill_eval_macro_f1', help: 'PubMedQA macro-F1 of the last evaluation (0..1), by setting and backend', labelNames: ['benchmark', 'setting', 'backend'], registers });
  const scored = new Gauge({ name: 'medistill_eval_items_scored', help: 'Items scored by the last evaluation (gold label and prediction)', labelNames: ['benchmark', 'setting', 'backend'], registers });
  const failed = new Gauge({ name: 'medistill_eval_items_failed', help: 'Items the backend failed on in the last evaluation', labelNames: ['benchmark', 'setting', 'backend'], registers });
  const rejection = new Gauge({ name: 'medistill_eval_judge_rejection_rate', help: 'Share of the judge-validation items of a kind the judge rejected (kind="clean": clean items wrongly rejected)', labelNames: ['backend', 'kind'], registers });
  const suiteItems = new Gauge({ name: 'medistill_eval_judge_items', help: 'Judge-validation items of a kind in the last suite run', labelNames: ['backend', 'kind'], registers });
  return bus.on('eval.*', (e) => {
    if (e.type === 'eval.pubmedqa') {
      const labels = { benchmark: 'pubmedqa', setting: e.setting, backend: e.backend };
      accuracy.set(labels, e.accuracy);
      macroF1.set(labels, e.macroF1);
      scored.set(labels, e.scored);
      failed.set(labels, e.failed);
    } else if (e.type === 'eval.judge') {
      rejection.set({ backend: e.backend, kind: e.kind }, e.rejectionRate);
      suiteItems.set({ backend: e.backend, kind: e.kind }, e.items);
    }
  });
}
