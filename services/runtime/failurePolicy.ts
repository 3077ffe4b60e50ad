import { ContractError, InfrastructureError, InvalidInputError, LlmError, MedistillError, ProgrammingError } from '../errors/medistillErrors.ts';

/** What to do with a message whose processing failed. */
export type FailureAction = { kind: 'retry'; delayMs: number } | { kind: 'dead_letter'; reason: string } | { kind: 'crash' };

/** Why a message was dead-lettered or retried: a small fixed set, fit for a metric label. */
export type FailureReason = 'undecodable' | 'invalid_input' | 'llm' | 'retries_exhausted' | 'bug' | 'unknown';

/**
 * A bug rather than a bad message: the built-in programming errors, our own ProgrammingError, and any
 * Error that is not a MedistillError (a library error nobody wrapped). Retrying cannot fix any of them.
 */
function isBug(err: Error): boolean {
  if (err instanceof ProgrammingError) return true;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return true;
  return !(err instanceof MedistillError);
}

/** A short machine-readable reason (a small fixed set, fit for a metric label). */
export function failureReason(err: unknown): FailureReason {
  if (!(err instanceof Error)) return 'unknown';
  if (err instanceof ContractError) return 'undecodable';
  if (err instanceof LlmError) return 'llm';
  if (err instanceof InvalidInputError) return 'invalid_input';
  if (isBug(err)) return 'bug';
  if ((err as MedistillError).retriable) return 'retries_exhausted';
  // Any other failure retrying cannot fix is, for this message, input the stage could not use.
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
  if (err instanceof MedistillError && err.retriable && attempt < maxAttempts) {
    return { kind: 'retry', delayMs: Math.min(30_000, baseDelayMs * 2 ** (attempt - 1)) };
  }
  return { kind: 'dead_letter', reason: failureReason(err) };
}
