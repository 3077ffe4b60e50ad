import { QueueFullError, RequestTooLargeError, RuntimeConfigError, RuntimeUsageError, WaitAbortedError } from '../errors/medistillErrors.ts';
import { createTokenBucket, type TokenBucket } from './tokenBucket.ts';

/** Settings of an LLM rate limiter. */
export interface LlmRateLimiterOptions {
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** Requests that may go out at once after a quiet spell; default requestsPerMinute (one minute's worth). */
  burstRequests?: number;
  /** Tokens that may go out at once after a quiet spell; default tokensPerMinute. Also the largest single request. */
  burstTokens?: number;
  /** Most requests waiting at once; one more is refused with a retriable QueueFullError. Default 1000. */
  maxQueue?: number;
  /** Clock in milliseconds; Date.now by default. */
  now?: () => number;
}

/** The right to send one request; settle it once the real token count is known. */
export interface RatePermit {
  /** How long the request waited for its tokens. */
  readonly waitedMs: number;
  /** Corrects the estimate with the real count: debits the difference or refunds it. False if already settled. */
  settle(actualTokens: number): boolean;
  /** Returns the request and every estimated token: the request was never sent. False if already settled. */
  cancel(): boolean;
}

/** Rate limiter by requests per minute and tokens per minute, with FIFO waiting. */
export interface LlmRateLimiter {
  /** Waits until one request and `estimatedTokens` tokens are both available, then takes them. */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<RatePermit>;
  /** Requests waiting now. */
  readonly queued: number;
  readonly requests: TokenBucket;
  readonly tokens: TokenBucket;
}

interface Waiter {
  tokens: number;
  enqueuedAt: number;
  resolve: (permit: RatePermit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const NAME = 'LLM rate limiter';

/**
 * Creates a limiter made of two token buckets refilled continuously. Waiters are served strictly
 * in arrival order: a small request never overtakes a big one at the head, so big requests
 * cannot starve; the price is that the head alone decides when the queue moves.
 */
export function createLlmRateLimiter(options: LlmRateLimiterOptions): LlmRateLimiter {
  const { requestsPerMinute, tokensPerMinute } = options;
  const maxQueue = options.maxQueue ?? 1000;
  if (!Number.isInteger(maxQueue) || maxQueue < 0) {
    throw new RuntimeConfigError(`${NAME}: maxQueue must be an integer >= 0, got ${maxQueue}`);
  }
  const now = options.now ?? Date.now;
  const withName = (fn: () => TokenBucket, setting: string): TokenBucket => {
    try {
      return fn();
    } catch (error) {
      throw new RuntimeConfigError(`${NAME}: ${setting}: ${(error as Error).message}`);
    }
  };
  const requests = withName(
    () => createTokenBucket({ capacity: options.burstRequests ?? requestsPerMinute, perMinute: requestsPerMinute, now }),
    'requestsPerMinute / burstRequests',
  );
  const tokens = withName(
    () => createTokenBucket({ capacity: options.burstTokens ?? tokensPerMinute, perMinute: tokensPerMinute, now }),
    'tokensPerMinute / burstTokens',
  );
  if (requests.capacity < 1) {
    throw new RuntimeConfigError(`${NAME}: burstRequests must be >= 1, got ${requests.capacity}`);
  }

  const queue: Waiter[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  function grantNow(count: number): boolean {
    // Check both before taking either, so a request never holds one kind of token while waiting for the other.
    if (requests.msUntil(1) > 0 || tokens.msUntil(count) > 0) return false;
    requests.tryTake(1);
    tokens.tryTake(count);
    return true;
  }

  function permit(estimate: number, waitedMs: number): RatePermit {
    let settled = false;
    return {
      waitedMs,
      settle(actualTokens) {
        checkTokens(actualTokens);
        if (settled) return false;
        settled = true;
        const diff = actualTokens - estimate;
        if (diff > 0) tokens.debit(diff);
        else if (diff < 0) {
          tokens.refund(-diff);
          pump();
        }
        return true;
      },
      cancel() {
        if (settled) return false;
        settled = true;
        requests.refund(1);
        tokens.refund(estimate);
        pump();
        return true;
      },
    };
  }

  /** Serves the head of the queue while it fits, then arms one timer for the new head. */
  function pump(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (queue.length > 0) {
      const head = queue[0] as Waiter;
      if (!grantNow(head.tokens)) break;
      queue.shift();
      if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve(permit(head.tokens, now() - head.enqueuedAt));
    }
    const head = queue[0];
    if (!head) return;
    // One timer for the whole queue: only the head can be served next. A later debit or refund
    // calls pump again, so a timer armed with a stale estimate is corrected when it fires.
    const waitMs = Math.max(1, requests.msUntil(1), tokens.msUntil(head.tokens));
    timer = setTimeout(pump, waitMs);
  }

  return {
    acquire(estimatedTokens, signal) {
      try {
        checkTokens(estimatedTokens);
      } catch (error) {
        return Promise.reject(error);
      }
      if (estimatedTokens > tokens.capacity) {
        return Promise.reject(new RequestTooLargeError(NAME, estimatedTokens, tokens.capacity));
      }
      if (signal?.aborted) return Promise.reject(new WaitAbortedError(NAME, { cause: signal.reason }));
      if (queue.length === 0 && grantNow(estimatedTokens)) return Promise.resolve(permit(estimatedTokens, 0));
      if (queue.length >= maxQueue) return Promise.reject(new QueueFullError(NAME, maxQueue));

      return new Promise<RatePermit>((resolve, reject) => {
        const waiter: Waiter = { tokens: estimatedTokens, enqueuedAt: now(), resolve, reject, signal, onAbort: undefined };
        if (signal) {
          waiter.onAbort = () => {
            const index = queue.indexOf(waiter);
            if (index < 0) return;
            queue.splice(index, 1);
            reject(new WaitAbortedError(NAME, { cause: signal.reason }));
            // The head left: the next waiter may fit now, or need a different timer.
            if (index === 0) pump();
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        queue.push(waiter);
        if (queue.length === 1) pump();
      });
    },
    get queued() {
      return queue.length;
    },
    requests,
    tokens,
  };
}

function checkTokens(count: number): void {
  if (!Number.isFinite(count) || count < 0) {
    throw new RuntimeUsageError(`${NAME}: token count must be a finite number >= 0, got ${count}`);
  }
}
