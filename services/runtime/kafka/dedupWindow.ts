import { RuntimeConfigError } from '../../errors/medistillErrors.ts';

/** A bounded set of recently seen keys, for dropping redelivered records. */
export interface DedupWindow {
  /** True when the key was seen recently (and refreshes it); otherwise remembers it and returns false. */
  seen(key: string): boolean;
  /** True when the key is remembered; unlike `seen`, changes nothing. */
  has(key: string): boolean;
  /** Forgets one key, e.g. when its record failed and a redelivery must be processed again. */
  forget(key: string): boolean;
  clear(): void;
  readonly size: number;
  readonly maxSize: number;
}

/**
 * Creates an LRU window of at most `maxSize` keys: when full, the least recently seen key is
 * evicted. A Map keeps insertion order, so re-inserting a key on a hit moves it to the young
 * end and the first key is always the oldest; both operations are O(1).
 */
export function createDedupWindow(maxSize: number): DedupWindow {
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new RuntimeConfigError(`dedup window: maxSize must be an integer >= 1, got ${maxSize}`);
  }
  const keys = new Map<string, true>();

  return {
    seen(key) {
      if (keys.delete(key)) {
        keys.set(key, true);
        return true;
      }
      if (keys.size >= maxSize) {
        const oldest = keys.keys().next();
        if (!oldest.done) keys.delete(oldest.value);
      }
      keys.set(key, true);
      return false;
    },
    has(key) {
      return keys.has(key);
    },
    forget(key) {
      return keys.delete(key);
    },
    clear() {
      keys.clear();
    },
    get size() {
      return keys.size;
    },
    maxSize,
  };
}
