import type { FailureReason } from './retryPolicy.ts';

/** Outcome of one HTTP attempt: 'ok' or the failure reason. */
export type AttemptOutcome = 'ok' | FailureReason;

/** Instrumentation events of the LLM client; metrics subscribe through `onEvent`. */
export type LlmEvent =
  | { type: 'llm.request_start'; purpose: string; model: string; attempt: number }
  | {
      type: 'llm.request_end';
      purpose: string;
      model: string;
      attempt: number;
      /** HTTP status, null when no response arrived (timeout, connection error). */
      status: number | null;
      outcome: AttemptOutcome;
      latencyMs: number;
      promptTokens: number;
      completionTokens: number;
      /** Name of the configured endpoint that answered, when several are configured. */
      endpoint?: string;
      /** 'batch' for a result read from a Batch API output file; online otherwise. */
      mode?: LlmMode;
      /** Estimated cost at the endpoint's price for the mode; absent: the service's default prices apply. */
      cost?: number;
    }
  | { type: 'llm.retry'; purpose: string; model: string; attempt: number; reason: FailureReason; delayMs: number }
  | { type: 'llm.repair'; purpose: string; model: string; problem: string }
  | { type: 'llm.bad_output'; purpose: string; model: string; problem: string }
  | LlmEndpointEvent
  | LlmBatchEvent;

/** How a call reaches the model: one request at a time, or through the Batch API (files and batches). */
export type LlmMode = 'online' | 'batch';

/** Why a call left an endpoint for another. */
export type FailoverReason = 'rate_limited' | 'server_error' | 'timeout' | 'unavailable' | 'unauthorized' | 'queue_full';

/** Events of the endpoint router: a call moved to another endpoint; an endpoint was taken out or put back. */
export type LlmEndpointEvent =
  | { type: 'llm.failover'; purpose: string; endpoint: string; reason: FailoverReason }
  | { type: 'llm.endpoint_state'; endpoint: string; up: boolean; reason: FailoverReason | 'recovered' };

/** What happened to a batch, or to lines of one. */
export type LlmBatchEvent =
  | { type: 'llm.batch'; endpoint: string; status: 'submitted' | 'resumed' | 'completed' | 'failed' | 'expired' | 'cancelled'; requests: number }
  | { type: 'llm.batch_lines'; endpoint: string; outcome: 'ok' | 'error' | 'unmatched' | 'missing' | 'resubmitted' | 'undecodable'; count: number };

/** Receives every LLM event; must not throw (errors it throws are swallowed). */
export type LlmEventListener = (event: LlmEvent) => void;
