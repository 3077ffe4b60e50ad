import type { Kafka } from 'kafkajs';
import type { ConsumerPort, KafkaPorts, ProducerPort } from './kafkaPorts.ts';

/**
 * The kafkajs adapter of the runners' ports: the one file of the runtime that imports the client.
 * Producers are idempotent with one request in flight (ordering per partition survives retries);
 * consumers never auto-commit and never create topics.
 */
export function createKafkajsPorts(kafka: Kafka): KafkaPorts {
  return {
    consumer({ groupId, fetch }): ConsumerPort {
      const consumer = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: fetch.maxBytesPerPartition,
        maxBytes: fetch.maxBytes,
        maxWaitTimeInMs: fetch.maxWaitTimeInMs,
      });
      return {
        connect: () => consumer.connect(),
        disconnect: () => consumer.disconnect(),
        subscribe: ({ topic, fromBeginning }) => consumer.subscribe({ topic, fromBeginning }),
        run: (eachBatch) =>
          consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
              eachBatch({ batch: { topic: batch.topic, partition: batch.partition, messages: batch.messages }, resolveOffset, heartbeat, isRunning, isStale }),
          }),
        pause: (topic) => consumer.pause([{ topic }]),
        resume: (topic) => consumer.resume([{ topic }]),
        commitOffsets: (offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))),
        onGroupJoin(listener) {
          consumer.on(consumer.events.GROUP_JOIN, (e) => listener(e.payload.memberAssignment));
        },
        onCrash(listener) {
          consumer.on(consumer.events.CRASH, (e) => listener(e.payload.error, e.payload.restart));
        },
      };
    },
    producer(): ProducerPort {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      return {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        async sendBatch(topicMessages) {
          await producer.sendBatch({
            acks: -1,
            topicMessages: topicMessages.map(({ topic, messages }) => ({
              topic,
              messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
            })),
          });
        },
      };
    },
  };
}
