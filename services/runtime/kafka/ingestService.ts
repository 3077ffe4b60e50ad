import { loadServiceConfig, type ServiceConfig } from '../../config/serviceConfig.ts';
import { ConfigError } from '../../errors/medistillErrors.ts';
import { TOPICS } from '../../contracts/avroSchemas.ts';
import { toPubmedRecordValue } from '../../contracts/pubmedRecordMapping.ts';
import { createLineage } from '../../contracts/lineage.ts';
import { createOutputProducer } from './outputProducer.ts';
import { deadLetterFor } from './deadLetter.ts';
import { createDedupWindow } from './dedupWindow.ts';
import { startMetricsServer } from '../../metrics/metricsServer.ts';
import { createHopMetrics } from '../../metrics/hopMetrics.ts';
import { createIngestMetrics, type IngestMetrics } from '../../metrics/ingestMetrics.ts';
import { codeVersion } from '../../config/codeVersion.ts';
import { announceService, connectService, readiness, serviceLog } from './serviceStartup.ts';
import { createLocalSource } from '../../ingest/sources/localSource.ts';
import { createUpdateFolderSource } from '../../ingest/sources/updateFolderSource.ts';
import { createFileCheckpointStore } from '../../ingest/sources/fileCheckpointStore.ts';
import { createEutilsSource } from '../../ingest/eutils/createEutilsSource.ts';
import type { SourceItem } from '../../ingest/sources/sourceItem.ts';
import { join } from 'node:path';

function yesterdayUtc(): Date {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - 1);
  return d;
}

/** Builds the configured source: local files (once), a watched folder of update files, or E-utilities. */
function buildSource(config: ServiceConfig, signal: AbortSignal, metrics: IngestMetrics): AsyncIterable<SourceItem> {
  const checkpoint = () => createFileCheckpointStore(join(config.ingestStateDir, 'checkpoints.json'));
  switch (config.ingestSource) {
    case 'files':
      if (!config.ingestInput) throw new ConfigError('MEDISTILL_INGEST_INPUT is required for the files source: a file, folder or glob of PubMed XML');
      return createLocalSource(config.ingestInput, { signal });
    case 'folder':
      if (!config.ingestInput) throw new ConfigError('MEDISTILL_INGEST_INPUT is required for the folder source: the folder of *.xml.gz update files');
      return createUpdateFolderSource({ folder: config.ingestInput, pollIntervalMs: config.pollIntervalMs, checkpoint: checkpoint(), signal });
    case 'eutils':
      if (!config.eutilsEmail) throw new ConfigError('MEDISTILL_EUTILS_EMAIL is required by NCBI policy for the E-utilities source');
      return createEutilsSource({
        baseUrl: config.eutilsBaseUrl,
        apiKey: config.eutilsApiKey,
        tool: config.eutilsTool,
        email: config.eutilsEmail,
        query: config.eutilsQuery,
        start: config.eutilsStartDate ? new Date(`${config.eutilsStartDate}T00:00:00Z`) : yesterdayUtc(),
        pollIntervalMs: config.pollIntervalMs,
        checkpoint: checkpoint(),
        signal,
        onEvent: metrics.onEutilsEvent,
      });
  }
}

/**
 * The ingest service: reads PubMed records from the configured source and produces them to
 * pubmed.records.v1 keyed by PMID (a DeleteCitation as a tombstone; a part that cannot be parsed
 * to the dead-letter topic with its raw text). A source item is acknowledged, and its checkpoint
 * may move, only once the broker acknowledged what it became. The files source ends when its
 * input is done; the others run until SIGTERM.
 */
export async function runIngestService(env: NodeJS.ProcessEnv, stopSignal?: Promise<void>): Promise<number> {
  const log = serviceLog;
  const config = loadServiceConfig(env);
  const registry = announceService('ingest', config);
  const abort = new AbortController();
  const instruments = createHopMetrics(registry, 'ingest');
  const ingestMetrics = createIngestMetrics(registry);
  const source = buildSource(config, abort.signal, ingestMetrics);

  const { kafka, admin, codec, registryProbe } = await connectService('ingest', config, [TOPICS.records]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const output = createOutputProducer(producer, { batchSize: config.batchSize, batchMs: config.batchMs });
  let connected = true;
  const metrics = await startMetricsServer({
    registry,
    port: config.metricsPort,
    host: config.metricsHost,
    ready: () => readiness(connected, registryProbe),
  });
  log(`ingest: ${config.ingestSource} source to ${TOPICS.records}; metrics on :${metrics.port}`);

  const dedup = createDedupWindow(1_000_000);
  const maxInFlight = config.maxInFlight ?? 500;
  let inFlight = 0;
  let failure: unknown = null;
  let waiters: (() => void)[] = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const counts = { articles: 0, deletions: 0, failures: 0, duplicates: 0 };
  void stopSignal?.then(() => abort.abort());
  const onSignal = (): void => abort.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  async function send(entry: SourceItem): Promise<void> {
    const { item } = entry;
    ingestMetrics.record(config.ingestSource, item.kind === 'error' ? 'failure' : item.kind);
    if (item.kind === 'article') {
      if (dedup.seen(`${item.pmid}@${item.version}`)) {
        counts.duplicates++;
        instruments.duplicate();
        entry.ack();
        return;
      }
      const value = await codec.encode(TOPICS.records, toPubmedRecordValue(item, createLineage('ingest', codeVersion())));
      await output.send({ topic: TOPICS.records, key: item.pmid, value });
      counts.articles++;
      instruments.produced(TOPICS.records);
    } else if (item.kind === 'deletion') {
      await output.send({ topic: TOPICS.records, key: item.pmid, value: null });
      counts.deletions++;
      instruments.produced(TOPICS.records);
    } else {
      const letter = deadLetterFor({
        stage: 'ingest',
        topic: TOPICS.records,
        partition: -1,
        offset: String(item.position.offset),
        key: item.pmid ? Buffer.from(item.pmid) : null,
        value: Buffer.from(item.raw, 'utf8'),
        error: Object.assign(new Error(`${item.source}:${item.position.line}:${item.position.column}: ${item.message}`), { name: 'ParseFailure' }),
        codeVersion: codeVersion(),
      });
      await output.send({ topic: letter.topic, key: item.pmid, value: await codec.encode(letter.topic, letter.value), headers: { ...letter.headers, 'medistill.source': item.source } });
      counts.failures++;
      instruments.deadLettered('invalid_input');
    }
    entry.ack();
  }

  try {
    for await (const entry of source) {
      if (abort.signal.aborted || failure) break;
      while (inFlight >= maxInFlight && !failure) await new Promise<void>((r) => waiters.push(r));
      instruments.consumed('source');
      inFlight++;
      instruments.inFlight(inFlight);
      send(entry)
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => {
          inFlight--;
          instruments.inFlight(inFlight);
          wake();
        });
    }
  } catch (err) {
    if (!abort.signal.aborted) failure ??= err;
  }
  while (inFlight > 0) await new Promise<void>((r) => waiters.push(r));
  await output.flush();
  connected = false;
  await producer.disconnect().catch(() => undefined);
  registryProbe.stop();
  await metrics.close();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  log(`ingest: produced ${counts.articles} records and ${counts.deletions} tombstones, dead-lettered ${counts.failures}, skipped ${counts.duplicates} duplicates`);
  if (failure) {
    log(`ingest: fatal: ${failure instanceof Error ? failure.message : String(failure)}`);
    return 1;
  }
  return 0;
}
