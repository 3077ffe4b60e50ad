import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createIngestMetrics } from '../../../services/metrics/ingestMetrics.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { labelNames, samples, valueOf } from './metricSamples.ts';

describe('createIngestMetrics', () => {
  it('counts entries by source and type, every combination starting at zero', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createIngestMetrics(registry, bus);
    expect(await samples(registry, 'medistill_ingest_records_total')).toHaveLength(9);
    bus.emit({ type: 'ingest.entry', source: 'eutils', kind: 'article' });
    bus.emit({ type: 'ingest.entry', source: 'eutils', kind: 'article' });
    bus.emit({ type: 'ingest.entry', source: 'folder', kind: 'deletion' });
    bus.emit({ type: 'ingest.entry', source: 'files', kind: 'failure' });
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'eutils', type: 'article' })).toBe(2);
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'folder', type: 'deletion' })).toBe(1);
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'files', type: 'failure' })).toBe(1);
    expect(await valueOf(registry, 'medistill_ingest_records_total', { source: 'files', type: 'article' })).toBe(0);
    expect(await labelNames(registry, 'medistill_ingest_records_total')).toEqual(['source', 'type']);
  });

  it('counts E-utilities requests by endpoint and status and errors by reason, ignoring other events', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createIngestMetrics(registry, bus);
    bus.emit({ type: 'eutils.request', endpoint: 'esearch', status: 200, ms: 120, attempt: 1 });
    bus.emit({ type: 'eutils.request', endpoint: 'efetch', status: 429, ms: 40, attempt: 1 });
    bus.emit({ type: 'eutils.request', endpoint: 'efetch', status: null, ms: 30_000, attempt: 2 });
    bus.emit({ type: 'eutils.error', endpoint: 'efetch', reason: 'rate_limited', attempt: 1, willRetry: true, detail: 'HTTP 429 from https://example/?api_key=secret' });
    bus.emit({ type: 'eutils.search', from: '2024/05/01', to: '2024/05/02', count: 10 });
    expect(await valueOf(registry, 'medistill_eutils_requests_total', { type: 'esearch', status: '200' })).toBe(1);
    expect(await valueOf(registry, 'medistill_eutils_requests_total', { type: 'efetch', status: '429' })).toBe(1);
    expect(await valueOf(registry, 'medistill_eutils_requests_total', { type: 'efetch', status: 'none' })).toBe(1);
    expect(await valueOf(registry, 'medistill_eutils_errors_total', { type: 'efetch', reason: 'rate_limited' })).toBe(1);
    expect(await valueOf(registry, 'medistill_eutils_request_duration_seconds', { type: 'efetch' }, 'medistill_eutils_request_duration_seconds_sum')).toBeCloseTo(30.04, 6);
    // Error text never becomes a label.
    expect(await registry.metrics()).not.toContain('secret');
  });

  it('keeps the newest entry date from finished E-utilities windows, moving only forward', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createIngestMetrics(registry, bus);
    const onEvent = bus.emit;
    onEvent({ type: 'eutils.window_done', window: { from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-03T00:00:00Z') }, count: 1 });
    expect(await valueOf(registry, 'medistill_ingest_newest_entry_date_seconds', {})).toBe(Date.parse('2024-05-02T00:00:00Z') / 1000);
    onEvent({ type: 'eutils.window_done', window: { from: new Date('2024-03-01T00:00:00Z'), to: new Date('2024-04-02T00:00:00Z') }, count: 5 });
    expect(await valueOf(registry, 'medistill_ingest_newest_entry_date_seconds', {})).toBe(Date.parse('2024-05-02T00:00:00Z') / 1000);
    onEvent({ type: 'eutils.window_done', window: { from: new Date('2024-05-03T00:00:00Z'), to: new Date('2024-05-05T00:00:00Z') }, count: 3 });
    expect(await valueOf(registry, 'medistill_ingest_newest_entry_date_seconds', {})).toBe(Date.parse('2024-05-04T00:00:00Z') / 1000);
    onEvent({ type: 'eutils.window_done', window: { from: new Date('2024-05-05T00:00:00Z'), to: new Date('2024-05-09T00:00:00Z') }, count: 0 });
    expect(await valueOf(registry, 'medistill_ingest_newest_entry_date_seconds', {})).toBe(Date.parse('2024-05-04T00:00:00Z') / 1000);
  });
});
