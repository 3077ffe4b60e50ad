import OpenAI from 'openai';
import { EmbeddingsError, LlmConfigError } from '../errors/medistillErrors.ts';
import { redactUrl } from './llmConfig.ts';

/** Settings of an OpenAI-compatible `/v1/embeddings` endpoint; `apiKey` is a secret and is never printed. */
export interface EmbeddingsConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Per-request timeout (default 30000 ms). */
  timeoutMs?: number;
  /** Retries on 429, 5xx, timeouts and connection errors, by the openai client (default 2). */
  maxRetries?: number;
  /** Texts per request (default 64). */
  batchSize?: number;
}

/** Turns texts into vectors, one per text, in order. */
export interface EmbeddingsClient {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** The settings as one printable line, API key left out. */
  describe(): string;
}

/** Longest text sent, in characters: abstracts past it are cut rather than refused by the server. */
const MAX_TEXT_CHARS = 8_000;

/**
 * An embeddings client for any OpenAI-compatible server (OpenAI, vLLM, Ollama, TEI, llama.cpp),
 * through the openai package. A failure is an {@link EmbeddingsError}: retriable when the server
 * may come back, not when it refused the request or answered the wrong number of vectors.
 * @example const emb = createEmbeddingsClient({ baseUrl, apiKey, model: 'text-embedding-3-small' }); const [v] = await emb.embed(['aspirin']);
 */
export function createEmbeddingsClient(config: EmbeddingsConfig): EmbeddingsClient {
  if (!/^https?:\/\//.test(config.baseUrl)) throw new LlmConfigError(`embeddings base URL must be http(s), got "${redactUrl(config.baseUrl)}"`);
  if (!config.model) throw new LlmConfigError('embeddings model must be named, e.g. text-embedding-3-small');
  const batchSize = config.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2048) throw new LlmConfigError(`embeddings batch size must be 1..2048, got ${batchSize}`);
  const openai = new OpenAI({
    baseURL: config.baseUrl,
    apiKey: config.apiKey || 'none',
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: config.maxRetries ?? 2,
    timeout: config.timeoutMs ?? 30_000,
    logLevel: 'off',
  });

  async function embedBatch(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    let response;
    try {
      response = await openai.embeddings.create(
        { model: config.model, input: texts.map((t) => (t.length > MAX_TEXT_CHARS ? t.slice(0, MAX_TEXT_CHARS) : t)), encoding_format: 'float' },
        { signal },
      );
    } catch (err) {
      const status = (err as { status?: number }).status;
      const retriable = status === undefined || status === 429 || status >= 500;
      throw new EmbeddingsError(`embeddings request failed${status ? ` (HTTP ${status})` : ''}: ${(err as Error).message}`, { retriable, cause: err });
    }
    const data = Array.isArray(response?.data) ? response.data : [];
    if (data.length !== texts.length) {
      throw new EmbeddingsError(`embeddings endpoint answered ${data.length} vectors for ${texts.length} texts`, { retriable: false });
    }
    const out = new Array<Float32Array>(texts.length);
    for (const item of data) {
      const index = item.index;
      if (!Number.isInteger(index) || index < 0 || index >= texts.length || !Array.isArray(item.embedding) || item.embedding.length === 0) {
        throw new EmbeddingsError('embeddings endpoint answered a vector without a valid index or values', { retriable: false });
      }
      out[index] = Float32Array.from(item.embedding);
    }
    const dims = new Set(out.map((v) => v?.length));
    if (out.some((v) => v === undefined) || dims.size !== 1) throw new EmbeddingsError('embeddings endpoint answered missing or ragged vectors', { retriable: false });
    return out;
  }

  return {
    model: config.model,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await embedBatch(texts.slice(i, i + batchSize), signal)));
      return out;
    },
    describe: () => `embeddings ${config.model} at ${redactUrl(config.baseUrl)}`,
  };
}
