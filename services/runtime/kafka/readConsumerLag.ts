import type { Admin } from 'kafkajs';

/** Lag of a consumer group on one topic, per partition: end offset minus committed offset. */
export async function readConsumerLag(admin: Admin, groupId: string, topic: string): Promise<{ topic: string; partition: number; lag: number }[]> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map<number, string>();
  for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, p.offset);
  return ends.map((e) => {
    const c = byPartition.get(e.partition);
    // No commit yet: the whole retained partition is lag.
    const from = c === undefined || c === '-1' ? BigInt(e.low) : BigInt(c);
    const lag = BigInt(e.high) - from;
    return { topic, partition: e.partition, lag: Number(lag < 0n ? 0n : lag) };
  });
}
