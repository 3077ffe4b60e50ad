import { parseLlmConfig, describeLlmConfig, type LlmConfig } from '../llm/llmConfig.ts';
import { LlmConfigError } from '../errors/medistillErrors.ts';
import type { ServiceConfig } from './serviceConfig.ts';

export interface LlmSettings {
  generator: LlmConfig;
  judge: LlmConfig;
}

/** True when the configuration names an LLM server. */
export function llmConfigured(config: ServiceConfig): boolean {
  return config.llmBaseUrl !== undefined;
}

/**
 * The LLM client settings of the generator and the judge, from the service configuration
 * (MEDISTILL_LLM_*), validated by the client's own schema. OPENAI_API_KEY is the key's fallback.
 */
export function llmSettingsFrom(config: ServiceConfig, env: NodeJS.ProcessEnv): LlmSettings {
  if (!config.llmBaseUrl) {
    throw new LlmConfigError('MEDISTILL_LLM_BASE_URL is not set: give the base URL of an OpenAI-compatible API, or use the rule-based backend');
  }
  const apiKey = config.llmApiKey ?? env.OPENAI_API_KEY;
  if (!apiKey) throw new LlmConfigError('no API key: set MEDISTILL_LLM_API_KEY (or OPENAI_API_KEY); local servers accept any value such as "none"');
  const common = { baseUrl: config.llmBaseUrl, apiKey, timeoutMs: config.llmTimeoutMs, maxRetries: config.llmMaxRetries };
  return {
    generator: parseLlmConfig({ ...common, model: config.llmModel }),
    judge: parseLlmConfig({ ...common, model: config.judgeModel ?? config.llmModel }),
  };
}

/** The settings as printable lines, the key redacted. */
export function describeLlmSettings(settings: LlmSettings): string[] {
  return [`generator LLM: ${describeLlmConfig(settings.generator)}`, `judge LLM: ${describeLlmConfig(settings.judge)}`];
}
