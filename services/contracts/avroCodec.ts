import type { Resolver, Type } from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AVRO_SCHEMAS, dlqTopic } from './avroSchemas.ts';
import { AVSC_OPTIONS, avroTypeFor } from './avroTypes.ts';
import { ContractConfigError, ContractError, RegistryUnavailableError, SchemaRegistrationError } from '../errors/medistillErrors.ts';
import { checkRegistryConnection, createRegistryAdmin, type CompatibilityLevel } from './registryAdmin.ts';
import { schemaNameOfTopic, valueSubject } from './topicSubjects.ts';
import { withDeadline } from './withDeadline.ts';

/** Options of {@link createAvroCodec}. */
export interface AvroCodecOptions {
  /** Base URL of the Confluent-compatible API (Apicurio: `<base>/apis/ccompat/v7`). */
  registryUrl: string;
  /** Basic auth for the registry. Secret: never logged. */
  auth?: { username: string; password: string };
  /** Deadline of each registry operation (a schema lookup or a registration, retries included). Default 10 s. */
  timeoutMs?: number;
  /** Retries of a registry request that failed with a 5xx. Default 2. */
  retries?: number;
}

/** Encodes and decodes topic values in the Confluent wire format: magic byte 0, 4-byte schema id, Avro body. */
export interface AvroCodec {
  /**
   * Registers each topic's value schema under `<topic>-value`, and the dead-letter schema under
   * `<topic>.dlq-value`, each subject set to BACKWARD; remembers the ids. Returns topic → schema id.
   */
  registerAll(topics: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /** The schema id registerAll got for a topic's values. */
  schemaId(topic: string): number;
  /** Encodes a value of a registered topic with its cached schema id (no registry call). */
  encode(topic: string, value: unknown): Promise<Buffer>;
  /**
   * Decodes a message value; the writer schema is fetched once per id and cached. Given a registered
   * topic, data written with an older schema is read into the current one (new fields get their defaults).
   * Throws ContractError for a value that breaks the contract, RegistryUnavailableError when the lookup fails.
   */
  decode(buffer: Buffer, topic?: string): Promise<unknown>;
}

const HEADER_BYTES = 5;
/** Levels that imply BACKWARD and are left as an operator set them. */
const STRICTER_THAN_BACKWARD: ReadonlySet<string> = new Set(['BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);
/** Bound on the cached writer→reader resolvers (one per schema id and topic in practice). */
const MAX_RESOLVERS = 1024;

type RegistryArgs = ConstructorParameters<typeof SchemaRegistry>[0];
type Middleware = NonNullable<RegistryArgs['middlewares']>[number];

/** The Confluent wire format: magic byte 0, the schema id (int32 big-endian), the Avro body. */
function withWireHeader(id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = 0;
  out.writeInt32BE(id, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The client library reports network failures and timeouts as status 400, so only 404 means "no such id". */
function lookupFailure(err: unknown, id: number): Error {
  if (err instanceof RegistryUnavailableError) return err;
  if (statusOf(err) === 404) {
    return new ContractError('unknown_schema_id', `schema id ${id} is unknown to the registry`, { cause: err });
  }
  return new RegistryUnavailableError(`looking up schema id ${id} failed: ${(err as Error).message}`, { cause: err });
}

function registrationFailure(err: unknown, subject: string): Error {
  if (err instanceof RegistryUnavailableError || err instanceof SchemaRegistrationError) return err;
  const status = statusOf(err);
  const message = (err as Error).message;
  if (status === 409) {
    return new SchemaRegistrationError(
      subject,
      `the schema of ${subject} is not BACKWARD compatible with its latest registered version: ${message}. ` +
        'Add fields with defaults instead of changing or removing them (see schemas/README.md)',
      { status, cause: err },
    );
  }
  // No status: the library refused locally (an invalid schema, a compatibility mismatch).
  if (status === undefined || (status > 400 && status < 500)) {
    return new SchemaRegistrationError(subject, `registering ${subject} was refused: ${message}`, { status, cause: err });
  }
  return new RegistryUnavailableError(`registering ${subject} failed: ${message}`, { cause: err });
}

/**
 * A codec over @kafkajs/confluent-schema-registry. The library caches decoders by schema id and
 * sends one request for concurrent misses of the same id; it has no overall deadline, so every
 * registry operation here gets one, and each HTTP request a timeout.
 */
export function createAvroCodec(options: AvroCodecOptions): AvroCodec {
  const { baseUrl, timeoutMs } = checkRegistryConnection(options);
  const retries = options.retries ?? 2;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
    throw new ContractConfigError(`retries must be an integer from 0 to 10, got ${options.retries}`);
  }
  const requestTimeout: Middleware = () => ({
    async prepareRequest(next) {
      return (await next()).enhance({ timeout: timeoutMs });
    },
  });
  const registry = new SchemaRegistry(
    {
      host: baseUrl,
      auth: options.auth,
      retry: { retries, maxRetryTimeInSecs: Math.max(1, timeoutMs / 1000) },
      middlewares: [requestTimeout],
    },
    { [SchemaType.AVRO]: { ...AVSC_OPTIONS } },
  );
  const admin = createRegistryAdmin({ registryUrl: baseUrl, auth: options.auth, timeoutMs });
  const idsBySubject = new Map<string, number>();
  const readerTypes = new Map<string, Type>();
  const resolvers = new Map<string, Resolver | null>();

  async function registerSubject(subject: string, schema: Record<string, unknown>): Promise<number> {
    const work = async (): Promise<number> => {
      // Apicurio reports the configured default for a subject with no level of its own, even when
      // the rule actually in force is NONE: so the subject's own level is set, not trusted.
      const level = await admin.subjectCompatibility(subject);
      let compatibility: CompatibilityLevel = 'BACKWARD';
      if (level !== null && STRICTER_THAN_BACKWARD.has(level)) compatibility = level;
      else await admin.setSubjectCompatibility(subject, 'BACKWARD');
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY[compatibility] },
      );
      return id;
    };
    try {
      return await withDeadline(work(), timeoutMs, `registering ${subject}`);
    } catch (err) {
      throw registrationFailure(err, subject);
    }
  }

  function readerType(topic: string): Type | undefined {
    if (!idsBySubject.has(valueSubject(topic))) return undefined;
    let type = readerTypes.get(topic);
    if (!type) {
      type = avroTypeFor(AVRO_SCHEMAS[schemaNameOfTopic(topic)] as Record<string, unknown>);
      readerTypes.set(topic, type);
    }
    return type;
  }

  /** null when the writer schema is the reader's own: plain decoding, no resolution. */
  function resolverFor(topic: string, id: number, writer: Type, reader: Type): Resolver | null {
    const key = `${topic}\u0000${id}`;
    if (resolvers.has(key)) return resolvers.get(key) ?? null;
    let resolver: Resolver | null;
    try {
      resolver = reader.equals(writer) ? null : reader.createResolver(writer);
    } catch (err) {
      throw new ContractError(
        'bad_body',
        `schema id ${id} cannot be read as the current ${topic} schema: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (resolvers.size >= MAX_RESOLVERS) resolvers.clear();
    resolvers.set(key, resolver);
    return resolver;
  }

  function schemaId(topic: string): number {
    const id = idsBySubject.get(valueSubject(topic));
    if (id === undefined) {
      throw new ContractConfigError(`topic ${topic} has no registered schema; call registerAll with it first`);
    }
    return id;
  }

  return {
    async registerAll(topics) {
      const result = new Map<string, number>();
      for (const topic of topics) {
        const related = schemaNameOfTopic(topic) === topic ? [topic, dlqTopic(topic)] : [topic];
        for (const t of related) {
          const subject = valueSubject(t);
          const id = await registerSubject(subject, AVRO_SCHEMAS[schemaNameOfTopic(t)] as Record<string, unknown>);
          idsBySubject.set(subject, id);
          result.set(t, id);
        }
      }
      return result;
    },

    schemaId,

    async encode(topic, value) {
      const id = schemaId(topic);
      // Hot path: the writer type is cached after the first encode of an id, so a value is one
      // toBuffer and a header, without the library's awaits; a failure takes the library's path below,
      // which reports the invalid paths.
      const cached = registry.cache.getSchema(id);
      if (cached?.type === SchemaType.AVRO) {
        try {
          return withWireHeader(id, (cached.schema as Type).toBuffer(value));
        } catch {
          // fall through: the library re-encodes and explains what is invalid
        }
      }
      try {
        return await registry.encode(id, value);
      } catch (err) {
        const paths = (err as { paths?: string[][] }).paths ?? [];
        const where = paths.length > 0 ? ` at ${paths.map((p) => p.join('.') || '(root)').join(', ')}` : '';
        throw new ContractError('invalid_value', `value for ${topic} does not match its schema${where}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },

    async decode(buffer, topic) {
      if (!Buffer.isBuffer(buffer)) {
        throw new ContractError('not_a_buffer', `expected a Buffer to decode, got ${buffer === null ? 'null' : typeof buffer}`);
      }
      if (buffer.length < HEADER_BYTES) {
        throw new ContractError('too_short', `message of ${buffer.length} bytes is shorter than the 5-byte wire-format header`);
      }
      if (buffer[0] !== 0) {
        throw new ContractError('bad_magic_byte', `magic byte is ${buffer[0]}, expected 0: not in the Confluent wire format`);
      }
      const id = buffer.readInt32BE(1);
      if (id <= 0) throw new ContractError('unknown_schema_id', `schema id ${id} is not a registry id`);
      // Hot path: a cached writer schema needs no lookup, so no deadline timer per message.
      let writer: unknown = registry.cache.getSchema(id)?.schema;
      if (writer === undefined) {
        try {
          writer = await withDeadline(registry.getSchema(id), timeoutMs, `looking up schema id ${id}`);
        } catch (err) {
          throw lookupFailure(err, id);
        }
      }
      if (registry.cache.getSchema(id)?.type !== SchemaType.AVRO) {
        throw new ContractError('unknown_schema_id', `schema id ${id} is not an Avro schema`);
      }
      const writerType = writer as Type;
      const reader = topic === undefined ? undefined : readerType(topic);
      const body = buffer.subarray(HEADER_BYTES);
      try {
        if (reader) {
          const resolver = resolverFor(topic as string, id, writerType, reader);
          return resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body);
        }
        return writerType.fromBuffer(body);
      } catch (err) {
        if (err instanceof ContractError) throw err;
        throw new ContractError('bad_body', `Avro body of ${body.length} bytes (schema id ${id}) does not decode: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
  };
}
