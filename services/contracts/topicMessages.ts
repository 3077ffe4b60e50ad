import type { MeshTerm } from '../model/annotatedRecord.ts';
import type {
  AbstractSection,
  Chemical,
  Journal,
  MeshHeading,
  PublicationDate,
} from '../model/pubmedRecord.ts';
import type { JudgedItem, Provenance, QaCandidate } from '../model/qaItem.ts';
import type { Lineage } from './lineage.ts';

/**
 * The message values of the topics, shaped exactly as avsc reads and writes them: nullable fields
 * are `null` (never absent), Avro enum symbols replace domain spellings, timestamps are Dates.
 * The mapping files (pubmedRecordMapping.ts, ...) convert them from and to the domain types.
 */

export type { Lineage } from './lineage.ts';

/** Value of pubmed.records.v1. A DeleteCitation travels as a tombstone (null value) instead. */
export interface PubmedRecordMessage {
  schemaVersion: number;
  pmid: string;
  version: number;
  recordType: 'PubmedArticle' | 'PubmedBookArticle';
  title: string;
  abstract: AbstractSection[];
  languages: string[];
  journal: Journal | null;
  pubDate: PublicationDate;
  articleIds: Record<string, string>;
  publicationTypes: string[];
  keywords: string[];
  chemicals: Chemical[];
  meshHeadings: MeshHeading[];
  status: string | null;
  source: string;
  lineage: Lineage;
}

/** A MeSH term on the wire: `matches` is null where the domain leaves it out. */
export type MeshTermValue = Omit<MeshTerm, 'matches'> & { matches: string[] | null };

/** Value of pubmed.annotated.v1; `record.lineage` is the lineage of the records message it came from. */
export interface AnnotatedRecordMessage {
  schemaVersion: number;
  record: PubmedRecordMessage;
  mesh: MeshTermValue[];
  meshVersion: string;
  annotator: { name: string; version: string };
  lineage: Lineage;
}

/** Avro enum symbols cannot hold a hyphen: `rule-based` travels as `rule_based`. */
export type BackendSymbol = 'rule_based' | 'llm';

/** Provenance on the wire. */
export type ProvenanceValue = Omit<Provenance, 'backend'> & { backend: BackendSymbol };

/** A candidate on the wire. */
export type QaCandidateValue = Omit<QaCandidate, 'generator'> & { generator: ProvenanceValue };

/** An item a stage could not produce for a record, with a short machine-readable reason. */
export interface ItemFailure {
  reason: string;
  message: string;
}

/** What a stage made of one PMID version; every input PMID version yields exactly one message downstream. */
export type MessageOutcome = 'candidates' | 'no_abstract' | 'no_candidates' | 'failed';

/** The symbols of {@link MessageOutcome}, in schema order. */
export const MESSAGE_OUTCOMES: readonly MessageOutcome[] = ['candidates', 'no_abstract', 'no_candidates', 'failed'];

/** All candidates generated for one PMID version (possibly none, with the outcome saying why). */
export interface RecordCandidates {
  pmid: string;
  pmidVersion: number;
  outcome: MessageOutcome;
  items: QaCandidate[];
  failures: ItemFailure[];
  meshVersion: string;
}

/** Value of qa.candidates.v1. */
export interface RecordCandidatesMessage {
  schemaVersion: number;
  pmid: string;
  pmidVersion: number;
  outcome: MessageOutcome;
  items: QaCandidateValue[];
  failures: ItemFailure[];
  meshVersion: string;
  lineage: Lineage;
}

/** A judged item on the wire; reject reasons are plain strings so new reasons do not break the schema. */
export type JudgedItemValue = Omit<JudgedItem, 'candidate' | 'judge' | 'rejectReasons'> & {
  candidate: QaCandidateValue;
  judge: ProvenanceValue;
  rejectReasons: string[];
};

/** Every candidate of one PMID version with its scores and verdict. */
export interface RecordJudgement {
  pmid: string;
  pmidVersion: number;
  outcome: MessageOutcome;
  items: JudgedItem[];
  failures: ItemFailure[];
  meshVersion: string;
}

/** Value of qa.judged.v1. */
export interface RecordJudgementMessage {
  schemaVersion: number;
  pmid: string;
  pmidVersion: number;
  outcome: MessageOutcome;
  items: JudgedItemValue[];
  failures: ItemFailure[];
  meshVersion: string;
  lineage: Lineage;
}

/** One side of a preference pair on the wire. */
export interface PreferenceSideValue {
  itemId: string;
  type: string;
  text: string;
  generator: ProvenanceValue;
  scores: Record<string, { score: number; reason: string }>;
  combined: number;
  verdict: string;
  rejectReasons: string[];
}

/** Value of qa.preferences.v1. */
export interface RecordPreferencesMessage {
  schemaVersion: number;
  pmid: string;
  pmidVersion: number;
  outcome: 'pairs' | 'no_pairs';
  margin: number;
  scoring: string;
  pairs: {
    id: string;
    targetUi: string;
    targetName: string;
    targetTreeNumbers: string[];
    prompt: string;
    chosen: PreferenceSideValue;
    rejected: PreferenceSideValue;
    margin: number;
    reasons: string[];
  }[];
  unpaired: { targetUi: string; reason: string; detail: string }[];
  meshVersion: string;
  lineage: Lineage;
}

/** A message a stage could not process: where it came from, its raw bytes, and why. */
export interface DeadLetter {
  originalTopic: string;
  partition: number;
  /** Kafka offsets are 64-bit; a string keeps them exact. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  stage: string;
  errorClass: string;
  errorMessage: string;
}

/** Value of every `<topic>.dlq`. */
export interface DeadLetterMessage extends DeadLetter {
  schemaVersion: number;
  lineage: Lineage;
}

/** The schemaVersion every value of the current contracts carries. */
export const SCHEMA_VERSION = 1;
