import { describe, expect, it } from 'vitest';
import { ServiceStartError } from '../../../services/errors/medistillErrors.ts';
import { createOutageBudget } from '../../../services/runtime/kafka/outageBudget.ts';
import { startWithin } from '../../../services/runtime/kafka/serviceStartup.ts';
import { systemClock } from '../../../services/runtime/kafka/runtimeClock.ts';

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError' });

function budget(budgetMs: number, lines: string[]) {
  return createOutageBudget({ budgetMs, clock: systemClock, name: 'annotate', log: (l) => void lines.push(l), baseDelayMs: 5, maxDelayMs: 20 });
}

describe('startWithin (a start-up step through an outage)', () => {
  it('retries a step that cannot reach Kafka until it can, logging the outage once at its start and once at its end', async () => {
    const lines: string[] = [];
    let calls = 0;
    const value = await startWithin(budget(10_000, lines), 'kafka', 'cannot reach Kafka at k:9092', new AbortController().signal, async () => {
      if (++calls < 4) throw refused();
      return 'connected';
    });
    expect(value).toBe('connected');
    expect(calls).toBe(4);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^annotate: cannot reach Kafka at k:9092 failed \(cannot reach Kafka at k:9092: connect ECONNREFUSED .*\); retrying for up to 10 s/);
    expect(lines[1]).toMatch(/^annotate: Kafka reachable again after/);
  });

  it('past the budget, fails with one line naming the last failure and the budget', async () => {
    const lines: string[] = [];
    const failure = startWithin(budget(60, lines), 'kafka', 'cannot reach Kafka at k:9092', new AbortController().signal, async () => {
      throw refused();
    });
    await expect(failure).rejects.toBeInstanceOf(ServiceStartError);
    await expect(failure).rejects.toThrow(/^cannot reach Kafka at k:9092: connect ECONNREFUSED 127\.0\.0\.1:9 \(Kafka unreachable for \d+ s, past the outage budget \(MEDISTILL_OUTAGE_BUDGET_MS=60\)\)$/);
  });

  it('gives up at once on refused credentials: waiting does not mend them', async () => {
    let calls = 0;
    const failure = startWithin(budget(10_000, []), 'kafka', 'cannot reach Kafka at k:9092', new AbortController().signal, async () => {
      calls++;
      throw Object.assign(new Error('SASL PLAIN authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    });
    await expect(failure).rejects.toThrow(/SASL PLAIN authentication failed/);
    await expect(failure).rejects.toMatchObject({ retriable: false });
    expect(calls).toBe(1);
  });

  it('stops waiting when the service is asked to stop', async () => {
    const stop = new AbortController();
    let calls = 0;
    const failure = startWithin(budget(10_000, []), 'registry', 'cannot register the schemas at http://r', stop.signal, async () => {
      if (++calls === 2) stop.abort();
      throw refused();
    });
    await expect(failure).rejects.toBeInstanceOf(ServiceStartError);
    expect(calls).toBe(2);
  });
});
