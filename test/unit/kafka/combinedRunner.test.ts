import { describe, expect, it } from 'vitest';
import { combineRunners } from '../../../services/runtime/kafka/combinedRunner.ts';
import { createRunnerLifecycle, type KafkaRunner } from '../../../services/runtime/kafka/kafkaRunner.ts';
import { createInFlightGate } from '../../../services/runtime/kafka/inFlightGate.ts';

/** A runner whose lifecycle the test drives: it records starts and stops, and can crash. */
function fakeRunner(name: string, log: string[]): KafkaRunner & { crash(err: unknown): void } {
  const lifecycle = createRunnerLifecycle(async (timeoutMs) => {
    log.push(`${name} stop ${timeoutMs}`);
  });
  let connected = false;
  return {
    async start() {
      log.push(`${name} start`);
      connected = true;
    },
    stop: (t) => lifecycle.stop(t),
    done: lifecycle.done,
    gate: createInFlightGate({ maxInFlight: 10, pause: () => undefined, resume: () => undefined }),
    get connected() {
      return connected;
    },
    crash: (err) => lifecycle.crash(err),
  };
}

describe('combineRunners', () => {
  it('starts in order, is connected when all are, and a stop drains every runner before done resolves', async () => {
    const log: string[] = [];
    const a = fakeRunner('a', log);
    const b = fakeRunner('b', log);
    const both = combineRunners([a, b]);
    expect(both.connected).toBe(false);
    await both.start();
    expect(both.connected).toBe(true);
    await both.stop(500);
    await both.done;
    expect(log).toEqual(['a start', 'b start', 'a stop 500', 'b stop 500']);
  });

  it('when one runner crashes the others are stopped at once and done rejects with its error', async () => {
    const log: string[] = [];
    const a = fakeRunner('a', log);
    const b = fakeRunner('b', log);
    const both = combineRunners([a, b]);
    await both.start();
    const boom = new Error('broker gone');
    b.crash(boom);
    await expect(both.done).rejects.toBe(boom);
    expect(log).toContain('a stop 0');
  });
});
