/**
 * Resolves after `ms` milliseconds, or as soon as `signal` aborts (resolving, not rejecting: callers check
 * `signal.aborted` and stop, so a shutdown is never reported as an error).
 *
 * @example await abortableDelay(500, signal); if (signal?.aborted) return;
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
