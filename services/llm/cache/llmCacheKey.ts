import { createHash } from 'node:crypto';
import type { LlmMessage } from '../llmClient.ts';

/** Version of the key layout: bump it and every earlier entry stops matching (a cold cache, never a wrong hit). */
export const LLM_CACHE_KEY_VERSION = 1;

/** Sampling parameters that change what a model answers. */
export interface LlmSamplingParams {
  temperature: number;
  maxTokens: number;
  jsonMode: boolean;
}

/** Everything that decides a response: what was asked, of which model, how. */
export interface LlmCacheKeyInput {
  /** The protocol family, e.g. "openai-chat"; endpoints of one family serving one model answer alike. */
  backend: string;
  model: string;
  /** The caller's prompt version (e.g. "generate-v1"); an empty string when it has none. */
  promptVersion: string;
  messages: readonly LlmMessage[];
  params: LlmSamplingParams;
}

/**
 * The content address of a request: SHA-256 (hex) over a canonical JSON of the backend, model,
 * prompt version, the exact messages and the sampling parameters. The endpoint URL and the key are
 * left out on purpose: any endpoint of the same backend serving the same model may answer a hit.
 * @example llmCacheKey({ backend: 'openai-chat', model: 'gpt-4o-mini', promptVersion: 'judge-v1', messages, params })
 */
export function llmCacheKey(input: LlmCacheKeyInput): string {
  const canonical = JSON.stringify([
    LLM_CACHE_KEY_VERSION,
    input.backend,
    input.model,
    input.promptVersion,
    input.messages.map((m) => [m.role, m.content]),
    [input.params.temperature, input.params.maxTokens, input.params.jsonMode],
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
