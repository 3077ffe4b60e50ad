import { Subject, type Observable } from 'rxjs';
import { RuntimeConfigError, RuntimeUsageError } from '../../errors/medistillErrors.ts';

/** Settings of an in-flight gate. */
export interface InFlightGateOptions {
  /** Records in flight at which `pause` is called; an integer >= 1. */
  maxInFlight: number;
  /** `resume` is called once the count drops below this mark; default: half of maxInFlight (at least 1). */
  resumeBelow?: number;
  /** Called once each time the count reaches maxInFlight (e.g. pause the consumer's partitions). */
  pause: () => void;
  /** Called once each time the count then drops below resumeBelow. */
  resume: () => void;
}

/** A pause or resume, for metrics and logs. */
export interface InFlightGateEvent {
  type: 'pause' | 'resume';
  inFlight: number;
}

/** Counts records in flight and flips between paused and running with hysteresis; it never blocks. */
export interface InFlightGate {
  /** Counts records taken in; may go past maxInFlight, since a fetched batch still arrives after a pause. */
  enter(count?: number): void;
  /** Counts records finished (acknowledged, dead-lettered, or dropped). */
  leave(count?: number): void;
  readonly inFlight: number;
  readonly paused: boolean;
  readonly maxInFlight: number;
  readonly resumeBelow: number;
  /** Every pause and resume, as it happens. */
  readonly events: Observable<InFlightGateEvent>;
  /** Resolves once nothing is in flight (at once when nothing is). */
  whenIdle(): Promise<void>;
  /** Resolves once the gate is not paused (at once when it is not): a pulling source waits here. */
  whenOpen(): Promise<void>;
}

/**
 * Creates a backpressure gate: the Kafka adapter calls `enter` per record fetched and `leave`
 * per record done, and pauses / resumes its partitions from the callbacks. The gap between
 * maxInFlight and resumeBelow keeps it from flapping on every record.
 */
export function createInFlightGate(options: InFlightGateOptions): InFlightGate {
  const { maxInFlight } = options;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RuntimeConfigError(`in-flight gate: maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  }
  const resumeBelow = options.resumeBelow ?? Math.max(1, Math.ceil(maxInFlight / 2));
  if (!Number.isInteger(resumeBelow) || resumeBelow < 1 || resumeBelow > maxInFlight) {
    throw new RuntimeConfigError(
      `in-flight gate: resumeBelow must be an integer between 1 and maxInFlight (${maxInFlight}), got ${resumeBelow}`,
    );
  }
  const events = new Subject<InFlightGateEvent>();
  let inFlight = 0;
  let paused = false;
  let idleWaiters: (() => void)[] = [];
  let openWaiters: (() => void)[] = [];
  const wake = (waiters: (() => void)[]): void => {
    for (const w of waiters) w();
  };

  return {
    enter(count = 1) {
      checkCount(count);
      inFlight += count;
      if (!paused && inFlight >= maxInFlight) {
        // State flips before the callback so a callback that re-enters sees a consistent gate.
        paused = true;
        options.pause();
        events.next({ type: 'pause', inFlight });
      }
    },
    leave(count = 1) {
      checkCount(count);
      if (count > inFlight) {
        throw new RuntimeUsageError(`in-flight gate: leave(${count}) with only ${inFlight} in flight`);
      }
      inFlight -= count;
      if (paused && inFlight < resumeBelow) {
        paused = false;
        options.resume();
        events.next({ type: 'resume', inFlight });
        const open = openWaiters;
        openWaiters = [];
        wake(open);
      }
      if (inFlight === 0 && idleWaiters.length > 0) {
        const idle = idleWaiters;
        idleWaiters = [];
        wake(idle);
      }
    },
    get inFlight() {
      return inFlight;
    },
    get paused() {
      return paused;
    },
    maxInFlight,
    resumeBelow,
    events: events.asObservable(),
    whenIdle() {
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    whenOpen() {
      return paused ? new Promise((resolve) => openWaiters.push(resolve)) : Promise.resolve();
    },
  };
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new RuntimeUsageError(`in-flight gate: count must be a non-negative integer, got ${count}`);
  }
}
