import type { Admin } from 'kafkajs';

/**
 * Creates the topics that do not exist yet, with the configured partitions and replication, then
 * waits until every partition of every topic has a leader: another service may have created a
 * topic a moment ago, and producing before its leaders are known fails.
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], partitions: number, replication: number, timeoutMs = 30_000): Promise<string[]> {
  const wanted = [...new Set(topics)];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    try {
      // Leaders are awaited below: kafkajs' own wait fails when another service creates the same
      // topics at the same moment.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: replication })),
      });
    } catch (err) {
      // Another service created them first: fine, as long as they exist below.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: wanted });
      if (meta.length === wanted.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    if (Date.now() >= deadline) throw new Error(`topics ${wanted.join(', ')} have no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return missing;
}
