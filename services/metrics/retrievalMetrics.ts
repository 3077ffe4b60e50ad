import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';

const WRITE_OUTCOMES = ['indexed', 'replaced', 'unchanged', 'stale', 'no_abstract', 'deleted', 'embeddings_failed'] as const;
const QUERY_OUTCOMES = ['hits', 'no_hits', 'empty_index', 'no_query_terms', 'embeddings_failed'] as const;
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Declares the literature-index metrics on the registry passed in and feeds them from the
 * retrieval.* events on `bus`: writes by outcome, documents held, retrieval queries by outcome and
 * their latency. Outcomes are fixed sets; an unknown one is counted as "other". Returns the unsubscribe.
 * @example subscribeRetrievalMetrics(registry, 'judge', bus);
 */
export function subscribeRetrievalMetrics(registry: Registry, service: string, bus: Instrumentation): () => void {
  const registers = [registry];
  const writes = new Counter({ name: 'medistill_index_writes_total', help: 'Literature index writes by outcome (indexed, replaced, unchanged, stale, no_abstract, deleted, embeddings_failed)', labelNames: ['service', 'outcome'], registers });
  const documents = new Gauge({ name: 'medistill_index_documents', help: 'Abstracts held by the literature index', labelNames: ['service'], registers });
  const queries = new Counter({ name: 'medistill_retrieval_queries_total', help: 'Retrievals for questions by outcome (hits, no_hits, empty_index, no_query_terms, embeddings_failed)', labelNames: ['service', 'outcome'], registers });
  const seconds = new Histogram({ name: 'medistill_retrieval_query_seconds', help: 'Time to retrieve the documents of one question', labelNames: ['service'], buckets: SECONDS_BUCKETS, registers });
  for (const outcome of WRITE_OUTCOMES) writes.inc({ service, outcome }, 0);
  for (const outcome of QUERY_OUTCOMES) queries.inc({ service, outcome }, 0);
  const known = (set: readonly string[], outcome: string): string => (set.includes(outcome) ? outcome : 'other');
  const stops = [
    bus.on('retrieval.indexed', (e) => {
      writes.inc({ service, outcome: known(WRITE_OUTCOMES, e.outcome) });
      documents.set({ service }, e.documents);
    }),
    bus.on('retrieval.query', (e) => {
      queries.inc({ service, outcome: known(QUERY_OUTCOMES, e.outcome) });
      seconds.observe({ service }, e.seconds);
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
