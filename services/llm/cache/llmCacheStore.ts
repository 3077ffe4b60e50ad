/** What a prune removes: expired entries always, and those created before `createdBefore` when given. */
export interface PruneOptions {
  /** Milliseconds since the epoch; entries created earlier are removed too. */
  createdBefore?: number;
  /** Clock for expiry; Date.now by default. */
  now?: number;
}

/** What a prune did. */
export interface PruneResult {
  scanned: number;
  removed: number;
}

/** Size of a store, for `medistill cache stats`. */
export interface CacheStoreStats {
  entries: number;
  /** Bytes of the stored entries (values, keys left out). */
  bytes: number;
}

/**
 * Where cached LLM responses live, by content address. Two engines implement it: LevelDB (embedded,
 * one process) and Redis (shared by every replica). Values are opaque text; expiry is in the entry and,
 * where the engine has it, also native (Redis PX).
 */
export interface LlmCacheStore {
  /** Short name for logs: "leveldb:<dir>" or "redis:<host:port>" (never credentials). */
  readonly description: string;
  get(key: string): Promise<string | undefined>;
  /** Stores text under key; ttlMs undefined means no expiry. */
  set(key: string, text: string, ttlMs: number | undefined): Promise<void>;
  delete(key: string): Promise<void>;
  prune(options?: PruneOptions): Promise<PruneResult>;
  stats(): Promise<CacheStoreStats>;
  close(): Promise<void>;
}
