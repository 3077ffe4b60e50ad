import { describe, expect, it } from 'vitest';
import { InfrastructureError, InvalidInputError } from '../../../services/errors/medistillErrors.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import type { InstrumentationEvent } from '../../../services/instrumentation/instrumentationEvents.ts';
import { createSourceRunner, type KafkaSource, type SourceEntry } from '../../../services/runtime/kafka/sourceRunner.ts';
import { createFakeConsumer, createFakeProducer, deferred, fakePorts, jsonCodec, settle } from './fakeKafkaPorts.ts';

type Item = { key: string; value: unknown } | { bad: string };

/** A finite source over `items`, recording acknowledgements by index. */
function listSource(items: Item[], acked: number[], signalSeen: { aborted: boolean } = { aborted: false }): KafkaSource<Item> {
  return {
    name: 'list',
    outputTopics: ['out.v1'],
    async *open(signal): AsyncGenerator<SourceEntry<Item>> {
      for (const [i, item] of items.entries()) {
        if (signal.aborted) {
          signalSeen.aborted = true;
          return;
        }
        yield { item, ack: () => void acked.push(i) };
      }
    },
    map(item) {
      if ('bad' in item) return { kind: 'dead_letter', topic: 'out.v1', key: null, raw: Buffer.from(item.bad), error: new InvalidInputError('unparsable'), position: '42' };
      return { kind: 'produce', outputs: [{ topic: 'out.v1', key: item.key, value: item.value }], dedupKey: item.value === null ? null : item.key };
    },
  };
}

function runnerFor(source: KafkaSource<Item>, maxInFlight = 100, codec = jsonCodec, outageBudgetMs = 0, log: (line: string) => void = () => undefined) {
  const producer = createFakeProducer();
  const bus = createInstrumentation();
  const events: InstrumentationEvent[] = [];
  bus.on('hop.*', (e) => void events.push(e));
  const runner = createSourceRunner({
    ports: fakePorts(createFakeConsumer(), producer),
    codec,
    source,
    maxInFlight,
    batchSize: 1,
    batchMs: 0,
    codeVersion: 'test',
    log,
    instrumentation: bus,
    eventStage: 'ingest',
    outageBudgetMs,
    outageRetryBaseMs: 1,
  });
  return { runner, producer, events };
}

describe('createSourceRunner (fake producer)', () => {
  it('produces records, tombstones and dead letters, acknowledges each item after the broker did, and ends with its input', async () => {
    const acked: number[] = [];
    const { runner, producer, events } = runnerFor(
      listSource([{ key: '1', value: { v: 1 } }, { key: '2', value: null }, { bad: '<PubmedArticle>' }, { key: '1', value: { v: 1 } }], acked),
    );
    producer.hold();
    await runner.start();
    await settle();
    // Nothing is acknowledged before the broker answered (the duplicate waits behind its key's first copy).
    expect(acked).toEqual([]);
    producer.release();
    await runner.done;
    expect(acked.sort()).toEqual([0, 1, 2, 3]);
    expect(producer.sent.map((s) => [s.topic, s.message.key === null ? null : String(s.message.key), s.message.value === null ? null : 'value'])).toEqual([
      ['out.v1', '1', 'value'],
      ['out.v1', '2', null],
      ['out.v1.dlq', null, 'value'],
    ]);
    expect(producer.sent[2]?.message.headers?.['medistill.original.offset']).toBe('42');
    expect(events.filter((e) => e.type === 'hop.duplicate')).toHaveLength(1);
    expect(events.find((e) => e.type === 'hop.dead_lettered')).toMatchObject({ stage: 'ingest', reason: 'invalid_input' });
    expect(events.filter((e) => e.type === 'hop.consumed')).toHaveLength(4);
    expect(producer.calls).toEqual(['connect', 'disconnect']);
  });

  it('reads no further while maxInFlight items are unacknowledged', async () => {
    const acked: number[] = [];
    const items = Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: { i } }));
    const { runner, producer } = runnerFor(listSource(items, acked), 4);
    producer.hold();
    await runner.start();
    await settle();
    expect(runner.gate.inFlight).toBe(4);
    producer.release();
    await runner.done;
    expect(acked).toHaveLength(10);
  });

  it('on stop ends reading, drains what is in flight, and leaves the rest unacknowledged', async () => {
    const acked: number[] = [];
    const seen = { aborted: false };
    const items = Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: { i } }));
    const { runner, producer } = runnerFor(listSource(items, acked, seen), 3);
    producer.hold();
    await runner.start();
    await settle();
    const stopped = runner.stop(10_000);
    producer.release();
    await stopped;
    await runner.done;
    expect(acked.sort()).toEqual([0, 1, 2]);
    expect(producer.calls.filter((c) => c === 'disconnect')).toHaveLength(1);
  });

  it('retries a refused produce within the outage budget: the item is acknowledged once the broker takes it, and the outage is logged once', async () => {
    const acked: number[] = [];
    const lines: string[] = [];
    const { runner, producer } = runnerFor(listSource([{ key: '1', value: { v: 1 } }], acked), 100, jsonCodec, 60_000, (l) => void lines.push(l));
    producer.failNext(new InfrastructureError('Connection error: connect ECONNREFUSED'));
    await runner.start();
    await runner.done;
    expect(acked).toEqual([0]);
    expect(producer.sent.map((s) => String(s.message.key))).toEqual(['1']);
    expect(lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
    expect(lines.some((l) => /Kafka reachable again/.test(l))).toBe(true);
  });

  it('crashes when the broker refuses past the outage budget, without acknowledging the item', async () => {
    const acked: number[] = [];
    const { runner, producer } = runnerFor(listSource([{ key: '1', value: { v: 1 } }], acked));
    producer.failNext(new Error('NOT_ENOUGH_REPLICAS'));
    const started = deferred();
    void runner.start().then(() => started.resolve());
    await started.promise;
    await expect(runner.done).rejects.toThrow(/NOT_ENOUGH_REPLICAS/);
    expect(acked).toEqual([]);
  });

  it('produces a tombstone after the record of the same key read before it, even when encoding the record is slower', async () => {
    const slowCodec = { ...jsonCodec, encode: async (topic: string, value: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return jsonCodec.encode(topic, value);
    } };
    const { runner, producer } = runnerFor(listSource([{ key: '7', value: { v: 1 } }, { key: '8', value: null }, { key: '7', value: null }], []), 100, slowCodec);
    await runner.start();
    await runner.done;
    expect(producer.sent.map((s) => [String(s.message.key), s.message.value === null ? 'tombstone' : 'record'])).toEqual([
      ['8', 'tombstone'],
      ['7', 'record'],
      ['7', 'tombstone'],
    ]);
  });
});
