import type { CommittableOffset } from './commitTracker.ts';

/**
 * What the runners need from a Kafka client, and nothing more: a consumer-group member that hands
 * out batches, and an acks=all producer. The kafkajs adapter (kafkajsPorts.ts) is the only file that
 * knows the client library, so tests pass fakes and a change of client touches one file.
 */

/** Message headers as the runtime writes them. */
export type MessageHeaders = Record<string, string | Buffer>;

/** One consumed message: raw bytes, decoded by the runner's codec. */
export interface ConsumedMessage {
  /** int64 as a decimal string. */
  offset: string;
  key: Buffer | null;
  /** null: a tombstone. */
  value: Buffer | null;
}

/** Messages of one partition, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: readonly ConsumedMessage[];
}

/** One batch and the controls that go with it (the names follow kafkajs' eachBatch payload). */
export interface BatchContext {
  batch: ConsumedBatch;
  /** Moves the fetch position past `offset`; unresolved messages are fetched again. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True when a rebalance made the rest of this batch someone else's. */
  isStale(): boolean;
}

/** Partitions of each topic assigned to this member after a group join. */
export type PartitionAssignment = Readonly<Record<string, readonly number[]>>;

/** A consumer-group member, with manual commits. */
export interface ConsumerPort {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(options: { topic: string; fromBeginning: boolean }): Promise<void>;
  /** Starts fetching; resolves once the member runs. Batches of one partition are never handled concurrently. */
  run(eachBatch: (context: BatchContext) => Promise<void>): Promise<void>;
  /** Stops fetching every partition of the topic until `resume`. */
  pause(topic: string): void;
  resume(topic: string): void;
  /** Commits "next offset to read" per partition. */
  commitOffsets(offsets: readonly CommittableOffset[]): Promise<void>;
  /** Called after every group join (first join and each rebalance) with this member's partitions. */
  onGroupJoin(listener: (assignment: PartitionAssignment) => void): void;
  /** Called when the consumer crashed; `restart` says whether the client restarts it by itself. */
  onCrash(listener: (error: unknown, restart: boolean) => void): void;
}

/** One message to produce, encoded. */
export interface ProducedMessage {
  key: Buffer | string | null;
  /** null: a tombstone. */
  value: Buffer | null;
  headers?: MessageHeaders;
}

/** An idempotent producer that waits for every in-sync replica (acks=all). */
export interface ProducerPort {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Resolves when the broker acknowledged every message of every topic. */
  sendBatch(topicMessages: readonly { topic: string; messages: readonly ProducedMessage[] }[]): Promise<void>;
}

/** How much a consumer fetches at once; bytes fetched sit in memory until they are taken in. */
export interface FetchSettings {
  maxBytesPerPartition: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
}

/** Makes consumers and producers; one per service process. */
export interface KafkaPorts {
  consumer(options: { groupId: string; fetch: FetchSettings }): ConsumerPort;
  producer(): ProducerPort;
}
