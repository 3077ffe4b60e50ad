import { fromAnnotatedRecordValue, toAnnotatedRecordValue } from './annotatedRecordMapping.ts';
import { TOPICS } from './avroSchemas.ts';
import type { Lineage } from './lineage.ts';
import { fromPubmedRecordValue, toPubmedRecordValue } from './pubmedRecordMapping.ts';
import { fromRecordCandidatesValue, toRecordCandidatesValue } from './recordCandidatesMapping.ts';
import { fromRecordJudgementValue, toRecordJudgementValue } from './recordJudgementMapping.ts';
import { fromRecordPreferencesValue, toRecordPreferencesValue } from './recordPreferencesMapping.ts';
import type { RecordPreferences } from '../model/preferencePair.ts';
import type {
  AnnotatedRecordMessage,
  PubmedRecordMessage,
  RecordCandidates,
  RecordCandidatesMessage,
  RecordJudgement,
  RecordJudgementMessage,
  RecordPreferencesMessage,
} from './topicMessages.ts';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';

/**
 * What travels on one topic, as stages see it (T) and as the topic carries it (an Avro value with
 * its lineage). Stages work on T only; a runtime that crosses a broker maps with these functions.
 */
export interface TopicContract<T> {
  readonly topic: string;
  /** The topic's value for `value`, produced under `lineage`; `upstream` is the lineage of the input it came from. */
  toValue(value: T, lineage: Lineage, upstream: Lineage | null): unknown;
  /** The value a message carries and the lineage it was produced under. */
  fromValue(value: unknown): { value: T; lineage: Lineage };
}

export const PUBMED_RECORDS: TopicContract<PubmedArticle> = {
  topic: TOPICS.records,
  toValue: (article, lineage) => toPubmedRecordValue(article, lineage),
  fromValue: (value) => ({ value: fromPubmedRecordValue(value as PubmedRecordMessage), lineage: (value as PubmedRecordMessage).lineage }),
};

export const PUBMED_ANNOTATED: TopicContract<AnnotatedRecord> = {
  topic: TOPICS.annotated,
  // The record inside keeps the lineage of the ingest that produced it.
  toValue: (annotated, lineage, upstream) => toAnnotatedRecordValue(annotated, lineage, upstream ?? lineage),
  fromValue: (value) => ({ value: fromAnnotatedRecordValue(value as AnnotatedRecordMessage), lineage: (value as AnnotatedRecordMessage).lineage }),
};

export const QA_CANDIDATES: TopicContract<RecordCandidates> = {
  topic: TOPICS.candidates,
  toValue: (candidates, lineage) => toRecordCandidatesValue(candidates, lineage),
  fromValue: (value) => ({ value: fromRecordCandidatesValue(value as RecordCandidatesMessage), lineage: (value as RecordCandidatesMessage).lineage }),
};

export const QA_JUDGED: TopicContract<RecordJudgement> = {
  topic: TOPICS.judged,
  toValue: (judgement, lineage) => toRecordJudgementValue(judgement, lineage),
  fromValue: (value) => ({ value: fromRecordJudgementValue(value as RecordJudgementMessage), lineage: (value as RecordJudgementMessage).lineage }),
};

export const QA_PREFERENCES: TopicContract<RecordPreferences> = {
  topic: TOPICS.preferences,
  toValue: (preferences, lineage) => toRecordPreferencesValue(preferences, lineage),
  fromValue: (value) => ({ value: fromRecordPreferencesValue(value as RecordPreferencesMessage), lineage: (value as RecordPreferencesMessage).lineage }),
};
