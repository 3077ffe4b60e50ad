import type { EutilsEndpoint } from '../../errors/medistillErrors.ts';
import type { EutilsFailureReason } from './eutilsFailure.ts';

/** A window of entry dates, `from` inclusive and `to` exclusive, both at UTC midnight. */
export interface EntryDateWindow {
  from: Date;
  to: Date;
}

/**
 * Instrumentation events of the E-utilities client and source; metrics subscribe through `onEvent`.
 * Labels are small fixed sets (endpoint, reason); no URL, key or NCBI text is carried except in `detail`.
 */
export type EutilsEvent =
  | { type: 'eutils.request'; endpoint: EutilsEndpoint; status: number | null; ms: number; attempt: number }
  | { type: 'eutils.error'; endpoint: EutilsEndpoint; reason: EutilsFailureReason; attempt: number; willRetry: boolean; detail: string }
  | { type: 'eutils.search'; from: string; to: string; count: number }
  | { type: 'eutils.large_window'; from: string; to: string; count: number }
  | { type: 'eutils.short_batch'; retstart: number; expected: number; received: number }
  | { type: 'eutils.window_done'; window: EntryDateWindow; count: number }
  | { type: 'eutils.checkpoint'; windowEnd: Date }
  | { type: 'eutils.waiting'; untilMs: number };

/** Receives instrumentation events; must not throw (a throwing listener is ignored). */
export type EutilsEventListener = (event: EutilsEvent) => void;

/** Calls the listener, swallowing its errors so instrumentation never breaks ingestion. */
export function emitEutilsEvent(listener: EutilsEventListener | undefined, event: EutilsEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // A metrics bug must not stop ingestion.
  }
}
