import { Histogram, Registry } from 'prom-client';
import { createHopMetrics } from '../../../services/metrics/hopMetrics.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { createEvalMetrics } from '../../../services/metrics/evalMetrics.ts';
import { createIngestMetrics } from '../../../services/metrics/ingestMetrics.ts';
import { createLlmMetrics } from '../../../services/metrics/llmMetrics.ts';
import { createLlmEndpointMetrics } from '../../../services/metrics/llmEndpointMetrics.ts';
import { createQualityMetrics } from '../../../services/metrics/qualityMetrics.ts';
import { subscribeLlmCacheMetrics } from '../../../services/metrics/llmCacheMetrics.ts';
import { subscribeRetrievalMetrics } from '../../../services/metrics/retrievalMetrics.ts';

/**
 * Every series name the metric modules declare (histograms expanded to _bucket, _sum and _count),
 * from one registry populated by all the factories.
 */
export async function declaredMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  const bus = createInstrumentation();
  createHopMetrics(registry, 'all', bus, async () => []);
  createLlmMetrics(registry, { service: 'all', pricePer1kInput: 0, pricePer1kOutput: 0 });
  createLlmEndpointMetrics(registry, 'all');
  createQualityMetrics(registry, 'all');
  createIngestMetrics(registry, bus);
  subscribeLlmCacheMetrics(registry, { service: 'all', pricePer1kInput: 0, pricePer1kOutput: 0 }, bus);
  subscribeRetrievalMetrics(registry, 'all', bus);
  createEvalMetrics(registry, bus);
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    const name = (m as unknown as { name: string }).name;
    if ((m as unknown) instanceof Histogram) for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    else names.add(name);
  }
  return names;
}
