import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { subscribeLlmCacheMetrics } from '../../../services/metrics/llmCacheMetrics.ts';
import { valueOf } from './metricSamples.ts';

function setup(prices = { pricePer1kInput: 0.5, pricePer1kOutput: 2 }) {
  const registry = new Registry();
  const bus = createInstrumentation();
  const stop = subscribeLlmCacheMetrics(registry, { service: 'judge', ...prices }, bus);
  return { registry, bus, stop };
}

describe('LLM response cache metrics', () => {
  it('count lookups by purpose and outcome, bytes both ways, and what hits saved in tokens and money', async () => {
    const { registry, bus } = setup();
    bus.emit({ type: 'llm_cache.lookup', purpose: 'judge', outcome: 'miss', bytes: 0, promptTokens: 0, completionTokens: 0 });
    bus.emit({ type: 'llm_cache.write', purpose: 'judge', outcome: 'ok', bytes: 300 });
    bus.emit({ type: 'llm_cache.lookup', purpose: 'judge', outcome: 'hit', bytes: 300, promptTokens: 1000, completionTokens: 500 });
    bus.emit({ type: 'llm_cache.lookup', purpose: 'judge', outcome: 'hit', bytes: 300, promptTokens: 1000, completionTokens: 500 });
    bus.emit({ type: 'llm_cache.lookup', purpose: 'voc', outcome: 'corrupt', bytes: 12, promptTokens: 0, completionTokens: 0 });
    bus.emit({ type: 'llm_cache.lookup', purpose: 'some-id-123', outcome: 'error', bytes: 0, promptTokens: 0, completionTokens: 0 });
    const v = (name: string, labels: Record<string, string>) => valueOf(registry, name, { service: 'judge', ...labels });
    expect(await v('medistill_llm_cache_lookups_total', { purpose: 'judge', outcome: 'hit' })).toBe(2);
    expect(await v('medistill_llm_cache_lookups_total', { purpose: 'judge', outcome: 'miss' })).toBe(1);
    expect(await v('medistill_llm_cache_lookups_total', { purpose: 'voc', outcome: 'corrupt' })).toBe(1);
    // An unknown purpose does not become a label value of its own.
    expect(await v('medistill_llm_cache_lookups_total', { purpose: 'other', outcome: 'error' })).toBe(1);
    expect(await v('medistill_llm_cache_bytes_total', { direction: 'read' })).toBe(612);
    expect(await v('medistill_llm_cache_bytes_total', { direction: 'written' })).toBe(300);
    expect(await v('medistill_llm_cache_writes_total', { outcome: 'ok' })).toBe(1);
    expect(await v('medistill_llm_cache_saved_tokens_total', { type: 'input' })).toBe(2000);
    expect(await v('medistill_llm_cache_saved_tokens_total', { type: 'output' })).toBe(1000);
    expect(await v('medistill_llm_cache_saved_cost_total', {})).toBeCloseTo(2 * (0.5 + 1), 10);
  });

  it('start at zero, and stop counting after unsubscribe', async () => {
    const { registry, bus, stop } = setup({ pricePer1kInput: 0, pricePer1kOutput: 0 });
    expect(await valueOf(registry, 'medistill_llm_cache_lookups_total', { service: 'judge', purpose: 'generate', outcome: 'hit' })).toBe(0);
    stop();
    bus.emit({ type: 'llm_cache.lookup', purpose: 'generate', outcome: 'hit', bytes: 10, promptTokens: 5, completionTokens: 5 });
    expect(await valueOf(registry, 'medistill_llm_cache_lookups_total', { service: 'judge', purpose: 'generate', outcome: 'hit' })).toBe(0);
    expect(await valueOf(registry, 'medistill_llm_cache_saved_cost_total', { service: 'judge' })).toBe(0);
  });
});
