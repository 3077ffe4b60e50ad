/** What to do with a message whose processing failed. */
export type FailureAction = { kind: 'retry'; delayMs: number } | { kind: 'dead_letter'; reason: string } | { kind: 'crash' };

/** An error the infrastructure raised (the broker refused our output): the process must restart, not dead-letter. */
export class InfrastructureError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

/** A short machine-readable reason (a small fixed set, fit for a metric label). */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  if (err.name === 'ContractError') return 'undecodable';
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return 'bug';
  if (err.name.startsWith('Llm')) return 'llm';
  if (isRetriable(err)) return 'retries_exhausted';
  return 'invalid_input';
}

/**
 * The one place that decides what a failure does: infrastructure failures crash the service (the
 * message is redelivered after restart); retriable failures are retried with exponential backoff
 * up to `maxAttempts`, then dead-lettered; everything else (bad input, undecodable bytes, and
 * programming errors, which retrying cannot fix) is dead-lettered at once so the service goes on.
 */
export function decideFailure(err: unknown, attempt: number, maxAttempts: number, baseDelayMs = 500): FailureAction {
  if (err instanceof InfrastructureError) return { kind: 'crash' };
  if (isRetriable(err) && attempt < maxAttempts) {
    return { kind: 'retry', delayMs: Math.min(30_000, baseDelayMs * 2 ** (attempt - 1)) };
  }
  return { kind: 'dead_letter', reason: failureReason(err) };
}
