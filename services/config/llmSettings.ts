import { z } from 'zod';

/** How each LLM setting is read from the environment, with its description; secrets are marked. */
export const LLM_ENV = {
  baseUrl: { env: 'MEDISTILL_LLM_BASE_URL', description: 'Base URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1, http://localhost:8000/v1). Unset: rule-based backends.', secret: false },
  apiKey: { env: 'MEDISTILL_LLM_API_KEY', description: 'API key for the LLM server (falls back to OPENAI_API_KEY).', secret: true },
  model: { env: 'MEDISTILL_LLM_MODEL', description: 'Model used to generate candidates.', secret: false },
  judgeModel: { env: 'MEDISTILL_JUDGE_MODEL', description: 'Model used to judge candidates (defaults to the generation model).', secret: false },
  timeoutMs: { env: 'MEDISTILL_LLM_TIMEOUT_MS', description: 'Per-request timeout in milliseconds.', secret: false },
  maxRetries: { env: 'MEDISTILL_LLM_MAX_RETRIES', description: 'Retries on 429, 5xx, timeouts and connection errors.', secret: false },
} as const;

const settingsSchema = z
  .object({
    baseUrl: z.url({ message: `${LLM_ENV.baseUrl.env} must be a URL such as http://localhost:8000/v1` }).optional(),
    apiKey: z.string().min(1).optional(),
    model: z.string().min(1).default('gpt-4o-mini'),
    judgeModel: z.string().min(1).optional(),
    timeoutMs: z.coerce.number().int().min(100).max(600_000).default(60_000),
    maxRetries: z.coerce.number().int().min(0).max(20).default(4),
  })
  .strict();

export type LlmSettings = z.infer<typeof settingsSchema>;

/** Thrown when a setting is invalid; the message names the variable and how to fix it. */
export class ConfigError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the LLM settings from an environment (process.env by default). */
export function readLlmSettings(env: NodeJS.ProcessEnv = process.env): LlmSettings {
  const raw: Record<string, string | undefined> = {};
  for (const [key, spec] of Object.entries(LLM_ENV)) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (raw.apiKey === undefined && env.OPENAI_API_KEY) raw.apiKey = env.OPENAI_API_KEY;
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const key = String(first?.path[0] ?? '');
    const envName = key in LLM_ENV ? LLM_ENV[key as keyof typeof LLM_ENV].env : key;
    throw new ConfigError(`invalid setting ${envName}: ${first?.message ?? 'invalid value'}`);
  }
  return parsed.data;
}

/** The settings as printable lines, secrets redacted. */
export function describeLlmSettings(settings: LlmSettings): string[] {
  return (Object.keys(LLM_ENV) as (keyof typeof LLM_ENV)[]).map((key) => {
    const spec = LLM_ENV[key];
    const value = settings[key];
    const shown = value === undefined ? '(unset)' : spec.secret ? '***' : String(value);
    return `${spec.env}=${shown}`;
  });
}
