import { afterEach, describe, expect, it } from 'vitest';
import { InfrastructureError, OutageBudgetExceededError, RegistryUnavailableError } from '../../../services/errors/medistillErrors.ts';
import { createOutageBudget } from '../../../services/runtime/kafka/outageBudget.ts';
import { createStageRunner, type KafkaStage, type StageInput, type StageOutput, type StageRunnerOptions } from '../../../services/runtime/kafka/stageRunner.ts';
import { createFakeConsumer, createFakeProducer, createManualClock, fakePorts, jsonCodec, settle, type ManualClock } from './fakeKafkaPorts.ts';

const IN = 'in.v1';
const OUT = 'out.v1';

function passStage(gates: Map<string, Promise<void>> = new Map()): KafkaStage {
  return {
    name: 'pass',
    inputTopic: IN,
    outputTopics: [OUT],
    async process(input: StageInput): Promise<StageOutput[]> {
      await gates.get(input.offset);
      return [{ topic: OUT, key: input.key, value: input.value }];
    },
  };
}

const runners: ReturnType<typeof createStageRunner>[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop(0);
});

async function startRunner(options: Partial<StageRunnerOptions> & { clock: ManualClock }) {
  const consumer = createFakeConsumer();
  const producer = createFakeProducer();
  const lines: string[] = [];
  const runner = createStageRunner({
    ports: fakePorts(consumer, producer),
    codec: jsonCodec,
    stage: passStage(),
    groupId: 'g',
    maxInFlight: 100,
    batchSize: 1,
    batchMs: 0,
    maxAttempts: 3,
    codeVersion: 'test',
    log: (l) => void lines.push(l),
    outageBudgetMs: 10_000,
    outageRetryBaseMs: 100,
    ...options,
  });
  runners.push(runner);
  await runner.start();
  consumer.joinGroup({ [IN]: [0] });
  return { consumer, producer, runner, lines };
}

const msgs = (offsets: number[]) => offsets.map((o) => ({ offset: o, key: `k${o}`, value: { n: o } }));

describe('outage budget', () => {
  it('retries a retriable infrastructure failure with backoff and gives up past the budget with one error naming the budget', async () => {
    const clock = createManualClock();
    const lines: string[] = [];
    const budget = createOutageBudget({ budgetMs: 1000, clock, name: 'svc', log: (l) => void lines.push(l), baseDelayMs: 100 });
    let calls = 0;
    const ride = budget.ride('kafka', 'producing', async () => {
      calls++;
      throw new InfrastructureError('Connection error: connect ECONNREFUSED');
    }, new AbortController().signal);
    const outcome = ride.then(() => null, (err: unknown) => err);
    await clock.advance(5_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(OutageBudgetExceededError);
    expect((err as Error).message).toMatch(/Kafka unreachable for \d+ s, past the outage budget \(MEDISTILL_OUTAGE_BUDGET_MS=1000\).*ECONNREFUSED/);
    // Attempts at 0, 100, 300, 700 and 1500 ms: backoff, not a busy loop.
    expect(calls).toBe(5);
    expect(lines).toHaveLength(1);
  });

  it('never retries what is not an infrastructure failure, nor a failure once the signal aborted', async () => {
    const budget = createOutageBudget({ budgetMs: 1000, clock: createManualClock(), name: 'svc', log: () => undefined });
    await expect(budget.ride('kafka', 'x', async () => Promise.reject(new TypeError('bug')), new AbortController().signal)).rejects.toBeInstanceOf(TypeError);
    const aborted = new AbortController();
    aborted.abort();
    await expect(budget.ride('kafka', 'x', async () => Promise.reject(new InfrastructureError('down')), aborted.signal)).rejects.toThrow('down');
  });

  it('does not take a decode served from cache for the registry being back', async () => {
    const clock = createManualClock();
    const lines: string[] = [];
    const budget = createOutageBudget({ budgetMs: 1000, clock, name: 'svc', log: (l) => void lines.push(l) });
    budget.failed('registry', 'decoding', new RegistryUnavailableError('registry down'));
    await budget.ride('registry', 'decoding', async () => 'cached', new AbortController().signal);
    await clock.advance(1000);
    expect(budget.exceeded()?.message).toMatch(/the schema registry unreachable/);
  });
});

describe('a stage runner during a broker outage', () => {
  it('retries a refused produce until the broker takes it: the output is produced once, the offset committed, no crash', async () => {
    const clock = createManualClock();
    const { consumer, producer, runner, lines } = await startRunner({ clock });
    producer.failNext(new InfrastructureError('producing 1 message(s) failed: Connection error: connect ECONNREFUSED'));
    await consumer.deliver(IN, 0, msgs([0]));
    await clock.advance(2_000);
    expect(producer.sent.filter((s) => s.topic === OUT).map((s) => String(s.message.key))).toEqual(['k0']);
    expect(consumer.commits.flat()).toContainEqual({ topic: IN, partition: 0, offset: '1' });
    expect(runner.connected).toBe(true);
    expect(lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('fatal'))).toBe(false);
  });

  it('exits with one line once the consumer kept failing past the budget, though the client restarts it each time', async () => {
    const clock = createManualClock();
    const { consumer, runner, lines } = await startRunner({ clock });
    for (let t = 0; t < 12; t++) {
      consumer.crashWith(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), true);
      await clock.advance(1_000);
    }
    await expect(runner.done).rejects.toBeInstanceOf(OutageBudgetExceededError);
    const fatal = lines.filter((l) => l.includes('fatal'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/Kafka unreachable for \d+ s, past the outage budget .*exiting for a restart/);
  });

  it('keeps riding when the consumer rejoins in time, and pauses a restarted consumer again when the gate is still full', async () => {
    const clock = createManualClock();
    const never = new Promise<void>(() => undefined);
    const consumer = createFakeConsumer();
    const producer = createFakeProducer();
    const runner = createStageRunner({
      ports: fakePorts(consumer, producer),
      codec: jsonCodec,
      stage: passStage(new Map([['0', never], ['1', never]])),
      groupId: 'g',
      maxInFlight: 2,
      batchSize: 1,
      batchMs: 0,
      maxAttempts: 3,
      codeVersion: 'test',
      log: () => undefined,
      clock,
      outageBudgetMs: 10_000,
    });
    await runner.start();
    consumer.joinGroup({ [IN]: [0] });
    void consumer.deliver(IN, 0, msgs([0, 1]));
    await settle();
    expect(consumer.paused).toBe(true);
    // The client restarts its consumer: while it does, pause and resume throw (as kafkajs does).
    const { pause, resume } = consumer;
    consumer.pause = () => {
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    };
    consumer.resume = consumer.pause;
    consumer.crashWith(new Error('Connection error'), true);
    await clock.advance(5_000);
    consumer.pause = pause;
    consumer.resume = resume;
    consumer.resume(IN);
    consumer.joinGroup({ [IN]: [0] });
    expect(consumer.paused).toBe(true);
    await clock.advance(10_000);
    expect(runner.connected).toBe(true);
    const stopped = runner.stop(0);
    await clock.advance(10);
    await stopped;
  });
});
