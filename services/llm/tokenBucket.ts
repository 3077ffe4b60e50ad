import { RuntimeConfigError, RuntimeUsageError } from '../errors/medistillErrors.ts';

/** Settings of a token bucket. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds (the burst); it starts full. */
  capacity: number;
  /** Tokens added per minute, continuously (not in steps). */
  perMinute: number;
  /** Clock in milliseconds; Date.now by default (fake timers replace it in tests). */
  now?: () => number;
}

/** A token bucket with continuous refill; its balance may go below zero after a debit. */
export interface TokenBucket {
  readonly capacity: number;
  readonly perMinute: number;
  /** Tokens available now (negative while a debit is being paid back). */
  available(): number;
  /** Takes `count` tokens if they are all available now; never partly. */
  tryTake(count: number): boolean;
  /** Milliseconds until `count` tokens will be available (0 when they are); Infinity above capacity. */
  msUntil(count: number): number;
  /** Takes tokens unconditionally, possibly going negative: a late correction of an underestimate. */
  debit(count: number): void;
  /** Gives tokens back (an overestimate, or a request that never went out), up to capacity. */
  refund(count: number): void;
}

/**
 * Floating-point slack: refill is computed from elapsed milliseconds, so a timer that fires at
 * the computed instant may see 4.9999999 of 5 tokens. Treating that as 5 avoids a spin of 1 ms timers.
 */
const EPSILON = 1e-6;

/** Creates a full token bucket. */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { capacity, perMinute } = options;
  if (!Number.isFinite(capacity) || capacity <= 0) {
    throw new RuntimeConfigError(`token bucket: capacity must be a positive number, got ${capacity}`);
  }
  if (!Number.isFinite(perMinute) || perMinute <= 0) {
    throw new RuntimeConfigError(`token bucket: perMinute must be a positive number, got ${perMinute}`);
  }
  const now = options.now ?? Date.now;
  const perMs = perMinute / 60_000;
  let tokens = capacity;
  let updatedAt = now();

  function refill(): void {
    const at = now();
    // A clock that steps back (or a test that rewinds) must not drain the bucket.
    if (at > updatedAt) tokens = Math.min(capacity, tokens + (at - updatedAt) * perMs);
    updatedAt = at;
  }

  return {
    capacity,
    perMinute,
    available() {
      refill();
      return tokens;
    },
    tryTake(count) {
      checkCount(count);
      refill();
      if (tokens + EPSILON < count) return false;
      tokens -= count;
      return true;
    },
    msUntil(count) {
      checkCount(count);
      if (count > capacity) return Number.POSITIVE_INFINITY;
      refill();
      const missing = count - tokens;
      return missing <= EPSILON ? 0 : Math.ceil(missing / perMs);
    },
    debit(count) {
      checkCount(count);
      refill();
      tokens -= count;
    },
    refund(count) {
      checkCount(count);
      refill();
      tokens = Math.min(capacity, tokens + count);
    },
  };
}

function checkCount(count: number): void {
  if (!Number.isFinite(count) || count < 0) {
    throw new RuntimeUsageError(`token bucket: token count must be a finite number >= 0, got ${count}`);
  }
}
