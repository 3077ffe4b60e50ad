import type { CommittableOffset } from '../../../services/runtime/kafka/commitTracker.ts';
import type { BatchContext, ConsumerPort, KafkaPorts, PartitionAssignment, ProducedMessage, ProducerPort } from '../../../services/runtime/kafka/kafkaPorts.ts';
import type { RuntimeClock } from '../../../services/runtime/kafka/runtimeClock.ts';
import type { ValueCodec } from '../../../services/runtime/kafka/stageRunner.ts';

/** A consumer that delivers the batches a test hands it and records what the runner did. */
export interface FakeConsumer extends ConsumerPort {
  /** Delivers messages (key, JSON value) of one partition; returns the offsets the runner resolved. */
  deliver(topic: string, partition: number, messages: readonly { offset: number; key: string | null; value: unknown }[]): Promise<string[]>;
  joinGroup(assignment: PartitionAssignment): void;
  crashWith(error: unknown, restart: boolean): void;
  readonly commits: CommittableOffset[][];
  /** Every offset the runner resolved (moved the fetch position past), in order. */
  readonly resolved: string[];
  readonly paused: boolean;
  readonly pauses: number;
  readonly resumes: number;
  /** Every call in order: connect, subscribe, run, commit, disconnect. */
  readonly calls: string[];
}

/** A producer whose acknowledgements a test may hold back. */
export interface FakeProducer extends ProducerPort {
  readonly sent: { topic: string; message: ProducedMessage }[];
  /** While set, sendBatch waits for `release()`. */
  hold(): void;
  release(): void;
  /** The next sendBatch fails with this error. */
  failNext(error: unknown): void;
  readonly calls: string[];
}

export function createFakeConsumer(): FakeConsumer {
  let eachBatch: ((context: BatchContext) => Promise<void>) | null = null;
  const joinListeners: ((a: PartitionAssignment) => void)[] = [];
  const crashListeners: ((e: unknown, restart: boolean) => void)[] = [];
  const commits: CommittableOffset[][] = [];
  const resolvedAll: string[] = [];
  const calls: string[] = [];
  let paused = false;
  let pauses = 0;
  let resumes = 0;
  let running = false;
  return {
    async connect() {
      calls.push('connect');
    },
    async disconnect() {
      calls.push('disconnect');
      running = false;
    },
    async subscribe() {
      calls.push('subscribe');
    },
    async run(handler) {
      calls.push('run');
      eachBatch = handler;
      running = true;
    },
    pause() {
      paused = true;
      pauses++;
    },
    resume() {
      paused = false;
      resumes++;
    },
    async commitOffsets(offsets) {
      calls.push('commit');
      commits.push(offsets.map((o) => ({ ...o })));
    },
    onGroupJoin(listener) {
      joinListeners.push(listener);
    },
    onCrash(listener) {
      crashListeners.push(listener);
    },
    async deliver(topic, partition, messages) {
      if (!eachBatch) throw new Error('deliver before run');
      const resolved: string[] = [];
      await eachBatch({
        batch: {
          topic,
          partition,
          messages: messages.map((m) => ({
            offset: String(m.offset),
            key: m.key === null ? null : Buffer.from(m.key),
            value: m.value === null ? null : Buffer.from(JSON.stringify(m.value)),
          })),
        },
        resolveOffset: (offset) => {
          resolved.push(offset);
          resolvedAll.push(offset);
        },
        heartbeat: async () => undefined,
        isRunning: () => running,
        isStale: () => false,
      });
      return resolved;
    },
    joinGroup(assignment) {
      for (const l of joinListeners) l(assignment);
    },
    crashWith(error, restart) {
      for (const l of crashListeners) l(error, restart);
    },
    commits,
    resolved: resolvedAll,
    get paused() {
      return paused;
    },
    get pauses() {
      return pauses;
    },
    get resumes() {
      return resumes;
    },
    calls,
  };
}

export function createFakeProducer(): FakeProducer {
  const sent: { topic: string; message: ProducedMessage }[] = [];
  const calls: string[] = [];
  let held: Promise<void> | null = null;
  let releaseHeld: () => void = () => undefined;
  let failure: unknown = null;
  return {
    async connect() {
      calls.push('connect');
    },
    async disconnect() {
      calls.push('disconnect');
    },
    async sendBatch(topicMessages) {
      if (held) await held;
      if (failure !== null) {
        const err = failure;
        failure = null;
        throw err;
      }
      for (const { topic, messages } of topicMessages) for (const message of messages) sent.push({ topic, message });
    },
    hold() {
      held = new Promise((resolve) => (releaseHeld = resolve));
    },
    release() {
      held = null;
      releaseHeld();
    },
    failNext(error) {
      failure = error;
    },
    sent,
    calls,
  };
}

/** Ports handing out one fake consumer and one fake producer. */
export function fakePorts(consumer: FakeConsumer, producer: FakeProducer): KafkaPorts {
  return { consumer: () => consumer, producer: () => producer };
}

/** Values as JSON, for tests that look at what was produced. */
export const jsonCodec: ValueCodec = {
  encode: async (_topic, value) => Buffer.from(JSON.stringify(value)),
  decode: async (bytes) => JSON.parse(bytes.toString('utf8')) as unknown,
};

/** A clock whose time moves only when the test advances it. */
export interface ManualClock extends RuntimeClock {
  /** Moves time on, firing due timers in order (and letting the work they start run). */
  advance(ms: number): Promise<void>;
  /** Timers waiting. */
  readonly pending: number;
}

export function createManualClock(): ManualClock {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimer(callback, ms) {
      const id = seq++;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      return () => void timers.delete(id);
    },
    async advance(ms) {
      const until = now + ms;
      while (true) {
        await settle();
        let next: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].callback();
      }
      now = until;
      await settle();
    },
    get pending() {
      return timers.size;
    },
  };
}

/** A clock whose timers fire on the next macrotask, whatever their delay: retries without waiting. */
export function createInstantClock(): RuntimeClock {
  return {
    now: () => performance.now(),
    setTimer(callback) {
      const timer = setImmediate(callback);
      return () => clearImmediate(timer);
    },
  };
}

/** Lets pending promise callbacks and RxJS's zero-delay timers run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject, for holding a stage's work. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
