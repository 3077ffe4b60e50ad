import type { InstrumentationEvent, InstrumentationEventType } from './instrumentationEvents.ts';

type EventOf<T extends InstrumentationEventType> = Extract<InstrumentationEvent, { type: T }>;

/** Receives events; a listener that throws is ignored, so instrumentation never breaks processing. */
export type InstrumentationListener<E = InstrumentationEvent> = (event: E) => void;

/** The event bus between what is measured (runtimes, stages, clients) and what measures (metrics). */
export interface Instrumentation {
  emit(event: InstrumentationEvent): void;
  /** Subscribes to one event type, or to a namespace with "hop.*", or to everything with "*". Returns the unsubscribe. */
  on<T extends InstrumentationEventType>(type: T, listener: InstrumentationListener<EventOf<T>>): () => void;
  on(type: `${string}.*` | '*', listener: InstrumentationListener): () => void;
}

/**
 * Creates an event bus. Emitting with no subscriber costs one map lookup, so hot paths may emit
 * freely.
 * @example const bus = createInstrumentation(); bus.on('hop.consumed', (e) => counter.inc({ topic: e.topic }));
 */
export function createInstrumentation(): Instrumentation {
  const listeners = new Map<string, Set<InstrumentationListener>>();
  const call = (set: Set<InstrumentationListener> | undefined, event: InstrumentationEvent): void => {
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // A metrics bug must not stop the pipeline.
      }
    }
  };
  return {
    emit(event) {
      call(listeners.get(event.type), event);
      const dot = event.type.indexOf('.');
      if (dot > 0) call(listeners.get(`${event.type.slice(0, dot)}.*`), event);
      call(listeners.get('*'), event);
    },
    on(type: string, listener: InstrumentationListener<never>) {
      let set = listeners.get(type);
      if (set === undefined) listeners.set(type, (set = new Set()));
      set.add(listener as InstrumentationListener);
      return () => {
        set.delete(listener as InstrumentationListener);
      };
    },
  };
}

/** A bus that drops every event, for callers that measure nothing. */
export const NO_INSTRUMENTATION: Instrumentation = { emit: () => undefined, on: () => () => undefined };
