import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createHopMetrics } from '../../../services/metrics/hopMetrics.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { labelNames, samples, valueOf } from './metricSamples.ts';

describe('createHopMetrics', () => {
  it('counts the hop events on the bus per topic, durations, batches, dead letters and retries with fixed labels', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    createHopMetrics(registry, 'annotate', bus);
    const stage = 'annotate';
    bus.emit({ type: 'hop.consumed', stage, topic: 'pubmed.records.v1' });
    bus.emit({ type: 'hop.consumed', stage, topic: 'pubmed.records.v1' });
    bus.emit({ type: 'hop.produced', stage, topic: 'pubmed.annotated.v1' });
    bus.emit({ type: 'hop.processed', stage, topic: 'pubmed.records.v1', seconds: 0.02 });
    bus.emit({ type: 'hop.batch', stage, size: 40 });
    bus.emit({ type: 'hop.in_flight', stage, count: 7 });
    bus.emit({ type: 'hop.paused', stage, paused: true });
    bus.emit({ type: 'hop.committed', stage, partitions: 3 });
    bus.emit({ type: 'hop.dead_lettered', stage, reason: 'undecodable' });
    bus.emit({ type: 'hop.retried', stage, reason: 'llm' });
    bus.emit({ type: 'hop.duplicate', stage });
    expect(await valueOf(registry, 'medistill_records_consumed_total', { service: 'annotate', topic: 'pubmed.records.v1' })).toBe(2);
    expect(await valueOf(registry, 'medistill_records_produced_total', { topic: 'pubmed.annotated.v1' })).toBe(1);
    expect(await valueOf(registry, 'medistill_processing_duration_seconds', { le: '0.025' }, 'medistill_processing_duration_seconds_bucket')).toBe(1);
    expect(await valueOf(registry, 'medistill_processing_duration_seconds', { le: '0.01' }, 'medistill_processing_duration_seconds_bucket')).toBe(0);
    expect(await valueOf(registry, 'medistill_batch_size', {}, 'medistill_batch_size_sum')).toBe(40);
    expect(await valueOf(registry, 'medistill_records_in_flight', {})).toBe(7);
    expect(await valueOf(registry, 'medistill_consumer_paused', {})).toBe(1);
    expect(await valueOf(registry, 'medistill_commits_total', {})).toBe(3);
    expect(await valueOf(registry, 'medistill_dead_letters_total', { reason: 'undecodable' })).toBe(1);
    expect(await valueOf(registry, 'medistill_dead_letters_total', { reason: 'llm' })).toBe(0);
    expect(await valueOf(registry, 'medistill_retries_total', { reason: 'llm' })).toBe(1);
    expect(await valueOf(registry, 'medistill_duplicates_dropped_total', {})).toBe(1);
    expect(await labelNames(registry, 'medistill_dead_letters_total')).toEqual(['reason', 'service']);
  });

  it('reads consumer lag per partition at scrape time and drops partitions that went away', async () => {
    const registry = new Registry();
    let lag = [
      { topic: 'pubmed.records.v1', partition: 0, lag: 12 },
      { topic: 'pubmed.records.v1', partition: 1, lag: 0 },
    ];
    createHopMetrics(registry, 'annotate', createInstrumentation(), async () => lag);
    expect(await valueOf(registry, 'medistill_consumer_lag', { partition: '0' })).toBe(12);
    lag = [{ topic: 'pubmed.records.v1', partition: 1, lag: 5 }];
    const now = await samples(registry, 'medistill_consumer_lag');
    expect(now.map((s) => [s.labels.partition, s.value])).toEqual([['1', 5]]);
    expect(await labelNames(registry, 'medistill_consumer_lag')).toEqual(['partition', 'service', 'topic']);
  });

  it('still answers a scrape when reading lag fails', async () => {
    const registry = new Registry();
    createHopMetrics(registry, 'judge', createInstrumentation(), async () => {
      throw new Error('broker gone');
    });
    const text = await registry.metrics();
    expect(text).toContain('medistill_records_in_flight{service="judge"} 0');
    expect(text).not.toMatch(/^medistill_consumer_lag\{/m);
  });

  it('stops counting once unsubscribed', async () => {
    const registry = new Registry();
    const bus = createInstrumentation();
    const unsubscribe = createHopMetrics(registry, 'annotate', bus);
    bus.emit({ type: 'hop.duplicate', stage: 'annotate' });
    unsubscribe();
    bus.emit({ type: 'hop.duplicate', stage: 'annotate' });
    expect(await valueOf(registry, 'medistill_duplicates_dropped_total', {})).toBe(1);
  });
});
