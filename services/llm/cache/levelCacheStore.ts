import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { LlmCacheStoreError } from '../../errors/medistillErrors.ts';
import { decodeCacheEntry } from './llmCacheEntry.ts';
import type { CacheStoreStats, LlmCacheStore, PruneOptions, PruneResult } from './llmCacheStore.ts';

/** Entries removed per LevelDB batch during a prune. */
const PRUNE_BATCH = 500;

/**
 * The embedded store of `medistill run`: a LevelDB folder that survives restarts. One process at a
 * time may open it (LevelDB's lock); the services share Redis instead. Expiry is kept in the entry:
 * an expired entry reads as absent and is deleted on the way, and `prune` sweeps the rest.
 * @example const store = await openLevelCacheStore('~/.cache/medistill/llm-responses');
 */
export async function openLevelCacheStore(dir: string, options: { now?: () => number } = {}): Promise<LlmCacheStore> {
  const now = options.now ?? Date.now;
  const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8' });
  try {
    await mkdir(dir, { recursive: true });
    await db.open();
  } catch (cause) {
    const locked = /lock/i.test(String((cause as { cause?: unknown }).cause ?? cause));
    throw new LlmCacheStoreError(
      locked
        ? `cannot open the LLM response cache in ${dir}: another process holds it (one process per cache folder; the services share Redis through MEDISTILL_LLM_CACHE_URL)`
        : `cannot open the LLM response cache in ${dir}: ${(cause as Error).message}`,
      { retriable: false, cause },
    );
  }
  const fail = (what: string, cause: unknown): never => {
    throw new LlmCacheStoreError(`LLM response cache in ${dir}: ${what} failed: ${(cause as Error).message}`, { retriable: true, cause });
  };

  return {
    description: `leveldb:${dir}`,
    async get(key) {
      let text: string | undefined;
      try {
        text = await db.get(key);
      } catch (cause) {
        return fail('read', cause);
      }
      if (text === undefined) return undefined;
      const decoded = decodeCacheEntry(text);
      // An unusable entry is handed up so the caller can count it; only a readable, expired one is hidden.
      if (decoded.ok && decoded.entry.expiresAt !== null && decoded.entry.expiresAt <= now()) {
        await db.del(key).catch(() => undefined);
        return undefined;
      }
      return text;
    },
    async set(key, text) {
      try {
        await db.put(key, text);
      } catch (cause) {
        fail('write', cause);
      }
    },
    async delete(key) {
      try {
        await db.del(key);
      } catch (cause) {
        fail('delete', cause);
      }
    },
    async prune(pruneOptions: PruneOptions = {}): Promise<PruneResult> {
      const at = pruneOptions.now ?? now();
      let scanned = 0;
      let removed = 0;
      let doomed: string[] = [];
      const flush = async () => {
        if (doomed.length === 0) return;
        await db.batch(doomed.map((key) => ({ type: 'del' as const, key })));
        removed += doomed.length;
        doomed = [];
      };
      try {
        for await (const [key, text] of db.iterator()) {
          scanned++;
          const decoded = decodeCacheEntry(text);
          const stale =
            !decoded.ok ||
            (decoded.entry.expiresAt !== null && decoded.entry.expiresAt <= at) ||
            (pruneOptions.createdBefore !== undefined && decoded.entry.createdAt < pruneOptions.createdBefore);
          if (stale) doomed.push(key);
          if (doomed.length >= PRUNE_BATCH) await flush();
        }
        await flush();
      } catch (cause) {
        fail('prune', cause);
      }
      return { scanned, removed };
    },
    async stats(): Promise<CacheStoreStats> {
      let entries = 0;
      let bytes = 0;
      try {
        for await (const value of db.values()) {
          entries++;
          bytes += Buffer.byteLength(value);
        }
      } catch (cause) {
        fail('stats', cause);
      }
      return { entries, bytes };
    },
    async close() {
      await db.close();
    },
  };
}
