import { Counter, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';

/** Settings of the response-cache metrics: the service label and the prices behind the money saved. */
export interface LlmCacheMetricsOptions {
  service: string;
  /** Price of 1,000 prompt tokens; 0 leaves the money saved at 0. */
  pricePer1kInput: number;
  /** Price of 1,000 completion tokens. */
  pricePer1kOutput: number;
}

/** The purposes the LLM stages use; anything else is counted as "other" so labels stay a fixed set. */
const PURPOSES = new Set(['generate', 'judge', 'voc']);

/**
 * Declares the LLM response-cache metrics on the registry passed in and feeds them from the
 * `llm_cache.*` events on the bus: lookups by purpose and outcome (hit, miss, corrupt, error), bytes
 * read and written, writes by outcome, and what hits saved: tokens, and money at the configured
 * prices. Returns the unsubscribe.
 */
export function subscribeLlmCacheMetrics(registry: Registry, options: LlmCacheMetricsOptions, bus: Instrumentation): () => void {
  const { service } = options;
  const registers = [registry];
  const lookups = new Counter({ name: 'medistill_llm_cache_lookups_total', help: 'LLM response cache lookups, by purpose and outcome (hit, miss, corrupt, error)', labelNames: ['service', 'purpose', 'outcome'], registers });
  const writes = new Counter({ name: 'medistill_llm_cache_writes_total', help: 'LLM answers stored in the response cache, by outcome (ok, error)', labelNames: ['service', 'outcome'], registers });
  const bytes = new Counter({ name: 'medistill_llm_cache_bytes_total', help: 'Bytes of cache entries, direction read (hits and unusable entries) or written', labelNames: ['service', 'direction'], registers });
  const savedTokens = new Counter({ name: 'medistill_llm_cache_saved_tokens_total', help: 'Tokens not spent thanks to cache hits (what the original calls used), type input or output', labelNames: ['service', 'type'], registers });
  const savedCost = new Counter({ name: 'medistill_llm_cache_saved_cost_total', help: 'Estimated money saved by cache hits: saved tokens times the configured prices per 1,000 tokens', labelNames: ['service'], registers });

  for (const purpose of PURPOSES) for (const outcome of ['hit', 'miss']) lookups.inc({ service, purpose, outcome }, 0);
  for (const direction of ['read', 'written']) bytes.inc({ service, direction }, 0);
  for (const type of ['input', 'output']) savedTokens.inc({ service, type }, 0);
  savedCost.inc({ service }, 0);

  const stop = bus.on('llm_cache.*', (event) => {
    if (event.type === 'llm_cache.lookup') {
      const purpose = PURPOSES.has(event.purpose) ? event.purpose : 'other';
      lookups.inc({ service, purpose, outcome: event.outcome });
      if (event.bytes > 0) bytes.inc({ service, direction: 'read' }, event.bytes);
      if (event.outcome !== 'hit') return;
      const input = Math.max(0, event.promptTokens);
      const output = Math.max(0, event.completionTokens);
      if (input > 0) savedTokens.inc({ service, type: 'input' }, input);
      if (output > 0) savedTokens.inc({ service, type: 'output' }, output);
      const saved = (input / 1000) * options.pricePer1kInput + (output / 1000) * options.pricePer1kOutput;
      if (saved > 0) savedCost.inc({ service }, saved);
    } else if (event.type === 'llm_cache.write') {
      writes.inc({ service, outcome: event.outcome });
      if (event.bytes > 0) bytes.inc({ service, direction: 'written' }, event.bytes);
    }
  });
  return stop;
}
