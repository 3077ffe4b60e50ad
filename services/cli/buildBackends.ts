import type { Generator } from '../generate/generator.ts';
import type { HierarchyScorer, Judge } from '../judge/judge.ts';
import type { Thresholds } from '../judge/verdict.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { createRuleBasedGenerator } from '../generate/ruleBasedGenerator.ts';
import { createRuleBasedJudge } from '../judge/ruleBasedJudge.ts';
import { createLlmClient } from '../llm/llmClient.ts';
import { createLlmGenerator } from '../generate/llmGenerator.ts';
import { createLlmJudge } from '../judge/llmJudge.ts';
import { describeLlmSettings, llmConfigured, llmSettingsFrom } from '../config/llmSettings.ts';
import type { ServiceConfig } from '../config/serviceConfig.ts';
import type { LlmEventListener } from '../llm/llmEvents.ts';
import type { LlmCallGate, LlmCallGateEvent } from '../llm/llmCallGate.ts';
import { gateLlmClient } from '../llm/gatedLlmClient.ts';
import { createEndpointPool } from '../llm/endpointPool.ts';
import { createBatchQueue } from '../llm/batchQueue.ts';
import { pricesOf } from '../llm/llmEndpoints.ts';
import type { LlmClient } from '../llm/llmClient.ts';
import type { LlmConfig } from '../llm/llmConfig.ts';
import { LlmConfigError } from '../errors/medistillErrors.ts';
import { cacheLlmClient } from '../llm/cache/cachedLlmClient.ts';
import type { OpenLlmCache } from '../llm/cache/openLlmCache.ts';
import type { LlmCacheEventListener } from '../llm/cache/llmCacheEvents.ts';

export const BACKEND_CHOICES = ['auto', 'rule-based', 'llm'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface Backends {
  generator: Generator;
  judge: Judge;
  /** Settings to print at start-up, secrets redacted. */
  settingsLines: string[];
  /** 'batch' when calls go through the Batch API (callers keep many records in flight). */
  mode: 'rule-based' | 'online' | 'batch';
  /** Stops what the backends run in the background (batch polling); waiting calls fail, retriably. */
  close(): Promise<void>;
}

/** True when the choice and configuration give LLM backends. */
export function usesLlm(choice: BackendChoice, config: ServiceConfig): boolean {
  return choice === 'llm' || (choice === 'auto' && llmConfigured(config));
}

/** Chooses the generator and judge: LLM ones when an LLM server is configured (or asked for), else rule-based. */
export function buildBackends(options: {
  choice: BackendChoice;
  config: ServiceConfig;
  env: NodeJS.ProcessEnv;
  vocab: MeshVocabulary;
  hierarchyScorer: HierarchyScorer;
  thresholds: Thresholds;
  itemsPerRecord: number;
  /** Services: LLM events for metrics, and the rate-limit and concurrency gate every call goes through. */
  llm?: {
    onEvent?: LlmEventListener;
    gate?: LlmCallGate;
    onGateEvent?: (event: LlmCallGateEvent) => void;
    /** In batch mode, names this process's batches so that a restart resumes them (e.g. the service name). */
    batchQueueName?: string;
  };
  /** The response cache in front of every LLM call (outside the gate, the endpoints and the batch queue: a hit costs nothing). */
  cache?: { open: OpenLlmCache; onEvent?: LlmCacheEventListener } | null;
}): Backends {
  const { choice, config, env, vocab, hierarchyScorer, thresholds, itemsPerRecord } = options;
  if (!usesLlm(choice, config)) {
    return {
      generator: createRuleBasedGenerator({ vocab, itemsPerRecord }),
      judge: createRuleBasedJudge({ hierarchyScorer, thresholds }),
      settingsLines: ['no LLM configured: rule-based generator and judge (items are marked generator: rule-based)'],
      mode: 'rule-based',
      close: async () => undefined,
    };
  }
  const settings = llmSettingsFrom(config, env);
  const onEvent = options.llm?.onEvent;
  let generatorClient: LlmClient;
  let judgeClient: LlmClient;
  let close = async (): Promise<void> => undefined;
  if (settings.mode === 'batch') {
    // Batch mode: every call, repairs included, becomes a line of a Batch API file on the first
    // endpoint that serves the Batch API; no rate-limit gate (the provider queues batches itself).
    const endpoint = settings.endpoints.find((e) => e.batch);
    if (!endpoint) throw new LlmConfigError('MEDISTILL_LLM_MODE=batch, but no endpoint of MEDISTILL_LLM_ENDPOINTS serves the Batch API (each says "batch": false)');
    const queue = createBatchQueue({
      endpoint: endpoint.name,
      baseUrl: endpoint.baseUrl,
      apiKey: endpoint.apiKey,
      ...settings.batch,
      // A restarted process picks up the batches its predecessor left running: nothing is paid twice.
      ...(options.llm?.batchQueueName ? { resumeAs: options.llm.batchQueueName } : {}),
      ...(onEvent ? { onEvent } : {}),
    });
    const make = (c: LlmConfig): LlmClient =>
      createLlmClient(
        { ...c, baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey },
        { send: queue.send, endpoint: endpoint.name, prices: pricesOf(endpoint).batch, ...(onEvent ? { onEvent } : {}) },
      );
    generatorClient = make(settings.generator);
    judgeClient = settings.judge.model === settings.generator.model ? generatorClient : make(settings.judge);
    close = () => queue.close();
  } else if (settings.listed) {
    const pool = createEndpointPool(settings.endpoints, {
      defaults: { model: settings.generator.model, judgeModel: settings.judge.model, timeoutMs: settings.generator.timeoutMs, maxRetries: settings.generator.maxRetries },
      ...(onEvent ? { onEvent } : {}),
      ...(options.llm?.onGateEvent ? { onGateEvent: (_endpoint: string, e: LlmCallGateEvent) => options.llm?.onGateEvent?.(e) } : {}),
    });
    generatorClient = pool.client('generator');
    judgeClient = pool.client('judge');
  } else {
    const endpoint = settings.endpoints[0];
    const build = (c: LlmConfig) => {
      const client = createLlmClient(c, { onEvent, ...(endpoint ? { endpoint: endpoint.name, prices: pricesOf(endpoint).online } : {}) });
      return options.llm?.gate ? gateLlmClient(client, options.llm.gate, c.maxTokens) : client;
    };
    generatorClient = build(settings.generator);
    judgeClient = settings.judge.model === settings.generator.model ? generatorClient : build(settings.judge);
  }
  // The response cache wraps the outermost client of every mode, so a hit skips the gate, the
  // endpoint routing and the batch queue alike.
  const cache = options.cache;
  if (cache) {
    const withCache = (client: LlmClient, c: LlmConfig): LlmClient =>
      cacheLlmClient(client, {
        store: cache.open.store,
        backend: 'openai-chat',
        params: { temperature: c.temperature, maxTokens: c.maxTokens, jsonMode: c.jsonMode },
        mode: cache.open.mode,
        ...(cache.open.ttlMs !== undefined ? { ttlMs: cache.open.ttlMs } : {}),
        ...(cache.onEvent ? { onEvent: cache.onEvent } : {}),
      });
    const shared = judgeClient === generatorClient;
    generatorClient = withCache(generatorClient, settings.generator);
    judgeClient = shared ? generatorClient : withCache(judgeClient, settings.judge);
  }
  return {
    generator: createLlmGenerator({ client: generatorClient, itemsPerRecord, vocabulary: vocab }),
    judge: createLlmJudge({ client: judgeClient, hierarchyScorer, thresholds }),
    settingsLines: describeLlmSettings(settings),
    mode: settings.mode,
    close,
  };
}
