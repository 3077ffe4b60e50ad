import { EutilsAbortedError, EutilsAnswerError, EutilsProtocolError } from '../../errors/medistillErrors.ts';

/** Why an attempt failed, in the small fixed set used by events and metrics. */
export type EutilsFailureReason =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection_error'
  | 'bad_response'
  | 'ncbi_error'
  | 'rejected'
  | 'aborted';

/** One failed attempt as seen by the transport, before the retry decision. */
export class AttemptFailure extends Error {
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  readonly kind: 'http' | 'timeout' | 'connection';
  constructor(message: string, options: { kind: 'http' | 'timeout' | 'connection'; status?: number; retryAfterMs?: number | null; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'AttemptFailure';
    this.kind = options.kind;
    this.status = options.status ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** What the retry decision said about one failed attempt. */
export interface EutilsFailureDecision {
  reason: EutilsFailureReason;
  retriable: boolean;
  status: number | null;
  retryAfterMs: number | null;
}

/**
 * The one place that decides whether a failed E-utilities attempt is retried: 429, 408, 5xx, timeouts,
 * connection errors, broken answers and NCBI ERROR answers are; other 4xx, ErrorList answers and aborts are
 * not. Programming errors (TypeError, RangeError, ...) give null: the caller rethrows them untouched.
 */
export function decideEutilsFailure(error: unknown): EutilsFailureDecision | null {
  if (error instanceof EutilsAbortedError) return { reason: 'aborted', retriable: false, status: null, retryAfterMs: null };
  if (error instanceof EutilsAnswerError) return { reason: 'ncbi_error', retriable: error.retriable, status: 200, retryAfterMs: null };
  if (error instanceof EutilsProtocolError) return { reason: 'bad_response', retriable: true, status: 200, retryAfterMs: null };
  if (!(error instanceof AttemptFailure)) return null;
  if (error.kind === 'timeout') return { reason: 'timeout', retriable: true, status: null, retryAfterMs: null };
  if (error.kind === 'connection') return { reason: 'connection_error', retriable: true, status: null, retryAfterMs: null };
  const status = error.status ?? 0;
  if (status === 429) return { reason: 'rate_limited', retriable: true, status, retryAfterMs: error.retryAfterMs };
  if (status === 408 || status >= 500) return { reason: 'server_error', retriable: true, status, retryAfterMs: error.retryAfterMs };
  return { reason: 'rejected', retriable: false, status, retryAfterMs: null };
}

/** The wait a response asked for through Retry-After (seconds or an HTTP date), in ms; null when absent. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Backoff settings used by eutilsRetryDelay. */
export interface EutilsBackoff {
  minBackoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

/**
 * Delay before retry number `retry` (1 for the first): exponential with equal jitter, or the server's
 * Retry-After (capped) plus a little jitter so that several clients do not come back in step.
 */
export function eutilsRetryDelay(retry: number, retryAfterMs: number | null, backoff: EutilsBackoff, random: () => number): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, backoff.maxRetryAfterMs) + Math.floor(random() * backoff.minBackoffMs);
  const exp = Math.min(backoff.maxBackoffMs, backoff.minBackoffMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(exp / 2 + random() * (exp / 2));
}
