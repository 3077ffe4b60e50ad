import { describe, expect, it } from 'vitest';
import { createInFlightGate, type InFlightGateEvent } from '../../../services/runtime/kafka/inFlightGate.ts';
import { RuntimeConfigError, RuntimeUsageError } from '../../../services/errors/medistillErrors.ts';

function gateWithLog(maxInFlight: number, resumeBelow?: number) {
  const calls: string[] = [];
  const gate = createInFlightGate({
    maxInFlight,
    ...(resumeBelow === undefined ? {} : { resumeBelow }),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  });
  const events: InFlightGateEvent[] = [];
  gate.events.subscribe((event) => events.push(event));
  return { gate, calls, events };
}

describe('createInFlightGate', () => {
  it('pauses once when the count reaches maxInFlight and resumes once it drops below the mark', () => {
    const { gate, calls, events } = gateWithLog(4, 2);
    gate.enter();
    gate.enter();
    gate.enter();
    expect(calls).toEqual([]);
    gate.enter();
    expect(calls).toEqual(['pause']);
    expect(gate.paused).toBe(true);

    gate.enter(); // a record fetched before the pause took effect
    expect(gate.inFlight).toBe(5);
    expect(calls).toEqual(['pause']);

    gate.leave(3);
    expect(gate.inFlight).toBe(2);
    expect(calls).toEqual(['pause']); // 2 is not below 2
    gate.leave();
    expect(calls).toEqual(['pause', 'resume']);
    expect(gate.paused).toBe(false);
    expect(events).toEqual([
      { type: 'pause', inFlight: 4 },
      { type: 'resume', inFlight: 1 },
    ]);
  });

  it('resumes below half of maxInFlight by default and cycles again on the next climb', () => {
    const { gate, calls } = gateWithLog(10);
    expect(gate.resumeBelow).toBe(5);
    gate.enter(10);
    gate.leave(5);
    expect(calls).toEqual(['pause']);
    gate.leave();
    gate.enter(6);
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it('with maxInFlight 1 pauses on every record and resumes when it is done', () => {
    const { gate, calls } = gateWithLog(1);
    gate.enter();
    gate.leave();
    gate.enter();
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it('refuses a resume mark above the bound and leaving more than is in flight', () => {
    expect(() => createInFlightGate({ maxInFlight: 4, resumeBelow: 5, pause() {}, resume() {} })).toThrow(RuntimeConfigError);
    expect(() => createInFlightGate({ maxInFlight: 0, pause() {}, resume() {} })).toThrow(/maxInFlight/);
    const { gate } = gateWithLog(4);
    gate.enter();
    expect(() => gate.leave(2)).toThrow(RuntimeUsageError);
    expect(gate.inFlight).toBe(1);
  });
});
