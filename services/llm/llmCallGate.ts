import type { AimdConcurrency } from './aimdConcurrency.ts';
import type { LlmRateLimiter, RatePermit } from './llmRateLimiter.ts';

/** What an overloaded server said: how long it asked callers to wait, if it did. */
export interface OverloadSignal {
  retryAfterMs?: number;
}

/** One LLM call to put through the gate. */
export interface GatedLlmCall<T> {
  /** Tokens the call is expected to use (prompt + completion); corrected afterwards by tokensUsed. */
  estimatedTokens: number;
  /** The call itself; it should honour the same signal. */
  call: () => Promise<T>;
  /** Real tokens the call used, read from its result (e.g. usage.promptTokens + usage.completionTokens). */
  tokensUsed: (value: T) => number;
  /** Aborts the wait for tokens or for a slot. */
  signal?: AbortSignal;
}

/** Outcome of one gated call, in a small fixed set. */
export type LlmCallGateOutcome = 'ok' | 'overload' | 'error' | 'refused';

/** One finished call, for metrics (time waiting on the rate limit, concurrency slot waits). */
export interface LlmCallGateEvent {
  type: 'llm_gate.call';
  outcome: LlmCallGateOutcome;
  /** Time spent waiting for rate-limit tokens. */
  rateWaitMs: number;
  /** Time spent waiting for a concurrency slot (including any Retry-After pause). */
  slotWaitMs: number;
  /** Tokens finally charged to the limiter. */
  tokens: number;
}

/** Settings of an LLM call gate. */
export interface LlmCallGateOptions {
  rateLimiter: LlmRateLimiter;
  concurrency: AimdConcurrency;
  /** Says whether a failure means "server overloaded" (429 / 503); default: see isOverloadError. */
  classify?: (error: unknown) => OverloadSignal | null;
  /** Receives every finished call; must not throw (errors it throws are swallowed). */
  onEvent?: (event: LlmCallGateEvent) => void;
  /** Clock in milliseconds; Date.now by default. */
  now?: () => number;
}

/** Runs an LLM call under the rate limit and the adaptive concurrency limit. */
export type LlmCallGate = <T>(request: GatedLlmCall<T>) => Promise<T>;

/**
 * Creates the gate every LLM call goes through: wait for rate-limit tokens, then for a
 * concurrency slot, run the call, settle the real token count, report overload or success.
 * Tokens are taken first so callers queue in the limiter's FIFO order, and a call holds a
 * slot only while it really runs.
 */
export function createLlmCallGate(options: LlmCallGateOptions): LlmCallGate {
  const { rateLimiter, concurrency } = options;
  const classify = options.classify ?? isOverloadError;
  const now = options.now ?? Date.now;

  function emit(event: LlmCallGateEvent): void {
    try {
      options.onEvent?.(event);
    } catch {
      // instrumentation must never break a call
    }
  }

  return async function gate<T>(request: GatedLlmCall<T>): Promise<T> {
    const estimate = request.estimatedTokens;
    let permit: RatePermit;
    try {
      permit = await rateLimiter.acquire(estimate, request.signal);
    } catch (error) {
      emit({ type: 'llm_gate.call', outcome: 'refused', rateWaitMs: 0, slotWaitMs: 0, tokens: 0 });
      throw error;
    }
    const queuedAt = now();
    let startedAt: number | undefined;
    let value: T;
    try {
      value = await concurrency.run(() => {
        startedAt = now();
        return request.call();
      }, request.signal);
    } catch (error) {
      if (startedAt === undefined) {
        // Refused or aborted before it was sent: the server never saw it, so give everything back.
        permit.cancel();
        emit({ type: 'llm_gate.call', outcome: 'refused', rateWaitMs: permit.waitedMs, slotWaitMs: now() - queuedAt, tokens: 0 });
        throw error;
      }
      const overload = classify(error);
      if (overload) {
        concurrency.onOverload(overload.retryAfterMs, startedAt);
        // A rejected request used no tokens, but it did count as a request.
        permit.settle(0);
      } else {
        // The server may have worked on it before failing (a timeout); keep the estimate charged.
        permit.settle(estimate);
      }
      emit({
        type: 'llm_gate.call',
        outcome: overload ? 'overload' : 'error',
        rateWaitMs: permit.waitedMs,
        slotWaitMs: startedAt - queuedAt,
        tokens: overload ? 0 : estimate,
      });
      throw error;
    }
    concurrency.onSuccess();
    let used = estimate;
    try {
      used = request.tokensUsed(value);
    } finally {
      // A missing usage block (NaN) must not throw here and hide the value: keep the estimate.
      if (!(Number.isFinite(used) && used >= 0)) used = estimate;
      permit.settle(used);
    }
    emit({ type: 'llm_gate.call', outcome: 'ok', rateWaitMs: permit.waitedMs, slotWaitMs: (startedAt ?? queuedAt) - queuedAt, tokens: used });
    return value;
  };
}

/**
 * Default overload test: the error, or one of its causes, carries an HTTP `status` or
 * `lastStatus` of 429 or 503; a numeric `retryAfterMs` found on the way is passed on.
 */
export function isOverloadError(error: unknown): OverloadSignal | null {
  let current: unknown = error;
  let overloaded = false;
  let retryAfterMs: number | undefined;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const record = current as { status?: unknown; lastStatus?: unknown; retryAfterMs?: unknown; cause?: unknown };
    if (isOverloadStatus(record.status) || isOverloadStatus(record.lastStatus)) overloaded = true;
    if (retryAfterMs === undefined && typeof record.retryAfterMs === 'number') retryAfterMs = record.retryAfterMs;
    current = record.cause;
  }
  if (!overloaded) return null;
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}

function isOverloadStatus(status: unknown): boolean {
  return status === 429 || status === 503;
}
