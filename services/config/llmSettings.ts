import { parseLlmConfig, describeLlmConfig, type LlmConfig } from '../llm/llmConfig.ts';
import { LlmConfigError } from '../llm/llmErrors.ts';

/** Environment variables of the LLM settings, with what each one means. Secrets are marked. */
export const LLM_ENV = {
  MEDISTILL_LLM_BASE_URL: { key: 'baseUrl', description: 'Base URL of an OpenAI-compatible API (https://api.openai.com/v1, http://localhost:8000/v1, ...). Unset: the rule-based backends run.', secret: false },
  MEDISTILL_LLM_API_KEY: { key: 'apiKey', description: 'API key (falls back to OPENAI_API_KEY; local servers accept any value).', secret: true },
  MEDISTILL_LLM_MODEL: { key: 'model', description: 'Model that generates candidates (default gpt-4o-mini).', secret: false },
  MEDISTILL_JUDGE_MODEL: { key: 'judgeModel', description: 'Model that judges candidates (default: the generation model).', secret: false },
  MEDISTILL_LLM_TIMEOUT_MS: { key: 'timeoutMs', description: 'Per-request timeout in milliseconds (default 60000).', secret: false },
  MEDISTILL_LLM_MAX_RETRIES: { key: 'maxRetries', description: 'Retries on 429, 5xx, timeouts and connection errors (default 4).', secret: false },
} as const;

export interface LlmSettings {
  generator: LlmConfig;
  judge: LlmConfig;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: keyof typeof LLM_ENV): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new LlmConfigError(`invalid setting ${name}: "${value}" is not a whole number`);
  return n;
}

/** True when the environment names an LLM server. */
export function llmConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.MEDISTILL_LLM_BASE_URL);
}

/**
 * Reads the LLM settings from the environment and validates them with the client's own schema,
 * so the names, defaults and checks live in one place.
 */
export function readLlmSettings(env: NodeJS.ProcessEnv): LlmSettings {
  const baseUrl = env.MEDISTILL_LLM_BASE_URL;
  if (!baseUrl) throw new LlmConfigError('MEDISTILL_LLM_BASE_URL is not set: give the base URL of an OpenAI-compatible API, or use --backend rule-based');
  const apiKey = env.MEDISTILL_LLM_API_KEY || env.OPENAI_API_KEY;
  if (!apiKey) throw new LlmConfigError('no API key: set MEDISTILL_LLM_API_KEY (or OPENAI_API_KEY); local servers accept any value such as "none"');
  const model = env.MEDISTILL_LLM_MODEL || 'gpt-4o-mini';
  const common = {
    baseUrl,
    apiKey,
    timeoutMs: wholeNumber(env, 'MEDISTILL_LLM_TIMEOUT_MS'),
    maxRetries: wholeNumber(env, 'MEDISTILL_LLM_MAX_RETRIES'),
  };
  return {
    generator: parseLlmConfig({ ...common, model }),
    judge: parseLlmConfig({ ...common, model: env.MEDISTILL_JUDGE_MODEL || model }),
  };
}

/** The settings as printable lines, the key redacted. */
export function describeLlmSettings(settings: LlmSettings): string[] {
  return [`generator LLM: ${describeLlmConfig(settings.generator)}`, `judge LLM: ${describeLlmConfig(settings.judge)}`];
}
