import { LlmConfigError } from '../../errors/medistillErrors.ts';
import type { LlmCacheMode } from './cachedLlmClient.ts';
import { openLevelCacheStore } from './levelCacheStore.ts';
import type { LlmCacheStore } from './llmCacheStore.ts';
import { openRedisCacheStore } from './redisCacheStore.ts';

/** Where and how to cache LLM responses. */
export interface LlmCacheSettings {
  mode: LlmCacheMode | 'off';
  /** Redis URL: the shared store; wins over `dir`. */
  url?: string;
  /** Folder of the embedded LevelDB store. */
  dir?: string;
  ttlMs?: number;
}

/** An open cache, ready to wrap clients. */
export interface OpenLlmCache {
  store: LlmCacheStore;
  mode: LlmCacheMode;
  ttlMs?: number;
}

/**
 * Opens the store the settings name (Redis when a URL is given, else LevelDB in `dir`); null when
 * the cache is off or no store is named. `only` without a store is a configuration error.
 */
export async function openLlmCache(settings: LlmCacheSettings): Promise<OpenLlmCache | null> {
  if (settings.mode === 'off') return null;
  let store: LlmCacheStore;
  if (settings.url) store = await openRedisCacheStore({ url: settings.url });
  else if (settings.dir) store = await openLevelCacheStore(settings.dir);
  else if (settings.mode === 'only') {
    throw new LlmConfigError('the cache-only mode needs a response cache: set MEDISTILL_LLM_CACHE_URL (Redis) or MEDISTILL_LLM_CACHE_DIR');
  } else return null;
  return { store, mode: settings.mode, ...(settings.ttlMs !== undefined ? { ttlMs: settings.ttlMs } : {}) };
}

/** One line for start-up logs, never credentials. */
export function describeLlmCache(cache: OpenLlmCache | null): string {
  if (!cache) return 'LLM response cache: off';
  const ttl = cache.ttlMs === undefined ? 'no expiry' : `ttl ${Math.round(cache.ttlMs / 1000)}s`;
  return `LLM response cache: ${cache.store.description} (mode ${cache.mode}, ${ttl})`;
}
