import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** A scheduler that delegates to another and counts the timers it was asked for, to prove cancellation. */
export interface CountingScheduler {
  scheduler: SchedulerLike;
  /** Timers that ran. */
  fired(): number;
  /** Timers neither run nor cancelled yet. */
  pending(): number;
}

/** Wraps `inner` (a TestScheduler in marble tests) so a test can see which timers ran and which were cancelled. */
export function countingScheduler(inner: SchedulerLike): CountingScheduler {
  let fired = 0;
  const timers: { subscription: Subscription; ran: boolean }[] = [];
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state: T) => void, delay?: number, state?: T): Subscription {
      const entry = { subscription: undefined as unknown as Subscription, ran: false };
      entry.subscription = inner.schedule<T>(
        function (this: SchedulerAction<T>, s?: T) {
          entry.ran = true;
          fired++;
          work.call(this, s as T);
        },
        delay ?? 0,
        state,
      );
      timers.push(entry);
      return entry.subscription;
    },
  };
  return {
    scheduler,
    fired: () => fired,
    pending: () => timers.filter((t) => !t.ran && !t.subscription.closed).length,
  };
}
