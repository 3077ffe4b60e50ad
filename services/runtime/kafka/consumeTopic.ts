import type { Kafka } from 'kafkajs';
import type { AvroCodec } from '../../contracts/avroCodec.ts';

/** Where reading starts. */
export type ConsumeFrom = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: string } | { kind: 'timestamp'; ms: number };

/** One message as `medistill consume` prints it. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  /** The decoded value; null for a tombstone or a value that could not be decoded. */
  value: unknown;
  tombstone: boolean;
  /** Why the value could not be decoded (then `raw` holds its bytes in base64). */
  error?: string;
  raw?: string;
}

/** Options of {@link consumeTopic}. */
export interface ConsumeTopicOptions {
  kafka: Kafka;
  codec: AvroCodec;
  topic: string;
  from: ConsumeFrom;
  /** Stop after this many messages printed. */
  limit?: number;
  /** Print only messages with this key. */
  key?: string;
  /** Stop when no message came for this long (default: never). */
  idleMs?: number;
  /** Stops reading when aborted (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  onMessage: (message: ConsumedMessage) => void;
}

/**
 * Reads a topic from a position and hands every message over decoded, the way
 * kafka-avro-console-consumer does: Confluent-framed Avro through the schema registry, tombstones as
 * null values, headers (a dead letter's reason and origin) as text. A value that cannot be decoded is
 * handed over with the error and its raw bytes rather than stopping the read. Nothing is committed:
 * each call reads under a throwaway group. Resolves with the number of messages handed over.
 * @example await consumeTopic({ kafka, codec, topic: 'qa.judged.v1', from: { kind: 'earliest' }, limit: 10, onMessage: (m) => console.log(JSON.stringify(m)) });
 */
export async function consumeTopic(options: ConsumeTopicOptions): Promise<number> {
  const { kafka, codec, topic, from } = options;
  let seeks: { partition: number; offset: string }[] = [];
  if (from.kind === 'offset' || from.kind === 'timestamp') {
    const admin = kafka.admin();
    await admin.connect();
    try {
      seeks =
        from.kind === 'offset'
          ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: from.offset }))
          : (await admin.fetchTopicOffsetsByTimestamp(topic, from.ms)).map((p) => ({ partition: p.partition, offset: p.offset }));
    } finally {
      await admin.disconnect();
    }
  }
  const consumer = kafka.consumer({ groupId: `medistill-consume-${process.pid}-${Date.now().toString(36)}`, allowAutoTopicCreation: false });
  let printed = 0;
  let lastActivity = Date.now();
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const onAbort = () => finish();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const idleTimer = options.idleMs === undefined ? null : setInterval(() => Date.now() - lastActivity >= options.idleMs! && finish(), Math.min(options.idleMs, 250));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: from.kind !== 'latest' });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        lastActivity = Date.now();
        if (options.limit !== undefined && printed >= options.limit) return;
        const key = message.key?.toString('utf8') ?? null;
        if (options.key !== undefined && key !== options.key) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        const out: ConsumedMessage = { topic, partition, offset: message.offset, timestamp: new Date(Number(message.timestamp)).toISOString(), key, headers, value: null, tombstone: message.value === null };
        if (message.value !== null) {
          try {
            out.value = await codec.decode(message.value);
          } catch (err) {
            out.error = err instanceof Error ? err.message : String(err);
            out.raw = message.value.toString('base64');
          }
        }
        printed++;
        options.onMessage(out);
        if (options.limit !== undefined && printed >= options.limit) finish();
      },
    });
    // Positions apply once the consumer has its partitions; kafkajs takes seeks after run().
    for (const s of seeks) consumer.seek({ topic, partition: s.partition, offset: s.offset });
    await done;
  } finally {
    if (idleTimer) clearInterval(idleTimer);
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect();
  }
  return printed;
}

/** JSON for a decoded Avro value: bytes as base64, 64-bit integers as numbers when safe, else strings. */
export function consumedJson(message: ConsumedMessage): string {
  return JSON.stringify(message, (_k, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}
