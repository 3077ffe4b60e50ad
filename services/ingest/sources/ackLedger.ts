import { SourceUsageError } from '../../errors/medistillErrors.ts';

/**
 * Counts, per unit of work (a file, a date window), the items handed out and those acknowledged. A unit
 * completes when it was sealed (no more items will come) and every item of it was acknowledged.
 */
export interface AckLedger {
  /** Starts a unit. */
  open(unit: string): void;
  /** Counts one more item of an open unit and returns its acknowledgement (idempotent). */
  add(unit: string): () => void;
  /** Says the unit gets no more items; it completes now if nothing of it is outstanding. */
  seal(unit: string): void;
  /** Units opened and not yet complete. */
  openUnits(): number;
  /** Items handed out and not yet acknowledged, over every unit. */
  outstanding(): number;
  /** Resolves once fewer than `limit` units are open (or the signal aborts). */
  waitBelow(limit: number, signal?: AbortSignal): Promise<void>;
}

interface UnitState {
  added: number;
  acked: number;
  sealed: boolean;
}

/**
 * Creates an ack ledger calling `onComplete(unit)` once per unit, synchronously, from the `ack` or `seal`
 * call that completed it. Memory is one small record per open unit, whatever the number of items.
 *
 * @example const ledger = createAckLedger((file) => markDone(file)); ledger.open(f); const ack = ledger.add(f); ledger.seal(f); ack();
 */
export function createAckLedger(onComplete: (unit: string) => void): AckLedger {
  const units = new Map<string, UnitState>();
  let waiters: (() => void)[] = [];
  let outstanding = 0;

  function finish(unit: string, state: UnitState): void {
    if (!state.sealed || state.acked < state.added) return;
    units.delete(unit);
    const wake = waiters;
    waiters = [];
    for (const resolve of wake) resolve();
    onComplete(unit);
  }

  function stateOf(unit: string): UnitState {
    const state = units.get(unit);
    if (state === undefined) throw new SourceUsageError(`ack ledger: unit ${JSON.stringify(unit)} is not open`);
    return state;
  }

  return {
    open(unit) {
      if (units.has(unit)) throw new SourceUsageError(`ack ledger: unit ${JSON.stringify(unit)} is already open`);
      units.set(unit, { added: 0, acked: 0, sealed: false });
    },
    add(unit) {
      const state = stateOf(unit);
      if (state.sealed) throw new SourceUsageError(`ack ledger: unit ${JSON.stringify(unit)} is sealed`);
      state.added += 1;
      outstanding += 1;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        state.acked += 1;
        outstanding -= 1;
        finish(unit, state);
      };
    },
    seal(unit) {
      const state = stateOf(unit);
      state.sealed = true;
      finish(unit, state);
    },
    openUnits: () => units.size,
    outstanding: () => outstanding,
    async waitBelow(limit, signal) {
      while (units.size >= limit && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            signal?.removeEventListener('abort', wake);
            resolve();
          };
          waiters.push(wake);
          signal?.addEventListener('abort', wake, { once: true });
        });
      }
    },
  };
}
