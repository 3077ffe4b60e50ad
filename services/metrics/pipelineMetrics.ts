import type { Registry } from 'prom-client';
import { TOPICS } from '../contracts/avroSchemas.ts';
import type { Generator } from '../generate/generator.ts';
import type { Judge } from '../judge/judge.ts';
import type { LlmEventListener } from '../llm/llmEvents.ts';
import type { PubmedItem } from '../model/pubmedRecord.ts';
import type { FailureLog } from '../runtime/inprocess/failureLog.ts';
import type { PipelineStages } from '../runtime/inprocess/runPipeline.ts';
import { createHopMetrics } from './hopMetrics.ts';
import { createIngestMetrics, type IngestSource } from './ingestMetrics.ts';
import { createLlmMetrics } from './llmMetrics.ts';
import { createQualityMetrics } from './qualityMetrics.ts';

/** Settings of the in-process run's metrics. */
export interface PipelineMetricsOptions {
  /** The service label of every series (e.g. "run"). */
  service: string;
  /** How the run's inputs are labelled in the ingest metrics. */
  source: IngestSource;
  pricePer1kInput: number;
  pricePer1kOutput: number;
}

/** Wrappers that report the in-process pipeline's work through the same metrics the services export. */
export interface PipelineMetrics {
  /** Counts every input entry by kind as the pipeline pulls it. */
  items(items: AsyncIterable<PubmedItem>): AsyncIterable<PubmedItem>;
  /** The stages, each reporting its hop (topic names as the services use them) and quality metrics. */
  stages(stages: PipelineStages): PipelineStages;
  /** The failure log, each record-level failure counted as a dead letter by reason. */
  failures(log: FailureLog): FailureLog;
  /** Listener for the LLM clients' events. */
  onLlmEvent: LlmEventListener;
}

/** Record-level failures of the in-process run, mapped onto the services' dead-letter reasons. */
const DEAD_LETTER_REASONS: Readonly<Record<string, string>> = {
  parse_error: 'invalid_input',
  annotate_error: 'bug',
  generate_error: 'llm',
  judge_error: 'llm',
};

const seconds = (startedAt: number): number => (performance.now() - startedAt) / 1000;

/**
 * Declares hop, ingest, LLM and quality metrics for one `medistill run` process on the registry
 * passed in and returns wrappers for the pipeline's parts. A hop is labelled with the topic the
 * Kafka service would read or write, so the same dashboards show both; the judge hop counts items,
 * not records, because the in-process judge sees one item at a time. The service also becomes the
 * registry's default label, which is how the ingest metrics carry it (as they do in the services).
 */
export function createPipelineMetrics(registry: Registry, options: PipelineMetricsOptions): PipelineMetrics {
  const { service } = options;
  registry.setDefaultLabels({ service });
  const hop = createHopMetrics(registry, service);
  const ingest = createIngestMetrics(registry);
  const quality = createQualityMetrics(registry, service);
  const llm = createLlmMetrics(registry, { service, pricePer1kInput: options.pricePer1kInput, pricePer1kOutput: options.pricePer1kOutput });

  async function* items(source: AsyncIterable<PubmedItem>): AsyncGenerator<PubmedItem> {
    for await (const item of source) {
      ingest.record(options.source, item.kind === 'error' ? 'failure' : item.kind);
      if (item.kind === 'article') hop.produced(TOPICS.records);
      yield item;
    }
  }

  function stages(inner: PipelineStages): PipelineStages {
    const g: Generator = inner.generator;
    const j: Judge = inner.judge;
    return {
      annotate(record) {
        const started = performance.now();
        hop.consumed(TOPICS.records);
        const annotated = inner.annotate(record);
        hop.processed(TOPICS.records, seconds(started));
        hop.produced(TOPICS.annotated);
        quality.annotated(annotated);
        return annotated;
      },
      generator: {
        name: g.name,
        version: g.version,
        promptVersion: g.promptVersion,
        async generate(record, signal) {
          const started = performance.now();
          hop.consumed(TOPICS.annotated);
          const result = await g.generate(record, signal);
          hop.processed(TOPICS.annotated, seconds(started));
          hop.produced(TOPICS.candidates);
          quality.candidates(result.items);
          return result;
        },
      },
      judge: {
        name: j.name,
        version: j.version,
        promptVersion: j.promptVersion,
        async judge(candidate, signal) {
          const started = performance.now();
          hop.consumed(TOPICS.candidates);
          const judged = await j.judge(candidate, signal);
          hop.processed(TOPICS.candidates, seconds(started));
          hop.produced(TOPICS.judged);
          quality.judged([judged]);
          return judged;
        },
      },
    };
  }

  function failures(log: FailureLog): FailureLog {
    return {
      async add(entry) {
        const reason = DEAD_LETTER_REASONS[entry.reason];
        if (reason) hop.deadLettered(reason);
        await log.add(entry);
      },
      get count() {
        return log.count;
      },
      close: () => log.close(),
    };
  }

  return { items, stages, failures, onLlmEvent: llm.onLlmEvent };
}
