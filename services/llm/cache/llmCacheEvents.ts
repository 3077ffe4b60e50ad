/** What a cache lookup found. */
export type LlmCacheOutcome =
  /** A usable answer: no request sent. */
  | 'hit'
  /** Nothing stored (or expired). */
  | 'miss'
  /** Something stored that does not parse or no longer matches the caller's schema; the model is asked again. */
  | 'corrupt'
  /** The store failed (Redis down, disk error); the model is asked, the answer may not be kept. */
  | 'error';

/** Instrumentation events of the response cache; metrics subscribe. Labels are small fixed sets. */
export type LlmCacheEvent =
  | {
      type: 'llm_cache.lookup';
      purpose: string;
      outcome: LlmCacheOutcome;
      /** Bytes read from the store (0 on a miss). */
      bytes: number;
      /** Tokens the original call used: what a hit saved (0 unless outcome is hit). */
      promptTokens: number;
      completionTokens: number;
    }
  | { type: 'llm_cache.write'; purpose: string; outcome: 'ok' | 'error'; bytes: number };

/** Receives every cache event; must not throw (errors it throws are swallowed). */
export type LlmCacheEventListener = (event: LlmCacheEvent) => void;
