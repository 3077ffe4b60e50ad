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
import { createFindingsGenerator } from '../generate/findingsGenerator.ts';
import { createGeneratorPair } from '../generate/generatorPair.ts';
import { defaultGeneratorSpecs, parseGeneratorSpecs, type GeneratorSpec } from '../generate/generatorSpec.ts';
import { GeneratorConfigError } from '../errors/medistillErrors.ts';
import { parseLlmConfig } from '../llm/llmConfig.ts';
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
  /** One or two generator configurations (`--generators`); default: two LLM prompts with an LLM, else the two rule-based strategies. */
  generators?: string;
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
  const useLlm = usesLlm(choice, config);
  const specs = parseGeneratorSpecs(options.generators ?? config.generators ?? defaultGeneratorSpecs(useLlm));
  const ruleBased = (spec: Extract<GeneratorSpec, { kind: 'rule-based' }>): Generator =>
    spec.strategy === 'findings' ? createFindingsGenerator({ vocab, itemsPerRecord }) : createRuleBasedGenerator({ vocab, itemsPerRecord });
  const combine = (generators: Generator[]): Generator => (generators.length === 2 ? createGeneratorPair(generators[0]!, generators[1]!) : generators[0]!);
  if (!useLlm) {
    if (specs.some((s) => s.kind === 'llm')) throw new GeneratorConfigError('an LLM generator needs an LLM: set MEDISTILL_LLM_BASE_URL, or name rule-based generators');
    const generators = specs.map((s) => ruleBased(s as Extract<GeneratorSpec, { kind: 'rule-based' }>));
    return {
      generator: combine(generators),
      judge: createRuleBasedJudge({ hierarchyScorer, thresholds }),
      settingsLines: [
        'no LLM configured: rule-based generator and judge (items are marked generator: rule-based)',
        `generators: ${generators.map((g) => g.name).join(', ')}`,
      ],
      mode: 'rule-based',
      close: async () => undefined,
    };
  }
  const settings = llmSettingsFrom(config, env);
  const onEvent = options.llm?.onEvent;
  let generatorClient: LlmClient;
  let judgeClient: LlmClient;
  let close = async (): Promise<void> => undefined;
  /** A client for another generator model or endpoint (`--generators llm:<model>@<url>`), built the way this mode builds its clients. */
  let clientFor: (c: LlmConfig) => LlmClient = () => {
    throw new GeneratorConfigError('with MEDISTILL_LLM_ENDPOINTS, the two LLM generators differ by prompt only (e.g. llm,llm#hierarchy): the endpoint list decides models and endpoints');
  };
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
    const refuse = clientFor;
    // The batch queue serves one endpoint: another model on it, yes; another endpoint, no.
    clientFor = (c) => (c.baseUrl === settings.generator.baseUrl ? make(c) : refuse(c));
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
    clientFor = build;
  }
  // The response cache wraps the outermost client of every mode, so a hit skips the gate, the
  // endpoint routing and the batch queue alike.
  const cache = options.cache;
  const withCache = (client: LlmClient, c: LlmConfig): LlmClient =>
    cache
      ? cacheLlmClient(client, {
          store: cache.open.store,
          backend: 'openai-chat',
          params: { temperature: c.temperature, maxTokens: c.maxTokens, jsonMode: c.jsonMode },
          mode: cache.open.mode,
          ...(cache.open.ttlMs !== undefined ? { ttlMs: cache.open.ttlMs } : {}),
          ...(cache.onEvent ? { onEvent: cache.onEvent } : {}),
        })
      : client;
  const shared = judgeClient === generatorClient;
  generatorClient = withCache(generatorClient, settings.generator);
  judgeClient = shared ? generatorClient : withCache(judgeClient, settings.judge);
  const settingsLines = describeLlmSettings(settings);
  const generators = specs.map((spec): Generator => {
    if (spec.kind === 'rule-based') return ruleBased(spec);
    if (spec.model === null && spec.baseUrl === null) return createLlmGenerator({ client: generatorClient, itemsPerRecord, vocabulary: vocab, promptStyle: spec.prompt });
    // Another model or endpoint: the configured settings with those changed (the key and limits are shared).
    const own = parseLlmConfig({ ...settings.generator, model: spec.model ?? settings.generator.model, baseUrl: spec.baseUrl ?? settings.generator.baseUrl });
    settingsLines.push(`other generator LLM: ${own.model} at ${own.baseUrl}`);
    return createLlmGenerator({ client: withCache(clientFor(own), own), itemsPerRecord, vocabulary: vocab, promptStyle: spec.prompt });
  });
  settingsLines.push(`generators: ${generators.map((g) => `${g.name} (${g.promptVersion})`).join(', ')}`);
  return {
    generator: combine(generators),
    judge: createLlmJudge({ client: judgeClient, hierarchyScorer, thresholds }),
    settingsLines,
    mode: settings.mode,
    close,
  };
}
