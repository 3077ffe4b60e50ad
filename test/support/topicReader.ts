import type { Kafka } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads every message of a topic that exists now (up to the end offsets at the time of the call)
 * with the admin API's offsets and a throwaway consumer group.
 */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => e.partition));
  if (remaining.size === 0) return [];
  const highs = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  const out: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach the end within ${timeoutMs} ms`)), timeoutMs);
      void consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (!remaining.has(partition) && BigInt(message.offset) >= (highs.get(partition) ?? 0n)) return;
            if (BigInt(message.offset) < (highs.get(partition) ?? 0n)) {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
              out.push({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value, headers });
            }
            if (BigInt(message.offset) + 1n >= (highs.get(partition) ?? 0n)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
