import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LlmEvent, LlmEventListener } from '../llm/llmEvents.ts';
import type { LlmCallGateEvent } from '../llm/llmCallGate.ts';
import { statusLabel } from './statusLabel.ts';

/** Settings of the LLM metrics: the service label and the prices behind the cost estimate. */
export interface LlmMetricsOptions {
  service: string;
  /** Price of 1,000 prompt tokens in the operator's currency; 0 leaves the cost at 0. */
  pricePer1kInput: number;
  /** Price of 1,000 completion tokens in the operator's currency. */
  pricePer1kOutput: number;
}

/** The LLM metrics of one service: feed it the client's and the call gate's events. */
export interface LlmMetrics {
  /** Listener for the LLM client's events (createLlmClient's `onEvent`). */
  onLlmEvent: LlmEventListener;
  /** Listener for the call gate's events (createLlmCallGate's `onEvent`). */
  onGateEvent: (event: LlmCallGateEvent) => void;
  /** Reports the adaptive concurrency limit, read at scrape time. */
  watchConcurrency(getLimit: () => number): void;
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const WAIT_BUCKETS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0 (a price per 1,000 tokens; 0 turns the cost estimate off), got ${value}`);
  }
}

/**
 * Declares the LLM metrics on the registry passed in: requests by HTTP status and outcome, tokens
 * in and out, request latency, retries, time waiting on the rate limit and for a concurrency slot,
 * the current concurrency limit and an estimated cost (tokens × the configured prices).
 */
export function createLlmMetrics(registry: Registry, options: LlmMetricsOptions): LlmMetrics {
  const { service } = options;
  requireNonNegative('pricePer1kInput', options.pricePer1kInput);
  requireNonNegative('pricePer1kOutput', options.pricePer1kOutput);
  const registers = [registry];
  const requests = new Counter({ name: 'medistill_llm_requests_total', help: 'LLM HTTP requests (each attempt), by status and outcome', labelNames: ['service', 'status', 'outcome'], registers });
  const tokens = new Counter({ name: 'medistill_llm_tokens_total', help: 'LLM tokens as reported by the server, type input (prompt) or output (completion)', labelNames: ['service', 'type'], registers });
  const latency = new Histogram({ name: 'medistill_llm_request_duration_seconds', help: 'Duration of one LLM HTTP request, body included', labelNames: ['service', 'outcome'], buckets: LATENCY_BUCKETS, registers });
  const retries = new Counter({ name: 'medistill_llm_retries_total', help: 'LLM requests retried, by reason', labelNames: ['service', 'reason'], registers });
  const outputProblems = new Counter({ name: 'medistill_llm_output_problems_total', help: 'LLM answers that were not valid JSON for the schema: outcome repair (a repair request was sent) or rejected', labelNames: ['service', 'outcome'], registers });
  const gateCalls = new Counter({ name: 'medistill_llm_gate_calls_total', help: 'Calls through the LLM call gate, by outcome (ok, overload, error, refused)', labelNames: ['service', 'outcome'], registers });
  const rateWait = new Histogram({ name: 'medistill_llm_rate_limit_wait_seconds', help: 'Time a call waited for rate-limit tokens (requests and tokens per minute)', labelNames: ['service'], buckets: WAIT_BUCKETS, registers });
  const slotWait = new Histogram({ name: 'medistill_llm_concurrency_wait_seconds', help: 'Time a call waited for a concurrency slot, Retry-After pauses included', labelNames: ['service'], buckets: WAIT_BUCKETS, registers });
  const cost = new Counter({ name: 'medistill_llm_estimated_cost_total', help: 'Estimated LLM cost: tokens times the configured prices per 1,000 tokens', labelNames: ['service'], registers });
  let readLimit: (() => number) | undefined;
  new Gauge({
    name: 'medistill_llm_concurrency_limit',
    help: 'Current adaptive limit of concurrent LLM requests, read at scrape time',
    labelNames: ['service'],
    registers,
    collect() {
      if (!readLimit) return;
      try {
        const limit = readLimit();
        if (Number.isFinite(limit)) this.set({ service }, limit);
      } catch {
        // A broken reader must not fail the whole scrape.
      }
    },
  });

  for (const type of ['input', 'output']) tokens.inc({ service, type }, 0);
  cost.inc({ service }, 0);
  for (const outcome of ['repair', 'rejected']) outputProblems.inc({ service, outcome }, 0);
  requests.inc({ service, status: '429', outcome: 'rate_limited' }, 0);
  requests.inc({ service, status: '200', outcome: 'ok' }, 0);

  function onLlmEvent(event: LlmEvent): void {
    switch (event.type) {
      case 'llm.request_end': {
        requests.inc({ service, status: statusLabel(event.status), outcome: event.outcome });
        latency.observe({ service, outcome: event.outcome === 'ok' ? 'ok' : 'error' }, event.latencyMs / 1000);
        const input = Math.max(0, event.promptTokens || 0);
        const output = Math.max(0, event.completionTokens || 0);
        if (input > 0) tokens.inc({ service, type: 'input' }, input);
        if (output > 0) tokens.inc({ service, type: 'output' }, output);
        // An endpoint of the list prices its own requests (online or batch); otherwise the service's prices apply.
        const spent = event.cost ?? (input / 1000) * options.pricePer1kInput + (output / 1000) * options.pricePer1kOutput;
        if (spent > 0) cost.inc({ service }, spent);
        return;
      }
      case 'llm.retry':
        retries.inc({ service, reason: event.reason });
        return;
      case 'llm.repair':
        outputProblems.inc({ service, outcome: 'repair' });
        return;
      case 'llm.bad_output':
        outputProblems.inc({ service, outcome: 'rejected' });
        return;
      default:
        return;
    }
  }

  function onGateEvent(event: LlmCallGateEvent): void {
    gateCalls.inc({ service, outcome: event.outcome });
    rateWait.observe({ service }, Math.max(0, event.rateWaitMs) / 1000);
    slotWait.observe({ service }, Math.max(0, event.slotWaitMs) / 1000);
  }

  return {
    onLlmEvent,
    onGateEvent,
    watchConcurrency(getLimit) {
      readLimit = getLimit;
    },
  };
}
