import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEutilsClient, type EutilsClientOptions } from '../../../services/ingest/eutils/eutilsClient.ts';
import { EutilsConfigError, EutilsRequestError, EutilsUnavailableError } from '../../../services/errors/medistillErrors.ts';
import type { EutilsEvent } from '../../../services/ingest/eutils/eutilsEvents.ts';
import { parseEsearchResult } from '../../../services/ingest/eutils/parseEsearchResult.ts';
import { startEutilsTestServer, type EutilsTestServer } from '../../support/eutilsTestServer.ts';
import { pubmedArticleXml } from './pubmedArticleXml.ts';

const API_KEY = 'k3y-ABCdef0123456789';
const DAY1 = { from: new Date('2024-03-01'), to: new Date('2024-03-02') };

describe('E-utilities client', () => {
  let server: EutilsTestServer;

  beforeEach(async () => {
    server = await startEutilsTestServer([{ pmid: '42', entryDate: '2024-03-01', xml: pubmedArticleXml({ pmid: '42', entryDate: '2024-03-01' }) }]);
  });
  afterEach(async () => {
    await server.close();
  });

  function client(overrides: Partial<EutilsClientOptions> = {}): ReturnType<typeof createEutilsClient> {
    return createEutilsClient({ baseUrl: server.baseUrl, tool: 'medistill-test', email: 'ops@example.org', minBackoffMs: 10, ...overrides });
  }

  it('never sends more than 3 requests in any second without an API key, even when called concurrently', async () => {
    const c = client();
    await Promise.all(Array.from({ length: 12 }, () => c.esearch({ window: DAY1 })));

    const times = server.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    for (let i = 0; i + 3 < times.length; i++) {
      // Four requests within one second would exceed NCBI's 3/s.
      expect((times[i + 3] ?? 0) - (times[i] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
    // And the limiter does not crawl: 12 requests take about 11 intervals of ~367 ms.
    expect((times[11] ?? 0) - (times[0] ?? 0)).toBeLessThan(5000);
  });

  it('sends tool, email and api_key on every request', async () => {
    const c = client({ apiKey: API_KEY });
    const found = await c.esearch({ window: DAY1 });
    const items = [];
    for await (const item of c.efetch({ webEnv: found.webEnv ?? '', queryKey: found.queryKey ?? '', retstart: 0, retmax: 10, source: 'test' })) items.push(item);

    expect(found.count).toBe(1);
    expect(items.map((i) => (i.kind === 'article' ? i.pmid : i.kind))).toEqual(['42']);
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) {
      expect(request.params).toMatchObject({ tool: 'medistill-test', email: 'ops@example.org', api_key: API_KEY, db: 'pubmed' });
    }
    expect(server.requests[0]?.params).toMatchObject({ term: 'all[sb]', datetype: 'edat', usehistory: 'y', retmax: '0', mindate: '2024/03/01', maxdate: '2024/03/01' });
    expect(server.requests[1]?.params).toMatchObject({ retmode: 'xml', retstart: '0', retmax: '10', query_key: '1', WebEnv: found.webEnv });
  });

  it('keeps the api_key out of error messages and events when retries run out, even when NCBI echoes it', async () => {
    server.fail('esearch', { kind: 'status', status: 429, retryAfterSeconds: 0 }, 5);
    const events: EutilsEvent[] = [];
    const c = client({ apiKey: API_KEY, maxRetries: 2, onEvent: (e) => events.push(e) });
    const failure = await c.esearch({ window: DAY1 }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(EutilsUnavailableError);
    const error = failure as EutilsUnavailableError;
    expect(error.message).toContain('429');
    expect(error.message).toContain('api_key=<redacted>');
    expect(error.message).toContain('tool=medistill-test');
    expect(error.message).not.toContain(API_KEY);
    expect(error.attempts).toBe(3);
    expect(error.lastStatus).toBe(429);
    expect(JSON.stringify(events)).not.toContain(API_KEY);
    expect(events.filter((e) => e.type === 'eutils.request')).toHaveLength(3);
    // The server did receive the key: it is redacted, not missing.
    expect(server.requests.every((r) => r.params.api_key === API_KEY)).toBe(true);
  });

  it('does not retry a 400 and reports it as a request error without the key', async () => {
    server.fail('esearch', { kind: 'status', status: 400 }, 3);
    const failure = await client({ apiKey: API_KEY }).esearch({ window: DAY1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EutilsRequestError);
    expect((failure as Error).message).not.toContain(API_KEY);
    expect(server.requests).toHaveLength(1);
  });

  it('retries connection errors and then reports the service unavailable', async () => {
    await server.close();
    const failure = await client({ maxRetries: 1, baseUrl: server.baseUrl }).esearch({ window: DAY1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EutilsUnavailableError);
    expect((failure as Error).message).toMatch(/ECONNREFUSED|connection failed/);
    expect((failure as EutilsUnavailableError).attempts).toBe(2);
    server = await startEutilsTestServer();
  });

  it('refuses settings NCBI would block, saying how to fix them', () => {
    expect(() => client({ requestsPerSecond: 5 })).toThrow(EutilsConfigError);
    expect(() => client({ requestsPerSecond: 5 })).toThrow(/set apiKey/);
    expect(() => client({ email: 'nobody' })).toThrow(/email/);
    expect(() => client({ tool: 'two words' })).toThrow(/tool/);
    expect(() => client({ apiKey: API_KEY, requestsPerSecond: 10 })).not.toThrow();
  });
});

describe('parseEsearchResult', () => {
  it('reads Count, QueryKey, WebEnv and warnings, ignoring the Count of the translation stack', () => {
    const result = parseEsearchResult(
      '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" "x.dtd">\n' +
        '<eSearchResult><Count>12345</Count><RetMax>0</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_abc</WebEnv><IdList/>' +
        '<TranslationSet/><TranslationStack><TermSet><Term>2024/01/01[EDAT]</Term><Field>EDAT</Field><Count>999</Count><Explode>N</Explode></TermSet></TranslationStack>' +
        '<QueryTranslation>all[sb] AND 2024/01/01:2024/01/01[edat]</QueryTranslation><WarningList><OutputMessage>Some note.</OutputMessage></WarningList></eSearchResult>',
    );
    expect(result).toMatchObject({ count: 12345, queryKey: '1', webEnv: 'MCID_abc', error: null, errorList: [], warnings: ['OutputMessage: Some note.'] });
  });

  it('reports an ERROR element and an ErrorList', () => {
    expect(parseEsearchResult('<eSearchResult><ERROR>Invalid query &amp; more</ERROR></eSearchResult>').error).toBe('Invalid query & more');
    const listed = parseEsearchResult(
      '<eSearchResult><Count>0</Count><ErrorList><PhraseNotFound>abc</PhraseNotFound><FieldNotFound>zz</FieldNotFound></ErrorList></eSearchResult>',
    );
    expect(listed.errorList).toEqual(['PhraseNotFound: abc', 'FieldNotFound: zz']);
  });
});
