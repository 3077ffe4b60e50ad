/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between attempts. Default 250 ms. */
  intervalMs?: number;
  /** Stops polling early, e.g. when the process being waited for has exited. */
  signal?: AbortSignal;
}

/** Outcome of {@link pollUntil}: ready, or the last failure seen before the deadline or the abort. */
export type PollResult = { ready: true } | { ready: false; reason: 'timeout' | 'aborted'; lastError: unknown };

/**
 * Calls `attempt` until it resolves to true, the deadline passes or `signal` aborts. An attempt that
 * throws counts as not ready; the last error is returned for the caller's message.
 */
export async function pollUntil(attempt: () => Promise<boolean>, options: PollOptions): Promise<PollResult> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError: unknown;
  while (true) {
    if (options.signal?.aborted) return { ready: false, reason: 'aborted', lastError };
    try {
      if (await attempt()) return { ready: true };
    } catch (err) {
      lastError = err;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ready: false, reason: 'timeout', lastError };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(interval, remaining));
      function done(): void {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
