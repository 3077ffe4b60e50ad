import type { PubmedItem } from '../../model/pubmedRecord.ts';
import { createAckLedger } from '../sources/ackLedger.ts';
import type { CheckpointStore } from '../sources/checkpointStore.ts';
import { CheckpointError, EutilsAbortedError, EutilsAnswerError, EutilsConfigError, SourceUsageError } from '../../errors/medistillErrors.ts';
import type { SourceItem } from '../sources/sourceItem.ts';
import { abortableDelay } from './abortableDelay.ts';
import { createEutilsClient, type EutilsClientOptions, type EutilsClientStats } from './eutilsClient.ts';
import { DAY_MS, floorToUtcDay, halveWindow, isUtcMidnight, windowLabel, type EntryDateWindow } from './entryDateWindow.ts';
import { emitEutilsEvent, type EutilsEventListener } from './eutilsEvents.ts';
import type { EsearchResult } from './parseEsearchResult.ts';

/** Settings of the E-utilities source; the client settings (tool, email, apiKey, retries...) pass through. */
export interface EutilsSourceOptions extends Omit<EutilsClientOptions, 'onEvent'> {
  /** PubMed query restricting the records. Default "all[sb]" (every record). */
  query?: string;
  /** First entry day to fetch when the checkpoint is empty; must be a UTC midnight, e.g. new Date('2024-01-01'). */
  start: Date;
  /** Length of a window; a whole number of days. Default 1 day. */
  windowMs?: number;
  /** Stop after the last window ending at or before this date; 'now': the last window complete at start-up; unset: poll for ever. */
  until?: Date | 'now';
  /** Records per efetch request. Default 500, at most 10 000. */
  batchSize?: number;
  /** Where the end of the last fully acknowledged window is kept. */
  checkpoint: CheckpointStore;
  /** Key of this source in the checkpoint store. Default "eutils:<query>". */
  checkpointKey?: string;
  /** While the next window is not complete yet, look again after this long. Default 15 minutes. */
  pollIntervalMs?: number;
  /**
   * How long after a window's end (UTC) it is considered complete. NCBI assigns entry dates on US Eastern time,
   * so a UTC day goes on receiving records for up to 5 hours after it ends. Default 6 hours.
   */
  settleMs?: number;
  /** Above this Count a window of several days is searched again in halves. Default 9 999 (PubMed's search limit). */
  maxRecordsPerSearch?: number;
  /** Windows handed out but not fully acknowledged before the source waits for acknowledgements. Default 4. */
  maxPendingWindows?: number;
  /** Stops the source: the iteration ends quietly after the current step. */
  signal?: AbortSignal;
  /** Instrumentation events of the source and its client; must not throw. */
  onEvent?: EutilsEventListener;
  /** Clock in ms since the epoch, replaceable in tests. Default Date.now. */
  now?: () => number;
}

/** An item fetched from E-utilities, with the entry-date window it belongs to. */
export interface EutilsSourceItem extends SourceItem {
  window: EntryDateWindow;
}

/** Counters and positions of an E-utilities source. */
export interface EutilsSourceStats extends EutilsClientStats {
  itemsOut: number;
  windowsDone: number;
  /** End of the last fully acknowledged window, as saved (or loaded) in the checkpoint. */
  checkpoint: Date | null;
  /** Last entry day of the newest searched range that held records (day precision). */
  newestEntryDate: Date | null;
}

/** PubMed records by entry-date window, as an async iterable of acknowledgeable items. */
export interface EutilsSource extends AsyncIterable<EutilsSourceItem> {
  /** Resolves when every checkpoint write started so far is durable; rejects with the first write failure. */
  flush(): Promise<void>;
  stats(): EutilsSourceStats;
}

interface StoredCheckpoint {
  next: string;
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EutilsConfigError(`eutils source: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function parseStored(value: unknown, key: string): Date | null {
  if (value === null) return null;
  const next = (value as Partial<StoredCheckpoint> | undefined)?.next;
  const date = typeof next === 'string' ? new Date(next) : null;
  if (date === null || !isUtcMidnight(date)) {
    throw new CheckpointError(`checkpoint "${key}" holds ${JSON.stringify(value)}, expected {"next": "<UTC midnight ISO date>"}`, { retriable: false });
  }
  return date;
}

/**
 * Creates a source that reads PubMed by entry date (EDAT) through E-utilities, one window after the other:
 * esearch with usehistory=y for the window, then efetch pages of `batchSize` by retstart, each answer parsed
 * as it streams in. Windows are whole UTC days asked with inclusive mindate/maxdate, so consecutive windows
 * neither overlap nor leave a day out; a window is fetched only once it is complete (its end plus `settleMs`
 * is past), and without `until` the source polls every `pollIntervalMs` for the next one.
 *
 * Each item carries `ack`; when every item of a window (and of all windows before it) is acknowledged, the
 * window's end is saved in the checkpoint, so a restart resumes at the first window not fully acknowledged:
 * it repeats at most unacknowledged work and skips nothing. An empty window (Count 0) completes at once.
 *
 * Huge windows: a window of several days whose Count exceeds `maxRecordsPerSearch` is searched again in
 * halves (down to single days) so each search stays under PubMed's limit; a single day above it is fetched
 * whole through the history server by retstart, and reported with an `eutils.large_window` event. An expired
 * WebEnv (an efetch ERROR answer) is renewed by a new esearch and the page resumes where it broke off.
 *
 * @example
 * const source = createEutilsSource({ tool: 'medistill', email: 'ops@example.org', start: new Date('2024-01-01'),
 *   checkpoint: createFileCheckpointStore('state/checkpoint.json') });
 * for await (const { item, ack } of source) { await produce(item); ack(); }
 */
export function createEutilsSource(options: EutilsSourceOptions): EutilsSource {
  const query = options.query ?? 'all[sb]';
  if (query.trim() === '') throw new EutilsConfigError('eutils source: query must not be empty; leave it unset for every record (all[sb])');
  if (!(options.start instanceof Date) || !isUtcMidnight(options.start)) {
    throw new EutilsConfigError(`eutils source: start must be a UTC midnight such as new Date('2024-01-01'), got ${String(options.start)}`);
  }
  const windowMs = options.windowMs ?? DAY_MS;
  if (!Number.isInteger(windowMs) || windowMs <= 0 || windowMs % DAY_MS !== 0) {
    throw new EutilsConfigError(`eutils source: windowMs must be a whole number of days (a multiple of ${DAY_MS}), since entry dates are days; got ${windowMs}`);
  }
  const until = options.until;
  if (until instanceof Date && !Number.isFinite(until.getTime())) throw new EutilsConfigError('eutils source: until is an invalid Date');
  const batchSize = requireInteger('batchSize', options.batchSize ?? 500, 1, 10_000);
  const pollIntervalMs = requireInteger('pollIntervalMs', options.pollIntervalMs ?? 15 * 60_000, 1);
  const settleMs = requireInteger('settleMs', options.settleMs ?? 6 * 3_600_000, 0);
  const maxRecordsPerSearch = requireInteger('maxRecordsPerSearch', options.maxRecordsPerSearch ?? 9_999, 1);
  const maxPendingWindows = requireInteger('maxPendingWindows', options.maxPendingWindows ?? 4, 1);
  const maxReSearches = options.maxAnswerRetries ?? 3;
  const checkpointKey = options.checkpointKey ?? `eutils:${query}`;
  const now = options.now ?? Date.now;
  const signal = options.signal;
  const onEvent = options.onEvent;
  const client = createEutilsClient({ ...options, onEvent });
  const store = options.checkpoint;

  let iterated = false;
  let itemsOut = 0;
  let windowsDone = 0;
  let checkpointAt: Date | null = null;
  let newestEntryDate: Date | null = null;
  let saveFailure: unknown = null;
  let saves: Promise<void> = Promise.resolve();

  // Windows complete in any order (acks arrive out of order); the checkpoint moves over the completed prefix only.
  const openWindows: EntryDateWindow[] = [];
  const completed = new Set<string>();
  const windowCounts = new Map<string, number>();
  const ledger = createAckLedger((key) => {
    completed.add(key);
    windowsDone += 1;
    let advancedTo: Date | null = null;
    while (openWindows.length > 0 && completed.has((openWindows[0] as EntryDateWindow).from.toISOString())) {
      const window = openWindows.shift() as EntryDateWindow;
      const windowKey = window.from.toISOString();
      completed.delete(windowKey);
      emitEutilsEvent(onEvent, { type: 'eutils.window_done', window, count: windowCounts.get(windowKey) ?? 0 });
      windowCounts.delete(windowKey);
      advancedTo = window.to;
    }
    if (advancedTo !== null) save(advancedTo);
  });

  function save(windowEnd: Date): void {
    saves = saves.then(async () => {
      try {
        await store.save(checkpointKey, { next: windowEnd.toISOString() } satisfies StoredCheckpoint);
        checkpointAt = windowEnd;
        emitEutilsEvent(onEvent, { type: 'eutils.checkpoint', windowEnd });
      } catch (error) {
        saveFailure ??= error;
      }
    });
  }

  function throwIfSaveFailed(): void {
    if (saveFailure !== null) throw saveFailure;
  }

  /** Searches a range, cutting it in halves while it holds more records than one search may page through. */
  async function plan(range: EntryDateWindow): Promise<{ range: EntryDateWindow; search: EsearchResult }[]> {
    const search = await client.esearch({ term: query, window: range }, signal);
    const label = windowLabel(range).split('-');
    const from = label[0] ?? '';
    const to = label[1] ?? from;
    emitEutilsEvent(onEvent, { type: 'eutils.search', from, to, count: search.count });
    if (search.count <= maxRecordsPerSearch) return [{ range, search }];
    const halves = halveWindow(range);
    if (halves === null) {
      emitEutilsEvent(onEvent, { type: 'eutils.large_window', from, to, count: search.count });
      return [{ range, search }];
    }
    return [...(await plan(halves[0])), ...(await plan(halves[1]))];
  }

  async function* fetchRange(range: EntryDateWindow, first: EsearchResult): AsyncGenerator<PubmedItem> {
    let search = first;
    const lineage = `eutils:pubmed?term=${encodeURIComponent(query)}&edat=${windowLabel(range)}`;
    for (let retstart = 0; retstart < search.count; retstart += batchSize) {
      const retmax = Math.min(batchSize, search.count - retstart);
      let received = 0;
      for (let reSearches = 0; ; reSearches++) {
        try {
          const page = client.efetch(
            { webEnv: search.webEnv ?? '', queryKey: search.queryKey ?? '', retstart, retmax, skip: received, source: `${lineage}&retstart=${retstart}` },
            signal,
          );
          for await (const item of page) {
            received += 1;
            yield item;
          }
          break;
        } catch (error) {
          if (!(error instanceof EutilsAnswerError) || error.endpoint !== 'efetch') throw error;
          if (reSearches >= maxReSearches) {
            throw new EutilsAnswerError(`${error.message}; still failing after ${reSearches} new searches of ${windowLabel(range)}`, {
              endpoint: 'efetch',
              ncbiMessage: error.ncbiMessage,
              attempts: reSearches + 1,
              retriable: false,
              cause: error,
            });
          }
          // The usual cause is an expired or unknown WebEnv: only a new search gives a usable one.
          search = await client.esearch({ term: query, window: range }, signal);
        }
      }
      if (received < retmax) emitEutilsEvent(onEvent, { type: 'eutils.short_batch', retstart, expected: retmax, received });
    }
    if (first.count > 0) {
      const lastDay = new Date(range.to.getTime() - DAY_MS);
      if (newestEntryDate === null || lastDay > newestEntryDate) newestEntryDate = lastDay;
    }
  }

  async function* run(): AsyncGenerator<EutilsSourceItem> {
    let next: Date;
    try {
      checkpointAt = parseStored(await store.load(checkpointKey), checkpointKey);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`cannot load checkpoint "${checkpointKey}": ${(error as Error).message}`, { retriable: true, cause: error });
    }
    next = checkpointAt ?? options.start;
    const last = until === 'now' ? floorToUtcDay(new Date(now() - settleMs)) : until;
    try {
      while (!signal?.aborted) {
        throwIfSaveFailed();
        const window: EntryDateWindow = { from: next, to: new Date(next.getTime() + windowMs) };
        if (last !== undefined && window.to > last) return;
        const readyAt = window.to.getTime() + settleMs;
        if (now() < readyAt) {
          const wait = Math.min(pollIntervalMs, readyAt - now());
          emitEutilsEvent(onEvent, { type: 'eutils.waiting', untilMs: now() + wait });
          await abortableDelay(wait, signal);
          continue;
        }
        await ledger.waitBelow(maxPendingWindows, signal);
        if (signal?.aborted) return;
        const key = window.from.toISOString();
        let count = 0;
        const ranges = await plan(window);
        ledger.open(key);
        openWindows.push(window);
        for (const { range, search } of ranges) {
          for await (const item of fetchRange(range, search)) {
            throwIfSaveFailed();
            count += 1;
            itemsOut += 1;
            yield { item, window, ack: ledger.add(key) };
          }
        }
        windowCounts.set(key, count);
        ledger.seal(key);
        next = window.to;
      }
    } catch (error) {
      if (error instanceof EutilsAbortedError && signal?.aborted) return;
      throw error;
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (iterated) throw new SourceUsageError('an E-utilities source can be iterated once; create a new one to start again');
      iterated = true;
      return run();
    },
    async flush() {
      await saves;
      throwIfSaveFailed();
    },
    stats: () => ({ ...client.stats(), itemsOut, windowsDone, checkpoint: checkpointAt, newestEntryDate }),
  };
}
