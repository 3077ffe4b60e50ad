import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { DEFAULT_STACK_DIR, startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { fetchStackArtifacts } from '../../../deploy/local/fetchArtifacts.ts';
import { findJava } from '../../../deploy/local/findJava.ts';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { startKafka } from '../../../deploy/local/startKafka.ts';
import { runStackCli } from '../../../deploy/local/stackCli.ts';
import { ServerStartError } from '../../../deploy/local/stackErrors.ts';
import { readStackState } from '../../../deploy/local/stackState.ts';
import { isRunning, stopPid } from '../../../deploy/local/stopPid.ts';

/** The first start fetches Kafka and the registry with Maven. */
const FIRST_START_TIMEOUT_MS = 600_000;

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function compatible(registryUrl: string, subject: string, schema: object): Promise<boolean> {
  const response = await fetch(`${registryUrl}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { is_compatible: boolean };
  return body.is_compatible;
}

const citationV1 = {
  type: 'record' as const,
  name: 'Citation',
  namespace: 'medistill.test',
  fields: [
    { name: 'pmid', type: 'string' },
    { name: 'year', type: 'int' },
  ],
};
const citationV2 = {
  ...citationV1,
  fields: [...citationV1.fields, { name: 'journal', type: 'string', default: '' }],
};
/** Changes a field's type: old records could not be read with it. */
const citationIncompatible = {
  ...citationV1,
  fields: [
    { name: 'pmid', type: 'long' },
    { name: 'year', type: 'int' },
  ],
};

describe('local stack (real Kafka broker and schema registry)', () => {
  let stack: LocalStack;
  let kafka: Kafka;

  beforeAll(async () => {
    stack = await startLocalStack({ dir: DEFAULT_STACK_DIR });
    kafka = new Kafka({ clientId: 'local-stack-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  }, FIRST_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it('creates a topic, produces idempotently and a consumer group reads every message back and commits', async () => {
    const topic = unique('stack-topic');
    const groupId = unique('stack-group');
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      expect(await admin.listTopics()).toContain(topic);

      const sent = Array.from({ length: 30 }, (_, i) => ({ key: `pmid-${i % 5}`, value: `record-${i}` }));
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({ topic, messages: sent.slice(0, 15) });
        await producer.send({ topic, messages: sent.slice(15) });
      } finally {
        await producer.disconnect();
      }

      const received: { partition: number; message: KafkaMessage }[] = [];
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        let allReceived!: () => void;
        const done = new Promise<void>((resolve) => (allReceived = resolve));
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            received.push({ partition, message });
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            if (received.length >= sent.length) allReceived();
          },
        });
        await Promise.race([
          done,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received.length} of ${sent.length} messages consumed`)), 45_000)),
        ]);
      } finally {
        await consumer.disconnect();
      }

      const values = received.map((r) => r.message.value?.toString());
      expect(values.sort()).toEqual(sent.map((m) => m.value).sort());
      // Per key, the broker kept the order of sending: keys map to one partition.
      for (const key of new Set(sent.map((m) => m.key))) {
        const order = received.filter((r) => r.message.key?.toString() === key).map((r) => r.message.value?.toString());
        expect(order).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
      }

      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(
        ends.map((p) => [p.partition, p.high]).sort(),
      );
      expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
    } finally {
      await admin.disconnect();
    }
  }, 90_000);

  it('registers an Avro schema under <topic>-value and round-trips a record through the Confluent wire format', async () => {
    const subject = `${unique('stack-avro')}-value`;
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(citationV1) }, { subject });

    const subjects = (await (await fetch(`${stack.registryUrl}/subjects`)).json()) as string[];
    expect(subjects).toContain(subject);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const record = { pmid: '31452104', year: 2019 };
    const encoded = await registry.encode(id, record);
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(encoded.length).toBeGreaterThan(5);
    expect(await registry.decode(encoded)).toEqual(record);
  });

  it('accepts a BACKWARD-compatible second version and refuses an incompatible one', async () => {
    const subject = `${unique('stack-evolve')}-value`;
    const registry = new SchemaRegistry({ host: stack.registryUrl });
    // v1 arrives by plain REST, as another producer's tooling would send it: the subject gets no
    // compatibility of its own, and the library's later register() must still agree with the registry.
    const posted = await fetch(`${stack.registryUrl}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(citationV1) }),
    });
    expect(posted.status).toBe(200);
    const v1 = (await posted.json()) as { id: number };

    expect(await compatible(stack.registryUrl, subject, citationV2)).toBe(true);
    const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(citationV2) }, { subject });
    expect(v2.id).not.toBe(v1.id);
    expect(await registry.getLatestSchemaId(subject)).toBe(v2.id);

    // A record written with v1 is still readable by a v2 reader: the new field takes its default.
    const oldRecord = await registry.encode(v1.id, { pmid: '1', year: 2001 });
    expect(await registry.decode(oldRecord, { [SchemaType.AVRO]: { readerSchema: citationV2 } })).toEqual({
      pmid: '1',
      year: 2001,
      journal: '',
    });

    expect(await compatible(stack.registryUrl, subject, citationIncompatible)).toBe(false);
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(citationIncompatible) }, { subject }),
    ).rejects.toThrow();
    const versions = (await (await fetch(`${stack.registryUrl}/subjects/${subject}/versions`)).json()) as number[];
    expect(versions).toEqual([1, 2]);
  });

  it('fails a broker start on a taken port with the tail of the broker log', async () => {
    const artifacts = await fetchStackArtifacts(DEFAULT_STACK_DIR);
    const { java } = await findJava(17);
    // Connections are dropped at once, or the probes' sockets would keep close() waiting.
    const taken: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const [controllerPort] = await freePorts(1);
    const dir = await mkdtemp(join(tmpdir(), 'stack-kafka-'));
    try {
      const error = await startKafka({
        dir,
        classpath: artifacts.kafkaClasspath,
        java,
        port: address.port,
        controllerPort: controllerPort as number,
        readyTimeoutMs: 60_000,
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ServerStartError);
      expect((error as ServerStartError).message).toMatch(/exited/);
      expect((error as ServerStartError).logTail).toMatch(new RegExp(`127\\.0\\.0\\.1:${address.port}.*in use|in use.*${address.port}`, 's'));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('stop() ends both server processes and frees their ports', async () => {
    const pids = [stack.kafka.pid, stack.registry.pid];
    expect(pids.map(isAlive)).toEqual([true, true]);
    await stack.stop();
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(await refusesConnections(stack.kafka.port)).toBe(true);
    expect(await refusesConnections(stack.registry.port)).toBe(true);
  }, 60_000);

  // After the shared stack has stopped, so that two stacks never compete for the two cores.
  it('stack CLI: up --no-pipeline leaves a detached stack recorded in state.json and down stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stack-cli-'));
    const artifacts = join(DEFAULT_STACK_DIR, 'artifacts');
    const lines: string[] = [];
    expect(await runStackCli(['up', '--dir', dir, '--artifacts', artifacts, '--no-pipeline'], (l) => lines.push(l))).toBe(0);
    const state = await readStackState(dir);
    expect(state).toBeDefined();
    if (!state) return;
    expect(lines.join('\n')).toContain(state.brokers[0]);
    expect(lines.join('\n')).toContain(state.registryUrl);
    try {
      expect(await isRunning(state.kafka.pid, 'kafka.Kafka')).toBe(true);
      expect(await isRunning(state.registry.pid, 'quarkus-run.jar')).toBe(true);
      const subjects = await fetch(`${state.registryUrl}/subjects`);
      expect(subjects.status).toBe(200);

      expect(await runStackCli(['down', '--dir', dir], () => undefined)).toBe(0);
      expect(await isRunning(state.kafka.pid, 'kafka.Kafka')).toBe(false);
      expect(await isRunning(state.registry.pid, 'quarkus-run.jar')).toBe(false);
      expect(await readStackState(dir)).toBeUndefined();
      await expect(readFile(join(state.runDir, 'kafka', 'server.properties'), 'utf8')).resolves.toContain('process.roles');
    } finally {
      await stopPid(state.kafka.pid, 'kafka.Kafka', { graceMs: 2_000 });
      await stopPid(state.registry.pid, 'quarkus-run.jar', { graceMs: 2_000 });
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
