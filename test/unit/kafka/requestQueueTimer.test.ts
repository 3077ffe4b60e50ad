import { afterEach, describe, expect, it } from 'vitest';
import { installRequestQueueTimerFix, kafkajsRequestQueue, kafkajsVersion, PATCHED_KAFKAJS_VERSION, unfixedScheduleCheckPendingRequests } from '../../../services/runtime/kafka/requestQueueTimer.ts';

type Queue = { throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null; pending: unknown[]; checkPendingRequests(): void; destroy(): void };

const queues: Queue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

function newQueue(): Queue {
  const RequestQueue = kafkajsRequestQueue() as unknown as new (options: Record<string, unknown>) => Queue;
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const queue = new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b:9092', logger: quiet });
  queues.push(queue);
  return queue;
}

/** Runs `fn`, recording the delay of every setTimeout it starts and every process warning it raises. */
async function observe(fn: () => void): Promise<{ delays: number[]; warnings: string[] }> {
  const delays: number[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  const original = globalThis.setTimeout;
  process.on('warning', onWarning);
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    // Recorded as asked; started clamped, so the test run itself prints no TimeoutNegativeWarning.
    return original(cb, Math.max(1, ms ?? 0));
  }) as typeof setTimeout;
  try {
    fn();
  } finally {
    globalThis.setTimeout = original;
  }
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  return { delays, warnings };
}

describe('the kafkajs request queue timer', () => {
  it('unfixed, an idle queue schedules a negative delay (the bug the fix is for)', async () => {
    expect(kafkajsVersion()).toBe(PATCHED_KAFKAJS_VERSION);
    const queue = newQueue();
    const seen = await observe(() => unfixedScheduleCheckPendingRequests().call(queue));
    expect(seen.delays.some((d) => d < 0)).toBe(true);
  });

  it('fixed, an idle queue starts no timer at all (so nothing for Node to warn about)', async () => {
    expect(installRequestQueueTimerFix()).toBe(true);
    expect(installRequestQueueTimerFix()).toBe(true);
    const queue = newQueue();
    const seen = await observe(() => queue.checkPendingRequests());
    expect(seen.delays).toEqual([]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('fixed, a throttled queue with pending requests checks again when the throttle ends, and an unthrottled one after 10 ms', async () => {
    installRequestQueueTimerFix();
    const throttled = newQueue();
    throttled.pending.push({});
    throttled.throttledUntil = Date.now() + 5_000;
    const a = await observe(() => throttled.checkPendingRequests());
    expect(a.delays).toHaveLength(1);
    expect(a.delays[0]).toBeGreaterThan(4_000);
    expect(a.delays[0]).toBeLessThanOrEqual(5_000);
    throttled.pending.length = 0;

    const busy = newQueue();
    busy.pending.push({});
    busy.throttledUntil = Date.now() + 5_000;
    await observe(() => busy.checkPendingRequests());
    busy.throttledUntil = 0;
    const pendingTimer = busy.throttleCheckTimeoutId;
    expect(pendingTimer).not.toBeNull();
    busy.destroy();
    const b = await observe(() => {
      // Still throttled by in-flight limits (simulated by the pending entry), not by time.
      (busy as unknown as { scheduleCheckPendingRequests(): void }).scheduleCheckPendingRequests();
    });
    expect(b.delays).toEqual([10]);
    busy.pending.length = 0;
  });
});
