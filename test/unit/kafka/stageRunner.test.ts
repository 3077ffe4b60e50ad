import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { InfrastructureError, InvalidInputError, MedistillError } from '../../../services/errors/medistillErrors.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import type { InstrumentationEvent } from '../../../services/instrumentation/instrumentationEvents.ts';
import { createStageRunner, type KafkaStage, type StageInput, type StageOutput, type StageRunnerOptions } from '../../../services/runtime/kafka/stageRunner.ts';
import type { RuntimeClock } from '../../../services/runtime/kafka/runtimeClock.ts';
import {
  createFakeConsumer,
  createFakeProducer,
  createInstantClock,
  createManualClock,
  deferred,
  fakePorts,
  jsonCodec,
  settle,
  type FakeConsumer,
  type FakeProducer,
} from './fakeKafkaPorts.ts';

const IN = 'in.v1';
const OUT = 'out.v1';

/** A stage that passes each value on to OUT under the same key, waiting for `gates[offset]` when one is set. */
function passStage(gates: Map<string, Promise<void>> = new Map(), overrides: Partial<KafkaStage> = {}): KafkaStage {
  return {
    name: 'pass',
    inputTopic: IN,
    outputTopics: [OUT],
    async process(input: StageInput): Promise<StageOutput[]> {
      await gates.get(input.offset);
      return [{ topic: OUT, key: input.key, value: input.value }];
    },
    ...overrides,
  };
}

interface Harness {
  consumer: FakeConsumer;
  producer: FakeProducer;
  events: InstrumentationEvent[];
  runner: ReturnType<typeof createStageRunner>;
}

const runners: Harness['runner'][] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop(0);
});

async function startRunner(stage: KafkaStage, options: Partial<StageRunnerOptions> & { clock?: RuntimeClock } = {}): Promise<Harness> {
  const consumer = createFakeConsumer();
  const producer = createFakeProducer();
  const bus = createInstrumentation();
  const events: InstrumentationEvent[] = [];
  bus.on('*', (e) => void events.push(e));
  const runner = createStageRunner({
    ports: fakePorts(consumer, producer),
    codec: jsonCodec,
    stage,
    groupId: 'g',
    maxInFlight: 100,
    batchSize: 1,
    batchMs: 0,
    maxAttempts: 3,
    retryBaseMs: 100,
    codeVersion: 'test',
    log: () => undefined,
    instrumentation: bus,
    clock: createManualClock(),
    ...options,
  });
  runners.push(runner);
  await runner.start();
  consumer.joinGroup({ [IN]: [0, 1] });
  return { consumer, producer, events, runner };
}

const messages = (offsets: number[], key: (o: number) => string | null = (o) => `k${o}`) => offsets.map((o) => ({ offset: o, key: key(o), value: { n: o } }));
const outputs = (producer: FakeProducer, topic = OUT) =>
  producer.sent.filter((s) => s.topic === topic).map((s) => ({ key: String(s.message.key), n: (JSON.parse(String(s.message.value)) as { n: number }).n }));

describe('createStageRunner (fake consumer and producer)', () => {
  it('produces the outputs of one key in offset order even when an earlier message is slower', async () => {
    const slow = deferred();
    const { consumer, producer } = await startRunner(passStage(new Map([['0', slow.promise]])));
    // Offsets 0 and 2 share key "a"; 1 has key "b" and may overtake.
    await consumer.deliver(IN, 0, [
      { offset: 0, key: 'a', value: { n: 0 } },
      { offset: 1, key: 'b', value: { n: 1 } },
      { offset: 2, key: 'a', value: { n: 2 } },
    ]);
    await settle();
    expect(outputs(producer)).toEqual([{ key: 'b', n: 1 }]);
    slow.resolve();
    await settle();
    expect(outputs(producer)).toEqual([
      { key: 'b', n: 1 },
      { key: 'a', n: 0 },
      { key: 'a', n: 2 },
    ]);
  });

  it('commits up to the oldest unfinished offset: 5 done before 3 keeps the commit at 3 until 3 completes', async () => {
    const clock = createManualClock();
    const three = deferred();
    const { consumer } = await startRunner(passStage(new Map([['3', three.promise]])), { clock, commitIntervalMs: 1000 });
    await consumer.deliver(IN, 0, messages([0, 1, 2, 3, 4, 5]));
    await settle();
    await clock.advance(1000);
    expect(consumer.commits).toEqual([[{ topic: IN, partition: 0, offset: '3' }]]);
    await clock.advance(1000);
    expect(consumer.commits).toHaveLength(1);
    three.resolve();
    await settle();
    await clock.advance(1000);
    expect(consumer.commits.at(-1)).toEqual([{ topic: IN, partition: 0, offset: '6' }]);
  });

  it('pauses at the in-flight bound, holds the rest of the batch, and resumes below half of it', async () => {
    const gates = new Map<string, Promise<void>>();
    const held = Array.from({ length: 10 }, () => deferred());
    held.forEach((d, i) => gates.set(String(i), d.promise));
    const { consumer, runner, events } = await startRunner(passStage(gates), { maxInFlight: 4 });
    const delivered = consumer.deliver(IN, 0, messages([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await settle();
    expect(consumer.resolved).toEqual(['0', '1', '2', '3']);
    expect(consumer.paused).toBe(true);
    expect(runner.gate.inFlight).toBe(4);
    held[0]?.resolve();
    held[1]?.resolve();
    await settle();
    expect(consumer.paused).toBe(true); // 2 in flight: not yet below resumeBelow (2)
    expect(consumer.resolved).toHaveLength(4);
    held[2]?.resolve();
    await settle();
    // Below the mark: resumed, and the waiting batch goes on until the bound again.
    expect(consumer.resumes).toBe(1);
    expect(consumer.resolved).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(consumer.paused).toBe(true);
    for (const d of held) d.resolve();
    expect(await delivered).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(runner.gate.inFlight).toBeLessThanOrEqual(4);
    const pausedFlags = events.filter((e) => e.type === 'hop.paused').map((e) => (e as { paused: boolean }).paused);
    expect(pausedFlags.slice(0, 3)).toEqual([true, false, true]);
  });

  it('gives up a held batch when the runner stops, leaving the rest unresolved for redelivery', async () => {
    const never = deferred();
    const { consumer, runner } = await startRunner(passStage(new Map([['0', never.promise], ['1', never.promise]])), { maxInFlight: 2, clock: createInstantClock() });
    const delivered = consumer.deliver(IN, 0, messages([0, 1, 2, 3]));
    await settle();
    const stopped = runner.stop(0);
    expect(await delivered).toEqual(['0', '1']);
    await stopped;
  });

  it('retries a retriable failure with doubling backoff, then dead-letters it with the reason', async () => {
    const clock = createManualClock();
    let attempts = 0;
    const stage = passStage(new Map(), {
      async process() {
        attempts++;
        throw new MedistillError('flaky dependency', { retriable: true });
      },
    });
    const { consumer, producer, events } = await startRunner(stage, { clock, maxAttempts: 3, retryBaseMs: 100 });
    await consumer.deliver(IN, 0, messages([7]));
    await settle();
    expect(attempts).toBe(1);
    await clock.advance(99);
    expect(attempts).toBe(1);
    await clock.advance(1);
    expect(attempts).toBe(2);
    await clock.advance(199);
    expect(attempts).toBe(2);
    await clock.advance(1);
    expect(attempts).toBe(3);
    await settle();
    const letters = producer.sent.filter((s) => s.topic === `${IN}.dlq`);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.message.headers?.['medistill.original.offset']).toBe('7');
    expect(events.filter((e) => e.type === 'hop.retried')).toHaveLength(2);
    expect(events.find((e) => e.type === 'hop.dead_lettered')).toMatchObject({ stage: 'pass', reason: 'retries_exhausted' });
    await clock.advance(1000);
    expect(consumer.commits.at(-1)).toEqual([{ topic: IN, partition: 0, offset: '8' }]);
  });

  it('dead-letters a non-retriable failure at once and goes on with the next message', async () => {
    let attempts = 0;
    const stage = passStage(new Map(), {
      async process(input) {
        attempts++;
        if (input.offset === '0') throw new InvalidInputError('no abstract');
        return [{ topic: OUT, key: input.key, value: input.value }];
      },
    });
    const { consumer, producer, events } = await startRunner(stage);
    await consumer.deliver(IN, 0, messages([0, 1]));
    await settle();
    expect(attempts).toBe(2);
    expect(producer.sent.map((s) => s.topic)).toEqual([`${IN}.dlq`, OUT]);
    expect(events.find((e) => e.type === 'hop.dead_lettered')).toMatchObject({ reason: 'invalid_input' });
  });

  it('crashes on an infrastructure error: done rejects and the clients are disconnected, nothing dead-lettered', async () => {
    const stage = passStage(new Map(), {
      async process() {
        throw new InfrastructureError('broker refused');
      },
    });
    const { consumer, producer, runner } = await startRunner(stage);
    await consumer.deliver(IN, 0, messages([0]));
    await expect(runner.done).rejects.toThrow('broker refused');
    expect(producer.sent).toEqual([]);
    expect(consumer.calls.at(-1)).toBe('disconnect');
    expect(producer.calls.at(-1)).toBe('disconnect');
    expect(consumer.commits).toEqual([]);
  });

  it('crashes when the consumer crashed for good, not when the client restarts it', async () => {
    const { consumer, runner } = await startRunner(passStage());
    consumer.crashWith(new Error('coordinator hiccup'), true);
    await settle();
    expect(runner.connected).toBe(true);
    consumer.crashWith(new Error('group authorization failed'), false);
    await expect(runner.done).rejects.toThrow('group authorization failed');
  });

  it('on stop drains in-flight work, commits its offsets, then disconnects, once', async () => {
    const held = [deferred(), deferred(), deferred()];
    const { consumer, producer, runner } = await startRunner(passStage(new Map(held.map((d, i) => [String(i), d.promise]))));
    await consumer.deliver(IN, 1, messages([0, 1, 2]));
    const first = runner.stop(10_000);
    const second = runner.stop(10_000);
    await settle();
    expect(consumer.calls).not.toContain('disconnect');
    for (const d of held) d.resolve();
    await Promise.all([first, second]);
    await runner.done;
    expect(outputs(producer).map((o) => o.n)).toEqual([0, 1, 2]);
    expect(consumer.commits.at(-1)).toEqual([{ topic: IN, partition: 1, offset: '3' }]);
    expect(consumer.calls.filter((c) => c === 'disconnect')).toHaveLength(1);
    expect(consumer.calls.slice(-2)).toEqual(['commit', 'disconnect']);
    expect(producer.calls.filter((c) => c === 'disconnect')).toHaveLength(1);
    // Stopped: later batches are not taken in.
    expect(await consumer.deliver(IN, 1, messages([3]))).toEqual([]);
  });

  it('on stop abandons work still in flight at the deadline, uncommitted, for redelivery', async () => {
    const clock = createManualClock();
    const never = deferred();
    const { consumer, runner } = await startRunner(passStage(new Map([['1', never.promise]])), { clock });
    await consumer.deliver(IN, 0, messages([0, 1]));
    await settle();
    const stopped = runner.stop(5_000);
    await clock.advance(5_000);
    await stopped;
    expect(consumer.commits.at(-1)).toEqual([{ topic: IN, partition: 0, offset: '1' }]);
    expect(clock.pending).toBe(0);
  });

  it('drops a redelivered input whose dedup key was processed, and counts it', async () => {
    const { consumer, producer, events } = await startRunner(passStage(new Map(), { dedupKey: (input) => input.key }));
    await consumer.deliver(IN, 0, messages([0, 1], () => 'same'));
    await settle();
    expect(outputs(producer)).toEqual([{ key: 'same', n: 0 }]);
    expect(events.filter((e) => e.type === 'hop.duplicate')).toHaveLength(1);
  });

  it('leaves no abort listener behind over 10,000 retries, and raises no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const counts: number[] = [];
    const done = deferred();
    let attempts = 0;
    const stage = passStage(new Map(), {
      async process(input, signal) {
        attempts++;
        counts.push(getEventListeners(signal, 'abort').length);
        if (attempts < 10_000) throw new MedistillError('flaky', { retriable: true });
        done.resolve();
        return [{ topic: OUT, key: input.key, value: input.value }];
      },
    });
    const { consumer, producer } = await startRunner(stage, { clock: createInstantClock(), maxAttempts: 20_000, retryBaseMs: 1 });
    await consumer.deliver(IN, 0, messages([0]));
    await done.promise;
    await settle();
    process.off('warning', onWarning);
    expect(attempts).toBe(10_000);
    expect(counts[9_999]).toBe(counts[0]);
    expect(Math.max(...counts)).toBe(counts[0]);
    expect(outputs(producer)).toEqual([{ key: 'k0', n: 0 }]);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('gives every record in flight its own abort signal (64 LLM calls): no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const release = deferred();
    let listening = 0;
    const signals = new Set<AbortSignal>();
    const stage = passStage(new Map(), {
      async process(input, signal) {
        const onAbort = (): void => undefined;
        signal.addEventListener('abort', onAbort);
        signals.add(signal);
        listening++;
        await release.promise;
        signal.removeEventListener('abort', onAbort);
        return [{ topic: OUT, key: input.key, value: input.value }];
      },
    });
    const { consumer, producer } = await startRunner(stage, { maxInFlight: 64 });
    void consumer.deliver(IN, 0, messages(Array.from({ length: 64 }, (_, i) => i)));
    await settle();
    expect(listening).toBe(64);
    expect(signals.size).toBe(64);
    expect([...signals].every((sg) => getEventListeners(sg, 'abort').length === 1)).toBe(true);
    release.resolve();
    await settle();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(outputs(producer)).toHaveLength(64);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('aborts the signal of every record still in flight at the stop deadline', async () => {
    const clock = createManualClock();
    const signals: AbortSignal[] = [];
    const stage = passStage(new Map(), {
      async process(_input, signal) {
        signals.push(signal);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return [];
      },
    });
    const { consumer, runner } = await startRunner(stage, { maxInFlight: 16, clock });
    void consumer.deliver(IN, 0, messages(Array.from({ length: 16 }, (_, i) => i)));
    await settle();
    expect(signals).toHaveLength(16);
    expect(signals.some((sg) => sg.aborted)).toBe(false);
    const stopped = runner.stop(5_000);
    await clock.advance(5_000);
    await stopped;
    expect(signals.every((sg) => sg.aborted)).toBe(true);
  });

  it('tells a bad setting at construction, naming it', () => {
    const consumer = createFakeConsumer();
    const producer = createFakeProducer();
    const base = { ports: fakePorts(consumer, producer), codec: jsonCodec, stage: passStage(), groupId: 'g', maxInFlight: 10, batchSize: 1, batchMs: 0, maxAttempts: 3, codeVersion: 't', log: () => undefined };
    expect(() => createStageRunner({ ...base, maxAttempts: 0 })).toThrow(/maxAttempts must be an integer >= 1/);
    expect(() => createStageRunner({ ...base, maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
