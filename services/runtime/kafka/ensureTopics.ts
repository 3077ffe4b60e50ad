import type { Admin } from 'kafkajs';

/** Creates the topics that do not exist yet, with the configured partitions and replication. */
export async function ensureTopics(admin: Admin, topics: readonly string[], partitions: number, replication: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: replication })),
  });
  return missing;
}
