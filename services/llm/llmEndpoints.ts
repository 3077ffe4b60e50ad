import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LlmConfigError } from '../errors/medistillErrors.ts';
import { redactUrl } from './llmConfig.ts';

/** Names allowed as an endpoint's metric label: short, fixed, chosen by the operator. */
const ENDPOINT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Names allowed for the variable that holds an endpoint's key. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One OpenAI-compatible endpoint as the operator writes it (MEDISTILL_LLM_ENDPOINTS). The key is never written here. */
export const llmEndpointSchema = z
  .object({
    name: z.string().regex(ENDPOINT_NAME, 'must be 1-32 characters of a-z, 0-9, "_" or "-", starting with a letter or digit').describe('Label in metrics and logs'),
    baseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the API, ending in /v1 for most servers'),
    apiKeyEnv: z.string().regex(ENV_NAME, 'must be the name of an environment variable').describe('Environment variable holding the key'),
    model: z.string().trim().min(1).optional().describe('Generation model on this endpoint (default: MEDISTILL_LLM_MODEL)'),
    judgeModel: z.string().trim().min(1).optional().describe('Judge model on this endpoint (default: the endpoint model, else MEDISTILL_JUDGE_MODEL)'),
    weight: z.number().positive().max(1000).default(1).describe('Share of the traffic relative to the others'),
    rpm: z.number().int().min(1).max(1_000_000).describe('Requests per minute allowed on this endpoint'),
    tpm: z.number().int().min(1).max(100_000_000).describe('Tokens per minute allowed on this endpoint'),
    burstRequests: z.number().int().min(1).optional().describe('Requests that may leave at once after a quiet spell (default: one second of rpm)'),
    maxConcurrency: z.number().int().min(1).max(1000).default(16).describe('Upper bound of concurrent requests (AIMD adapts below it)'),
    maxRetries: z.number().int().min(0).max(20).optional().describe('Retries on this endpoint before failing over (default 1 with several endpoints)'),
    timeoutMs: z.number().int().min(100).max(600_000).optional().describe('Per-request timeout (default MEDISTILL_LLM_TIMEOUT_MS)'),
    pricePer1kInput: z.number().min(0).default(0).describe('Price of 1,000 prompt tokens'),
    pricePer1kOutput: z.number().min(0).default(0).describe('Price of 1,000 completion tokens'),
    batchPricePer1kInput: z.number().min(0).optional().describe('Price of 1,000 prompt tokens through the Batch API (default: pricePer1kInput)'),
    batchPricePer1kOutput: z.number().min(0).optional().describe('Price of 1,000 completion tokens through the Batch API (default: pricePer1kOutput)'),
    batch: z.boolean().default(true).describe('Whether this endpoint serves /v1/files and /v1/batches (batch mode uses the first that does)'),
  })
  .strict();

/** An endpoint after validation, its key read from the environment. */
export type LlmEndpoint = Readonly<z.output<typeof llmEndpointSchema>> & {
  /** The key itself: a secret, never printed (describeEndpoint leaves it out). */
  readonly apiKey: string;
};

/** Prices of one endpoint per 1,000 tokens, by mode. */
export interface EndpointPrices {
  online: { input: number; output: number };
  batch: { input: number; output: number };
}

/** The prices of an endpoint; batch prices default to the online ones (no saving is claimed unless configured). */
export function pricesOf(endpoint: LlmEndpoint): EndpointPrices {
  return {
    online: { input: endpoint.pricePer1kInput, output: endpoint.pricePer1kOutput },
    batch: { input: endpoint.batchPricePer1kInput ?? endpoint.pricePer1kInput, output: endpoint.batchPricePer1kOutput ?? endpoint.pricePer1kOutput },
  };
}

const HINT =
  'MEDISTILL_LLM_ENDPOINTS is a JSON array (or @path/to/file.json) of {"name": "east", "baseUrl": "https://api.example.com/v1", ' +
  '"apiKeyEnv": "EAST_API_KEY", "rpm": 300, "tpm": 150000, ...}; keys live in the variables named by apiKeyEnv, never in the list';

/**
 * Reads the endpoint list: JSON text, or `@file` naming a JSON file. Every problem is reported at
 * once with the endpoint's position and name; a key written into the list, a variable that is not
 * set, a bad URL and a duplicate name are refused.
 *
 * @example
 * parseEndpointList('[{"name":"a","baseUrl":"http://127.0.0.1:8000/v1","apiKeyEnv":"A_KEY","rpm":300,"tpm":90000}]', { A_KEY: 'sk-example' });
 */
export function parseEndpointList(text: string, env: NodeJS.ProcessEnv): LlmEndpoint[] {
  let source = text.trim();
  if (source.startsWith('@')) {
    const file = source.slice(1);
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new LlmConfigError(`cannot read the endpoint list ${file}: ${(error as Error).message}`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (error) {
    throw new LlmConfigError(`the endpoint list is not JSON (${(error as Error).message}); ${HINT}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new LlmConfigError(`the endpoint list must be a non-empty JSON array; ${HINT}`);
  const problems: string[] = [];
  const endpoints: LlmEndpoint[] = [];
  const seen = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    const label = `endpoint ${index + 1}${isNamed(entry) ? ` ("${entry.name}")` : ''}`;
    if (isNamed(entry)) {
      if (seen.has(entry.name)) problems.push(`${label}: the name "${entry.name}" is used twice; names label the metrics and must differ`);
      seen.add(entry.name);
    }
    if (typeof entry === 'object' && entry !== null && ('apiKey' in entry || 'key' in entry)) {
      problems.push(`${label}: holds a key; put it in an environment variable and name that variable in apiKeyEnv`);
      return;
    }
    const parsed = llmEndpointSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.map(String).join('.') || '(entry)';
        // A bad URL is echoed without any credentials it may carry.
        const shown = field === 'baseUrl' && isRecord(entry) && typeof entry.baseUrl === 'string' ? ` (got ${JSON.stringify(redactUrl(entry.baseUrl))})` : '';
        problems.push(`${label}: ${field}: ${issue.message}${shown}`);
      }
      return;
    }
    const e = parsed.data;
    const apiKey = env[e.apiKeyEnv];
    if (apiKey === undefined || apiKey === '') {
      problems.push(`${label}: the variable ${e.apiKeyEnv} named by apiKeyEnv is not set (local servers accept any value such as "none")`);
      return;
    }
    endpoints.push(Object.freeze({ ...e, apiKey }));
  });
  if (problems.length > 0) throw new LlmConfigError(`invalid LLM endpoint list: ${problems.join('; ')}`);
  return endpoints;
}

/** One printable line of an endpoint: everything but the key; credentials in the URL removed. */
export function describeEndpoint(e: LlmEndpoint): string {
  const prices = pricesOf(e);
  return (
    `${e.name}: ${redactUrl(e.baseUrl)} key=$${e.apiKeyEnv} weight=${e.weight} rpm=${e.rpm} tpm=${e.tpm} maxConcurrency=${e.maxConcurrency}` +
    ` price/1k=${prices.online.input}/${prices.online.output} batch price/1k=${prices.batch.input}/${prices.batch.output}` +
    `${e.model ? ` model=${e.model}` : ''}${e.judgeModel ? ` judgeModel=${e.judgeModel}` : ''}${e.batch ? '' : ' batch=off'}`
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNamed(value: unknown): value is { name: string } {
  return isRecord(value) && typeof value.name === 'string' && ENDPOINT_NAME.test(value.name);
}
