import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEutilsSource, type EutilsSourceItem, type EutilsSourceOptions } from '../../../services/ingest/eutils/createEutilsSource.ts';
import { EutilsAnswerError, EutilsConfigError } from '../../../services/errors/medistillErrors.ts';
import type { EutilsEvent } from '../../../services/ingest/eutils/eutilsEvents.ts';
import { createFileCheckpointStore } from '../../../services/ingest/sources/fileCheckpointStore.ts';
import { startEutilsTestServer, type EutilsTestServer, type TestPubmedRecord } from '../../support/eutilsTestServer.ts';
import { pubmedArticleXml } from './pubmedArticleXml.ts';

function record(pmid: string, entryDate: string): TestPubmedRecord {
  return { pmid, entryDate, xml: pubmedArticleXml({ pmid, entryDate }) };
}

function pmidOf(entry: EutilsSourceItem): string {
  return entry.item.kind === 'error' ? `error:${entry.item.message}` : entry.item.pmid;
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

describe('E-utilities source', () => {
  let server: EutilsTestServer;
  let dir: string;

  beforeEach(async () => {
    server = await startEutilsTestServer();
    dir = await mkdtemp(join(tmpdir(), 'eutils-source-'));
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<EutilsSourceOptions> = {}): EutilsSourceOptions {
    return {
      baseUrl: server.baseUrl,
      tool: 'medistill-test',
      email: 'ops@example.org',
      apiKey: 'test-key-0123456789',
      start: new Date('2024-01-01'),
      until: new Date('2024-01-04'),
      settleMs: 0,
      pollIntervalMs: 20,
      batchSize: 500,
      minBackoffMs: 10,
      checkpoint: createFileCheckpointStore(join(dir, 'checkpoint.json')),
      ...overrides,
    };
  }

  async function drain(source: AsyncIterable<EutilsSourceItem>, ack = true): Promise<EutilsSourceItem[]> {
    const out: EutilsSourceItem[] = [];
    for await (const entry of source) {
      out.push(entry);
      if (ack) entry.ack();
    }
    // The checkpoint writes the acks started are durable before the test looks at (or removes) the folder.
    if ('flush' in source && typeof source.flush === 'function') await (source as { flush(): Promise<void> }).flush();
    return out;
  }

  async function storedCheckpoint(): Promise<unknown> {
    return JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
  }

  it('fetches three consecutive day windows with inclusive dates, no overlap and no gap', async () => {
    server.addRecords([
      record('100', '2023-12-31'),
      record('101', '2024-01-01'),
      record('102', '2024-01-01'),
      record('201', '2024-01-02'),
      record('202', '2024-01-02'),
      record('203', '2024-01-02'),
      record('301', '2024-01-03'),
      record('401', '2024-01-04'),
    ]);
    const source = createEutilsSource(options());
    const items = await drain(source);
    await source.flush();

    const searches = server.requests.filter((r) => r.endpoint === 'esearch').map((r) => [r.params.mindate, r.params.maxdate]);
    expect(searches).toEqual([
      ['2024/01/01', '2024/01/01'],
      ['2024/01/02', '2024/01/02'],
      ['2024/01/03', '2024/01/03'],
    ]);
    expect(items.map(pmidOf)).toEqual(['102', '101', '203', '202', '201', '301']);
    expect(items.map((i) => day(i.window.from.toISOString()))).toEqual([
      '2024-01-01',
      '2024-01-01',
      '2024-01-02',
      '2024-01-02',
      '2024-01-02',
      '2024-01-03',
    ]);
    expect(await storedCheckpoint()).toEqual({ version: 1, entries: { 'eutils:all[sb]': { next: '2024-01-04T00:00:00.000Z' } } });
    expect(source.stats().newestEntryDate?.toISOString()).toBe('2024-01-03T00:00:00.000Z');
  });

  it('asks windows of two days as inclusive two-day ranges that meet without overlapping', async () => {
    server.addRecords([record('1', '2024-01-02'), record('2', '2024-01-03'), record('3', '2024-01-04'), record('4', '2024-01-05')]);
    const items = await drain(createEutilsSource(options({ windowMs: 2 * 86_400_000, until: new Date('2024-01-05') })));
    const searches = server.requests.filter((r) => r.endpoint === 'esearch').map((r) => `${r.params.mindate}-${r.params.maxdate}`);
    expect(searches).toEqual(['2024/01/01-2024/01/02', '2024/01/03-2024/01/04']);
    expect(items.map(pmidOf).sort()).toEqual(['1', '2', '3']);
  });

  it('moves the checkpoint over an empty window (Count 0) without any efetch for it', async () => {
    server.addRecords([record('11', '2024-01-01'), record('31', '2024-01-03')]);
    const events: EutilsEvent[] = [];
    const source = createEutilsSource(options({ until: new Date('2024-01-03'), onEvent: (e) => events.push(e) }));
    const items = await drain(source);
    await source.flush();

    expect(items.map(pmidOf)).toEqual(['11']);
    const fetches = server.requests.filter((r) => r.endpoint === 'efetch');
    expect(fetches).toHaveLength(1);
    const done = events.flatMap((e) => (e.type === 'eutils.window_done' ? [`${day(e.window.from.toISOString())}:${e.count}`] : []));
    expect(done).toEqual(['2024-01-01:1', '2024-01-02:0']);
    expect(await storedCheckpoint()).toMatchObject({ entries: { 'eutils:all[sb]': { next: '2024-01-03T00:00:00.000Z' } } });
  });

  it('pages a window through efetch batches by retstart and yields every record once', async () => {
    server.addRecords(Array.from({ length: 7 }, (_, i) => record(String(500 + i), '2024-01-01')));
    const items = await drain(createEutilsSource(options({ until: new Date('2024-01-02'), batchSize: 3 })));

    const pages = server.requests.filter((r) => r.endpoint === 'efetch').map((r) => `${r.params.retstart}+${r.params.retmax}`);
    expect(pages).toEqual(['0+3', '3+3', '6+1']);
    expect(items.map(pmidOf)).toEqual(['506', '505', '504', '503', '502', '501', '500']);
    const webEnvs = new Set(server.requests.filter((r) => r.endpoint === 'efetch').map((r) => r.params.WebEnv));
    expect(webEnvs.size).toBe(1);
    expect(server.requests.every((r) => r.endpoint !== 'efetch' || r.params.query_key === '1')).toBe(true);
  });

  it('resumes after a restart at the window after the checkpoint, neither repeating nor skipping one', async () => {
    server.addRecords([record('1', '2024-01-01'), record('2', '2024-01-02'), record('3', '2024-01-03'), record('4', '2024-01-04')]);
    const first = createEutilsSource(options({ until: new Date('2024-01-03') }));
    const firstItems = await drain(first);
    await first.flush();
    const before = server.requests.length;

    const second = createEutilsSource(options({ until: new Date('2024-01-05') }));
    const secondItems = await drain(second);
    await second.flush();

    expect(firstItems.map(pmidOf)).toEqual(['1', '2']);
    expect(secondItems.map(pmidOf)).toEqual(['3', '4']);
    const resumed = server.requests.slice(before).filter((r) => r.endpoint === 'esearch').map((r) => r.params.mindate);
    expect(resumed).toEqual(['2024/01/03', '2024/01/04']);
    expect(second.stats().checkpoint?.toISOString()).toBe('2024-01-05T00:00:00.000Z');
  });

  it('keeps the checkpoint before a window whose records were not all acknowledged, so a restart fetches it again', async () => {
    server.addRecords([record('1', '2024-01-01'), record('21', '2024-01-02'), record('22', '2024-01-02')]);
    const first = createEutilsSource(options({ until: new Date('2024-01-03') }));
    const firstItems: EutilsSourceItem[] = [];
    for await (const entry of first) {
      firstItems.push(entry);
      if (pmidOf(entry) !== '21') entry.ack();
    }
    await first.flush();
    expect(first.stats().checkpoint?.toISOString()).toBe('2024-01-02T00:00:00.000Z');

    const second = createEutilsSource(options({ until: new Date('2024-01-03') }));
    const again = await drain(second);
    expect(firstItems.map(pmidOf)).toEqual(['1', '22', '21']);
    expect(again.map(pmidOf)).toEqual(['22', '21']);
  });

  it('retries a 429 after its Retry-After and a 500 with backoff, then delivers every record', async () => {
    server.addRecords([record('1', '2024-01-01'), record('2', '2024-01-01')]);
    server.fail('esearch', { kind: 'status', status: 429, retryAfterSeconds: 1 });
    server.fail('efetch', { kind: 'status', status: 500 });
    const events: EutilsEvent[] = [];
    const items = await drain(createEutilsSource(options({ until: new Date('2024-01-02'), onEvent: (e) => events.push(e) })));

    expect(items.map(pmidOf)).toEqual(['2', '1']);
    expect(server.requests.map((r) => `${r.endpoint}:${r.status}`)).toEqual(['esearch:429', 'esearch:200', 'efetch:500', 'efetch:200']);
    const [limited, retried] = server.requests;
    expect((retried?.receivedAt ?? 0) - (limited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(990);
    const reasons = events.flatMap((e) => (e.type === 'eutils.error' ? [`${e.endpoint}:${e.reason}:${e.willRetry}`] : []));
    expect(reasons).toEqual(['esearch:rate_limited:true', 'efetch:server_error:true']);
  });

  it('raises a clear EutilsAnswerError when esearch keeps answering with an ERROR element', async () => {
    server.fail('esearch', { kind: 'esearch_error', message: 'Search Backend failed: simulated outage' }, 10);
    const source = createEutilsSource(options({ maxAnswerRetries: 2 }));
    const failure = await drain(source).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EutilsAnswerError);
    const error = failure as EutilsAnswerError;
    expect(error.message).toContain('Search Backend failed: simulated outage');
    expect(error.message).toContain('3 times');
    expect(error.retriable).toBe(false);
    expect(server.requests.filter((r) => r.endpoint === 'esearch')).toHaveLength(3);
  });

  it('fails at once, without retrying, when the esearch answer has an ErrorList', async () => {
    server.fail('esearch', { kind: 'error_list', phrase: 'notaword' }, 5);
    const failure = await drain(createEutilsSource(options({ query: 'notaword[tiab]' }))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EutilsAnswerError);
    expect((failure as Error).message).toContain('PhraseNotFound: notaword');
    expect(server.requests).toHaveLength(1);
  });

  it('renews an invalid WebEnv with a new esearch and resumes the page without duplicates', async () => {
    server.addRecords(Array.from({ length: 5 }, (_, i) => record(String(700 + i), '2024-01-01')));
    server.fail('efetch', { kind: 'invalid_webenv' });
    const items = await drain(createEutilsSource(options({ until: new Date('2024-01-02'), batchSize: 2 })));

    expect(items.map(pmidOf)).toEqual(['704', '703', '702', '701', '700']);
    expect(server.requests.map((r) => r.endpoint)).toEqual(['esearch', 'efetch', 'esearch', 'efetch', 'efetch', 'efetch']);
    const fetchEnvs = server.requests.filter((r) => r.endpoint === 'efetch').map((r) => r.params.WebEnv);
    expect(fetchEnvs[0]).not.toBe(fetchEnvs[1]);
  });

  it('fetches a page again after its body broke off and skips the records already delivered', async () => {
    server.addRecords(Array.from({ length: 4 }, (_, i) => record(String(800 + i), '2024-01-01')));
    server.fail('efetch', { kind: 'cut_body', afterRecords: 2 });
    const items = await drain(createEutilsSource(options({ until: new Date('2024-01-02') })));
    expect(items.map(pmidOf)).toEqual(['803', '802', '801', '800']);
    expect(server.requests.filter((r) => r.endpoint === 'efetch')).toHaveLength(2);
  });

  it('retries an answer slower than timeoutMs', async () => {
    server.addRecords([record('1', '2024-01-01')]);
    server.fail('esearch', { kind: 'slow', delayMs: 600 });
    const items = await drain(createEutilsSource(options({ until: new Date('2024-01-02'), timeoutMs: 150 })));
    expect(items.map(pmidOf)).toEqual(['1']);
    expect(server.requests.filter((r) => r.endpoint === 'esearch')).toHaveLength(2);
  });

  it('polls for the next window once it is complete when no end is set', async () => {
    server.addRecords([record('1', '2024-01-01'), record('2', '2024-01-02')]);
    let clock = Date.parse('2024-01-02T12:00:00Z');
    const controller = new AbortController();
    const source = createEutilsSource(options({ until: undefined, now: () => clock, pollIntervalMs: 10, signal: controller.signal }));
    const seen: string[] = [];
    const run = (async () => {
      for await (const entry of source) {
        seen.push(pmidOf(entry));
        entry.ack();
        if (seen.length === 2) controller.abort();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual(['1']);
    clock = Date.parse('2024-01-03T00:00:01Z');
    await run;
    expect(seen).toEqual(['1', '2']);
    const days = server.requests.filter((r) => r.endpoint === 'esearch').map((r) => r.params.mindate);
    expect(days).toEqual(['2024/01/01', '2024/01/02']);
  });

  it("stops after the last window complete at start-up when until is 'now'", async () => {
    server.addRecords([record('1', '2024-01-01'), record('2', '2024-01-02'), record('3', '2024-01-03')]);
    // At 03:00 UTC on 01-04 the day 01-03 is not settled yet (6 h by default), so 01-03 is left for a later run.
    const clock = Date.parse('2024-01-04T03:00:00Z');
    const source = createEutilsSource(options({ until: 'now', settleMs: undefined, now: () => clock }));
    const items = await drain(source);
    await source.flush();
    expect(items.map(pmidOf)).toEqual(['1', '2']);
    expect(source.stats().checkpoint?.toISOString()).toBe('2024-01-03T00:00:00.000Z');
  });

  it('searches a window again in halves while it holds more records than one search may page through', async () => {
    server.addRecords([
      record('11', '2024-01-01'),
      record('12', '2024-01-01'),
      record('13', '2024-01-01'),
      record('21', '2024-01-02'),
      record('31', '2024-01-03'),
      record('41', '2024-01-04'),
    ]);
    const events: EutilsEvent[] = [];
    const items = await drain(
      createEutilsSource(options({ windowMs: 4 * 86_400_000, until: new Date('2024-01-05'), maxRecordsPerSearch: 2, onEvent: (e) => events.push(e) })),
    );

    const searches = server.requests.filter((r) => r.endpoint === 'esearch').map((r) => `${r.params.mindate}-${r.params.maxdate}`);
    expect(searches).toEqual([
      '2024/01/01-2024/01/04',
      '2024/01/01-2024/01/02',
      '2024/01/01-2024/01/01',
      '2024/01/02-2024/01/02',
      '2024/01/03-2024/01/04',
    ]);
    expect(items.map(pmidOf)).toEqual(['13', '12', '11', '21', '41', '31']);
    expect(events.filter((e) => e.type === 'eutils.large_window')).toEqual([{ type: 'eutils.large_window', from: '2024/01/01', to: '2024/01/01', count: 3 }]);
  });

  it('rejects a window length that is not a whole number of days, with the fix in the message', () => {
    expect(() => createEutilsSource(options({ windowMs: 3_600_000 }))).toThrow(EutilsConfigError);
    expect(() => createEutilsSource(options({ windowMs: 3_600_000 }))).toThrow(/whole number of days/);
    expect(() => createEutilsSource(options({ start: new Date('2024-01-01T05:00:00Z') }))).toThrow(/UTC midnight/);
  });
});
