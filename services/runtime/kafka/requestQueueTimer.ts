import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's request queue reschedules its pending-request check after every check, also when
 * nothing is pending and nothing is throttled: the delay is then `throttledUntil - Date.now()`
 * with `throttledUntil` at its initial -1 or 0, a negative number. Node 24 prints
 * "TimeoutNegativeWarning: -17965… is a negative number" for it at every start, and clamps the
 * delay to 1 ms, so each broker connection polls an empty queue every millisecond for its whole
 * life (kafkajs issues #1704 and #1751, unfixed in any release).
 *
 * `installRequestQueueTimerFix` replaces that one method with the behaviour the upstream fix
 * proposes: with requests pending, check again when the throttle ends (or after 10 ms, as kafkajs
 * does); with nothing pending and no throttle, schedule nothing (the next `push` schedules a check
 * itself, and a fulfilled request runs one). Applied only to the release it was written against;
 * another version is left untouched and the function says so.
 */

/** The kafkajs release whose request queue this replaces the scheduling of. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

/** kafkajs' own interval for re-checking a queue held back by in-flight limits. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/** The request queue class of the installed kafkajs (a CommonJS module, not part of its typed API). */
export function kafkajsRequestQueue(): { prototype: RequestQueueState & { scheduleCheckPendingRequests(): void } } {
  const require = createRequire(import.meta.url);
  return require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueState & { scheduleCheckPendingRequests(): void } };
}

/** The version of the installed kafkajs. */
export function kafkajsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('kafkajs/package.json') as { version: string }).version;
}

type Schedule = (this: RequestQueueState) => void;

let installed = false;
let unfixed: Schedule | null = null;

/** kafkajs' own scheduling method, as shipped (kept for the test that shows the bug). */
export function unfixedScheduleCheckPendingRequests(): Schedule {
  return unfixed ?? kafkajsRequestQueue().prototype.scheduleCheckPendingRequests;
}

/**
 * Installs the fixed scheduling once per process; idempotent. Returns whether the fix is in place
 * (false when the installed kafkajs is not the release it was written for).
 */
export function installRequestQueueTimerFix(): boolean {
  if (installed) return true;
  if (kafkajsVersion() !== PATCHED_KAFKAJS_VERSION) return false;
  const prototype = kafkajsRequestQueue().prototype;
  unfixed = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueState): void {
    if (this.throttleCheckTimeoutId) return;
    const throttledForMs = this.throttledUntil - Date.now();
    if (this.pending.length === 0 && throttledForMs <= 0) return;
    const delayMs = throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delayMs);
  };
  installed = true;
  return true;
}
