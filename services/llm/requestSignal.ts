/**
 * The signal of one LLM request: aborted when the caller's is, but its own object. Every wait of
 * the request (a rate-limit permit, a concurrency slot, a retry sleep, the HTTP call) listens on
 * it, and it is dropped when the request settles. Deriving it with AbortSignal.any adds no
 * listener to the caller's signal, so any number of concurrent requests can share one caller
 * signal (a stage's stop signal) without piling listeners on it.
 * @example const signal = requestSignal(options.signal); await sleep(ms, undefined, signal ? { signal } : undefined);
 */
export function requestSignal(caller: AbortSignal | undefined): AbortSignal | undefined {
  return caller === undefined ? undefined : AbortSignal.any([caller]);
}
