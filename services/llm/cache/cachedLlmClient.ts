import type { z } from 'zod';
import { LlmCacheMissError, LlmCacheStoreError } from '../../errors/medistillErrors.ts';
import type { ChatJsonOptions, ChatJsonResult, LlmClient, LlmMessage } from '../llmClient.ts';
import { decodeCacheEntry, encodeCacheEntry } from './llmCacheEntry.ts';
import type { LlmCacheEvent, LlmCacheEventListener, LlmCacheOutcome } from './llmCacheEvents.ts';
import { llmCacheKey, type LlmSamplingParams } from './llmCacheKey.ts';
import type { LlmCacheStore } from './llmCacheStore.ts';

/** use: read and write; only: read, and never call the model (a miss is an LlmCacheMissError). */
export type LlmCacheMode = 'use' | 'only';

/** Settings of the caching wrapper. */
export interface CachedLlmClientOptions {
  store: LlmCacheStore;
  /** Protocol family of the client, part of the key (e.g. "openai-chat"). */
  backend: string;
  /** The client's sampling parameters, part of the key. */
  params: LlmSamplingParams;
  mode?: LlmCacheMode;
  /** Lifetime of new entries; undefined: no expiry. */
  ttlMs?: number;
  onEvent?: LlmCacheEventListener;
  /** Clock in ms since the epoch; Date.now by default. */
  now?: () => number;
}

/**
 * Puts a content-addressed response cache in front of a client: the key is the backend, model,
 * prompt version, exact messages and sampling parameters (llmCacheKey); the value the validated
 * answer with the tokens it cost. It wraps the outermost client (after the rate-limit gate, routing
 * or batching), so a hit costs no request, no rate-limit token and no money, whichever endpoint or
 * mode would have answered. A stored entry that does not parse or no longer fits the schema is
 * counted (`corrupt`) and asked again; a failing store is counted (`error`) and bypassed.
 * @example const llm = cacheLlmClient(client, { store, backend: 'openai-chat', params: { temperature: 0.2, maxTokens: 2048, jsonMode: true } });
 */
export function cacheLlmClient(client: LlmClient, options: CachedLlmClientOptions): LlmClient {
  const { store, backend, params } = options;
  const mode = options.mode ?? 'use';
  const now = options.now ?? Date.now;
  if (options.ttlMs !== undefined && !(Number.isFinite(options.ttlMs) && options.ttlMs > 0)) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${options.ttlMs}`);
  }

  const emit = (event: LlmCacheEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // instrumentation never breaks a call
    }
  };
  const lookup = (purpose: string, outcome: LlmCacheOutcome, bytes = 0, promptTokens = 0, completionTokens = 0): void =>
    emit({ type: 'llm_cache.lookup', purpose, outcome, bytes, promptTokens, completionTokens });

  async function chatJson<T>(messages: readonly LlmMessage[], schema: z.ZodType<T>, callOptions: ChatJsonOptions = {}): Promise<ChatJsonResult<T>> {
    const purpose = callOptions.purpose ?? 'chat';
    const key = llmCacheKey({ backend, model: client.model, promptVersion: callOptions.promptVersion ?? '', messages, params });
    let storeError: unknown;
    let text: string | undefined;
    try {
      text = await store.get(key);
    } catch (error) {
      if (!(error instanceof LlmCacheStoreError)) throw error;
      storeError = error;
    }
    if (storeError !== undefined) {
      lookup(purpose, 'error');
    } else if (text !== undefined) {
      const bytes = Buffer.byteLength(text);
      const decoded = decodeCacheEntry(text);
      const checked = decoded.ok ? schema.safeParse(decoded.entry.value) : null;
      if (decoded.ok && checked?.success) {
        const { usage, model } = decoded.entry;
        lookup(purpose, 'hit', bytes, usage.promptTokens, usage.completionTokens);
        return { value: checked.data, usage: { promptTokens: 0, completionTokens: 0 }, attempts: 0, model, cached: true };
      }
      lookup(purpose, 'corrupt', bytes);
    } else {
      lookup(purpose, 'miss');
    }

    if (mode === 'only') {
      throw new LlmCacheMissError(
        `no usable cached answer for this ${purpose} request to ${client.model}, and the cache-only mode forbids calling the model`,
        { cause: storeError },
      );
    }
    const result = await client.chatJson(messages, schema, callOptions);
    const createdAt = now();
    const stored = encodeCacheEntry({
      value: result.value,
      model: result.model,
      usage: result.usage,
      createdAt,
      expiresAt: options.ttlMs === undefined ? null : createdAt + options.ttlMs,
    });
    try {
      await store.set(key, stored, options.ttlMs);
      emit({ type: 'llm_cache.write', purpose, outcome: 'ok', bytes: Buffer.byteLength(stored) });
    } catch (error) {
      if (!(error instanceof LlmCacheStoreError)) throw error;
      // The answer is paid for and valid: hand it on even if it could not be kept.
      emit({ type: 'llm_cache.write', purpose, outcome: 'error', bytes: 0 });
    }
    return { ...result, cached: false };
  }

  return {
    model: client.model,
    baseUrl: client.baseUrl,
    describe: () => `${client.describe()} cache=${store.description}${mode === 'only' ? ' (cache only)' : ''}`,
    chatJson,
  };
}
