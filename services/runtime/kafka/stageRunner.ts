import { NO_INSTRUMENTATION, type Instrumentation } from '../../instrumentation/instrumentation.ts';
import { InfrastructureError, RuntimeConfigError } from '../../errors/medistillErrors.ts';
import { createCommitTracker } from './commitTracker.ts';
import { createInFlightGate } from './inFlightGate.ts';
import { createDedupWindow } from './dedupWindow.ts';
import { decideFailure, failureReason } from '../failurePolicy.ts';
import { createOutputProducer, type OutputProducer } from './outputProducer.ts';
import { deadLetterFor } from './deadLetter.ts';
import type { BatchContext, ConsumedMessage, ConsumerPort, FetchSettings, KafkaPorts, ProducerPort } from './kafkaPorts.ts';
import { createKeyOrder } from './keyOrder.ts';
import { createRunnerLifecycle, drainGate, type KafkaRunner } from './kafkaRunner.ts';
import { every, sleep, systemClock, type RuntimeClock } from './runtimeClock.ts';
import { createOutageBudget, type OutageBudget } from './outageBudget.ts';

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

/**
 * How much a consumer fetches at once when the service config says nothing (the service defaults
 * in serviceConfig.ts are the same). Memory target: a fetch holds at most maxBytes (10 MiB, one
 * response per broker) on top of the maxInFlight records, so a service stays where it was (under
 * 300 MB peak in the benches) whatever the backlog. A batch that meets the in-flight bound waits
 * rather than being fetched again, so 2 MiB per partition (six partitions fill a response) keeps
 * the runner supplied; larger fetches only add memory, since the runner, not the fetch, limits
 * throughput. kafkajs sleeps maxWaitTimeInMs when every partition is paused, and resume does not
 * wake it: keep that short so a resumed consumer fetches again soon.
 */
export const DEFAULT_FETCH: FetchSettings = { maxBytesPerPartition: 2 * 1024 * 1024, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 50 };

/** Settings and collaborators of a stage runner. */
export interface StageRunnerOptions {
  /** Makes the consumer and the producer (createKafkajsPorts in services, fakes in tests). */
  ports: KafkaPorts;
  codec: ValueCodec;
  stage: KafkaStage;
  groupId: string;
  /** Records in flight at which the input topic is paused (resumed below half of it). */
  maxInFlight: number;
  /** Most messages in one produce batch. */
  batchSize: number;
  /** Longest wait before a partial produce batch is sent. */
  batchMs: number;
  /** Attempts of a retriable failure before the message is dead-lettered. */
  maxAttempts: number;
  fetch?: FetchSettings;
  /** Default 1000. */
  commitIntervalMs?: number;
  /** Retry delay base (doubled per attempt, at most 30 s); default 500, small in tests. */
  retryBaseMs?: number;
  dedupWindowSize?: number;
  /** Consume from the beginning when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  codeVersion: string;
  log: (line: string) => void;
  /** Receives the hop.* events; default: none. */
  instrumentation?: Instrumentation;
  /** The `stage` the events carry (default: the stage's name); services pass their own name. */
  eventStage?: string;
  /** Time of retry sleeps, the commit interval and the drain deadline (default: the system clock). */
  clock?: RuntimeClock;
  /**
   * Longest Kafka or the registry may stay unreachable while the runner retries (produces, decodes,
   * commits, the consumer's own restarts); past it the runner crashes with one line. Default 120 s.
   */
  outageBudgetMs?: number;
  /** First delay of outage retries (doubled per attempt, at most 5 s); default 250, small in tests. */
  outageRetryBaseMs?: number;
}

/** Default of {@link StageRunnerOptions.outageBudgetMs} (and MEDISTILL_OUTAGE_BUDGET_MS). */
export const DEFAULT_OUTAGE_BUDGET_MS = 120_000;

/** How often the runner checks whether an outage outlasted its budget. */
const OUTAGE_CHECK_MS = 1000;

/** A stage runner: a KafkaRunner that consumes a topic. */
export type StageRunner = KafkaRunner;

/** A fetched message and where it came from. */
interface Envelope {
  message: ConsumedMessage;
  topic: string;
  partition: number;
}

/** How often a batch waiting for room heartbeats (the client sends at most one per heartbeat interval). */
const HEARTBEAT_WHILE_FULL_MS = 1000;

/**
 * Runs a stage as a consumer-group member with at-least-once delivery:
 * - every fetched message enters a bounded in-flight set; at `maxInFlight` the input topic is
 *   paused and resumed below half of it, so memory does not grow with the backlog;
 * - messages are processed concurrently; an offset is committed only after every output it
 *   caused was acknowledged by the broker (or it was dead-lettered), through a per-partition
 *   watermark that copes with out-of-order completion;
 * - failures go through one policy: retry (bounded, with backoff), dead-letter, or crash.
 * The consumer and producer come from `ports`, so all of this runs against fakes in unit tests.
 * @example const runner = createStageRunner({ ports: createKafkajsPorts(kafka), codec, stage, groupId, ... }); await runner.start();
 */
export function createStageRunner(options: StageRunnerOptions): StageRunner {
  const { ports, codec, stage, log } = options;
  for (const [name, value, min] of [['batchSize', options.batchSize, 1], ['batchMs', options.batchMs, 0], ['maxAttempts', options.maxAttempts, 1]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RuntimeConfigError(`stage runner: ${name} must be an integer >= ${min}, got ${value}`);
  }
  const bus = options.instrumentation ?? NO_INSTRUMENTATION;
  const name = options.eventStage ?? stage.name;
  const clock = options.clock ?? systemClock;
  const fetch = options.fetch ?? DEFAULT_FETCH;
  const tracker = createCommitTracker();
  const dedup = createDedupWindow(options.dedupWindowSize ?? 100_000);
  const abort = new AbortController();
  let consumer: ConsumerPort | null = null;
  let producer: ProducerPort | null = null;
  let output: OutputProducer | null = null;
  let stopCommits: (() => void) | null = null;
  let connected = false;
  let assignedPartitions = new Set<number>();
  let stopWatchdog: (() => void) | null = null;
  let shuttingDown = false;
  let crashed = false;
  const budget: OutageBudget = createOutageBudget({
    budgetMs: options.outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS,
    baseDelayMs: options.outageRetryBaseMs,
    clock,
    name: stage.name,
    log,
  });

  /**
   * Pauses or resumes the input topic. While the client restarts its consumer after a lost
   * connection it refuses both; the state is applied again when the consumer rejoins its group.
   */
  const setPaused = (paused: boolean): void => {
    try {
      if (paused) consumer?.pause(stage.inputTopic);
      else consumer?.resume(stage.inputTopic);
    } catch {
      // Re-applied in onGroupJoin.
    }
  };

  const gate = createInFlightGate({
    maxInFlight: options.maxInFlight,
    pause: () => {
      setPaused(true);
      bus.emit({ type: 'hop.paused', stage: name, paused: true });
    },
    resume: () => {
      // A drain empties the gate too; the consumer stays paused once stopping.
      if (!shuttingDown) setPaused(false);
      bus.emit({ type: 'hop.paused', stage: name, paused: false });
    },
  });
  const lifecycle = createRunnerLifecycle(shutdown);
  // handle never rejects (it crashes the runner itself), as keyOrder requires.
  const keyOrder = createKeyOrder();

  const crash = (err: unknown): void => {
    // One line: what fails after the first crash (sends cut off by its shutdown) says nothing new.
    if (!crashed) log(`${stage.name}: fatal: ${err instanceof Error ? err.message : String(err)}`);
    crashed = true;
    lifecycle.crash(err);
  };

  // Commits run one after another: the final commit at shutdown waits for a periodic one in progress.
  let commitChain: Promise<void> = Promise.resolve();
  let commitQueued = false;
  function commit(): Promise<void> {
    if (commitQueued) return commitChain;
    commitQueued = true;
    commitChain = commitChain.then(async () => {
      commitQueued = false;
      await commitNow();
    });
    return commitChain;
  }
  async function commitNow(): Promise<void> {
    if (!consumer) return;
    try {
      const offsets = tracker.committable();
      if (offsets.length === 0) return;
      // A sink makes what it accepted durable before the offsets that produced it are committed.
      if (stage.flush) await stage.flush();
      await consumer.commitOffsets(offsets);
      budget.reached('kafka');
      tracker.markCommitted(offsets);
      bus.emit({ type: 'hop.committed', stage: name, partitions: offsets.length });
    } catch (err) {
      // A failed commit only means redelivery after a restart or rebalance; the next interval
      // tries again, and an outage that lasts is ended by the budget.
      budget.failed('kafka', 'committing offsets', err);
    }
  }

  async function deadLetter(env: Envelope, err: unknown, reason: string, signal: AbortSignal): Promise<void> {
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
    const bytes = await budget.ride('registry', 'encoding a dead letter', () => codec.encode(topic, value), signal);
    await budget.ride('kafka', 'producing', () => (output as OutputProducer).send({ topic, key: env.message.key, value: bytes, headers }), signal);
    bus.emit({ type: 'hop.dead_lettered', stage: name, reason });
    log(`${stage.name}: dead-lettered ${env.topic}[${env.partition}]@${env.message.offset} to ${topic}: ${reason}: ${value.errorMessage}`);
  }

  /** Processes one message to the end: outputs acknowledged, dead-lettered, or dropped as a duplicate. */
  async function handle(env: Envelope): Promise<void> {
    const started = clock.now();
    const key = env.message.key?.toString('utf8') ?? '';
    const out = output as OutputProducer;
    // The record's own signal, aborted with the runner's: its waits (an LLM request, a retry
    // sleep, an outage ride) listen here, so in-flight records never pile listeners on one signal.
    const signal = AbortSignal.any([abort.signal]);
    let attempt = 0;
    try {
      while (true) {
        attempt++;
        try {
          const bytes = env.message.value;
          const decoded = bytes === null ? null : await budget.ride('registry', 'decoding', () => codec.decode(bytes), signal);
          const input: StageInput = { key, value: decoded, topic: env.topic, partition: env.partition, offset: env.message.offset };
          const dedupKey = stage.dedupKey?.(input) ?? null;
          if (dedupKey !== null && dedup.has(dedupKey)) {
            bus.emit({ type: 'hop.duplicate', stage: name });
            break;
          }
          const outputs = await stage.process(input, signal);
          const encoded = await Promise.all(
            outputs.map(async (o) => {
              const value = o.value;
              return { topic: o.topic, key: o.key, value: value === null ? null : await budget.ride('registry', 'encoding', () => codec.encode(o.topic, value), signal) };
            }),
          );
          // A refused produce is retried through the outage; a copy the broker kept before it
          // failed is a redelivery that consumers drop by key.
          await Promise.all(encoded.map((o) => budget.ride('kafka', 'producing', () => out.send(o), signal)));
          for (const o of outputs) bus.emit({ type: 'hop.produced', stage: name, topic: o.topic });
          if (dedupKey !== null) dedup.seen(dedupKey);
          break;
        } catch (err) {
          // Work cut short by shutdown is neither retried nor dead-lettered: it is redelivered.
          if (abort.signal.aborted) return;
          // Past the outage budget (or refused for good): crash, and the message is redelivered after the restart.
          if (err instanceof InfrastructureError) throw err;
          const action = decideFailure(err, attempt, options.maxAttempts, options.retryBaseMs);
          if (action.kind === 'crash') throw err;
          if (action.kind === 'retry') {
            bus.emit({ type: 'hop.retried', stage: name, reason: failureReason(err) });
            await sleep(clock, action.delayMs, signal);
            continue;
          }
          await deadLetter(env, err, action.reason, signal);
          break;
        }
      }
      tracker.complete(env.topic, env.partition, env.message.offset);
      bus.emit({ type: 'hop.processed', stage: name, topic: env.topic, seconds: (clock.now() - started) / 1000 });
    } catch (err) {
      crash(err);
    } finally {
      gate.leave();
      bus.emit({ type: 'hop.in_flight', stage: name, count: gate.inFlight });
    }
  }

  /**
   * Waits while the gate is full, heartbeating, so the rest of a fetched batch is taken in once
   * there is room rather than dropped and fetched again (refetching is what made large fetches
   * slow). False when the batch must be given up: stopping, or a rebalance took the partition.
   */
  async function waitForRoom({ isRunning, isStale, heartbeat }: BatchContext): Promise<boolean> {
    while (gate.paused) {
      if (!isRunning() || isStale() || lifecycle.stopping) return false;
      const open = gate.whenOpen();
      const wake = new AbortController();
      await Promise.race([open, sleep(clock, HEARTBEAT_WHILE_FULL_MS, wake.signal)]);
      wake.abort();
      await heartbeat();
    }
    return isRunning() && !isStale() && !lifecycle.stopping;
  }

  async function eachBatch(context: BatchContext): Promise<void> {
    const { batch, resolveOffset, heartbeat } = context;
    budget.reached('kafka');
    bus.emit({ type: 'hop.batch', stage: name, size: batch.messages.length });
    for (const message of batch.messages) {
      // At the bound the input topic is paused and the batch waits here: memory is bounded by
      // maxInFlight records plus what one fetch holds (the fetch settings), never by the backlog.
      if (!(await waitForRoom(context))) break;
      // The fetch position moves on at once; the commit position only when the work is done.
      resolveOffset(message.offset);
      if (!tracker.track(batch.topic, batch.partition, message.offset)) continue;
      bus.emit({ type: 'hop.consumed', stage: name, topic: batch.topic });
      gate.enter();
      bus.emit({ type: 'hop.in_flight', stage: name, count: gate.inFlight });
      // The gate bounds what is in flight, so each message starts at once, unless an earlier
      // message with its key is still in flight: then it waits for that one, so the outputs of one
      // key (a paper's versions, its tombstone) leave in offset order.
      const env = { message, topic: batch.topic, partition: batch.partition };
      keyOrder.run(message.key === null ? null : `${batch.partition}/${message.key.toString('latin1')}`, () => handle(env));
    }
    await heartbeat();
  }

  async function start(): Promise<void> {
    producer = ports.producer();
    consumer = ports.consumer({ groupId: options.groupId, fetch });
    await producer.connect();
    await consumer.connect();
    output = createOutputProducer(producer, { batchSize: options.batchSize, batchMs: options.batchMs });
    consumer.onGroupJoin((assignment) => {
      const assigned = assignment[stage.inputTopic] ?? [];
      const now = new Set(assigned);
      // Partitions lost in the rebalance: forget their offsets, late completions are ignored.
      const lost = [...assignedPartitions].filter((p) => !now.has(p));
      if (lost.length) tracker.revoke(stage.inputTopic, lost);
      assignedPartitions = now;
      budget.reached('kafka');
      // A consumer the client restarted starts unpaused: pause it again if the gate is still full.
      if (gate.paused || shuttingDown) setPaused(true);
      log(`${stage.name}: joined ${options.groupId}, partitions ${assigned.join(',') || 'none'}`);
    });
    consumer.onCrash((error, restart) => {
      // The client restarts its consumer after a retriable failure (a lost broker, a coordinator
      // not ready); the budget bounds how long that may go on.
      if (restart) budget.failed('kafka', 'consuming', error);
      else crash(error);
    });
    await consumer.subscribe({ topic: stage.inputTopic, fromBeginning: options.fromBeginning ?? true });
    await consumer.run(eachBatch);
    stopCommits = every(clock, options.commitIntervalMs ?? 1000, () => void commit());
    stopWatchdog = every(clock, OUTAGE_CHECK_MS, () => {
      const over = budget.exceeded();
      if (over) crash(over);
    });
    connected = true;
  }

  /** Stop fetching, drain (up to timeoutMs), cut the rest short, flush, commit, disconnect. */
  async function shutdown(timeoutMs: number): Promise<void> {
    shuttingDown = true;
    stopWatchdog?.();
    setPaused(true);
    const left = await drainGate(gate, clock, timeoutMs);
    if (left > 0) log(`${stage.name}: ${left} message(s) still in flight at shutdown; they will be redelivered`);
    abort.abort();
    stopCommits?.();
    await output?.flush().catch(() => undefined);
    await commit();
    connected = false;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  return {
    start,
    stop: (timeoutMs) => lifecycle.stop(timeoutMs),
    done: lifecycle.done,
    gate,
    get connected() {
      return connected;
    },
  };
}
