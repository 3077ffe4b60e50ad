import { Redis } from 'ioredis';
import { LlmCacheStoreError } from '../../errors/medistillErrors.ts';
import { redactUrl } from '../llmConfig.ts';
import { decodeCacheEntry } from './llmCacheEntry.ts';
import type { CacheStoreStats, LlmCacheStore, PruneOptions, PruneResult } from './llmCacheStore.ts';

/** Settings of the shared store. */
export interface RedisCacheStoreOptions {
  /** redis:// or rediss:// URL, optionally with user:password and a database number. */
  url: string;
  /** Prefix of every key, so one Redis can hold other data too. Default "medistill:llm:". */
  prefix?: string;
  /** Deadline of one command. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Deadline of the first connection. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/** Keys looked at per SCAN step during a prune or a count. */
const SCAN_COUNT = 500;

/**
 * The store the Kafka services share: Redis, so every replica of generate and judge sees the
 * answers any of them paid for. Entries expire natively (SET ... PX) and also carry their expiry.
 * Connects (and PINGs) before returning, so a wrong URL fails at start-up, not at the first call.
 * @example const store = await openRedisCacheStore({ url: 'redis://127.0.0.1:6379/0' });
 */
export async function openRedisCacheStore(options: RedisCacheStoreOptions): Promise<LlmCacheStore> {
  const prefix = options.prefix ?? 'medistill:llm:';
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch (cause) {
    throw new LlmCacheStoreError('the LLM cache URL is not a URL: give redis://host:port[/db]', { retriable: false, cause });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new LlmCacheStoreError(`the LLM cache URL must start with redis:// or rediss://, got ${parsed.protocol}//`, { retriable: false });
  }
  const shown = redactUrl(options.url);
  const client = new Redis(options.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    enableOfflineQueue: true,
    // Bounded reconnects: a cache that is gone must not stall the pipeline; calls fail and go to the model.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis prints every connection error; failures surface through the commands instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (cause) {
    client.disconnect();
    throw new LlmCacheStoreError(`cannot reach the LLM response cache at ${shown}: ${(cause as Error).message}`, { retriable: true, cause });
  }
  const fail = (what: string, cause: unknown): never => {
    throw new LlmCacheStoreError(`LLM response cache at ${shown}: ${what} failed: ${(cause as Error).message}`, { retriable: true, cause });
  };

  async function* scanKeys(): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }

  return {
    description: `redis:${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`,
    async get(key) {
      try {
        return (await client.get(prefix + key)) ?? undefined;
      } catch (cause) {
        return fail('read', cause);
      }
    },
    async set(key, text, ttlMs) {
      try {
        if (ttlMs === undefined) await client.set(prefix + key, text);
        else await client.set(prefix + key, text, 'PX', Math.max(1, Math.round(ttlMs)));
      } catch (cause) {
        fail('write', cause);
      }
    },
    async delete(key) {
      try {
        await client.del(prefix + key);
      } catch (cause) {
        fail('delete', cause);
      }
    },
    async prune(pruneOptions: PruneOptions = {}): Promise<PruneResult> {
      const at = pruneOptions.now ?? Date.now();
      let scanned = 0;
      let removed = 0;
      try {
        for await (const keys of scanKeys()) {
          const values = await client.mget(...keys);
          const doomed: string[] = [];
          keys.forEach((key, i) => {
            const text = values[i];
            if (text === null || text === undefined) return; // expired between SCAN and MGET
            scanned++;
            const decoded = decodeCacheEntry(text);
            const stale =
              !decoded.ok ||
              (decoded.entry.expiresAt !== null && decoded.entry.expiresAt <= at) ||
              (pruneOptions.createdBefore !== undefined && decoded.entry.createdAt < pruneOptions.createdBefore);
            if (stale) doomed.push(key);
          });
          if (doomed.length > 0) removed += await client.del(...doomed);
        }
      } catch (cause) {
        fail('prune', cause);
      }
      return { scanned, removed };
    },
    async stats(): Promise<CacheStoreStats> {
      let entries = 0;
      let bytes = 0;
      try {
        for await (const keys of scanKeys()) {
          const pipeline = client.pipeline();
          for (const key of keys) pipeline.strlen(key);
          for (const [error, length] of (await pipeline.exec()) ?? []) {
            if (error) throw error;
            entries++;
            bytes += Number(length);
          }
        }
      } catch (cause) {
        fail('stats', cause);
      }
      return { entries, bytes };
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
