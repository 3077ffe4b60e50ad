/** Where the runners take time from: the system clock in services, a virtual one in tests. */
export interface RuntimeClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `callback` after `ms`; returns the cancel. */
  setTimer(callback: () => void, ms: number): () => void;
}

/** The process's clock (performance.now and setTimeout). */
export const systemClock: RuntimeClock = {
  now: () => performance.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * Waits `ms`, or less when `signal` aborts; never rejects. The abort listener is removed when the
 * wait ends either way, so a long-lived signal (one per runner) gathers no listeners over retries.
 */
export function sleep(clock: RuntimeClock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimer(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Calls `callback` every `ms` until the returned function is called. */
export function every(clock: RuntimeClock, ms: number, callback: () => void): () => void {
  let cancel: () => void = () => undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    cancel = clock.setTimer(tick, ms);
    callback();
  };
  cancel = clock.setTimer(tick, ms);
  return () => {
    stopped = true;
    cancel();
  };
}
