import { mkdir, rm, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { packageRoot } from '../config/packageRoot.ts';
import { resolveInputFiles, readPubmedInputs } from '../ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { createHierarchyScorer } from '../mesh/meshSimilarity.ts';
import { createFailureLog } from '../runtime/inprocess/failureLog.ts';
import { runPipeline, type RunResult } from '../runtime/inprocess/runPipeline.ts';
import { CARD_FILE, openExportStore, type ExportCheckpoint } from '../export/exportStore.ts';
import { DATA_DIR, MANIFEST_FILE, STATS_DIR } from '../export/exportManifest.ts';
import { encodeJsonRow, FAILURE_FEATURES } from '../export/datasetFeatures.ts';
import { writeParquetOfJsonl } from '../export/parquetEncoding.ts';

/** Every input part the run could not process, one JSON line each; always written, empty when none. */
const FAILURES_FILE = 'failures.jsonl';
/** The same rows in Parquet: the card's `failures` configuration (datasets reads a folder with one builder). */
const FAILURES_PARQUET = 'failures.parquet';
import { createInstrumentation } from '../instrumentation/instrumentation.ts';
import { createAnnotateStage } from '../stages/annotateStage.ts';
import { createGenerateStage } from '../stages/generateStage.ts';
import { createJudgeStage } from '../stages/judgeStage.ts';
import { createExportStage } from '../stages/exportStage.ts';
import { createIndexStage } from '../stages/indexStage.ts';
import { createNeighbourAnnotation } from '../annotate/neighbourAnnotation.ts';
import { withSideSink } from '../stages/withSideSink.ts';
import { buildRetrieval, type RetrievalParts } from './buildRetrieval.ts';
import { createPreferencesStage } from '../stages/preferencesStage.ts';
import { createPreferencesExportStage } from '../stages/preferencesExportStage.ts';
import { GENERATORS_SYNTAX } from '../generate/generatorSpec.ts';
import { createProgressReporter } from './progressReporter.ts';
import { formatSummary, type RunSummary } from './formatSummary.ts';
import { UsageError } from '../errors/medistillErrors.ts';
import { positiveInt, wholeNumber } from './numericFlags.ts';
import { buildBackends, BACKEND_CHOICES, usesLlm, type BackendChoice } from './buildBackends.ts';
import { cacheSavingPrices } from '../config/llmSettings.ts';
import { parseThresholds } from './parseThresholds.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { redactUrlCredentials } from '../config/urlCredentials.ts';
import { MAX_LINGER_MS, serveRunMetrics } from '../metrics/serveRunMetrics.ts';
import { describeLlmCache, openLlmCache, type OpenLlmCache } from '../llm/cache/openLlmCache.ts';
import { parseDuration } from '../config/duration.ts';
import type { ServiceConfig } from '../config/serviceConfig.ts';

export const RUN_USAGE = `usage: medistill run --input <file|folder|glob> [--input ...] [--mesh <desc.xml[.gz]>] [--out <dir>]
                     [--limit N] [--concurrency N] [--backend auto|rule-based|llm]
                     [--items-per-record N] [--threshold criterion=value,...] [--quiet]
                     [--llm-mode online|batch] [--index <dir>] [--retrieval on|off] [--retrieval-k N]
                     [--mesh-neighbours]
                     [--metrics-port N [--linger-ms N]]
                     [--no-cache | --cache-only] [--cache-dir <dir>] [--cache-ttl <duration>]
                     [--generators G1,G2] [--preference-margin X]

Runs the whole chain in one process: ingest, annotate, generate (two generators), judge, export,
and the preference pairs of the two generators' candidates.
  --input              PubMed XML (.xml or .xml.gz): a file, a folder or a glob; repeatable
  --mesh               NLM MeSH descriptor XML (desc20XX.xml[.gz]); default: the bundled sample subset
  --out                output folder (default out/), a Hugging Face dataset folder: README.md (the card,
                       with the configurations default, rejected and failures), data/*.parquet and
                       data/*.jsonl shards, manifest.json, failures.jsonl (always; empty when nothing
                       failed) and summary.json
  --quiet              no progress and no settings lines on stderr; only the closing summary
  --limit              stop after N input entries
  --concurrency        records in flight (default 4; in batch mode MEDISTILL_LLM_BATCH_MAX_REQUESTS)
  --backend            auto (default: llm when MEDISTILL_LLM_BASE_URL is set, else rule-based)
  --items-per-record   candidates asked per record (default 3)
  --threshold          minimum judge scores, e.g. grounded=0.7,hierarchy=0.2,retrieval=0.3
  --llm-mode           online (default) or batch: LLM calls gathered into OpenAI Batch API files
                       (half price at OpenAI, results within 24 h); MEDISTILL_LLM_MODE by default
  --index              literature index folder (default <out>.index); kept across runs: every annotated
                       abstract is added, and what is already there is not indexed again
  --retrieval          on (default): judge retrieves each question's top documents from the index and
                       scores their MeSH against the paper's; off: no index, the criterion says so
  --retrieval-k        documents retrieved per question (default 5)
  --mesh-neighbours    records without NLM headings also get the MeSH of their nearest indexed papers
                       (source neighbours), as NLM's MTI does with related citations
  --generators         one or two generators; two write a candidate each per target, and the judged
                       pairs become preference data (default: two LLM prompts with an LLM, else
                       rule-based:cloze,rule-based:findings); ${GENERATORS_SYNTAX.replace(/\n/g, '\n                       ')}
  --preference-margin  least difference of combined judge scores for a preference pair (default 0.05)
  --metrics-port       serve Prometheus /metrics on this port while the run goes on (0: any free port)
  --linger-ms          keep serving metrics this long after the run, for a last scrape (default 0)
  --no-cache           neither read nor write the LLM response cache: every call goes to the model
  --cache-only         answer LLM calls from the cache only, never call the model (a miss is a counted failure)
  --cache-dir          folder of the LLM response cache (default MEDISTILL_LLM_CACHE_DIR, else
                       $XDG_CACHE_HOME/medistill/llm-responses or ~/.cache/medistill/llm-responses);
                       MEDISTILL_LLM_CACHE_URL (Redis) takes precedence
  --cache-ttl          lifetime of new cache entries, e.g. 30d (default MEDISTILL_LLM_CACHE_TTL, else no expiry)
LLM settings come from the environment: MEDISTILL_LLM_BASE_URL, MEDISTILL_LLM_API_KEY (or
OPENAI_API_KEY), MEDISTILL_LLM_MODEL, MEDISTILL_JUDGE_MODEL, MEDISTILL_LLM_TIMEOUT_MS,
MEDISTILL_LLM_MAX_RETRIES; several endpoints from MEDISTILL_LLM_ENDPOINTS; batch mode from
MEDISTILL_LLM_BATCH_* (see the README); hybrid retrieval from MEDISTILL_EMBEDDINGS_BASE_URL,
MEDISTILL_EMBEDDINGS_MODEL, MEDISTILL_EMBEDDINGS_API_KEY.`;

/** The bundled MeSH subset used when --mesh is not given. */
export function bundledMeshPath(): string {
  return join(packageRoot(), 'samples/mesh/desc2024-sample.xml.gz');
}

/** `medistill run`: parses its flags, runs the pipeline and prints the closing summary. */
export async function runCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; env: NodeJS.ProcessEnv }): Promise<RunSummary> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', multiple: true },
        mesh: { type: 'string' },
        out: { type: 'string', default: 'out' },
        limit: { type: 'string' },
        concurrency: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        'items-per-record': { type: 'string' },
        generators: { type: 'string' },
        'preference-margin': { type: 'string' },
        threshold: { type: 'string', multiple: true },
        quiet: { type: 'boolean', default: false },
        'metrics-port': { type: 'string' },
        'linger-ms': { type: 'string' },
        'llm-mode': { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        'cache-only': { type: 'boolean', default: false },
        'cache-dir': { type: 'string' },
        'cache-ttl': { type: 'string' },
        index: { type: 'string' },
        retrieval: { type: 'string', default: 'on' },
        'retrieval-k': { type: 'string' },
        'mesh-neighbours': { type: 'boolean', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${RUN_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input?.length) throw new UsageError(`--input is required\n${RUN_USAGE}`);
  const backend = v.backend as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v.backend}"`);
  }
  const limit = v.limit === undefined ? undefined : positiveInt('limit', v.limit, 1);
  const llmMode = v['llm-mode'];
  if (llmMode !== undefined && llmMode !== 'online' && llmMode !== 'batch') throw new UsageError(`--llm-mode must be online or batch, got "${llmMode}"`);
  const itemsPerRecord = positiveInt('items-per-record', v['items-per-record'], 3);
  const thresholds = parseThresholds(v.threshold ?? []);
  const margin = v['preference-margin'] === undefined ? undefined : Number(v['preference-margin']);
  if (margin !== undefined && !(Number.isFinite(margin) && margin >= 0 && margin <= 1)) {
    throw new UsageError(`--preference-margin must be a number from 0 to 1, got "${v['preference-margin']}"`);
  }
  const metricsPort = v['metrics-port'] === undefined ? undefined : wholeNumber('metrics-port', v['metrics-port'], 65_535);
  const lingerMs = v['linger-ms'] === undefined ? 0 : wholeNumber('linger-ms', v['linger-ms'], MAX_LINGER_MS);
  if (v['no-cache'] && v['cache-only']) throw new UsageError('--no-cache and --cache-only exclude each other');
  const outDir = resolve(v.out ?? 'out');
  if (v.retrieval !== 'on' && v.retrieval !== 'off') throw new UsageError(`--retrieval must be on or off, got "${v.retrieval}"`);
  const retrievalK = positiveInt('retrieval-k', v['retrieval-k'], 5);
  if (retrievalK > 100) throw new UsageError(`--retrieval-k must be at most 100, got ${retrievalK}`);
  const indexDir = resolve(v.index ?? `${outDir}.index`);
  if (v['mesh-neighbours'] && v.retrieval === 'off') throw new UsageError('--mesh-neighbours needs the literature index: drop --retrieval off');
  const log = (line: string): void => {
    if (!v.quiet) io.stderr.write(`${redactUrlCredentials(line)}\n`);
  };

  // Fail fast on settings and inputs before loading anything heavy.
  const config = loadServiceConfig(io.env, { llmMode });
  // A record in batch mode waits for its batch: keep a whole batch file of records in flight.
  const concurrency = positiveInt('concurrency', v.concurrency, config.llmMode === 'batch' && backend !== 'rule-based' ? config.llmBatchMaxRequests : 4);
  const files = await resolveInputFiles(v.input);
  const meshPath = v.mesh ?? bundledMeshPath();
  if (!v.mesh) log(`mesh: no --mesh given, using the bundled MeSH subset (${meshPath})`);
  const vocab = await loadMeshVocabulary(meshPath);
  const annotateCtx = createAnnotateContext(vocab);
  const hierarchyScorer = createHierarchyScorer(vocab);
  // One event bus for the run: stages and LLM clients report on it, metrics and the summary listen.
  const bus = createInstrumentation();
  const observed =
    metricsPort === undefined
      ? null
      : await serveRunMetrics(
          {
            service: 'run',
            port: metricsPort,
            host: config.metricsHost,
            // With an endpoint list every request event carries its own cost; these prices are the
            // fallback and what a cache hit is taken to save.
            ...cacheSavingPrices(config, io.env),
          },
          bus,
        );
  if (observed) log(`metrics: serving /metrics on ${config.metricsHost}:${observed.port}`);
  let cache: OpenLlmCache | null = null;
  let retrieval: RetrievalParts | null = null;
  try {
    if (usesLlm(backend, config)) {
      cache = await openLlmCache(runCacheSettings(config, io.env, { noCache: v['no-cache'] === true, cacheOnly: v['cache-only'] === true, dir: v['cache-dir'], ttl: v['cache-ttl'] }));
    }
    const backends = buildBackends({
      choice: backend,
      config,
      env: io.env,
      vocab,
      hierarchyScorer,
      thresholds,
      itemsPerRecord,
      llm: { onEvent: (e) => bus.emit(e), batchQueueName: 'medistill-run' },
      cache: cache ? { open: cache, onEvent: (e) => bus.emit(e) } : null,
      generators: v.generators,
    });
    log(`input: ${files.length} file(s); mesh: ${vocab.version}; generator: ${backends.generator.name}; judge: ${backends.judge.name}`);
    for (const line of backends.settingsLines) log(`  ${line}`);
    if (usesLlm(backend, config)) log(`  ${describeLlmCache(cache)}`);
    const cacheTally = { hit: 0, miss: 0, corrupt: 0, error: 0 };
    bus.on('llm_cache.lookup', (e) => void cacheTally[e.outcome]++);
    retrieval = v.retrieval === 'on' ? buildRetrieval({ dir: indexDir, config, env: io.env, vocab, k: retrievalK }) : null;
    for (const line of retrieval?.settingsLines ?? ['retrieval: off']) log(`  ${line}`);

    await mkdir(outDir, { recursive: true });
    // A run writes a fresh dataset: what an earlier run left in the folder does not carry over.
    await clearExport(outDir);
    const failures = createFailureLog(resolve(outDir, FAILURES_FILE), (e) => encodeJsonRow(FAILURE_FEATURES, e));
    // failures.jsonl is a configuration of the dataset folder too, typed like the shards.
    const store = await openExportStore({
      outDir,
      meshVersion: vocab.version,
      extraConfigs: () => (failures.count > 0 ? [{ name: 'failures', dataFiles: FAILURES_PARQUET, features: FAILURE_FEATURES, rows: failures.count }] : []),
    });
    const progress = createProgressReporter({ stream: io.stderr });
    let snapshot = { records: 0, accepted: 0, failed: 0, fraction: null as number | null };
    const fileIndex = new Map(files.map((f, i) => [f, i]));

    const neighbours = retrieval && v['mesh-neighbours'] ? createNeighbourAnnotation(retrieval.index, vocab) : undefined;
    const annotate = createAnnotateStage({ ctx: annotateCtx, neighbours });
    const stages = [
      // Every annotated abstract goes into the literature index before its candidates are judged.
      retrieval ? withSideSink(annotate, createIndexStage({ index: retrieval.index, embeddings: retrieval.embeddings })) : annotate,
      createGenerateStage({ generator: backends.generator }),
      createJudgeStage({ judge: backends.judge, grounder: retrieval?.grounder }),
      createExportStage({ target: store }),
      createPreferencesStage({ margin: margin ?? config.preferenceMargin }),
      createPreferencesExportStage({ target: store }),
    ];
    let run: RunResult;
    let exported: ExportCheckpoint;
    try {
      run = await runPipeline({
        items: readPubmedInputs(files),
        stages,
        failures,
        limit,
        concurrency,
        instrumentation: bus,
        onProgress: (p) => {
          const idx = p.source === null ? undefined : fileIndex.get(p.source);
          snapshot = { records: p.entries, accepted: p.accepted, failed: p.failed, fraction: idx === undefined ? null : idx / files.length };
          if (!v.quiet) progress.update(snapshot);
        },
      });
      if (failures.count > 0) await writeParquetOfJsonl(resolve(outDir, FAILURES_FILE), resolve(outDir, FAILURES_PARQUET), FAILURE_FEATURES);
      // The export stage checkpointed at the end of the run; this reads what the dataset holds and
      // writes the card again with the failures configuration.
      exported = await store.checkpoint();
    } finally {
      await backends.close();
      await store.close();
    }
    if (!v.quiet) progress.finish({ ...snapshot, fraction: 1 });
    if (cache) {
      log(`LLM response cache: ${cacheTally.hit} hits, ${cacheTally.miss} misses, ${cacheTally.corrupt} unusable entries, ${cacheTally.error} store errors`);
    }

    const result: RunSummary = {
      ...run,
      exported: exported.accepted,
      duplicatesDropped: exported.duplicates,
      removed: exported.removed,
      preferencePairs: exported.preferences,
    };
    await writeFile(resolve(outDir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
    io.stdout.write(`${formatSummary(result, { outDir, failuresLogged: failures.count, dataset: exported.files })}\n`);
    return result;
  } finally {
    await cache?.store.close().catch(() => undefined);
    retrieval?.close();
    await observed?.close(lingerMs);
  }
}

/** Where `medistill run` keeps its LLM response cache without MEDISTILL_LLM_CACHE_DIR: the user's cache folder. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'medistill', 'llm-responses');
}

/** The cache settings of a run: flags over MEDISTILL_LLM_CACHE_*; the embedded store in the user's cache folder by default. */
function runCacheSettings(
  config: ServiceConfig,
  env: NodeJS.ProcessEnv,
  flags: { noCache: boolean; cacheOnly: boolean; dir: string | undefined; ttl: string | undefined },
): Parameters<typeof openLlmCache>[0] {
  const mode = flags.noCache ? 'off' : flags.cacheOnly ? 'only' : config.llmCacheMode;
  const ttl = flags.ttl ?? config.llmCacheTtl;
  const ttlMs = ttl === undefined ? undefined : parseDuration(flags.ttl !== undefined ? '--cache-ttl' : 'MEDISTILL_LLM_CACHE_TTL', ttl);
  const dir = resolve(flags.dir ?? config.llmCacheDir ?? defaultCacheDir(env));
  return { mode, dir, ...(flags.dir === undefined && config.llmCacheUrl ? { url: config.llmCacheUrl } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}) };
}

/** Removes the dataset and the export state an earlier run left in `outDir`. */
async function clearExport(outDir: string): Promise<void> {
  // The single-file layout of earlier versions goes at the store's first checkpoint.
  for (const name of [DATA_DIR, STATS_DIR, MANIFEST_FILE, CARD_FILE, 'card.md', FAILURES_FILE, FAILURES_PARQUET, 'summary.json']) {
    await rm(join(outDir, name), { recursive: true, force: true });
  }
  await rm(`${outDir}.state`, { recursive: true, force: true });
}
