import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors/medistillErrors.ts';
import { DURATION_PATTERN } from './duration.ts';
import { hasUrlCredentials, redactUrlCredentials, splitUrlCredentials } from './urlCredentials.ts';

/**
 * One option of a service: its environment variable, schema (with default), description, and
 * whether it is a secret. Every service reads the same options under the same names.
 */
interface OptionSpec {
  env: string;
  schema: z.ZodType;
  description: string;
  secret?: boolean;
}

const bool = z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean());
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string().min(1)).min(1));

/** Every option a medistill service accepts. */
export const SERVICE_OPTIONS = {
  kafkaBrokers: { env: 'MEDISTILL_KAFKA_BROKERS', schema: list.default(['127.0.0.1:9092']), description: 'Kafka bootstrap servers, comma-separated host:port' },
  kafkaClientId: { env: 'MEDISTILL_KAFKA_CLIENT_ID', schema: z.string().min(1).optional(), description: 'Kafka client id (default medistill-<service>)' },
  kafkaSsl: { env: 'MEDISTILL_KAFKA_SSL', schema: bool.default(false), description: 'Connect to Kafka over TLS' },
  kafkaSslCaFile: { env: 'MEDISTILL_KAFKA_SSL_CA_FILE', schema: z.string().min(1).optional(), description: 'PEM file of the CA that signed the brokers\' certificates' },
  kafkaSaslMechanism: { env: 'MEDISTILL_KAFKA_SASL_MECHANISM', schema: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(), description: 'SASL mechanism (plain, scram-sha-256, scram-sha-512); unset: no SASL' },
  kafkaSaslUsername: { env: 'MEDISTILL_KAFKA_SASL_USERNAME', schema: z.string().min(1).optional(), description: 'SASL user name' },
  kafkaSaslPassword: { env: 'MEDISTILL_KAFKA_SASL_PASSWORD', schema: z.string().min(1).optional(), description: 'SASL password', secret: true },
  registryUrl: { env: 'MEDISTILL_REGISTRY_URL', schema: z.url().default('http://127.0.0.1:8081'), description: 'Base URL of the Confluent-compatible schema registry API' },
  registryUsername: { env: 'MEDISTILL_REGISTRY_USERNAME', schema: z.string().min(1).optional(), description: 'Schema registry basic-auth user' },
  registryPassword: { env: 'MEDISTILL_REGISTRY_PASSWORD', schema: z.string().min(1).optional(), description: 'Schema registry basic-auth password', secret: true },
  groupId: { env: 'MEDISTILL_GROUP_ID', schema: z.string().min(1).optional(), description: 'Consumer group (default medistill-<service>)' },
  topicPartitions: { env: 'MEDISTILL_TOPIC_PARTITIONS', schema: int(1, 10_000).default(6), description: 'Partitions of the topics the service creates' },
  topicReplication: { env: 'MEDISTILL_TOPIC_REPLICATION', schema: int(1, 10).default(1), description: 'Replication factor of the topics the service creates' },
  maxInFlight: { env: 'MEDISTILL_MAX_IN_FLIGHT', schema: int(1, 100_000).optional(), description: 'Records in flight above which the consumer pauses (default 500; 64 for LLM stages)' },
  batchSize: { env: 'MEDISTILL_BATCH_SIZE', schema: int(1, 10_000).default(200), description: 'Most messages in one produce batch' },
  batchMs: { env: 'MEDISTILL_BATCH_MS', schema: int(0, 60_000).default(5), description: 'Longest wait before a partial produce batch is sent' },
  maxAttempts: { env: 'MEDISTILL_MAX_ATTEMPTS', schema: int(1, 100).default(5), description: 'Attempts of a retriable failure before the message is dead-lettered' },
  fetchMaxBytesPerPartition: {
    env: 'MEDISTILL_FETCH_MAX_BYTES_PER_PARTITION',
    schema: int(1024, 100 * 1024 * 1024).default(2 * 1024 * 1024),
    description: 'Most bytes one fetch takes from a partition; with MEDISTILL_FETCH_MAX_BYTES, what a fetch may hold in memory while the consumer is paused',
  },
  fetchMaxBytes: {
    env: 'MEDISTILL_FETCH_MAX_BYTES',
    schema: int(1024, 500 * 1024 * 1024).default(10 * 1024 * 1024),
    description: 'Most bytes of one fetch response over all partitions of a broker (memory bound of fetching)',
  },
  fetchMaxWaitMs: { env: 'MEDISTILL_FETCH_MAX_WAIT_MS', schema: int(0, 10_000).default(50), description: 'Longest wait of the broker for data before it answers a fetch; also how long a paused consumer sleeps before it fetches again after resume' },
  outageBudgetMs: {
    env: 'MEDISTILL_OUTAGE_BUDGET_MS',
    schema: int(0, 86_400_000).default(120_000),
    description: 'Longest Kafka or the schema registry may stay unreachable while a service retries with backoff; past it the service exits non-zero for its orchestrator to restart it',
  },
  shutdownTimeoutMs: { env: 'MEDISTILL_SHUTDOWN_TIMEOUT_MS', schema: int(0, 600_000).default(30_000), description: 'Longest drain on SIGTERM before in-flight work is abandoned (it is redelivered)' },
  metricsPort: { env: 'MEDISTILL_METRICS_PORT', schema: int(0, 65_535).default(9464), description: 'Port of /metrics, /healthz and /readyz (0: any free port)' },
  metricsHost: { env: 'MEDISTILL_METRICS_HOST', schema: z.string().min(1).default('0.0.0.0'), description: 'Address the metrics server listens on' },
  meshPath: { env: 'MEDISTILL_MESH_PATH', schema: z.string().min(1).optional(), description: 'NLM MeSH descriptor XML (desc20XX.xml[.gz]); default: the bundled subset' },
  llmBaseUrl: { env: 'MEDISTILL_LLM_BASE_URL', schema: z.url().optional(), description: 'Base URL of an OpenAI-compatible API; unset: rule-based backends' },
  llmApiKey: { env: 'MEDISTILL_LLM_API_KEY', schema: z.string().min(1).optional(), description: 'LLM API key', secret: true },
  llmModel: { env: 'MEDISTILL_LLM_MODEL', schema: z.string().min(1).default('gpt-4o-mini'), description: 'Generation model' },
  judgeModel: { env: 'MEDISTILL_JUDGE_MODEL', schema: z.string().min(1).optional(), description: 'Judge model (default: the generation model)' },
  llmTimeoutMs: { env: 'MEDISTILL_LLM_TIMEOUT_MS', schema: int(100, 600_000).default(60_000), description: 'Per-request LLM timeout' },
  llmMaxRetries: { env: 'MEDISTILL_LLM_MAX_RETRIES', schema: int(0, 20).default(4), description: 'LLM retries on 429, 5xx, timeouts' },
  llmRequestsPerMinute: { env: 'MEDISTILL_LLM_RPM', schema: int(1, 1_000_000).default(500), description: 'LLM requests per minute (token bucket)' },
  llmTokensPerMinute: { env: 'MEDISTILL_LLM_TPM', schema: int(1, 100_000_000).default(200_000), description: 'LLM tokens per minute (token bucket)' },
  llmMaxConcurrency: { env: 'MEDISTILL_LLM_MAX_CONCURRENCY', schema: int(1, 1000).default(16), description: 'Upper bound of concurrent LLM requests (AIMD adapts below it)' },
  llmPricePer1kInput: { env: 'MEDISTILL_LLM_PRICE_PER_1K_INPUT', schema: z.coerce.number().min(0).default(0), description: 'Price per 1,000 prompt tokens, for the cost estimate' },
  llmPricePer1kOutput: { env: 'MEDISTILL_LLM_PRICE_PER_1K_OUTPUT', schema: z.coerce.number().min(0).default(0), description: 'Price per 1,000 completion tokens, for the cost estimate' },
  llmEndpoints: {
    env: 'MEDISTILL_LLM_ENDPOINTS',
    // A MEDISTILL_CONFIG file may give the list as a JSON array rather than as text.
    schema: z.preprocess((v) => (Array.isArray(v) ? JSON.stringify(v) : v), z.string().min(1)).optional(),
    description:
      'Several OpenAI-compatible endpoints instead of MEDISTILL_LLM_BASE_URL: a JSON array, or @file.json, of {name, baseUrl, apiKeyEnv, rpm, tpm, maxConcurrency, weight, pricePer1kInput, pricePer1kOutput, batchPricePer1kInput, batchPricePer1kOutput, ...}; each key is read from the variable its apiKeyEnv names',
  },
  llmMode: { env: 'MEDISTILL_LLM_MODE', schema: z.enum(['online', 'batch']).default('online'), description: 'online (one request per call) or batch (calls gathered into OpenAI Batch API files: half price, results within 24 h)' },
  llmBatchMaxRequests: { env: 'MEDISTILL_LLM_BATCH_MAX_REQUESTS', schema: int(1, 50_000).default(5000), description: 'Most requests in one batch file (the Batch API allows 50,000)' },
  llmBatchMaxWaitMs: { env: 'MEDISTILL_LLM_BATCH_MAX_WAIT_MS', schema: int(0, 86_400_000).default(60_000), description: 'Longest time the first request of a batch waits for more before the file is submitted' },
  llmBatchPollMs: { env: 'MEDISTILL_LLM_BATCH_POLL_MS', schema: int(10, 3_600_000).default(30_000), description: 'Interval between status checks of a submitted batch' },
  llmBatchMaxSubmissions: { env: 'MEDISTILL_LLM_BATCH_MAX_SUBMISSIONS', schema: int(1, 10).default(3), description: 'Times a request is submitted (again after an expired or failed batch, or an error line) before it fails' },
  llmBatchPricePer1kInput: { env: 'MEDISTILL_LLM_BATCH_PRICE_PER_1K_INPUT', schema: z.coerce.number().min(0).optional(), description: 'Price per 1,000 prompt tokens through the Batch API (default: MEDISTILL_LLM_PRICE_PER_1K_INPUT)' },
  llmBatchPricePer1kOutput: { env: 'MEDISTILL_LLM_BATCH_PRICE_PER_1K_OUTPUT', schema: z.coerce.number().min(0).optional(), description: 'Price per 1,000 completion tokens through the Batch API (default: MEDISTILL_LLM_PRICE_PER_1K_OUTPUT)' },
  llmCacheMode: {
    env: 'MEDISTILL_LLM_CACHE_MODE',
    schema: z.enum(['use', 'off', 'only']).default('use'),
    description: 'LLM response cache: use (read and write), off, or only (answer from the cache, never call the model; a miss is a counted failure)',
  },
  llmCacheUrl: {
    env: 'MEDISTILL_LLM_CACHE_URL',
    schema: z.url({ protocol: /^rediss?$/ }).optional(),
    description: 'Redis URL of the response cache all replicas share (redis://host:port/db); takes precedence over MEDISTILL_LLM_CACHE_DIR',
    secret: true,
  },
  llmCacheDir: {
    env: 'MEDISTILL_LLM_CACHE_DIR',
    schema: z.string().min(1).optional(),
    description: 'Folder of the embedded (LevelDB) response cache; one process at a time (default for medistill run: ~/.cache/medistill/llm-responses; services: unset, no cache without a URL)',
  },
  llmCacheTtl: {
    env: 'MEDISTILL_LLM_CACHE_TTL',
    schema: z.string().regex(DURATION_PATTERN, 'a duration such as 90s, 12h or 30d').optional(),
    description: 'Lifetime of new cache entries (e.g. 30d); unset: entries never expire (medistill cache prune removes old ones)',
  },
  itemsPerRecord: { env: 'MEDISTILL_ITEMS_PER_RECORD', schema: int(1, 20).default(3), description: 'Candidates asked per record' },
  indexDir: { env: 'MEDISTILL_INDEX_DIR', schema: z.string().min(1).optional(), description: 'Folder of the literature index (SQLite FTS5); the index service writes it, judge (and annotate with MEDISTILL_MESH_NEIGHBOURS) read it; unset: judge runs without retrieval' },
  meshNeighbours: {
    env: 'MEDISTILL_MESH_NEIGHBOURS',
    schema: bool.default(false),
    description: 'annotate: records without NLM headings also get the MeSH of their nearest papers in the index at MEDISTILL_INDEX_DIR (source neighbours); needs an index service beside annotate',
  },
  retrievalK: { env: 'MEDISTILL_RETRIEVAL_K', schema: int(1, 100).default(5), description: 'Documents retrieved per question for the retrieval-grounded hierarchy score' },
  embeddingsBaseUrl: { env: 'MEDISTILL_EMBEDDINGS_BASE_URL', schema: z.url().optional(), description: 'OpenAI-compatible /v1/embeddings base URL; set: hybrid (BM25 + dense) retrieval' },
  embeddingsApiKey: { env: 'MEDISTILL_EMBEDDINGS_API_KEY', schema: z.string().min(1).optional(), description: 'Embeddings API key (default: the LLM API key)', secret: true },
  embeddingsModel: { env: 'MEDISTILL_EMBEDDINGS_MODEL', schema: z.string().min(1).default('text-embedding-3-small'), description: 'Embeddings model name' },
  generators: {
    env: 'MEDISTILL_GENERATORS',
    schema: z.string().min(1).optional(),
    description: 'One or two generators, e.g. "llm:gpt-4o-mini,llm#hierarchy" (default: two LLM prompts with an LLM, else rule-based:cloze,rule-based:findings)',
  },
  preferenceMargin: { env: 'MEDISTILL_PREFERENCE_MARGIN', schema: z.coerce.number().min(0).max(1).default(0.05), description: 'Least difference of combined scores for two candidates of a target to become a preference pair' },
  exportDir: { env: 'MEDISTILL_EXPORT_DIR', schema: z.string().min(1).default('out/export'), description: 'Folder of the exported dataset' },
  exportSnapshotIntervalMs: {
    env: 'MEDISTILL_EXPORT_SNAPSHOT_INTERVAL_MS',
    schema: int(0, 31 * 86_400_000).default(86_400_000),
    description: 'Least time between two published snapshots of the dataset (snapshots/vNNNN), taken after a checkpoint; 0: none',
  },
  ingestSource: { env: 'MEDISTILL_INGEST_SOURCE', schema: z.enum(['files', 'folder', 'eutils']).default('files'), description: 'files (a file, folder or glob, once), folder (watched update files), eutils (NCBI E-utilities)' },
  ingestInput: { env: 'MEDISTILL_INGEST_INPUT', schema: z.string().min(1).optional(), description: 'Input of the files and folder sources' },
  ingestStateDir: { env: 'MEDISTILL_INGEST_STATE_DIR', schema: z.string().min(1).default('out/ingest-state'), description: 'Where ingest keeps its checkpoints' },
  eutilsBaseUrl: { env: 'MEDISTILL_EUTILS_BASE_URL', schema: z.url().default('https://eutils.ncbi.nlm.nih.gov/entrez/eutils/'), description: 'E-utilities base URL' },
  eutilsApiKey: { env: 'MEDISTILL_EUTILS_API_KEY', schema: z.string().min(1).optional(), description: 'NCBI API key (10 requests/s instead of 3)', secret: true },
  eutilsTool: { env: 'MEDISTILL_EUTILS_TOOL', schema: z.string().min(1).default('medistill'), description: 'tool parameter sent to NCBI' },
  eutilsEmail: { env: 'MEDISTILL_EUTILS_EMAIL', schema: z.email().optional(), description: 'email parameter sent to NCBI (required by NCBI policy)' },
  eutilsQuery: { env: 'MEDISTILL_EUTILS_QUERY', schema: z.string().min(1).default('all[sb]'), description: 'PubMed query of the E-utilities source' },
  eutilsStartDate: { env: 'MEDISTILL_EUTILS_START_DATE', schema: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD').optional(), description: 'First entry date to fetch, YYYY-MM-DD (default: yesterday)' },
  pollIntervalMs: { env: 'MEDISTILL_POLL_INTERVAL_MS', schema: int(100, 86_400_000).default(60_000), description: 'Poll interval of the folder and E-utilities sources' },
} satisfies Record<string, OptionSpec>;

export type ServiceOptionKey = keyof typeof SERVICE_OPTIONS;

const configSchema = z.object(
  Object.fromEntries(Object.entries(SERVICE_OPTIONS).map(([k, spec]) => [k, spec.schema])) as {
    [K in ServiceOptionKey]: (typeof SERVICE_OPTIONS)[K]['schema'];
  },
).strict();

/** A service's validated, frozen configuration. */
export type ServiceConfig = Readonly<z.output<typeof configSchema>>;

/** The option that names a config file (JSON with the same option names as keys). */
export const CONFIG_FILE_ENV = 'MEDISTILL_CONFIG';

/** The process environment: the one place the settings are read from (commands pass it down). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

/**
 * Reads a service's configuration: the JSON file named by MEDISTILL_CONFIG (if any), then the
 * environment variables over it, validated once; bad settings fail with a message naming them.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv = processEnvironment(), overrides: Partial<Record<ServiceOptionKey, unknown>> = {}): ServiceConfig {
  const raw: Record<string, unknown> = {};
  const file = env[CONFIG_FILE_ENV];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read ${CONFIG_FILE_ENV}=${file}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${CONFIG_FILE_ENV}=${file} must hold a JSON object of options`);
    }
    Object.assign(raw, parsed);
  }
  for (const [key, spec] of Object.entries(SERVICE_OPTIONS)) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value;
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const spec = SERVICE_OPTIONS[key as ServiceOptionKey] as OptionSpec | undefined;
      return spec ? `${spec.env} (${key}): ${issue.message}; ${spec.description}` : `${key || '(config)'}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const c = result.data;
  moveUrlCredentials(c);
  if (c.kafkaSaslMechanism && (!c.kafkaSaslUsername || !c.kafkaSaslPassword)) {
    throw new ConfigError('MEDISTILL_KAFKA_SASL_MECHANISM is set: also set MEDISTILL_KAFKA_SASL_USERNAME and MEDISTILL_KAFKA_SASL_PASSWORD');
  }
  if (Boolean(c.registryUsername) !== Boolean(c.registryPassword)) {
    throw new ConfigError('set both MEDISTILL_REGISTRY_USERNAME and MEDISTILL_REGISTRY_PASSWORD, or neither');
  }
  if (c.fetchMaxBytesPerPartition > c.fetchMaxBytes) {
    throw new ConfigError(
      `MEDISTILL_FETCH_MAX_BYTES_PER_PARTITION (${c.fetchMaxBytesPerPartition}) is above MEDISTILL_FETCH_MAX_BYTES (${c.fetchMaxBytes}): raise the second or lower the first`,
    );
  }
  return Object.freeze(c);
}

/**
 * Takes credentials out of the configured URLs: the registry's move into its basic-auth settings (the header
 * they belong in); the LLM's, E-utilities' and brokers' are refused, since those take keys or SASL instead.
 * Messages show the URL with its credentials redacted.
 */
function moveUrlCredentials(c: z.output<typeof configSchema>): void {
  const registry = splitUrlCredentials(c.registryUrl);
  if (registry.username !== null || registry.password !== null) {
    if (registry.username === null || registry.password === null) {
      throw new ConfigError(`MEDISTILL_REGISTRY_URL ${redactUrlCredentials(c.registryUrl)} carries a user name or a password alone: give both, or use MEDISTILL_REGISTRY_USERNAME and MEDISTILL_REGISTRY_PASSWORD`);
    }
    if (c.registryUsername !== undefined || c.registryPassword !== undefined) {
      throw new ConfigError(`MEDISTILL_REGISTRY_URL ${redactUrlCredentials(c.registryUrl)} carries credentials and MEDISTILL_REGISTRY_USERNAME/PASSWORD are set too: keep one of them`);
    }
    c.registryUrl = registry.url;
    c.registryUsername = registry.username;
    c.registryPassword = registry.password;
  }
  const refused: [string, string | undefined, string][] = [
    ['MEDISTILL_LLM_BASE_URL', c.llmBaseUrl, 'put the key in MEDISTILL_LLM_API_KEY (sent as a Bearer token) and give the URL without them'],
    ['MEDISTILL_EUTILS_BASE_URL', c.eutilsBaseUrl, 'NCBI takes its key from MEDISTILL_EUTILS_API_KEY; give the URL without them'],
  ];
  for (const [env, url, fix] of refused) {
    if (url !== undefined && hasUrlCredentials(url)) throw new ConfigError(`${env} ${redactUrlCredentials(url)} carries credentials: ${fix}`);
  }
  const broker = c.kafkaBrokers.find((b) => b.includes('@'));
  if (broker !== undefined) {
    throw new ConfigError(`MEDISTILL_KAFKA_BROKERS holds credentials (${redactUrlCredentials(broker.includes('://') ? broker : `kafka://${broker}`).replace(/^kafka:\/\//, '')}): give host:port only, with MEDISTILL_KAFKA_SASL_MECHANISM, _USERNAME and _PASSWORD`);
  }
}

/** The configuration as `ENV=value` lines for the start-up log, secrets shown as ***. */
export function describeServiceConfig(config: ServiceConfig): string[] {
  return Object.entries(SERVICE_OPTIONS).map(([key, spec]) => {
    const value = config[key as ServiceOptionKey];
    // A URL may carry user:password (a base URL, an endpoint list): print it without them.
    const shown = value === undefined ? '(unset)' : (spec as OptionSpec).secret ? '***' : redactUrlCredentials(Array.isArray(value) ? value.join(',') : String(value));
    return `${spec.env}=${shown}`;
  });
}

/** Every environment variable a service reads, for deployment checks. */
export function serviceEnvNames(): string[] {
  return [CONFIG_FILE_ENV, ...Object.values(SERVICE_OPTIONS).map((s) => s.env)];
}
