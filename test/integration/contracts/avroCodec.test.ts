import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { fromAnnotatedRecordValue, toAnnotatedRecordValue } from '../../../services/contracts/annotatedRecordMapping.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { AVRO_SCHEMAS, TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import { avroTypeFor } from '../../../services/contracts/avroTypes.ts';
import { ContractError, SchemaRegistrationError } from '../../../services/errors/medistillErrors.ts';
import { fromDeadLetterValue, toDeadLetterValue } from '../../../services/contracts/deadLetterMapping.ts';
import { fromPubmedRecordValue, toPubmedRecordValue } from '../../../services/contracts/pubmedRecordMapping.ts';
import { fromRecordCandidatesValue, toRecordCandidatesValue } from '../../../services/contracts/recordCandidatesMapping.ts';
import { fromRecordJudgementValue, toRecordJudgementValue } from '../../../services/contracts/recordJudgementMapping.ts';
import { createRegistryAdmin, type RegistryAdmin } from '../../../services/contracts/registryAdmin.ts';
import { readSchemaHistory, renderSchemaFile } from '../../../services/contracts/schemaFiles.ts';
import { pipelineSubjects, valueSubject } from '../../../services/contracts/topicSubjects.ts';
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
  deadLetter,
  generateLineage,
  ingestLineage,
  journalArticle,
  judgeLineage,
  recordCandidates,
  recordJudgement,
} from '../../unit/contracts/contractFixtures.ts';

/** The first start fetches Kafka and the registry with Maven. */
const STACK_START_TIMEOUT_MS = 600_000;

let stack: LocalStack;
let admin: RegistryAdmin;
let codec: AvroCodec;
let ids: ReadonlyMap<string, number>;

/** A pipeline subject created before registerAll runs, without a compatibility level of its own. */
const PREEXISTING_SUBJECT = valueSubject(dlqTopic(TOPICS.records));

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Sets the registry-wide compatibility rule (the ccompat global config). */
async function setGlobalCompatibility(level: string): Promise<void> {
  const response = await fetch(`${stack.registryUrl}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
}

/** A deep copy of a schema with `edit` applied to every named type called `name`. */
function editNamedType(schema: unknown, name: string, edit: (node: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(schema) as Record<string, unknown>;
  let found = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.name === name && typeof record.type === 'string' && ['record', 'enum'].includes(record.type)) {
      edit(record);
      found++;
    }
    Object.values(record).forEach(visit);
  };
  visit(copy);
  expect(found, `schema has a type named ${name}`).toBeGreaterThan(0);
  return copy;
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  stack = await startLocalStack();
  admin = createRegistryAdmin({ registryUrl: stack.registryUrl });
  // As a producer with auto-registration would leave it: a subject with a version but no level of its own.
  await admin.registerVersion(PREEXISTING_SUBJECT, AVRO_SCHEMAS['dead-letter']);
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
  ids = await codec.registerAll(Object.values(TOPICS));
}, STACK_START_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

describe('registerAll on Apicurio Registry', () => {
  it('registers each topic under <topic>-value and the dead-letter schema under <topic>.dlq-value', async () => {
    expect([...ids.keys()]).toEqual(Object.values(TOPICS).flatMap((t) => [t, dlqTopic(t)]));
    for (const { topic, subject } of pipelineSubjects()) {
      expect(await admin.versions(subject), subject).toEqual([1]);
      expect(codec.schemaId(topic)).toBe(ids.get(topic));
    }
    // The same dead-letter schema under every .dlq subject has one id; each topic's own schema has its own.
    const dlqIds = new Set(Object.values(TOPICS).map((t) => ids.get(dlqTopic(t))));
    expect(dlqIds.size).toBe(1);
    expect(new Set(Object.values(TOPICS).map((t) => ids.get(t))).size).toBe(Object.values(TOPICS).length);
  });

  it('gives a second service the same ids (registration is idempotent)', async () => {
    const other = createAvroCodec({ registryUrl: stack.registryUrl });
    expect(await other.registerAll([TOPICS.candidates, TOPICS.judged])).toEqual(
      new Map([TOPICS.candidates, dlqTopic(TOPICS.candidates), TOPICS.judged, dlqTopic(TOPICS.judged)].map((t) => [t, ids.get(t)])),
    );
    for (const { subject } of pipelineSubjects()) expect(await admin.versions(subject)).toEqual([1]);
  });

  it('sets every subject to BACKWARD itself, so it is enforced even when the registry-wide rule is NONE', async () => {
    for (const { subject } of pipelineSubjects()) expect(await admin.subjectCompatibility(subject)).toBe('BACKWARD');
    const incompatible = editNamedType(AVRO_SCHEMAS['dead-letter'], 'DeadLetter', (r) => {
      (r.fields as unknown[]).push({ name: 'requiredButNew', type: 'string' });
    });
    const control = unique('control-value');
    await setGlobalCompatibility('NONE');
    try {
      // Apicurio reports BACKWARD for a subject without a level of its own, yet lets anything in:
      // the reason registerAll sets each subject's level instead of trusting GET /config/{subject}.
      await admin.registerVersion(control, AVRO_SCHEMAS['dead-letter']);
      expect(await admin.subjectCompatibility(control)).toBe('BACKWARD');
      await admin.registerVersion(control, incompatible);
      expect(await admin.versions(control)).toEqual([1, 2]);

      for (const subject of [PREEXISTING_SUBJECT, valueSubject(dlqTopic(TOPICS.judged))]) {
        const err = await rejection(admin.registerVersion(subject, incompatible));
        expect(err, subject).toBeInstanceOf(SchemaRegistrationError);
        expect((err as SchemaRegistrationError).status).toBe(409);
        expect(await admin.versions(subject)).toEqual([1]);
      }
    } finally {
      await setGlobalCompatibility('BACKWARD');
    }
  });
});

describe('encode and decode through the registry', () => {
  const samples = [
    {
      topic: TOPICS.records,
      value: () => toPubmedRecordValue(journalArticle(), ingestLineage),
      check: (v: unknown) => expect(fromPubmedRecordValue(v as PubmedRecordMessage)).toStrictEqual(journalArticle()),
    },
    {
      topic: TOPICS.annotated,
      value: () => toAnnotatedRecordValue(annotatedArticle(), annotateLineage, ingestLineage),
      check: (v: unknown) => expect(fromAnnotatedRecordValue(v as AnnotatedRecordMessage)).toStrictEqual(annotatedArticle()),
    },
    {
      topic: TOPICS.candidates,
      value: () => toRecordCandidatesValue(recordCandidates(), generateLineage),
      check: (v: unknown) => expect(fromRecordCandidatesValue(v as RecordCandidatesMessage)).toStrictEqual(recordCandidates()),
    },
    {
      topic: TOPICS.judged,
      value: () => toRecordJudgementValue(recordJudgement(), judgeLineage),
      check: (v: unknown) => expect(fromRecordJudgementValue(v as RecordJudgementMessage)).toStrictEqual(recordJudgement()),
    },
    {
      topic: dlqTopic(TOPICS.annotated),
      value: () => toDeadLetterValue(deadLetter(), annotateLineage),
      check: (v: unknown) => expect(fromDeadLetterValue(v as DeadLetterMessage)).toStrictEqual(deadLetter()),
    },
  ];

  it.each(samples.map((s) => [s.topic, s]))('round-trips a %s message in the Confluent wire format', async (topic, sample) => {
    const value = sample.value();
    const bytes = await codec.encode(topic, value);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(ids.get(topic));
    // The body is plain Avro of the topic's schema: any Avro reader gets the value back.
    const schemaName = topic.endsWith('.dlq') ? 'dead-letter' : topic;
    expect(avroTypeFor(AVRO_SCHEMAS[schemaName] as Record<string, unknown>).fromBuffer(bytes.subarray(5))).toBeTruthy();

    sample.check(await codec.decode(bytes, topic));
    // A service that never registered anything looks the writer schema up by id.
    const fresh = createAvroCodec({ registryUrl: stack.registryUrl });
    const decoded = await fresh.decode(bytes);
    sample.check(decoded);
    expect((decoded as { lineage: { producedAt: Date } }).lineage.producedAt).toEqual(value.lineage.producedAt);
  });

  it('refuses to encode a value that does not match the schema, naming the field', async () => {
    const value = toPubmedRecordValue(journalArticle(), ingestLineage);
    const err = await rejection(codec.encode(TOPICS.records, { ...value, title: 42 }));
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).violation).toBe('invalid_value');
    expect((err as Error).message).toContain('title');
  });

  const truncated = async (): Promise<Buffer> => {
    const whole = await codec.encode(TOPICS.records, toPubmedRecordValue(journalArticle(), ingestLineage));
    return whole.subarray(0, whole.length - 10);
  };
  it.each([
    ['random bytes with a wrong magic byte', async () => Buffer.from([0x7b, ...randomBytes(40)]), 'bad_magic_byte'],
    ['a header with an id the registry never gave', async () => Buffer.from([0, 0x00, 0x0f, 0x42, 0x3f, 2, 0x30]), 'unknown_schema_id'],
    ['a truncated body', truncated, 'bad_body'],
  ] as const)('throws ContractError for %s', async (name, make, violation) => {
    const bytes: Buffer = await make();
    const err = await rejection(codec.decode(bytes, TOPICS.records));
    expect(err, name).toBeInstanceOf(ContractError);
    expect((err as ContractError).violation).toBe(violation);
    expect((err as ContractError).retriable).toBe(false);
  });

  it('reads a message written with a newer schema (an added field with a default) into the current one', async () => {
    const newer = editNamedType(AVRO_SCHEMAS['dead-letter'], 'DeadLetter', (r) => {
      (r.fields as unknown[]).push({ name: 'attempts', type: 'int', default: 0 });
    });
    const newerId = await admin.registerVersion(unique('newer-dead-letter-value'), newer);
    const writer = avroTypeFor(newer);
    const header = Buffer.alloc(5);
    header.writeInt32BE(newerId, 1);
    const bytes = Buffer.concat([header, writer.toBuffer({ ...toDeadLetterValue(deadLetter(), annotateLineage), attempts: 3 })]);

    const asCurrent = (await codec.decode(bytes, dlqTopic(TOPICS.records))) as DeadLetterMessage & { attempts?: number };
    expect(asCurrent.attempts).toBeUndefined();
    expect(fromDeadLetterValue(asCurrent)).toStrictEqual(deadLetter());
    const asWritten = (await codec.decode(bytes)) as { attempts: number };
    expect(asWritten.attempts).toBe(3);
  });
});

describe('schema history against the registry (BACKWARD)', () => {
  it.each(pipelineSubjects().map((s) => [s.subject, s]))(
    '%s: every released version registers in order and the current schema is compatible with the latest',
    async (subject, { schema }) => {
      const history = await readSchemaHistory(subject);
      expect(history.length, `${subject} has no schemas/history/${subject}/v1.avsc`).toBeGreaterThan(0);
      // A schema change needs a new history file (npx tsx services/contracts/writeSchemaFiles.ts --release).
      expect(history.at(-1)?.text, `${subject}: the current schema is not the latest released version`).toBe(
        renderSchemaFile(schema),
      );
      const scratch = unique(`history.${subject}`);
      await admin.setSubjectCompatibility(scratch, 'BACKWARD');
      for (const version of history) {
        await expect(admin.registerVersion(scratch, version.text), `${subject} v${version.version}`).resolves.toBeGreaterThan(0);
      }
      expect(await admin.versions(scratch)).toHaveLength(history.length);
      expect(await admin.isCompatible(scratch, schema)).toBe(true);
    },
  );

  it('accepts an added field with a default and refuses one without, and a removed enum symbol', async () => {
    const subject = unique('evolution.qa.candidates.v1-value');
    await admin.setSubjectCompatibility(subject, 'BACKWARD');
    await admin.registerVersion(subject, AVRO_SCHEMAS[TOPICS.candidates]);

    const withDefault = editNamedType(AVRO_SCHEMAS[TOPICS.candidates], 'RecordCandidates', (r) => {
      (r.fields as unknown[]).push({ name: 'promptHash', type: ['null', 'string'], default: null });
    });
    const withoutDefault = editNamedType(AVRO_SCHEMAS[TOPICS.candidates], 'RecordCandidates', (r) => {
      (r.fields as unknown[]).push({ name: 'promptHash', type: 'string' });
    });
    const lostSymbol = editNamedType(AVRO_SCHEMAS[TOPICS.candidates], 'Backend', (e) => {
      e.symbols = ['rule_based'];
    });
    // Sanity: each edit is still a valid Avro schema, so a refusal is about compatibility only.
    for (const s of [withDefault, withoutDefault, lostSymbol]) avro.Type.forSchema(s as avro.Schema);

    expect(await admin.isCompatible(subject, withDefault)).toBe(true);
    expect(await admin.isCompatible(subject, withoutDefault)).toBe(false);
    expect(await admin.isCompatible(subject, lostSymbol)).toBe(false);
    const err = await rejection(admin.registerVersion(subject, withoutDefault));
    expect(err).toBeInstanceOf(SchemaRegistrationError);
    expect((err as SchemaRegistrationError).status).toBe(409);
    expect(await admin.versions(subject)).toEqual([1]);
  });
});
