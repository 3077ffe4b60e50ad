import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';
import type { IngestEntryKind, IngestSourceKind } from '../instrumentation/instrumentationEvents.ts';
import { statusLabel } from './statusLabel.ts';

/** Where ingested entries came from. */
export type IngestSource = IngestSourceKind;
/** What an ingested entry was. */
export type IngestKind = IngestEntryKind;

const SOURCES: readonly IngestSource[] = ['files', 'folder', 'eutils'];
const KINDS: readonly IngestKind[] = ['article', 'deletion', 'failure'];

/**
 * Declares the ingest metrics on the registry passed in, fed by the ingest.entry and eutils.* events
 * on `bus` (the newest entry date from finished E-utilities windows; the gauge only moves forward).
 * The service label comes from the registry's default labels (runService sets it). Every source ×
 * kind series starts at 0 so that "no new records" can be told from "never scraped". Returns the
 * unsubscribe.
 * @example createIngestMetrics(registry, bus); bus.emit({ type: 'ingest.entry', source: 'files', kind: 'article' });
 */
export function createIngestMetrics(registry: Registry, bus: Instrumentation): () => void {
  const registers = [registry];
  const records = new Counter({ name: 'medistill_ingest_records_total', help: 'Entries taken in, by source (files, folder, eutils) and type (article, deletion, failure)', labelNames: ['source', 'type'], registers });
  const requests = new Counter({ name: 'medistill_eutils_requests_total', help: 'E-utilities HTTP requests, by endpoint (type esearch or efetch) and status', labelNames: ['type', 'status'], registers });
  const errors = new Counter({ name: 'medistill_eutils_errors_total', help: 'Failed E-utilities attempts, by endpoint and reason', labelNames: ['type', 'reason'], registers });
  const duration = new Histogram({ name: 'medistill_eutils_request_duration_seconds', help: 'Duration of one E-utilities request', labelNames: ['type'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers });
  const newest = new Gauge({ name: 'medistill_ingest_newest_entry_date_seconds', help: 'Newest PubMed entry date taken in (unix seconds); ages as ingestion stalls', registers });
  for (const source of SOURCES) for (const type of KINDS) records.inc({ source, type }, 0);
  for (const type of ['esearch', 'efetch']) errors.inc({ type, reason: 'rate_limited' }, 0);
  let newestSeconds = -Infinity;

  function newestEntryDate(date: Date): void {
    const seconds = date.getTime() / 1000;
    if (!Number.isFinite(seconds) || seconds <= newestSeconds) return;
    newestSeconds = seconds;
    newest.set(seconds);
  }

  const unsubscribe = [
    bus.on('ingest.entry', (event) => records.inc({ source: event.source, type: event.kind })),
    bus.on('eutils.*', (event) => {
      switch (event.type) {
        case 'eutils.request':
          requests.inc({ type: event.endpoint, status: statusLabel(event.status) });
          duration.observe({ type: event.endpoint }, Math.max(0, event.ms) / 1000);
          return;
        case 'eutils.error':
          errors.inc({ type: event.endpoint, reason: event.reason });
          return;
        case 'eutils.window_done':
          // The window's last day is `to` minus a day: entries up to then have been taken in.
          if (event.count > 0) newestEntryDate(new Date(event.window.to.getTime() - 86_400_000));
          return;
        default:
          return;
      }
    }),
  ];
  return () => {
    for (const off of unsubscribe) off();
  };
}
