import type { ServiceConfig } from '../../config/serviceConfig.ts';
import { TOPICS } from '../../contracts/avroSchemas.ts';
import { ConfigError } from '../../errors/medistillErrors.ts';
import { createIngestMetrics } from '../../metrics/ingestMetrics.ts';
import type { Instrumentation } from '../../instrumentation/instrumentation.ts';
import { ingestEntryKind, ingestSourceItem, INGEST_STAGE } from '../../stages/ingestSource.ts';
import type { PubmedItem } from '../../model/pubmedRecord.ts';
import { runService, type StageContext } from './runService.ts';
import type { KafkaSource, SourceEntry, SourceResult } from './sourceRunner.ts';
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

/**
 * Checks the configured source's settings (one line naming what is missing, before anything
 * connects) and returns how to open it: local files (once), a watched folder of update files, or
 * E-utilities.
 */
function sourceOpener(config: ServiceConfig, bus: Instrumentation): (signal: AbortSignal) => AsyncIterable<SourceItem> {
  const checkpoint = () => createFileCheckpointStore(join(config.ingestStateDir, 'checkpoints.json'));
  const input = config.ingestInput;
  switch (config.ingestSource) {
    case 'files':
      if (!input) throw new ConfigError('MEDISTILL_INGEST_INPUT is required for the files source: a file, folder or glob of PubMed XML');
      return (signal) => createLocalSource(input, { signal });
    case 'folder':
      if (!input) throw new ConfigError('MEDISTILL_INGEST_INPUT is required for the folder source: the folder of *.xml.gz update files');
      return (signal) => createUpdateFolderSource({ folder: input, pollIntervalMs: config.pollIntervalMs, checkpoint: checkpoint(), signal });
    case 'eutils': {
      const email = config.eutilsEmail;
      if (!email) throw new ConfigError('MEDISTILL_EUTILS_EMAIL is required by NCBI policy for the E-utilities source');
      return (signal) =>
        createEutilsSource({
          baseUrl: config.eutilsBaseUrl,
          apiKey: config.eutilsApiKey,
          tool: config.eutilsTool,
          email,
          query: config.eutilsQuery,
          start: config.eutilsStartDate ? new Date(`${config.eutilsStartDate}T00:00:00Z`) : yesterdayUtc(),
          pollIntervalMs: config.pollIntervalMs,
          checkpoint: checkpoint(),
          signal,
          onEvent: (event) => bus.emit(event),
        });
    }
  }
}

/** The Kafka form of an ingest output: messages to produce, or a dead letter with the raw text. */
function toSourceResult(item: PubmedItem, codeVersion: string): SourceResult {
  const out = ingestSourceItem(item, { codeVersion });
  switch (out.kind) {
    case 'record':
      return { kind: 'produce', outputs: [{ topic: out.topic, key: out.key, value: out.value }], dedupKey: out.dedupKey };
    case 'tombstone':
      return { kind: 'produce', outputs: [{ topic: out.topic, key: out.key, value: null }], dedupKey: null };
    case 'dead_letter':
      return {
        kind: 'dead_letter',
        topic: out.topic,
        key: out.key,
        raw: Buffer.from(out.raw, 'utf8'),
        error: out.error,
        position: out.position,
        headers: { 'medistill.source': out.source },
      };
  }
}

/**
 * The ingest source as the Kafka runtime runs it: the configured source's items, each counted as an
 * ingest.entry event when taken in and mapped by ingestSourceItem. Declares the ingest metrics.
 */
export async function buildIngestSource(ctx: StageContext): Promise<KafkaSource<PubmedItem>> {
  const { config, instrumentation: bus } = ctx;
  const openSource = sourceOpener(config, bus);
  createIngestMetrics(ctx.registry, bus);
  const kind = config.ingestSource;
  return {
    name: INGEST_STAGE,
    outputTopics: [TOPICS.records],
    async *open(signal): AsyncGenerator<SourceEntry<PubmedItem>> {
      for await (const entry of openSource(signal)) {
        bus.emit({ type: 'ingest.entry', source: kind, kind: ingestEntryKind(entry.item) });
        yield entry;
      }
    },
    map: (item) => toSourceResult(item, ctx.codeVersion),
  };
}

/**
 * The ingest service: reads PubMed records from the configured source and produces them to
 * pubmed.records.v1 keyed by PMID (a DeleteCitation as a tombstone; a part that cannot be parsed
 * to the dead-letter topic with its raw text), on the same runtime as the stages. A source item is
 * acknowledged, and its checkpoint may move, only once the broker acknowledged what it became. The
 * files source ends when its input is done (exit 0); the others run until SIGTERM.
 */
export function runIngestService(env: NodeJS.ProcessEnv, stopSignal?: Promise<void>): Promise<number> {
  return runService({ name: INGEST_STAGE, env, stopSignal, buildSource: buildIngestSource });
}
