import type { Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';
import { createEvalMetrics } from './evalMetrics.ts';
import { createHopMetrics } from './hopMetrics.ts';
import { createIngestMetrics } from './ingestMetrics.ts';
import { createLlmMetrics } from './llmMetrics.ts';
import { createLlmEndpointMetrics } from './llmEndpointMetrics.ts';
import { subscribeLlmCacheMetrics } from './llmCacheMetrics.ts';
import { subscribeQualityMetrics } from './qualityMetrics.ts';
import { subscribeRetrievalMetrics } from './retrievalMetrics.ts';

/** Settings of the in-process run's metrics. */
export interface PipelineMetricsOptions {
  /** The service label of every series (e.g. "run"). */
  service: string;
  pricePer1kInput: number;
  pricePer1kOutput: number;
}

/**
 * Declares hop, ingest, LLM and quality metrics for one `medistill run` process on the registry
 * passed in, fed by the events on `bus`: the in-process runtime reports each stage's hop with the
 * topic names the Kafka services use, so the same dashboards show both; the stages report quality;
 * the LLM clients report their calls. The service also becomes the registry's default label, which
 * is how the ingest metrics carry it (as they do in the services). Returns the unsubscribe.
 */
export function createPipelineMetrics(registry: Registry, options: PipelineMetricsOptions, bus: Instrumentation): () => void {
  const { service } = options;
  registry.setDefaultLabels({ service });
  const llm = createLlmMetrics(registry, { service, pricePer1kInput: options.pricePer1kInput, pricePer1kOutput: options.pricePer1kOutput });
  const endpoints = createLlmEndpointMetrics(registry, service);
  const stops = [
    bus.on('llm.*', (e) => endpoints.onLlmEvent(e as Parameters<typeof endpoints.onLlmEvent>[0])),
    createHopMetrics(registry, service, bus),
    createIngestMetrics(registry, bus),
    subscribeQualityMetrics(registry, service, bus),
    subscribeRetrievalMetrics(registry, service, bus),
    createEvalMetrics(registry, bus),
    bus.on('llm.*', (e) => llm.onLlmEvent(e as Parameters<typeof llm.onLlmEvent>[0])),
    subscribeLlmCacheMetrics(registry, options, bus),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
