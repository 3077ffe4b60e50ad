import { parseLlmConfig, describeLlmConfig, type LlmConfig } from '../llm/llmConfig.ts';
import { describeEndpoint, parseEndpointList, type LlmEndpoint } from '../llm/llmEndpoints.ts';
import type { LlmMode } from '../llm/llmEvents.ts';
import { LlmConfigError } from '../errors/medistillErrors.ts';
import type { ServiceConfig } from './serviceConfig.ts';

/** How batch mode gathers, submits and polls. */
export interface LlmBatchSettings {
  maxRequests: number;
  maxWaitMs: number;
  pollMs: number;
  maxSubmissions: number;
}

export interface LlmSettings {
  generator: LlmConfig;
  judge: LlmConfig;
  /** The endpoint list (MEDISTILL_LLM_ENDPOINTS), or one endpoint named "default" built from MEDISTILL_LLM_BASE_URL. */
  endpoints: LlmEndpoint[];
  /** True when the operator gave a list; false for the single MEDISTILL_LLM_BASE_URL. */
  listed: boolean;
  mode: LlmMode;
  batch: LlmBatchSettings;
}

/** True when the configuration names an LLM server. */
export function llmConfigured(config: ServiceConfig): boolean {
  return config.llmBaseUrl !== undefined || config.llmEndpoints !== undefined;
}

/**
 * The LLM client settings of the generator and the judge, from the service configuration
 * (MEDISTILL_LLM_*), validated by the client's own schema. OPENAI_API_KEY is the key's fallback.
 * With MEDISTILL_LLM_ENDPOINTS the list is used and each key comes from the variable it names.
 */
export function llmSettingsFrom(config: ServiceConfig, env: NodeJS.ProcessEnv): LlmSettings {
  const batch = {
    maxRequests: config.llmBatchMaxRequests,
    maxWaitMs: config.llmBatchMaxWaitMs,
    pollMs: config.llmBatchPollMs,
    maxSubmissions: config.llmBatchMaxSubmissions,
  };
  const judgeModel = config.judgeModel ?? config.llmModel;
  if (config.llmEndpoints !== undefined) {
    if (config.llmBaseUrl !== undefined) {
      throw new LlmConfigError('MEDISTILL_LLM_BASE_URL and MEDISTILL_LLM_ENDPOINTS are both set: give one endpoint by its URL, or several as a list');
    }
    const endpoints = parseEndpointList(config.llmEndpoints, env);
    const first = endpoints[0] as LlmEndpoint;
    const common = { baseUrl: first.baseUrl, apiKey: first.apiKey, timeoutMs: first.timeoutMs ?? config.llmTimeoutMs, maxRetries: config.llmMaxRetries };
    return {
      generator: parseLlmConfig({ ...common, model: config.llmModel }),
      judge: parseLlmConfig({ ...common, model: judgeModel }),
      endpoints,
      listed: true,
      mode: config.llmMode,
      batch,
    };
  }
  if (!config.llmBaseUrl) {
    throw new LlmConfigError('MEDISTILL_LLM_BASE_URL is not set: give the base URL of an OpenAI-compatible API (or MEDISTILL_LLM_ENDPOINTS), or use the rule-based backend');
  }
  const apiKey = config.llmApiKey ?? env.OPENAI_API_KEY;
  if (!apiKey) throw new LlmConfigError('no API key: set MEDISTILL_LLM_API_KEY (or OPENAI_API_KEY); local servers accept any value such as "none"');
  const common = { baseUrl: config.llmBaseUrl, apiKey, timeoutMs: config.llmTimeoutMs, maxRetries: config.llmMaxRetries };
  const generator = parseLlmConfig({ ...common, model: config.llmModel });
  const single: LlmEndpoint = Object.freeze({
    name: 'default',
    baseUrl: generator.baseUrl,
    apiKeyEnv: config.llmApiKey === undefined ? 'OPENAI_API_KEY' : 'MEDISTILL_LLM_API_KEY',
    apiKey,
    weight: 1,
    rpm: config.llmRequestsPerMinute,
    tpm: config.llmTokensPerMinute,
    maxConcurrency: config.llmMaxConcurrency,
    pricePer1kInput: config.llmPricePer1kInput,
    pricePer1kOutput: config.llmPricePer1kOutput,
    batch: true,
    ...(config.llmBatchPricePer1kInput === undefined ? {} : { batchPricePer1kInput: config.llmBatchPricePer1kInput }),
    ...(config.llmBatchPricePer1kOutput === undefined ? {} : { batchPricePer1kOutput: config.llmBatchPricePer1kOutput }),
  });
  return {
    generator,
    judge: parseLlmConfig({ ...common, model: judgeModel }),
    endpoints: [single],
    listed: false,
    mode: config.llmMode,
    batch,
  };
}

/** The settings as printable lines, the keys redacted. */
export function describeLlmSettings(settings: LlmSettings): string[] {
  const lines = settings.listed
    ? [`generator model: ${settings.generator.model}; judge model: ${settings.judge.model}`, ...settings.endpoints.map((e) => `LLM endpoint ${describeEndpoint(e)}`)]
    : [`generator LLM: ${describeLlmConfig(settings.generator)}`, `judge LLM: ${describeLlmConfig(settings.judge)}`];
  if (settings.mode === 'batch') {
    const b = settings.batch;
    lines.push(`LLM mode: batch (Batch API; up to ${b.maxRequests} requests per file, submitted after ${b.maxWaitMs} ms at most, polled every ${b.pollMs} ms, ${b.maxSubmissions} submissions per request)`);
  }
  return lines;
}

/**
 * The prices behind "money saved" by the response cache: what the first endpoint charges online per
 * 1,000 tokens (with one endpoint, MEDISTILL_LLM_PRICE_PER_1K_*). A hit could have gone anywhere;
 * the first endpoint is the one a list names as preferred.
 */
export function cacheSavingPrices(config: ServiceConfig, env: NodeJS.ProcessEnv): { pricePer1kInput: number; pricePer1kOutput: number } {
  const fallback = { pricePer1kInput: config.llmPricePer1kInput, pricePer1kOutput: config.llmPricePer1kOutput };
  if (config.llmEndpoints === undefined) return fallback;
  try {
    const first = llmSettingsFrom(config, env).endpoints[0];
    return first ? { pricePer1kInput: first.pricePer1kInput, pricePer1kOutput: first.pricePer1kOutput } : fallback;
  } catch {
    // A bad list fails where the backends are built, with its own message.
    return fallback;
  }
}
