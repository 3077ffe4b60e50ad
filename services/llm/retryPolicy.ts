import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmProtocolError } from '../errors/medistillErrors.ts';

/** Why an attempt failed, in the small fixed set used by events and metrics. */
export type FailureReason =
  | 'rate_limited'
  | 'server_error'
  | 'request_timeout'
  | 'conflict'
  | 'timeout'
  | 'connection_error'
  | 'bad_response'
  | 'rejected'
  | 'aborted';

/** What the single retry decision said about one failed attempt. */
export interface FailureDecision {
  reason: FailureReason;
  retriable: boolean;
  status: number | null;
  /** Wait the server asked for (Retry-After / retry-after-ms), null when it said nothing. */
  retryAfterMs: number | null;
  /** One line describing the failure, for error messages. */
  detail: string;
}

/** Facts about the attempt that only the caller knows: whose signal fired. */
export interface AttemptContext {
  callerAborted: boolean;
  deadlineExpired: boolean;
  timeoutMs: number;
}

/**
 * The one place that decides whether a failed attempt is retried: 429, 408, 409, 5xx, timeouts,
 * connection errors and broken 2xx bodies are; other 4xx are not; programming errors
 * (TypeError, RangeError, ...) are rethrown by returning null.
 */
export function decideFailure(error: unknown, ctx: AttemptContext): FailureDecision | null {
  if (ctx.callerAborted) return decision('aborted', false, null, null, 'aborted by the caller');
  if (ctx.deadlineExpired || error instanceof APIConnectionTimeoutError) {
    return decision('timeout', true, null, null, `no answer within ${ctx.timeoutMs} ms`);
  }
  if (error instanceof APIUserAbortError) return decision('aborted', false, null, null, 'aborted');
  if (error instanceof APIConnectionError) return decision('connection_error', true, null, null, rootCauseMessage(error));
  if (error instanceof LlmProtocolError) return decision('bad_response', true, error.status, null, error.message);
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const detail = oneLine(error.message);
    const retryAfterMs = error.headers ? parseRetryAfter(error.headers) : null;
    if (status === 429) return decision('rate_limited', true, status, retryAfterMs, detail);
    if (status === 408) return decision('request_timeout', true, status, retryAfterMs, detail);
    if (status === 409) return decision('conflict', true, status, retryAfterMs, detail);
    if (status >= 500) return decision('server_error', true, status, retryAfterMs, detail);
    return decision('rejected', false, status, null, detail);
  }
  return null;
}

/** The wait a response asked for, from retry-after-ms or Retry-After (seconds or HTTP date), in ms. */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Backoff settings used by retryDelay. */
export interface BackoffSettings {
  minBackoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential with equal jitter, or the
 * server's Retry-After (capped by maxRetryAfterMs) plus a little jitter so clients do not return in step.
 */
export function retryDelay(retry: number, retryAfterMs: number | null, s: BackoffSettings, random: () => number): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, s.maxRetryAfterMs) + Math.floor(random() * s.minBackoffMs);
  const exp = Math.min(s.maxBackoffMs, s.minBackoffMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(exp / 2 + random() * (exp / 2));
}

function decision(
  reason: FailureReason,
  retriable: boolean,
  status: number | null,
  retryAfterMs: number | null,
  detail: string,
): FailureDecision {
  return { reason, retriable, status, retryAfterMs, detail: oneLine(detail) };
}

/** The deepest message of a cause chain: undici hides "connect ECONNREFUSED ..." two levels down. */
function rootCauseMessage(error: Error): string {
  let message = error.message;
  let current: unknown = error.cause;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
