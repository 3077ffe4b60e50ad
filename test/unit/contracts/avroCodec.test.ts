import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AVRO_SCHEMAS } from '../../../services/contracts/avroSchemas.ts';
import { createAvroCodec } from '../../../services/contracts/avroCodec.ts';
import { avroTypeFor } from '../../../services/contracts/avroTypes.ts';
import { ContractConfigError, ContractError, RegistryUnavailableError, SchemaRegistrationError } from '../../../services/errors/medistillErrors.ts';
import { fromDeadLetterValue, toDeadLetterValue } from '../../../services/contracts/deadLetterMapping.ts';
import type { DeadLetterMessage } from '../../../services/contracts/topicMessages.ts';
import { annotateLineage, deadLetter } from './contractFixtures.ts';

/**
 * A stand-in for the registry's schema lookup only (GET /schemas/ids/{id}): enough to count the
 * lookups and to make the registry slow or failing, which a real registry cannot be asked to be.
 */
interface FakeRegistry {
  url: string;
  hits: string[];
  headers: IncomingHttpHeaders[];
  /** ok: serves schema 7; hang: never answers; fail: 503; refuse: a subject config that refuses every new version. */
  mode: 'ok' | 'hang' | 'fail' | 'refuse';
  close(): Promise<void>;
}

const SCHEMA_ID = 7;
const servers: Server[] = [];

async function fakeRegistry(): Promise<FakeRegistry> {
  const fake: Omit<FakeRegistry, 'url' | 'close'> = { hits: [], headers: [], mode: 'ok' };
  const server = createServer((req, res) => {
    fake.hits.push(`${req.method} ${req.url}`);
    fake.headers.push(req.headers);
    if (fake.mode === 'hang') return;
    res.setHeader('Content-Type', 'application/vnd.schemaregistry.v1+json');
    if (fake.mode === 'fail') {
      res.statusCode = 503;
      res.end(JSON.stringify({ error_code: 50302, message: 'storage unavailable' }));
      return;
    }
    if (fake.mode === 'refuse') {
      if (req.url?.startsWith('/apis/ccompat/v7/config/')) {
        res.end(JSON.stringify(req.method === 'GET' ? { compatibilityLevel: 'BACKWARD' } : { compatibility: 'BACKWARD' }));
      } else {
        res.statusCode = 409;
        res.end(JSON.stringify({ error_code: 409, message: 'Incompatible artifact: [y at /fields/1]' }));
      }
      return;
    }
    if (req.method === 'GET' && req.url === `/apis/ccompat/v7/schemas/ids/${SCHEMA_ID}`) {
      res.end(JSON.stringify({ schema: JSON.stringify(AVRO_SCHEMAS['dead-letter']) }));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/apis/ccompat/v7`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A dead letter in the wire format, as a producer with schema id `id` would write it. */
function wireMessage(id = SCHEMA_ID): { bytes: Buffer; value: DeadLetterMessage } {
  const value = toDeadLetterValue(deadLetter(), annotateLineage);
  const body = avroTypeFor(AVRO_SCHEMAS['dead-letter'] as Record<string, unknown>).toBuffer(value);
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return { bytes: Buffer.concat([header, body]), value };
}

async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('createAvroCodec decode', () => {
  it('fetches a writer schema once per id, for concurrent and later messages alike', async () => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    const { bytes, value } = wireMessage();
    const first = await Promise.all(Array.from({ length: 10 }, () => codec.decode(bytes)));
    for (let i = 0; i < 10; i++) await codec.decode(bytes);
    expect(registry.hits).toEqual([`GET /apis/ccompat/v7/schemas/ids/${SCHEMA_ID}`]);
    const decoded = first[0] as DeadLetterMessage;
    expect(fromDeadLetterValue(decoded)).toStrictEqual(deadLetter());
    expect(decoded.lineage.producedAt).toEqual(value.lineage.producedAt);
  });

  it('gives up on a registry that never answers after timeoutMs, with a retriable error', async () => {
    const registry = await fakeRegistry();
    registry.mode = 'hang';
    const codec = createAvroCodec({ registryUrl: registry.url, timeoutMs: 300 });
    const started = Date.now();
    const err = await caught(codec.decode(wireMessage().bytes));
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect((err as RegistryUnavailableError).retriable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a failing registry a bounded number of times, then reports it unavailable', async () => {
    const registry = await fakeRegistry();
    registry.mode = 'fail';
    const codec = createAvroCodec({ registryUrl: registry.url, retries: 2, timeoutMs: 5_000 });
    const err = await caught(codec.decode(wireMessage().bytes));
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect(registry.hits).toHaveLength(3);
  });

  it('reports an unreachable registry as unavailable, not as a bad message', async () => {
    const registry = await fakeRegistry();
    await registry.close();
    const codec = createAvroCodec({ registryUrl: registry.url, timeoutMs: 2_000 });
    expect(await caught(codec.decode(wireMessage().bytes))).toBeInstanceOf(RegistryUnavailableError);
  });

  it('throws a non-retriable ContractError for a schema id the registry does not know', async () => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    const err = await caught(codec.decode(wireMessage(4242).bytes));
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).violation).toBe('unknown_schema_id');
    expect((err as ContractError).retriable).toBe(false);
    expect((err as ContractError).message).toContain('4242');
    expect((err as ContractError).cause).toBeDefined();
  });

  it.each([
    ['a wrong magic byte', Buffer.from([1, 0, 0, 0, 7, 2, 0]), 'bad_magic_byte'],
    ['fewer bytes than the header', Buffer.from([0, 0, 0]), 'too_short'],
    ['an empty buffer', Buffer.alloc(0), 'too_short'],
    ['schema id 0', Buffer.from([0, 0, 0, 0, 0, 2]), 'unknown_schema_id'],
    ['a JSON document', Buffer.from('{"pmid":"1"}'), 'bad_magic_byte'],
  ] as const)('rejects %s without asking the registry', async (_name, bytes, violation) => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    const err = await caught(codec.decode(bytes));
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).violation).toBe(violation);
    expect(registry.hits).toEqual([]);
  });

  it('rejects a value that is not a Buffer', async () => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    const err = await caught(codec.decode(null as unknown as Buffer));
    expect((err as ContractError).violation).toBe('not_a_buffer');
  });

  it.each([
    ['a truncated body', (b: Buffer) => b.subarray(0, b.length - 4)],
    ['a body cut right after the header', (b: Buffer) => b.subarray(0, 6)],
    ['trailing bytes after the body', (b: Buffer) => Buffer.concat([b, Buffer.from([1, 2, 3])])],
  ])('throws ContractError bad_body for %s', async (_name, damage) => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    const err = await caught(codec.decode(damage(wireMessage().bytes)));
    expect(err).toBeInstanceOf(ContractError);
    expect((err as ContractError).violation).toBe('bad_body');
  });

  it('sends basic auth with every registry request', async () => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url, auth: { username: 'svc', password: 's3cret' } });
    await codec.decode(wireMessage().bytes);
    expect(registry.headers[0]?.authorization).toBe(`Basic ${Buffer.from('svc:s3cret').toString('base64')}`);
  });
});

describe('createAvroCodec settings and use', () => {
  it.each([
    [{ registryUrl: 'registry:8080' }, /not a URL|http or https/],
    [{ registryUrl: 'ftp://registry/apis/ccompat/v7' }, /http or https/],
    [{ registryUrl: 'http://registry:8080', timeoutMs: 0 }, /timeoutMs/],
    [{ registryUrl: 'http://registry:8080', retries: -1 }, /retries/],
  ])('refuses bad settings at construction (%o)', (options, message) => {
    expect(() => createAvroCodec(options)).toThrow(ContractConfigError);
    expect(() => createAvroCodec(options)).toThrow(message);
  });

  it('refuses to encode for a topic registerAll did not register', async () => {
    const codec = createAvroCodec({ registryUrl: 'http://127.0.0.1:9/apis/ccompat/v7' });
    await expect(codec.encode('qa.judged.v1', {})).rejects.toBeInstanceOf(ContractConfigError);
    expect(() => codec.schemaId('qa.judged.v1')).toThrow(/registerAll/);
  });

  it('refuses to register a topic that has no schema, before any request', async () => {
    const registry = await fakeRegistry();
    const codec = createAvroCodec({ registryUrl: registry.url });
    await expect(codec.registerAll(['pubmed.records.v2'])).rejects.toBeInstanceOf(ContractConfigError);
    expect(registry.hits).toEqual([]);
  });

  it('turns a registry refusal (409) into a non-retriable SchemaRegistrationError naming the subject', async () => {
    const registry = await fakeRegistry();
    registry.mode = 'refuse';
    const codec = createAvroCodec({ registryUrl: registry.url });
    const err = await caught(codec.registerAll(['qa.judged.v1']));
    expect(err).toBeInstanceOf(SchemaRegistrationError);
    expect((err as SchemaRegistrationError).retriable).toBe(false);
    expect((err as SchemaRegistrationError).status).toBe(409);
    expect((err as SchemaRegistrationError).subject).toBe('qa.judged.v1-value');
    expect((err as Error).message).toMatch(/not BACKWARD compatible/);
    expect(registry.hits).toContain('PUT /apis/ccompat/v7/config/qa.judged.v1-value');
  });
});
