import { parseArgs } from 'node:util';
import { runService, type StageContext } from '../runtime/kafka/runService.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { createKafkaClient } from '../runtime/kafka/createKafkaClient.ts';
import { TOPICS } from '../contracts/avroSchemas.ts';
import { RuntimeConfigError, UsageError } from '../errors/medistillErrors.ts';
import type { KafkaStage } from '../runtime/kafka/stageRunner.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createHierarchyScorer } from '../mesh/meshSimilarity.ts';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { createAnnotateStage } from '../stages/annotateStage.ts';
import { createGenerateStage } from '../stages/generateStage.ts';
import { createJudgeStage } from '../stages/judgeStage.ts';
import { kafkaStageOf } from '../runtime/kafka/kafkaStageOf.ts';
import { openExportStore, type ExportCheckpoint } from '../export/exportStore.ts';
import { createExportStage } from '../stages/exportStage.ts';
import { createSnapshotSchedule } from '../export/snapshotSchedule.ts';
import { createPreferencesStage } from '../stages/preferencesStage.ts';
import { createPreferencesExportStage } from '../stages/preferencesExportStage.ts';
import { DEFAULT_THRESHOLDS } from '../judge/verdict.ts';
import { createLlmRateLimiter } from '../llm/llmRateLimiter.ts';
import { createAimdConcurrency } from '../llm/aimdConcurrency.ts';
import { createLlmCallGate, type LlmCallGate } from '../llm/llmCallGate.ts';
import type { LlmEvent } from '../llm/llmEvents.ts';
import { createLlmMetrics } from '../metrics/llmMetrics.ts';
import { createLlmEndpointMetrics } from '../metrics/llmEndpointMetrics.ts';
import type { LlmCallGateEvent } from '../llm/llmCallGate.ts';
import { subscribeQualityMetrics } from '../metrics/qualityMetrics.ts';
import { cacheSavingPrices, llmConfigured } from '../config/llmSettings.ts';
import { buildBackends, usesLlm } from './buildBackends.ts';
import { subscribeLlmCacheMetrics } from '../metrics/llmCacheMetrics.ts';
import { describeLlmCache, openLlmCache } from '../llm/cache/openLlmCache.ts';
import { parseDuration } from '../config/duration.ts';
import { buildRetrieval } from './buildRetrieval.ts';
import { createIndexStage } from '../stages/indexStage.ts';
import { subscribeRetrievalMetrics } from '../metrics/retrievalMetrics.ts';
import { bundledMeshPath } from './runCommand.ts';
import { createNeighbourAnnotation } from '../annotate/neighbourAnnotation.ts';

export const STAGE_SERVICES = ['annotate', 'index', 'generate', 'judge', 'preferences', 'export'] as const;
export type StageServiceName = (typeof STAGE_SERVICES)[number];

async function loadVocab(ctx: StageContext) {
  const path = ctx.config.meshPath ?? bundledMeshPath();
  const vocab = await loadMeshVocabulary(path);
  ctx.log(`mesh: ${vocab.version}`);
  return vocab;
}

/**
 * The LLM gate of a service: requests and tokens per minute, and a concurrency limit that halves
 * when the server says 429 (seen through the client's retry events) and grows back slowly.
 */
function buildLlmGate(name: StageServiceName, ctx: StageContext): { gate: LlmCallGate; onEvent: (e: LlmEvent) => void; onGateEvent: (e: LlmCallGateEvent) => void } {
  const { config, instrumentation: bus } = ctx;
  const metrics = createLlmMetrics(ctx.registry, { service: name, pricePer1kInput: config.llmPricePer1kInput, pricePer1kOutput: config.llmPricePer1kOutput });
  const endpointMetrics = createLlmEndpointMetrics(ctx.registry, name);
  bus.on('llm.*', (e) => endpointMetrics.onLlmEvent(e as LlmEvent));
  const concurrency = createAimdConcurrency({ maxLimit: config.llmMaxConcurrency });
  metrics.watchConcurrency(() => concurrency.limit);
  const rateLimiter = createLlmRateLimiter({ requestsPerMinute: config.llmRequestsPerMinute, tokensPerMinute: config.llmTokensPerMinute });
  const gate = createLlmCallGate({ rateLimiter, concurrency, onEvent: metrics.onGateEvent });
  bus.on('llm.*', (e) => metrics.onLlmEvent(e as LlmEvent));
  bus.on('llm.retry', (e) => {
    if (e.reason === 'rate_limited') concurrency.onOverload(e.delayMs);
  });
  return { gate, onEvent: (e) => bus.emit(e), onGateEvent: metrics.onGateEvent };
}

/** The generator and judge of a service: LLM ones behind the gate when an LLM is configured, else rule-based. */
async function buildServiceBackends(name: StageServiceName, ctx: StageContext) {
  const vocab = await loadVocab(ctx);
  const { config } = ctx;
  // The response cache all replicas share (Redis), or an embedded one for a single replica.
  const cache = usesLlm('auto', config)
    ? await openLlmCache({
        mode: config.llmCacheMode,
        ...(config.llmCacheUrl ? { url: config.llmCacheUrl } : {}),
        ...(config.llmCacheDir ? { dir: config.llmCacheDir } : {}),
        ...(config.llmCacheTtl ? { ttlMs: parseDuration('MEDISTILL_LLM_CACHE_TTL', config.llmCacheTtl) } : {}),
      })
    : null;
  if (usesLlm('auto', config)) {
    ctx.log(describeLlmCache(cache));
    subscribeLlmCacheMetrics(ctx.registry, { service: name, ...cacheSavingPrices(config, ctx.env) }, ctx.instrumentation);
  }
  const backends = buildBackends({
    choice: 'auto',
    cache: cache ? { open: cache, onEvent: (e) => ctx.instrumentation.emit(e) } : null,
    config: ctx.config,
    env: ctx.env,
    vocab,
    hierarchyScorer: createHierarchyScorer(vocab),
    thresholds: DEFAULT_THRESHOLDS,
    itemsPerRecord: ctx.config.itemsPerRecord,
    // Rule-based backends make no LLM call: no gate, and no LLM metrics that would always read zero.
    llm: llmConfigured(ctx.config) ? { ...buildLlmGate(name, ctx), batchQueueName: `medistill-${name}` } : undefined,
  });
  for (const line of backends.settingsLines) ctx.log(line);
  return { ...backends, vocab };
}

/**
 * In batch mode a record waits for its batch (minutes to hours), so an LLM stage keeps a whole
 * batch file of records in flight by default instead of 64; their offsets are committed only when
 * their results have been produced, as always.
 */
function inBatchMode(stage: KafkaStage, mode: string, ctx: StageContext): KafkaStage {
  if (mode !== 'batch') return stage;
  return { ...stage, defaultMaxInFlight: ctx.config.llmBatchMaxRequests };
}

/** Builds the Kafka stage of a service from its configuration (export: one per topic it consumes). */
export async function buildStage(name: StageServiceName, ctx: StageContext): Promise<KafkaStage | KafkaStage[]> {
  const { instrumentation } = ctx;
  if (name !== 'export' && name !== 'index') subscribeQualityMetrics(ctx.registry, name, instrumentation);
  if (name === 'index' || name === 'judge' || (name === 'annotate' && ctx.config.meshNeighbours)) subscribeRetrievalMetrics(ctx.registry, name, instrumentation);
  const asKafka = (definition: Parameters<typeof kafkaStageOf>[0]) => kafkaStageOf(definition, { codeVersion: ctx.codeVersion, instrumentation });
  switch (name) {
    case 'annotate': {
      const vocab = await loadVocab(ctx);
      if (!ctx.config.meshNeighbours) return asKafka(createAnnotateStage({ ctx: createAnnotateContext(vocab) }));
      if (!ctx.config.indexDir) throw new RuntimeConfigError('MEDISTILL_MESH_NEIGHBOURS needs MEDISTILL_INDEX_DIR: the folder an index service beside annotate writes');
      // Like the judge: the indexer beside it materialises pubmed.annotated.v1 into the folder, annotate only reads.
      const retrieval = buildRetrieval({ dir: ctx.config.indexDir, config: ctx.config, env: ctx.env, vocab });
      for (const line of retrieval.settingsLines) ctx.log(line);
      ctx.log('mesh neighbours: on (records without NLM headings also get the MeSH of their nearest indexed papers)');
      return asKafka(createAnnotateStage({ ctx: createAnnotateContext(vocab), neighbours: createNeighbourAnnotation(retrieval.index, vocab) }));
    }
    case 'generate': {
      const backends = await buildServiceBackends(name, ctx);
      return inBatchMode(asKafka(createGenerateStage({ generator: backends.generator })), backends.mode, ctx);
    }
    case 'index': {
      // Each judge replica's indexer (same pod, shared folder) materialises the whole topic: give it a group of its own.
      if (!ctx.config.indexDir) throw new RuntimeConfigError('the index service needs MEDISTILL_INDEX_DIR (the folder its judge reads)');
      const vocab = await loadVocab(ctx);
      const retrieval = buildRetrieval({ dir: ctx.config.indexDir, config: ctx.config, env: ctx.env, vocab });
      for (const line of retrieval.settingsLines) ctx.log(line);
      return asKafka(createIndexStage({ index: retrieval.index, embeddings: retrieval.embeddings }));
    }
    case 'judge': {
      const backends = await buildServiceBackends(name, ctx);
      if (!ctx.config.indexDir) {
        ctx.log('retrieval: off (MEDISTILL_INDEX_DIR unset)');
        return inBatchMode(asKafka(createJudgeStage({ judge: backends.judge })), backends.mode, ctx);
      }
      // The indexer beside it writes the folder; the judge only reads (SQLite WAL: readers see committed writes).
      const retrieval = buildRetrieval({ dir: ctx.config.indexDir, config: ctx.config, env: ctx.env, vocab: backends.vocab });
      for (const line of retrieval.settingsLines) ctx.log(line);
      return inBatchMode(asKafka(createJudgeStage({ judge: backends.judge, grounder: retrieval.grounder })), backends.mode, ctx);
    }
    case 'preferences':
      return asKafka(createPreferencesStage({ margin: ctx.config.preferenceMargin }));
    case 'export': {
      const store = await openExportStore({ outDir: ctx.config.exportDir });
      const restored = await store.checkpoint();
      ctx.log(`export: ${restored.papers} papers restored from ${ctx.config.exportDir.replace(/\/+$/, '')}.state`);
      const snapshots = createSnapshotSchedule({
        outDir: ctx.config.exportDir,
        intervalMs: ctx.config.exportSnapshotIntervalMs,
        onSnapshot: (r) => ctx.log(`export: published snapshot ${r.snapshot.version} (id ${r.snapshot.id}, ${r.snapshot.accepted} accepted items) in ${r.dir}`),
        onError: (err) => ctx.log(`export: snapshot failed, trying again after the next checkpoint: ${err instanceof Error ? err.message : String(err)}`),
      });
      const onCheckpoint = (c: ExportCheckpoint): void => {
        ctx.log(`export: ${c.papers} papers, ${c.accepted} accepted items in ${c.files.accepted}, ${c.preferences} preference pairs (${c.shardsWritten} of ${c.shards} shards written)`);
        snapshots.afterCheckpoint();
      };
      // Items and pairs go into one store: one runner per topic, both checkpointing it before they commit.
      return [asKafka(createExportStage({ target: store, onCheckpoint })), asKafka(createPreferencesExportStage({ target: store }))];
    }
  }
}

/** `medistill annotate|generate|judge|export`: runs one stage as a Kafka service until SIGTERM. */
export function stageServiceCommand(name: StageServiceName, env: NodeJS.ProcessEnv): Promise<number> {
  return runService({ name, env, buildStage: (ctx) => buildStage(name, ctx) });
}

/** Which service consumes each topic. */
const CONSUMER_OF: Record<string, StageServiceName> = {
  [TOPICS.records]: 'annotate',
  [TOPICS.annotated]: 'generate',
  [TOPICS.candidates]: 'judge',
  [TOPICS.judged]: 'export',
};

export const REPLAY_USAGE = `usage: medistill replay --topic <topic> --from <offset|timestamp|earliest> --group <new group>

Re-consumes a topic under a new consumer group, with the service that consumes it
(${Object.entries(CONSUMER_OF).map(([t, s]) => `${t} → ${s}`).join(', ')}).
--from is an offset applied to every partition, "earliest", or a time (ISO 8601 or ms since epoch).
Outputs carry the code, prompt and model versions, so a new prompt or model regenerates downstream
data and the export keeps the newest version of each item.`;

/** Parses --from: a bare integer is an offset, "earliest" the start, anything else a timestamp. */
export function parseReplayFrom(from: string): { kind: 'offset'; offset: string } | { kind: 'timestamp'; ms: number } | { kind: 'earliest' } {
  if (from === 'earliest') return { kind: 'earliest' };
  if (/^\d+$/.test(from) && from.length < 12) return { kind: 'offset', offset: from };
  const ms = /^\d+$/.test(from) ? Number(from) : Date.parse(from);
  if (!Number.isFinite(ms)) throw new UsageError(`--from must be an offset, "earliest" or a time (ISO 8601 or ms since epoch), got "${from}"`);
  return { kind: 'timestamp', ms };
}

/** `medistill replay`: positions a new consumer group on the topic, then runs the consuming service under it. */
export async function replayCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { topic: { type: 'string' }, from: { type: 'string' }, group: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${REPLAY_USAGE}`);
  }
  if (!values.topic || !values.from || !values.group) throw new UsageError(`--topic, --from and --group are required\n${REPLAY_USAGE}`);
  const service = CONSUMER_OF[values.topic];
  if (!service) throw new UsageError(`no service consumes "${values.topic}"; replayable topics: ${Object.keys(CONSUMER_OF).join(', ')}`);
  const from = parseReplayFrom(values.from);
  const config = loadServiceConfig(env, { groupId: values.group });
  const kafka = createKafkaClient(config, 'medistill-replay', (l) => process.stderr.write(`${l}\n`));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups = await admin.describeGroups([values.group]);
    const state = groups.groups[0]?.state;
    if (state && state !== 'Dead' && state !== 'Empty') throw new UsageError(`consumer group "${values.group}" is active (${state}); replay needs a new or idle group`);
    const ends = await admin.fetchTopicOffsets(values.topic);
    let partitions: { partition: number; offset: string }[];
    if (from.kind === 'offset') partitions = ends.map((e) => ({ partition: e.partition, offset: from.offset }));
    else if (from.kind === 'earliest') partitions = ends.map((e) => ({ partition: e.partition, offset: e.low }));
    else partitions = (await admin.fetchTopicOffsetsByTimestamp(values.topic, from.ms)).map((p) => ({ partition: p.partition, offset: p.offset }));
    await admin.setOffsets({ groupId: values.group, topic: values.topic, partitions });
    process.stderr.write(`replay: ${values.group} positioned on ${values.topic} at ${partitions.map((p) => `${p.partition}:${p.offset}`).join(' ')}\n`);
  } finally {
    await admin.disconnect();
  }
  return runService({ name: service, env, overrides: { groupId: values.group }, buildStage: (ctx) => buildStage(service, ctx) });
}
