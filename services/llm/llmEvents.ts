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
    }
  | { type: 'llm.retry'; purpose: string; model: string; attempt: number; reason: FailureReason; delayMs: number }
  | { type: 'llm.repair'; purpose: string; model: string; problem: string }
  | { type: 'llm.bad_output'; purpose: string; model: string; problem: string };

/** Receives every LLM event; must not throw (errors it throws are swallowed). */
export type LlmEventListener = (event: LlmEvent) => void;
