import { Counter, Gauge, type Registry } from 'prom-client';
import type { LlmEvent } from '../llm/llmEvents.ts';

/** The per-endpoint and batch metrics of one service. */
export interface LlmEndpointMetrics {
  /** Listener for LLM events (the bus's llm.*): requests, failovers, endpoint state, batches. */
  onLlmEvent(event: LlmEvent): void;
}

/**
 * Declares the per-endpoint LLM metrics on the registry passed in. The endpoint label is the name the
 * operator gave it in MEDISTILL_LLM_ENDPOINTS (validated short, fixed set), never a URL or key.
 * Requests, tokens and cost are by endpoint and mode (online or batch), so the batch saving shows.
 */
export function createLlmEndpointMetrics(registry: Registry, service: string): LlmEndpointMetrics {
  const registers = [registry];
  const requests = new Counter({ name: 'medistill_llm_endpoint_requests_total', help: 'LLM requests by endpoint, mode (online, batch) and outcome', labelNames: ['service', 'endpoint', 'mode', 'outcome'], registers });
  const tokens = new Counter({ name: 'medistill_llm_endpoint_tokens_total', help: 'LLM tokens by endpoint, mode and type (input, output)', labelNames: ['service', 'endpoint', 'mode', 'type'], registers });
  const cost = new Counter({ name: 'medistill_llm_endpoint_cost_total', help: 'Estimated LLM cost by endpoint and mode, at the endpoint\'s prices for the mode', labelNames: ['service', 'endpoint', 'mode'], registers });
  const failovers = new Counter({ name: 'medistill_llm_failovers_total', help: 'Calls moved away from an endpoint, by the endpoint left and the reason', labelNames: ['service', 'endpoint', 'reason'], registers });
  const transitions = new Counter({ name: 'medistill_llm_endpoint_transitions_total', help: 'Endpoints taken out (down) or put back (up) by the circuit breaker', labelNames: ['service', 'endpoint', 'state'], registers });
  const batches = new Counter({ name: 'medistill_llm_batches_total', help: 'Batch API batches by endpoint and status (submitted, completed, failed, expired, cancelled)', labelNames: ['service', 'endpoint', 'status'], registers });
  const batchRequests = new Counter({ name: 'medistill_llm_batch_requests_total', help: 'Requests in Batch API batches by endpoint and the batch status', labelNames: ['service', 'endpoint', 'status'], registers });
  const batchLines = new Counter({ name: 'medistill_llm_batch_lines_total', help: 'Batch result lines by outcome: ok, error, unmatched (no such request), undecodable, missing, resubmitted', labelNames: ['service', 'endpoint', 'outcome'], registers });
  // Set from events: 1 once an endpoint has answered or come back, 0 while the circuit breaker keeps it out.
  const up = new Gauge({ name: 'medistill_llm_endpoint_up', help: '1 when the endpoint takes calls, 0 while the circuit breaker keeps it out (known from its first request)', labelNames: ['service', 'endpoint'], registers });
  const seen = new Set<string>();

  return {
    onLlmEvent(event) {
      switch (event.type) {
        case 'llm.request_end': {
          if (event.endpoint === undefined) return;
          const labels = { service, endpoint: event.endpoint, mode: event.mode ?? 'online' };
          if (!seen.has(event.endpoint)) {
            seen.add(event.endpoint);
            up.set({ service, endpoint: event.endpoint }, 1);
          }
          requests.inc({ ...labels, outcome: event.outcome });
          if (event.promptTokens > 0) tokens.inc({ ...labels, type: 'input' }, event.promptTokens);
          if (event.completionTokens > 0) tokens.inc({ ...labels, type: 'output' }, event.completionTokens);
          if (event.cost !== undefined && event.cost > 0) cost.inc(labels, event.cost);
          else cost.inc(labels, 0);
          return;
        }
        case 'llm.failover':
          failovers.inc({ service, endpoint: event.endpoint, reason: event.reason });
          return;
        case 'llm.endpoint_state':
          transitions.inc({ service, endpoint: event.endpoint, state: event.up ? 'up' : 'down' });
          seen.add(event.endpoint);
          up.set({ service, endpoint: event.endpoint }, event.up ? 1 : 0);
          return;
        case 'llm.batch':
          batches.inc({ service, endpoint: event.endpoint, status: event.status });
          batchRequests.inc({ service, endpoint: event.endpoint, status: event.status }, event.requests);
          return;
        case 'llm.batch_lines':
          batchLines.inc({ service, endpoint: event.endpoint, outcome: event.outcome }, event.count);
          return;
        default:
          return;
      }
    },
  };
}
