import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, IHeaders } from 'kafkajs';
import { createCommitTracker } from './commitTracker.ts';
import { createInFlightGate, type InFlightGate } from './inFlightGate.ts';
import { createDedupWindow } from './dedupWindow.ts';
import { InfrastructureError } from '../../errors/medistillErrors.ts';
import { decideFailure, failureReason } from './failurePolicy.ts';
import { createOutputProducer, type OutputProducer } from './outputProducer.ts';
import { deadLetterFor } from './deadLetter.ts';
import type { StageInstruments } from './stageInstruments.ts';

/** One message a stage emits; a null value is a tombstone (a deleted paper). */
export interface StageOutput {
  topic: string;
  key: string;
  value: unknown | null;
}

/** The input as the stage sees it: the key and the decoded value (null for a tombstone). */
export interface StageInput {
  key: string;
  value: unknown | null;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A stage as a Kafka service runs it: pure processing from one decoded input to outputs. It never
 * touches kafkajs; the runner owns consuming, producing, commits, retries and dead letters.
 */
export interface KafkaStage {
  readonly name: string;
  readonly inputTopic: string;
  /** Topics the stage writes to (created at start with their dead-letter topics). */
  readonly outputTopics: readonly string[];
  /** Identity of an input for dropping redeliveries (e.g. "pmid@version"); null: never dropped. */
  dedupKey?(input: StageInput): string | null;
  process(input: StageInput, signal: AbortSignal): Promise<StageOutput[]>;
  /** Records in flight when MEDISTILL_MAX_IN_FLIGHT is not set (LLM stages keep fewer). */
  readonly defaultMaxInFlight?: number;
  /** Makes everything `process` accepted durable; called before offsets are committed (sinks). */
  flush?(): Promise<void>;
}

/** Encodes and decodes values in the registry's wire format. */
export interface ValueCodec {
  encode(topic: string, value: unknown): Promise<Buffer>;
  decode(bytes: Buffer): Promise<unknown>;
}

export interface StageRunnerOptions {
  kafka: Kafka;
  codec: ValueCodec;
  stage: KafkaStage;
  groupId: string;
  maxInFlight: number;
  batchSize: number;
  batchMs: number;
  maxAttempts: number;
  commitIntervalMs?: number;
  /** Retry delay base; small in tests. */
  retryBaseMs?: number;
  dedupWindowSize?: number;
  /** Consume from the beginning when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  codeVersion: string;
  log: (line: string) => void;
  instruments?: StageInstruments;
}

export interface StageRunner {
  /** Resolves once the consumer has joined its group and runs. */
  start(): Promise<void>;
  /** Stops fetching, drains in-flight work (up to timeoutMs), commits, disconnects. Idempotent. */
  stop(timeoutMs: number): Promise<void>;
  /** Resolves when the runner stopped, rejects when it crashed (the process should exit non-zero). */
  readonly done: Promise<void>;
  readonly gate: InFlightGate;
  readonly connected: boolean;
}

interface Envelope {
  message: KafkaMessage;
  topic: string;
  partition: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Runs a stage as a consumer-group member with at-least-once delivery:
 * - every fetched message enters a bounded in-flight set; at `maxInFlight` the input topic is
 *   paused and resumed below half of it, so memory does not grow with the backlog;
 * - messages are processed concurrently; an offset is committed only after every output it
 *   caused was acknowledged by the broker (or it was dead-lettered), through a per-partition
 *   watermark that copes with out-of-order completion;
 * - failures go through one policy: retry (bounded, with backoff), dead-letter, or crash.
 */
export function createStageRunner(options: StageRunnerOptions): StageRunner {
  const { kafka, codec, stage, log } = options;
  const instruments = options.instruments;
  const tracker = createCommitTracker();
  const dedup = createDedupWindow(options.dedupWindowSize ?? 100_000);
  const abort = new AbortController();
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  let output: OutputProducer | null = null;
  let commitTimer: NodeJS.Timeout | null = null;
  let connected = false;
  let assignedPartitions = new Set<number>();
  let stopping: Promise<void> | null = null;
  let resolveDone!: () => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined);

  const gate = createInFlightGate({
    maxInFlight: options.maxInFlight,
    pause: () => {
      consumer?.pause([{ topic: stage.inputTopic }]);
      instruments?.paused(true);
    },
    resume: () => {
      consumer?.resume([{ topic: stage.inputTopic }]);
      instruments?.paused(false);
    },
  });

  const crash = (err: unknown): void => {
    log(`${stage.name}: fatal: ${err instanceof Error ? err.message : String(err)}`);
    void shutdown(0).then(() => rejectDone(err), () => rejectDone(err));
  };

  let committing = false;
  async function commit(): Promise<void> {
    if (!consumer || committing) return;
    committing = true;
    try {
      const offsets = tracker.committable();
      if (offsets.length === 0) return;
      // A sink makes what it accepted durable before the offsets that produced it are committed.
      if (stage.flush) await stage.flush();
      await consumer.commitOffsets(offsets.map((o) => ({ ...o })));
      tracker.markCommitted(offsets);
      instruments?.committed(offsets.length);
    } catch (err) {
      // A failed commit only means redelivery after a restart or rebalance; keep going.
      log(`${stage.name}: commit failed (${err instanceof Error ? err.message : String(err)}); will retry`);
    } finally {
      committing = false;
    }
  }

  async function deadLetter(env: Envelope, err: unknown, reason: string): Promise<void> {
    const { topic, value, headers } = deadLetterFor({
      stage: stage.name,
      topic: env.topic,
      partition: env.partition,
      offset: env.message.offset,
      key: env.message.key,
      value: env.message.value,
      error: err,
      codeVersion: options.codeVersion,
    });
    const bytes = await codec.encode(topic, value);
    await output!.send({ topic, key: env.message.key, value: bytes, headers: headers as IHeaders });
    instruments?.deadLettered(reason);
    log(`${stage.name}: dead-lettered ${env.topic}[${env.partition}]@${env.message.offset} to ${topic}: ${reason}: ${value.errorMessage}`);
  }

  async function handle(env: Envelope): Promise<void> {
    const started = performance.now();
    const key = env.message.key?.toString('utf8') ?? '';
    let attempt = 0;
    try {
      while (true) {
        attempt++;
        try {
          const decoded = env.message.value === null ? null : await codec.decode(env.message.value);
          const input: StageInput = { key, value: decoded, topic: env.topic, partition: env.partition, offset: env.message.offset };
          const dedupKey = stage.dedupKey?.(input) ?? null;
          if (dedupKey !== null && dedup.has(dedupKey)) {
            instruments?.duplicate();
            break;
          }
          const outputs = await stage.process(input, abort.signal);
          const encoded = await Promise.all(
            outputs.map(async (o) => ({ topic: o.topic, key: o.key, value: o.value === null ? null : await codec.encode(o.topic, o.value) })),
          );
          await Promise.all(encoded.map((o) => output!.send(o)));
          for (const o of outputs) instruments?.produced(o.topic);
          if (dedupKey !== null) dedup.seen(dedupKey);
          break;
        } catch (err) {
          if (err instanceof InfrastructureError) throw err;
          // Work cut short by shutdown is neither retried nor dead-lettered: it is redelivered.
          if (abort.signal.aborted) return;
          const action = decideFailure(err, attempt, options.maxAttempts, options.retryBaseMs);
          if (action.kind === 'crash') throw err;
          if (action.kind === 'retry' && !abort.signal.aborted) {
            instruments?.retried(failureReason(err));
            await sleep(action.delayMs, abort.signal);
            continue;
          }
          await deadLetter(env, err, action.kind === 'dead_letter' ? action.reason : failureReason(err));
          break;
        }
      }
      tracker.complete(env.topic, env.partition, env.message.offset);
      instruments?.processed(env.topic, (performance.now() - started) / 1000);
    } catch (err) {
      crash(err);
    } finally {
      gate.leave();
      instruments?.inFlight(gate.inFlight);
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    instruments?.batch(batch.messages.length);
    for (const message of batch.messages) {
      // Stop taking messages once the gate is full: the rest stay unresolved, so kafkajs fetches
      // them again after resume, and memory is bounded by maxInFlight rather than by fetch size.
      if (!isRunning() || isStale() || stopping || gate.paused) break;
      // The fetch position moves on at once; the commit position only when the work is done.
      resolveOffset(message.offset);
      if (!tracker.track(batch.topic, batch.partition, message.offset)) continue;
      instruments?.consumed(batch.topic);
      gate.enter();
      instruments?.inFlight(gate.inFlight);
      // The gate bounds what is in flight, so each message starts at once, without a queue.
      void handle({ message, topic: batch.topic, partition: batch.partition });
    }
    await heartbeat();
  }

  async function start(): Promise<void> {
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    // kafkajs sleeps maxWaitTimeInMs when every partition is paused, and resume does not wake it:
    // keep that short so a resumed consumer fetches again soon (a full gate drains to half in tens
    // of ms under load); 50 ms keeps an idle consumer's long polls to 20 a second.
    consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 50 });
    await producer.connect();
    await consumer.connect();
    output = createOutputProducer(producer, { batchSize: options.batchSize, batchMs: options.batchMs });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[stage.inputTopic] ?? [];
      const now = new Set(assigned);
      // Partitions lost in the rebalance: forget their offsets, late completions are ignored.
      const lost = [...assignedPartitions].filter((p) => !now.has(p));
      if (lost.length) tracker.revoke(stage.inputTopic, lost);
      assignedPartitions = now;
      log(`${stage.name}: joined ${options.groupId}, partitions ${assigned.join(',') || 'none'}`);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) crash(e.payload.error);
    });
    await consumer.subscribe({ topic: stage.inputTopic, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch, partitionsConsumedConcurrently: 1 });
    commitTimer = setInterval(() => void commit(), options.commitIntervalMs ?? 1000);
    connected = true;
  }

  async function shutdown(timeoutMs: number): Promise<void> {
    if (stopping) return stopping;
    stopping = (async () => {
      consumer?.pause([{ topic: stage.inputTopic }]);
      const deadline = Date.now() + timeoutMs;
      while (gate.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (gate.inFlight > 0) log(`${stage.name}: ${gate.inFlight} message(s) still in flight at shutdown; they will be redelivered`);
      abort.abort();
      if (commitTimer) clearInterval(commitTimer);
      await output?.flush().catch(() => undefined);
      await commit();
      connected = false;
      await consumer?.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
    })();
    return stopping;
  }

  return {
    start,
    async stop(timeoutMs: number) {
      await shutdown(timeoutMs);
      resolveDone();
    },
    done,
    gate,
    get connected() {
      return connected;
    },
  };
}
