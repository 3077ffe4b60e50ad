import type { EntryDateWindow } from './eutilsEvents.ts';

export type { EntryDateWindow } from './eutilsEvents.ts';

/** One day in milliseconds: NCBI entry dates have day precision, so windows are whole days. */
export const DAY_MS = 86_400_000;

/** True when the date is a UTC midnight, the only instants a day-precision window can start or end at. */
export function isUtcMidnight(date: Date): boolean {
  return Number.isFinite(date.getTime()) && date.getTime() % DAY_MS === 0;
}

/** The UTC midnight at or before `date`. */
export function floorToUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

/** A date as NCBI writes it in mindate/maxdate: YYYY/MM/DD (UTC calendar day). */
export function ncbiDate(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '/');
}

/**
 * The inclusive mindate/maxdate pair covering a window: NCBI includes both ends, so the window
 * [2024-01-01, 2024-01-04) is asked as mindate=2024/01/01 and maxdate=2024/01/03, and the next window
 * starts at 2024/01/04: consecutive windows neither overlap nor leave a day out.
 *
 * @example ncbiDateRange({ from: new Date('2024-01-01'), to: new Date('2024-01-02') }) // { mindate: '2024/01/01', maxdate: '2024/01/01' }
 */
export function ncbiDateRange(window: EntryDateWindow): { mindate: string; maxdate: string } {
  return { mindate: ncbiDate(window.from), maxdate: ncbiDate(new Date(window.to.getTime() - DAY_MS)) };
}

/** Number of days a window spans. */
export function windowDays(window: EntryDateWindow): number {
  return Math.round((window.to.getTime() - window.from.getTime()) / DAY_MS);
}

/** The window cut in two at a day boundary (the first half gets the extra day); windows of one day cannot be cut. */
export function halveWindow(window: EntryDateWindow): [EntryDateWindow, EntryDateWindow] | null {
  const days = windowDays(window);
  if (days < 2) return null;
  const middle = new Date(window.from.getTime() + Math.ceil(days / 2) * DAY_MS);
  return [
    { from: window.from, to: middle },
    { from: middle, to: window.to },
  ];
}

/** A short label for logs and lineage, e.g. "2024/01/01-2024/01/03" (inclusive days). */
export function windowLabel(window: EntryDateWindow): string {
  const { mindate, maxdate } = ncbiDateRange(window);
  return mindate === maxdate ? mindate : `${mindate}-${maxdate}`;
}
