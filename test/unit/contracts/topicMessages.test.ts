import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { AVRO_SCHEMAS, TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { avroTypeFor } from '../../../services/contracts/avroTypes.ts';
import { ContractError } from '../../../services/errors/medistillErrors.ts';
import { fromAnnotatedRecordValue, toAnnotatedRecordValue } from '../../../services/contracts/annotatedRecordMapping.ts';
import { fromDeadLetterValue, toDeadLetterValue } from '../../../services/contracts/deadLetterMapping.ts';
import { fromPubmedRecordValue, toPubmedRecordValue } from '../../../services/contracts/pubmedRecordMapping.ts';
import { fromRecordCandidatesValue, toRecordCandidatesValue } from '../../../services/contracts/recordCandidatesMapping.ts';
import { fromRecordJudgementValue, toRecordJudgementValue } from '../../../services/contracts/recordJudgementMapping.ts';
import type {
  AnnotatedRecordMessage,
  DeadLetterMessage,
  PubmedRecordMessage,
  RecordCandidatesMessage,
  RecordJudgementMessage,
} from '../../../services/contracts/topicMessages.ts';
import {
  annotateLineage,
  annotatedArticle,
  bookArticle,
  deadLetter,
  emptyDeadLetter,
  failedJudgement,
  generateLineage,
  ingestLineage,
  journalArticle,
  judgeLineage,
  noAbstractCandidates,
  recordCandidates,
  recordJudgement,
} from './contractFixtures.ts';

/** Through the wire and back: avsc writes the value with the topic's schema and reads it again. */
function throughAvro<T>(schemaName: string, value: T): T {
  const type = avroTypeFor(AVRO_SCHEMAS[schemaName] as Record<string, unknown>);
  return type.fromBuffer(type.toBuffer(value)) as T;
}

describe('pubmed.records.v1 values', () => {
  it.each([
    ['a journal article with ids, chemicals and qualified headings', journalArticle()],
    ['a book record with nulls and empty lists', bookArticle()],
  ])('round-trip %s unchanged through Avro', (_name, article) => {
    const decoded = throughAvro<PubmedRecordMessage>(TOPICS.records, toPubmedRecordValue(article, ingestLineage));
    expect(fromPubmedRecordValue(decoded)).toStrictEqual(article);
    expect(decoded.lineage.producedAt).toBeInstanceOf(Date);
    expect(decoded.lineage.producedAt.getTime()).toBe(ingestLineage.producedAt.getTime());
    expect(decoded.schemaVersion).toBe(1);
  });

  it('keeps the article-id map as a plain map of every IdType', () => {
    const decoded = throughAvro<PubmedRecordMessage>(TOPICS.records, toPubmedRecordValue(journalArticle(), ingestLineage));
    expect(fromPubmedRecordValue(decoded).articleIds).toStrictEqual({
      pubmed: '91000017',
      doi: '10.9999/jhwf.2024.017',
      pmc: 'PMC9900017',
      pii: 'S0000-0019(24)00017-X',
    });
  });

  it('refuses to encode a lineage whose producedAt is not a Date, naming the field', () => {
    const type = avroTypeFor(AVRO_SCHEMAS[TOPICS.records] as Record<string, unknown>);
    const value = toPubmedRecordValue(journalArticle(), ingestLineage);
    const bad = { ...value, lineage: { ...value.lineage, producedAt: 1736847012345 as unknown as Date } };
    const paths: string[] = [];
    expect(type.isValid(bad, { errorHook: (path) => paths.push(path.join('.')) })).toBe(false);
    expect(paths).toEqual(['lineage.producedAt']);
    expect(() => type.toBuffer({ ...value, lineage: { ...value.lineage, producedAt: new Date(Number.NaN) } })).toThrow();
  });
});

describe('pubmed.annotated.v1 values', () => {
  it('round-trips an annotated record, keeping `matches` absent where it was absent and empty where empty', () => {
    const annotated = annotatedArticle();
    const decoded = throughAvro<AnnotatedRecordMessage>(
      TOPICS.annotated,
      toAnnotatedRecordValue(annotated, annotateLineage, ingestLineage),
    );
    const back = fromAnnotatedRecordValue(decoded);
    expect(back).toStrictEqual(annotated);
    expect('matches' in (back.mesh[0] as object)).toBe(false);
    expect(back.mesh[2]?.matches).toEqual([]);
    expect(decoded.mesh[0]?.matches).toBeNull();
  });

  it('carries the ingest lineage inside the record and the annotate lineage outside', () => {
    const decoded = throughAvro<AnnotatedRecordMessage>(
      TOPICS.annotated,
      toAnnotatedRecordValue(annotatedArticle(), annotateLineage, ingestLineage),
    );
    expect(decoded.record.lineage.service).toBe('ingest');
    expect(decoded.lineage.service).toBe('annotate');
    expect(decoded.lineage.producedAt.toISOString()).toBe('2025-01-14T09:30:13.001Z');
  });
});

describe('qa.candidates.v1 values', () => {
  it('round-trips open, yes/no/maybe and multiple-choice candidates with a failure', () => {
    const candidates = recordCandidates();
    const decoded = throughAvro<RecordCandidatesMessage>(TOPICS.candidates, toRecordCandidatesValue(candidates, generateLineage));
    expect(fromRecordCandidatesValue(decoded)).toStrictEqual(candidates);
  });

  it('spells the rule-based backend as the Avro symbol rule_based on the wire', () => {
    const value = toRecordCandidatesValue(recordCandidates(), generateLineage);
    expect(value.items.map((i) => i.generator.backend)).toEqual(['rule_based', 'llm', 'llm']);
    const decoded = fromRecordCandidatesValue(throughAvro(TOPICS.candidates, value));
    expect(decoded.items.map((i) => i.generator.backend)).toEqual(['rule-based', 'llm', 'llm']);
  });

  it('round-trips a record with no candidates, so every input PMID still yields one message', () => {
    const none = noAbstractCandidates();
    const decoded = throughAvro<RecordCandidatesMessage>(TOPICS.candidates, toRecordCandidatesValue(none, generateLineage));
    expect(fromRecordCandidatesValue(decoded)).toStrictEqual(none);
  });

  it('cannot encode the domain spelling rule-based, which is not an Avro enum symbol', () => {
    const type = avroTypeFor(AVRO_SCHEMAS[TOPICS.candidates] as Record<string, unknown>);
    const value = toRecordCandidatesValue(recordCandidates(), generateLineage);
    const raw = { ...value, items: value.items.map((i) => ({ ...i, generator: { ...i.generator, backend: 'rule-based' } })) };
    expect(() => type.toBuffer(raw)).toThrow();
  });
});

describe('qa.judged.v1 values', () => {
  it('round-trips accepted, rejected and Verification-of-Choice judgements', () => {
    const judgement = recordJudgement();
    const decoded = throughAvro<RecordJudgementMessage>(TOPICS.judged, toRecordJudgementValue(judgement, judgeLineage));
    expect(fromRecordJudgementValue(decoded)).toStrictEqual(judgement);
  });

  it('round-trips a failed record with no items', () => {
    const failed = failedJudgement();
    const decoded = throughAvro<RecordJudgementMessage>(TOPICS.judged, toRecordJudgementValue(failed, judgeLineage));
    expect(fromRecordJudgementValue(decoded)).toStrictEqual(failed);
  });

  it('throws a non-retriable ContractError for a reject reason this code does not know', () => {
    const value = toRecordJudgementValue(recordJudgement(), judgeLineage);
    const item = value.items[1];
    if (!item) throw new Error('fixture has three items');
    item.rejectReasons = ['low_grounded', 'too_long'];
    const decoded = throughAvro<RecordJudgementMessage>(TOPICS.judged, value);
    let caught: unknown;
    try {
      fromRecordJudgementValue(decoded);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ContractError);
    expect((caught as ContractError).retriable).toBe(false);
    expect((caught as ContractError).message).toContain('"too_long"');
  });
});

describe('dead-letter values', () => {
  it.each([
    ['with the raw key and value bytes and a 64-bit offset', deadLetter()],
    ['with neither key nor value', emptyDeadLetter()],
  ])('round-trip a dead letter %s', (_name, letter) => {
    const decoded = throughAvro<DeadLetterMessage>('dead-letter', toDeadLetterValue(letter, annotateLineage));
    expect(fromDeadLetterValue(decoded)).toStrictEqual(letter);
  });

  it('copies the bytes, so reusing the consumer buffer cannot change the dead letter', () => {
    const letter = deadLetter();
    const value = toDeadLetterValue(letter, annotateLineage);
    letter.value?.fill(0);
    expect(value.value?.[0]).toBe(0x01);
  });
});

describe('timestamp-millis', () => {
  it('reads a lineage written with producedAt as a plain long as a Date', () => {
    const plain = avro.Type.forSchema({
      type: 'record',
      name: 'Lineage',
      namespace: 'org.medistill.v1',
      fields: [
        { name: 'service', type: 'string' },
        { name: 'codeVersion', type: 'string' },
        { name: 'producedAt', type: 'long' },
      ],
    });
    const lineageSchema = (AVRO_SCHEMAS['dead-letter'] as { fields: { name: string; type: unknown }[] }).fields.find(
      (f) => f.name === 'lineage',
    )?.type as Record<string, unknown>;
    const reader = avroTypeFor({ ...lineageSchema, namespace: 'org.medistill.v1' });
    const bytes = plain.toBuffer({ service: 's', codeVersion: 'v', producedAt: 1736847012345 });
    const read = reader.fromBuffer(bytes, reader.createResolver(plain)) as { producedAt: Date };
    expect(read.producedAt).toBeInstanceOf(Date);
    expect(read.producedAt.toISOString()).toBe('2025-01-14T09:30:12.345Z');
  });
});
