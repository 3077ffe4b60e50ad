import { z } from 'zod';
import type { LlmUsage } from '../llmClient.ts';

/** Format of a stored entry; an entry of another format is read as unusable. */
export const LLM_CACHE_ENTRY_FORMAT = 1;

/** One cached response: the validated answer, the model that gave it and what it cost. */
export interface LlmCacheEntry {
  /** The answer as JSON, already checked against the caller's schema when it was stored. */
  value: unknown;
  /** Model name the server reported. */
  model: string;
  /** Tokens the original call used, every attempt and the repair included: what a hit saves. */
  usage: LlmUsage;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; null: no expiry. */
  expiresAt: number | null;
}

const entrySchema = z
  .object({
    format: z.literal(LLM_CACHE_ENTRY_FORMAT),
    value: z.unknown(),
    model: z.string().min(1),
    usage: z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0) }).strict(),
    createdAt: z.number().int().min(0),
    expiresAt: z.number().int().min(0).nullable(),
  })
  .strict();

/** An entry as stored text. */
export function encodeCacheEntry(entry: LlmCacheEntry): string {
  return JSON.stringify({ format: LLM_CACHE_ENTRY_FORMAT, ...entry });
}

/** Reads stored text back: the entry, or why it cannot be used (not JSON, wrong shape). */
export function decodeCacheEntry(text: string): { ok: true; entry: LlmCacheEntry } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the stored entry is not JSON' };
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, problem: `the stored entry has the wrong shape (${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown'})` };
  }
  const { format: _format, ...entry } = parsed.data;
  return { ok: true, entry: entry as LlmCacheEntry };
}
