import type { InFlightGate } from './inFlightGate.ts';
import { sleep, type RuntimeClock } from './runtimeClock.ts';

/** What runService runs: a stage runner (consumes a topic) or a source runner (reads a source). */
export interface KafkaRunner {
  /** Resolves once the runner connected and runs. */
  start(): Promise<void>;
  /** Stops taking work in, drains what is in flight (up to timeoutMs), commits, disconnects. Once: later calls return the same promise. */
  stop(timeoutMs: number): Promise<void>;
  /**
   * Resolves when the runner stopped: after `stop`, or (for a finite source) when its input is
   * done and everything is acknowledged. Rejects when it crashed (the process should exit non-zero).
   */
  readonly done: Promise<void>;
  readonly gate: InFlightGate;
  readonly connected: boolean;
}

/** The stop-once and crash bookkeeping the runners share. */
export interface RunnerLifecycle {
  readonly done: Promise<void>;
  /** True from the first stop or crash on. */
  readonly stopping: boolean;
  /** Runs `shutdown` once, whoever asks first, and resolves `done`. */
  stop(timeoutMs: number): Promise<void>;
  /** Shuts down at once (no drain) and rejects `done` with `err`. */
  crash(err: unknown): void;
}

/** Creates the lifecycle of a runner whose `shutdown(timeoutMs)` drains, commits and disconnects. */
export function createRunnerLifecycle(shutdown: (timeoutMs: number) => Promise<void>): RunnerLifecycle {
  let stopping: Promise<void> | null = null;
  let resolveDone!: () => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // A crash is reported through `done`; an unobserved rejection must not end the process early.
  done.catch(() => undefined);
  // A crash during a stop (a drain that hits a broker failure) still ends as a crash.
  let failure: { err: unknown } | null = null;
  const once = (timeoutMs: number): Promise<void> => (stopping ??= shutdown(timeoutMs));
  const settle = (): void => (failure ? rejectDone(failure.err) : resolveDone());
  return {
    done,
    get stopping() {
      return stopping !== null;
    },
    async stop(timeoutMs) {
      await once(timeoutMs).finally(settle);
    },
    crash(err) {
      failure ??= { err };
      void once(0).then(settle, settle);
    },
  };
}

/**
 * Waits until nothing is in flight or `timeoutMs` passed (Infinity: no deadline); returns how many records were left.
 * The deadline's timer is cancelled when the gate empties first, so a drain leaves nothing behind.
 */
export async function drainGate(gate: InFlightGate, clock: RuntimeClock, timeoutMs: number): Promise<number> {
  if (gate.inFlight === 0) return 0;
  if (!Number.isFinite(timeoutMs)) {
    await gate.whenIdle();
    return 0;
  }
  const deadline = new AbortController();
  await Promise.race([gate.whenIdle(), sleep(clock, timeoutMs, deadline.signal)]);
  deadline.abort();
  return gate.inFlight;
}
