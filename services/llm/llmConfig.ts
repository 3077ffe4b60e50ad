import { z } from 'zod';
import { LlmConfigError } from '../errors/medistillErrors.ts';
import { hasUrlCredentials } from '../config/urlCredentials.ts';

/** How to fix each setting, appended to validation messages. */
const HINTS: Record<string, string> = {
  baseUrl: 'give the http(s) base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1',
  apiKey: 'give a non-empty API key; local servers that ignore keys (vLLM, Ollama, llama.cpp) accept any value such as "none"',
  model: 'give the model name the server knows, e.g. gpt-4o-mini (GET <baseUrl>/models lists them)',
  timeoutMs: 'give a whole number of milliseconds between 100 and 600000 (10 minutes)',
  maxRetries: 'give a whole number of retries between 0 and 20',
  minBackoffMs: 'give a whole number of milliseconds between 0 and 600000, not above maxBackoffMs',
  maxBackoffMs: 'give a whole number of milliseconds between 0 and 600000, not below minBackoffMs',
  maxRetryAfterMs: 'give a whole number of milliseconds between 0 and 3600000',
  temperature: 'give a number between 0 and 2',
  maxTokens: 'give a whole number of tokens between 1 and 1000000',
  jsonMode: 'give true or false (false for servers that reject response_format)',
};

/** The LLM client settings: one schema with defaults; `apiKey` is a secret and is never printed. */
export const llmConfigSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the OpenAI-compatible API, ending in /v1 for most servers'),
    apiKey: z.string().min(1).describe('API key sent as a Bearer token (secret)'),
    model: z.string().trim().min(1).describe('Model name'),
    timeoutMs: z.number().int().min(100).max(600_000).default(60_000).describe('Deadline of one attempt, body included'),
    maxRetries: z.number().int().min(0).max(20).default(4).describe('Retries on 429, 408, 409, 5xx, timeouts and connection errors'),
    minBackoffMs: z.number().int().min(0).max(600_000).default(500).describe('First backoff delay before jitter'),
    maxBackoffMs: z.number().int().min(0).max(600_000).default(30_000).describe('Largest computed backoff delay'),
    maxRetryAfterMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(60_000)
      .describe('Largest wait taken from a Retry-After header; longer server requests are cut to this'),
    temperature: z.number().min(0).max(2).default(0.2).describe('Sampling temperature'),
    maxTokens: z.number().int().min(1).max(1_000_000).default(2048).describe('max_tokens of each completion'),
    jsonMode: z.boolean().default(true).describe('Send response_format {type: "json_object"}'),
  })
  .strict()
  .refine((c) => c.minBackoffMs <= c.maxBackoffMs, { path: ['minBackoffMs'], message: 'must not exceed maxBackoffMs' })
  .refine((c) => !hasUrlCredentials(c.baseUrl), { path: ['baseUrl'], message: 'must not carry user:password; the key goes in apiKey, sent as a Bearer token' });

/** Settings as the caller writes them (defaults optional). */
export type LlmConfigInput = z.input<typeof llmConfigSchema>;
/** Settings after validation, every default filled in. */
export type LlmConfig = z.output<typeof llmConfigSchema>;

/** Validates the settings; throws LlmConfigError listing every bad setting and how to fix it. */
export function parseLlmConfig(input: LlmConfigInput): LlmConfig {
  const parsed = llmConfigSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data);
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.') || '(config)';
    const hint = HINTS[String(issue.path[0] ?? '')];
    return `${key}: ${issue.message}${hint ? ` (${hint})` : ''}`;
  });
  throw new LlmConfigError(`invalid LLM client config: ${lines.join('; ')}`);
}

/** The settings as printable text, the API key replaced by "***". */
export function describeLlmConfig(config: LlmConfig): string {
  const shown = { ...config, baseUrl: redactUrl(config.baseUrl), apiKey: '***' };
  return Object.entries(shown)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** The URL without user:password, so a base URL carrying credentials can be shown in messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
