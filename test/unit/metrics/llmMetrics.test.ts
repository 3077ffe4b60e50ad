import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLlmMetrics } from '../../../services/metrics/llmMetrics.ts';
import type { LlmEvent } from '../../../services/llm/llmEvents.ts';
import { labelNames, valueOf } from './metricSamples.ts';

function end(over: Partial<Extract<LlmEvent, { type: 'llm.request_end' }>>): LlmEvent {
  return { type: 'llm.request_end', purpose: 'generate', model: 'm', attempt: 1, status: 200, outcome: 'ok', latencyMs: 1500, promptTokens: 0, completionTokens: 0, ...over };
}

describe('createLlmMetrics', () => {
  it('counts requests by status and outcome, tokens by type and the estimated cost from the prices', async () => {
    const registry = new Registry();
    const m = createLlmMetrics(registry, { service: 'generate', pricePer1kInput: 0.5, pricePer1kOutput: 2 });
    m.onLlmEvent(end({ promptTokens: 1000, completionTokens: 250 }));
    m.onLlmEvent(end({ promptTokens: 3000, completionTokens: 750, latencyMs: 300 }));
    m.onLlmEvent(end({ status: 429, outcome: 'rate_limited', latencyMs: 20 }));
    m.onLlmEvent(end({ status: null, outcome: 'timeout', latencyMs: 60_000 }));
    m.onLlmEvent(end({ status: 418, outcome: 'rejected', latencyMs: 10 }));

    expect(await valueOf(registry, 'medistill_llm_requests_total', { status: '200', outcome: 'ok' })).toBe(2);
    expect(await valueOf(registry, 'medistill_llm_requests_total', { status: '429', outcome: 'rate_limited' })).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_requests_total', { status: 'none', outcome: 'timeout' })).toBe(1);
    // An unusual status is reported by class, so the label set stays small.
    expect(await valueOf(registry, 'medistill_llm_requests_total', { status: '4xx', outcome: 'rejected' })).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_tokens_total', { type: 'input' })).toBe(4000);
    expect(await valueOf(registry, 'medistill_llm_tokens_total', { type: 'output' })).toBe(1000);
    // 4,000 input tokens at 0.5 per 1k + 1,000 output tokens at 2 per 1k.
    expect(await valueOf(registry, 'medistill_llm_estimated_cost_total', {})).toBeCloseTo(4, 10);
    expect(await valueOf(registry, 'medistill_llm_request_duration_seconds', { outcome: 'ok' }, 'medistill_llm_request_duration_seconds_count')).toBe(2);
    expect(await valueOf(registry, 'medistill_llm_request_duration_seconds', { outcome: 'ok' }, 'medistill_llm_request_duration_seconds_sum')).toBeCloseTo(1.8, 10);
    expect(await valueOf(registry, 'medistill_llm_request_duration_seconds', { outcome: 'error', le: '30' }, 'medistill_llm_request_duration_seconds_bucket')).toBe(2);
    expect(await labelNames(registry, 'medistill_llm_requests_total')).toEqual(['outcome', 'service', 'status']);
  });

  it('counts retries by reason and repaired or rejected answers', async () => {
    const registry = new Registry();
    const m = createLlmMetrics(registry, { service: 'judge', pricePer1kInput: 0, pricePer1kOutput: 0 });
    m.onLlmEvent({ type: 'llm.retry', purpose: 'judge', model: 'm', attempt: 1, reason: 'rate_limited', delayMs: 1000 });
    m.onLlmEvent({ type: 'llm.retry', purpose: 'judge', model: 'm', attempt: 2, reason: 'rate_limited', delayMs: 2000 });
    m.onLlmEvent({ type: 'llm.retry', purpose: 'judge', model: 'm', attempt: 1, reason: 'server_error', delayMs: 500 });
    m.onLlmEvent({ type: 'llm.repair', purpose: 'judge', model: 'm', problem: 'not JSON' });
    m.onLlmEvent({ type: 'llm.bad_output', purpose: 'judge', model: 'm', problem: 'not JSON after repair' });
    expect(await valueOf(registry, 'medistill_llm_retries_total', { service: 'judge', reason: 'rate_limited' })).toBe(2);
    expect(await valueOf(registry, 'medistill_llm_retries_total', { reason: 'server_error' })).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_output_problems_total', { outcome: 'repair' })).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_output_problems_total', { outcome: 'rejected' })).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_estimated_cost_total', {})).toBe(0);
  });

  it('records rate-limit and slot waits from gate events and reads the concurrency limit at scrape time', async () => {
    const registry = new Registry();
    const m = createLlmMetrics(registry, { service: 'generate', pricePer1kInput: 0, pricePer1kOutput: 0 });
    m.onGateEvent({ type: 'llm_gate.call', outcome: 'ok', rateWaitMs: 2000, slotWaitMs: 50, tokens: 100 });
    m.onGateEvent({ type: 'llm_gate.call', outcome: 'overload', rateWaitMs: 500, slotWaitMs: 0, tokens: 0 });
    expect(await valueOf(registry, 'medistill_llm_rate_limit_wait_seconds', {}, 'medistill_llm_rate_limit_wait_seconds_sum')).toBeCloseTo(2.5, 10);
    expect(await valueOf(registry, 'medistill_llm_rate_limit_wait_seconds', { le: '1' }, 'medistill_llm_rate_limit_wait_seconds_bucket')).toBe(1);
    expect(await valueOf(registry, 'medistill_llm_concurrency_wait_seconds', {}, 'medistill_llm_concurrency_wait_seconds_count')).toBe(2);
    expect(await valueOf(registry, 'medistill_llm_gate_calls_total', { outcome: 'overload' })).toBe(1);

    expect(await registry.getSingleMetricAsString('medistill_llm_concurrency_limit')).not.toMatch(/^medistill_llm_concurrency_limit\{/m);
    let limit = 16;
    m.watchConcurrency(() => limit);
    expect(await valueOf(registry, 'medistill_llm_concurrency_limit', { service: 'generate' })).toBe(16);
    limit = 8;
    expect(await registry.getSingleMetricAsString('medistill_llm_concurrency_limit')).toContain('medistill_llm_concurrency_limit{service="generate"} 8');
  });

  it('refuses a negative price at construction with a message that says what to give', () => {
    expect(() => createLlmMetrics(new Registry(), { service: 's', pricePer1kInput: -1, pricePer1kOutput: 0 })).toThrow(/pricePer1kInput must be a finite number >= 0/);
  });
});
