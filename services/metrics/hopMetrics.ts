import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';

/** Reads consumer lag per partition at scrape time (committed offset vs. the partition's end). */
export type LagReader = () => Promise<{ topic: string; partition: number; lag: number }[]>;

/**
 * The per-hop metrics every service exports, declared once on the registry passed in, labelled
 * only by service, topic, partition and reason (small fixed sets), and fed by the hop.* events on
 * `bus`: every hop event counts under `service`, whichever stage emitted it (the in-process run
 * reports all its stages as one service). Returns the unsubscribe.
 * @example const bus = createInstrumentation(); createHopMetrics(registry, 'annotate', bus); bus.emit({ type: 'hop.consumed', stage: 'annotate', topic });
 */
export function createHopMetrics(registry: Registry, service: string, bus: Instrumentation, readLag?: LagReader): () => void {
  const labels = { service };
  const consumed = new Counter({ name: 'medistill_records_consumed_total', help: 'Records taken in from a topic', labelNames: ['service', 'topic'], registers: [registry] });
  const produced = new Counter({ name: 'medistill_records_produced_total', help: 'Records produced to a topic and acknowledged by the broker', labelNames: ['service', 'topic'], registers: [registry] });
  const duration = new Histogram({
    name: 'medistill_processing_duration_seconds',
    help: 'Time from taking a record in to its outputs being acknowledged or dead-lettered',
    labelNames: ['service', 'topic'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const batchSize = new Histogram({ name: 'medistill_batch_size', help: 'Records per fetched batch', labelNames: ['service'], buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers: [registry] });
  const inFlight = new Gauge({ name: 'medistill_records_in_flight', help: 'Records taken in and not yet acknowledged or dead-lettered', labelNames: ['service'], registers: [registry] });
  const paused = new Gauge({ name: 'medistill_consumer_paused', help: '1 while the consumer is paused by backpressure', labelNames: ['service'], registers: [registry] });
  const commits = new Counter({ name: 'medistill_commits_total', help: 'Offset commits (partitions committed)', labelNames: ['service'], registers: [registry] });
  const deadLetters = new Counter({ name: 'medistill_dead_letters_total', help: 'Records sent to a dead-letter topic, by reason', labelNames: ['service', 'reason'], registers: [registry] });
  const retries = new Counter({ name: 'medistill_retries_total', help: 'Retried processing attempts, by reason', labelNames: ['service', 'reason'], registers: [registry] });
  const duplicates = new Counter({ name: 'medistill_duplicates_dropped_total', help: 'Redelivered records dropped by key', labelNames: ['service'], registers: [registry] });
  new Gauge({
    name: 'medistill_consumer_lag',
    help: 'Records between the group\'s committed offset and the end of the partition, read at scrape time',
    labelNames: ['service', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      if (!readLag) return;
      this.reset();
      try {
        for (const l of await readLag()) this.set({ service, topic: l.topic, partition: String(l.partition) }, l.lag);
      } catch {
        // No lag figure is better than a failed scrape; readiness reports the connection.
      }
    },
  });
  inFlight.set(labels, 0);
  paused.set(labels, 0);
  // Known reasons start at 0 so that dashboards and alerts see a series before the first failure.
  for (const reason of ['undecodable', 'invalid_input', 'llm', 'retries_exhausted', 'bug', 'unknown']) {
    deadLetters.inc({ service, reason }, 0);
    retries.inc({ service, reason }, 0);
  }
  commits.inc(labels, 0);
  duplicates.inc(labels, 0);

  return bus.on('hop.*', (event) => {
    switch (event.type) {
      case 'hop.consumed':
        return consumed.inc({ service, topic: event.topic });
      case 'hop.produced':
        return produced.inc({ service, topic: event.topic });
      case 'hop.processed':
        return duration.observe({ service, topic: event.topic }, event.seconds);
      case 'hop.batch':
        return batchSize.observe(labels, event.size);
      case 'hop.in_flight':
        return inFlight.set(labels, event.count);
      case 'hop.paused':
        return paused.set(labels, event.paused ? 1 : 0);
      case 'hop.committed':
        return commits.inc(labels, event.partitions);
      case 'hop.dead_lettered':
        return deadLetters.inc({ service, reason: event.reason });
      case 'hop.retried':
        return retries.inc({ service, reason: event.reason });
      case 'hop.duplicate':
        return duplicates.inc(labels);
      default:
        return undefined;
    }
  });
}
