import type { EutilsEvent } from '../ingest/eutils/eutilsEvents.ts';
import type { LlmEvent } from '../llm/llmEvents.ts';
import type { LlmCacheEvent } from '../llm/cache/llmCacheEvents.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { JudgedItem, QaCandidate } from '../model/qaItem.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';

/**
 * The catalogue of instrumentation events. Runtimes and stages emit them; metrics subscribe. Every
 * event names the stage that emitted it; labels carried here are small fixed sets (stage, topic,
 * reason), never keys, ids or error text, so a subscriber can use them as metric labels as they are.
 */
export type HopEvent =
  /** A record was taken in from a topic (or from a source, topic "source"). */
  | { type: 'hop.consumed'; stage: string; topic: string }
  /** A record was produced to a topic and acknowledged (in-process: handed to the next stage). */
  | { type: 'hop.produced'; stage: string; topic: string }
  /** A record's processing ended: outputs acknowledged, dead-lettered or dropped as a duplicate. */
  | { type: 'hop.processed'; stage: string; topic: string; seconds: number }
  | { type: 'hop.batch'; stage: string; size: number }
  | { type: 'hop.in_flight'; stage: string; count: number }
  | { type: 'hop.paused'; stage: string; paused: boolean }
  | { type: 'hop.committed'; stage: string; partitions: number }
  | { type: 'hop.dead_lettered'; stage: string; reason: string }
  | { type: 'hop.retried'; stage: string; reason: string }
  | { type: 'hop.duplicate'; stage: string };

/** What a stage produced, for the quality metrics. */
export type QualityEvent =
  | { type: 'quality.annotated'; stage: string; record: AnnotatedRecord }
  | { type: 'quality.candidates'; stage: string; items: readonly QaCandidate[] }
  | { type: 'quality.judged'; stage: string; items: readonly JudgedItem[] }
  | { type: 'quality.preferences'; stage: string; preferences: RecordPreferences };

/**
 * The literature index: a write (indexed, replaced, unchanged, stale, deleted, absent, no_abstract,
 * embeddings_failed) and a query for a question (hits, no_hits, empty_index, no_query_terms,
 * embeddings_failed) with its time; `documents` is the index size after a write.
 */
export type RetrievalEvent =
  | { type: 'retrieval.indexed'; stage: string; outcome: string; documents: number }
  | { type: 'retrieval.query'; stage: string; outcome: string; seconds: number };

/** Where ingested entries came from. */
export type IngestSourceKind = 'files' | 'folder' | 'eutils';
/** What an ingested entry was. */
export type IngestEntryKind = 'article' | 'deletion' | 'failure';

/** An entry taken in by a source. */
export type IngestEvent = { type: 'ingest.entry'; source: IngestSourceKind; kind: IngestEntryKind };

/** Figures of a quality evaluation (`medistill eval`): labels are the benchmark's small fixed sets. */
export type EvalEvent =
  | { type: 'eval.pubmedqa'; setting: string; backend: string; accuracy: number; macroF1: number; scored: number; failed: number }
  | { type: 'eval.judge'; backend: string; kind: string; rejectionRate: number; items: number };

export type InstrumentationEvent = HopEvent | QualityEvent | RetrievalEvent | IngestEvent | LlmEvent | LlmCacheEvent | EutilsEvent | EvalEvent;
export type InstrumentationEventType = InstrumentationEvent['type'];
