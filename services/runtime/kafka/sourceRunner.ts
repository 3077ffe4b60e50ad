import { NO_INSTRUMENTATION, type Instrumentation } from '../../instrumentation/instrumentation.ts';
import { RuntimeConfigError } from '../../errors/medistillErrors.ts';
import { deadLetterFor } from './deadLetter.ts';
import { createDedupWindow } from './dedupWindow.ts';
import { failureReason } from '../failurePolicy.ts';
import { createInFlightGate } from './inFlightGate.ts';
import type { KafkaPorts, ProducerPort } from './kafkaPorts.ts';
import { createKeyOrder } from './keyOrder.ts';
import { createRunnerLifecycle, drainGate, type KafkaRunner } from './kafkaRunner.ts';
import { createOutputProducer, type OutputProducer } from './outputProducer.ts';
import { systemClock, type RuntimeClock } from './runtimeClock.ts';
import { createOutageBudget } from './outageBudget.ts';
import { DEFAULT_OUTAGE_BUDGET_MS, type StageOutput, type ValueCodec } from './stageRunner.ts';

/** One item a source hands out; `ack` once everything it became is safe, so its checkpoint may move. */
export interface SourceEntry<T> {
  readonly item: T;
  ack(): void;
}

/** What one source item becomes. */
export type SourceResult =
  /** Messages to produce; `dedupKey` drops an item whose key was produced recently (null: never dropped). */
  | { kind: 'produce'; outputs: StageOutput[]; dedupKey: string | null }
  /**
   * An item that cannot become a message: its raw bytes go to the dead-letter topic of `topic`;
   * `position` says where in the source it was (it stands in for a Kafka offset).
   */
  | { kind: 'dead_letter'; topic: string; key: string | null; raw: Buffer; error: unknown; position: string; headers?: Record<string, string> };

/**
 * A source as the Kafka runtime runs it, the counterpart of KafkaStage: it reads items from
 * outside Kafka (files, a watched folder, an HTTP API) and maps each to messages, never touching
 * the client; the runner owns producing, the in-flight bound, dead letters and the lifecycle.
 */
export interface KafkaSource<T> {
  readonly name: string;
  /** Topics the source writes to (created at start with their dead-letter topics). */
  readonly outputTopics: readonly string[];
  /** Starts reading; the iteration ends when the input is done or when `signal` aborts. */
  open(signal: AbortSignal): AsyncIterable<SourceEntry<T>>;
  /** Maps one item to what it becomes; pure. */
  map(item: T): SourceResult;
}

/** Settings and collaborators of a source runner (the same names as the stage runner's). */
export interface SourceRunnerOptions<T> {
  ports: KafkaPorts;
  codec: ValueCodec;
  source: KafkaSource<T>;
  /** Items taken from the source and not yet acknowledged, above which reading waits. */
  maxInFlight: number;
  batchSize: number;
  batchMs: number;
  /** Keys remembered for dropping items produced recently (default 1,000,000). */
  dedupWindowSize?: number;
  codeVersion: string;
  log: (line: string) => void;
  instrumentation?: Instrumentation;
  /** The `stage` the events carry (default: the source's name). */
  eventStage?: string;
  clock?: RuntimeClock;
  /** Longest Kafka or the registry may stay unreachable while produces are retried (default 120 s). */
  outageBudgetMs?: number;
  /** First delay of outage retries (doubled per attempt, at most 5 s); default 250. */
  outageRetryBaseMs?: number;
}

/** The topic label of records taken in from a source rather than a topic. */
export const SOURCE_TOPIC_LABEL = 'source';

/**
 * Runs a source on the Kafka runtime: reads items while fewer than `maxInFlight` are unacknowledged
 * (the same gate as a stage's, with the source waiting instead of a consumer pausing), produces what
 * each becomes through the shared output producer, and acknowledges an item only once the broker
 * acknowledged its messages (or its dead letter). `done` resolves when a finite source is read to
 * the end and everything is acknowledged; `stop` ends reading, drains, flushes and disconnects.
 * @example const runner = createSourceRunner({ ports, codec, source, maxInFlight: 500, batchSize: 200, batchMs: 5, codeVersion, log });
 */
export function createSourceRunner<T>(options: SourceRunnerOptions<T>): KafkaRunner {
  const { ports, codec, source, log } = options;
  for (const [name, value, min] of [['batchSize', options.batchSize, 1], ['batchMs', options.batchMs, 0]] as const) {
    if (!Number.isInteger(value) || value < min) throw new RuntimeConfigError(`source runner: ${name} must be an integer >= ${min}, got ${value}`);
  }
  const bus = options.instrumentation ?? NO_INSTRUMENTATION;
  const name = options.eventStage ?? source.name;
  const clock = options.clock ?? systemClock;
  const dedup = createDedupWindow(options.dedupWindowSize ?? 1_000_000);
  const reading = new AbortController();
  const counts = { produced: 0, tombstones: 0, deadLettered: 0, duplicates: 0 };
  let producer: ProducerPort | null = null;
  let output: OutputProducer | null = null;
  let connected = false;
  // The source waits on the gate itself (whenOpen), so pause and resume only report.
  const gate = createInFlightGate({
    maxInFlight: options.maxInFlight,
    pause: () => bus.emit({ type: 'hop.paused', stage: name, paused: true }),
    resume: () => bus.emit({ type: 'hop.paused', stage: name, paused: false }),
  });
  const lifecycle = createRunnerLifecycle(shutdown);
  const keyOrder = createKeyOrder();
  const budget = createOutageBudget({
    budgetMs: options.outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS,
    baseDelayMs: options.outageRetryBaseMs,
    clock,
    name: source.name,
    log,
  });
  const produceAbort = new AbortController();
  let crashed = false;
  const crash = (err: unknown): void => {
    // One line: what fails after the first crash (sends cut off by its shutdown) says nothing new.
    if (!crashed) log(`${source.name}: fatal: ${err instanceof Error ? err.message : String(err)}`);
    crashed = true;
    lifecycle.crash(err);
  };
  const encode = (topic: string, value: unknown): Promise<Buffer> =>
    budget.ride('registry', 'encoding', () => codec.encode(topic, value), produceAbort.signal);
  // A refused produce is retried through the outage; a copy the broker kept before it failed is
  // a redelivery that consumers drop by key.
  const send = (message: Parameters<OutputProducer['send']>[0]): Promise<void> =>
    budget.ride('kafka', 'producing', () => (output as OutputProducer).send(message), produceAbort.signal);

  async function produce(result: SourceResult): Promise<void> {
    if (result.kind === 'produce') {
      // Marked when taken in, not when acknowledged: a copy read while the first is still in
      // flight is dropped too. A failed send crashes the runner, so no key is marked wrongly for long.
      if (result.dedupKey !== null && dedup.seen(result.dedupKey)) {
        counts.duplicates++;
        bus.emit({ type: 'hop.duplicate', stage: name });
        return;
      }
      const encoded = await Promise.all(
        result.outputs.map(async (o) => ({ topic: o.topic, key: o.key, value: o.value === null ? null : await encode(o.topic, o.value) })),
      );
      await Promise.all(encoded.map((o) => send(o)));
      for (const o of result.outputs) {
        if (o.value === null) counts.tombstones++;
        else counts.produced++;
        bus.emit({ type: 'hop.produced', stage: name, topic: o.topic });
      }
      return;
    }
    const key = result.key === null ? null : Buffer.from(result.key);
    const letter = deadLetterFor({
      stage: source.name,
      topic: result.topic,
      partition: -1,
      offset: result.position,
      key,
      value: result.raw,
      error: result.error,
      codeVersion: options.codeVersion,
    });
    await send({ topic: letter.topic, key, value: await encode(letter.topic, letter.value), headers: { ...letter.headers, ...result.headers } });
    counts.deadLettered++;
    bus.emit({ type: 'hop.dead_lettered', stage: name, reason: failureReason(result.error) });
  }

  async function handle(entry: SourceEntry<T>, result: SourceResult, started: number): Promise<void> {
    try {
      await produce(result);
      entry.ack();
      bus.emit({ type: 'hop.processed', stage: name, topic: SOURCE_TOPIC_LABEL, seconds: (clock.now() - started) / 1000 });
    } catch (err) {
      // Past the outage budget: restart, and the unacknowledged items are read again from the
      // last checkpoint. Sends cut short by a stop are read again the same way, without a word.
      if (!produceAbort.signal.aborted) crash(err);
    } finally {
      gate.leave();
      bus.emit({ type: 'hop.in_flight', stage: name, count: gate.inFlight });
    }
  }

  /** Reads the source until it ends or the runner stops; a finite source then stops the runner. */
  async function pump(): Promise<void> {
    try {
      for await (const entry of source.open(reading.signal)) {
        // Taken out after a stop: not acknowledged, so the source's checkpoint stays before it.
        if (lifecycle.stopping) break;
        bus.emit({ type: 'hop.consumed', stage: name, topic: SOURCE_TOPIC_LABEL });
        gate.enter();
        bus.emit({ type: 'hop.in_flight', stage: name, count: gate.inFlight });
        const started = clock.now();
        let result: SourceResult;
        try {
          result = source.map(entry.item);
        } catch (err) {
          gate.leave();
          throw err;
        }
        // Items whose outputs share a key are produced one after another, in source order: an
        // article read before its DeleteCitation must not land after the tombstone.
        keyOrder.run(result.kind === 'produce' ? (result.outputs[0]?.key ?? null) : null, () => handle(entry, result, started));
        await gate.whenOpen();
      }
    } catch (err) {
      if (!reading.signal.aborted) crash(err);
      return;
    }
    if (!lifecycle.stopping) {
      log(`${source.name}: input done; waiting for the last acknowledgements`);
      void lifecycle.stop(Number.POSITIVE_INFINITY);
    }
  }

  async function start(): Promise<void> {
    producer = ports.producer();
    await producer.connect();
    output = createOutputProducer(producer, { batchSize: options.batchSize, batchMs: options.batchMs });
    connected = true;
    void pump();
  }

  async function shutdown(timeoutMs: number): Promise<void> {
    reading.abort();
    const left = await drainGate(gate, clock, timeoutMs);
    if (left > 0) log(`${source.name}: ${left} item(s) not acknowledged at shutdown; they are read again after a restart`);
    produceAbort.abort();
    await output?.flush().catch(() => undefined);
    connected = false;
    await producer?.disconnect().catch(() => undefined);
    log(
      `${source.name}: produced ${counts.produced} records and ${counts.tombstones} tombstones, dead-lettered ${counts.deadLettered}, skipped ${counts.duplicates} duplicates`,
    );
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
