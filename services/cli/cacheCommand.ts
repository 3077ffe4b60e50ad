import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from '../errors/medistillErrors.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { parseDuration } from '../config/duration.ts';
import { openLevelCacheStore } from '../llm/cache/levelCacheStore.ts';
import { openRedisCacheStore } from '../llm/cache/redisCacheStore.ts';
import type { LlmCacheStore } from '../llm/cache/llmCacheStore.ts';
import { defaultCacheDir } from './runCommand.ts';

export const CACHE_USAGE = `usage: medistill cache stats [--cache-dir <dir>]
       medistill cache prune [--older-than <duration>] [--cache-dir <dir>]

Looks after the LLM response cache: the Redis of MEDISTILL_LLM_CACHE_URL when set, else the folder
of --cache-dir, MEDISTILL_LLM_CACHE_DIR or the default of medistill run.
  stats         entries and bytes
  prune         removes expired and unreadable entries, and with --older-than (e.g. 90d) every
                entry created longer ago than that`;

/** `medistill cache stats|prune`: prints what the cache holds, or removes old entries. */
export async function cacheCommand(argv: string[], io: { stdout: NodeJS.WriteStream; env: NodeJS.ProcessEnv }): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { 'cache-dir': { type: 'string' }, 'older-than': { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${CACHE_USAGE}`);
  }
  const [action, ...extra] = parsed.positionals;
  if ((action !== 'stats' && action !== 'prune') || extra.length > 0) throw new UsageError(`cache needs one action, stats or prune\n${CACHE_USAGE}`);
  const olderThan = parsed.values['older-than'];
  if (olderThan !== undefined && action !== 'prune') throw new UsageError('--older-than goes with prune');
  const olderThanMs = olderThan === undefined ? undefined : parseDuration('--older-than', olderThan);
  const config = loadServiceConfig(io.env);
  const dir = parsed.values['cache-dir'];
  const store: LlmCacheStore =
    config.llmCacheUrl && dir === undefined
      ? await openRedisCacheStore({ url: config.llmCacheUrl })
      : await openLevelCacheStore(resolve(dir ?? config.llmCacheDir ?? defaultCacheDir(io.env)));
  try {
    if (action === 'stats') {
      const s = await store.stats();
      io.stdout.write(`${store.description}: ${s.entries} entries, ${s.bytes} bytes\n`);
    } else {
      const r = await store.prune(olderThanMs === undefined ? {} : { createdBefore: Date.now() - olderThanMs });
      io.stdout.write(`${store.description}: ${r.removed} of ${r.scanned} entries removed\n`);
    }
  } finally {
    await store.close();
  }
}
