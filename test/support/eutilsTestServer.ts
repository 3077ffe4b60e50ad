import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One PubMed record the server knows, with its entry date (EDAT). */
export interface TestPubmedRecord {
  pmid: string;
  /** YYYY-MM-DD or YYYY/MM/DD. */
  entryDate: string;
  /** The record's <PubmedArticle> element, as efetch would send it. */
  xml: string;
}

/** A scripted misbehaviour for one request. */
export type EutilsFault =
  /** An HTTP error status; with 429 the body echoes the api_key, as NCBI's does. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** An HTTP 200 eSearchResult holding an ERROR element. */
  | { kind: 'esearch_error'; message: string }
  /** An HTTP 200 eSearchResult whose ErrorList says a phrase was not found. */
  | { kind: 'error_list'; phrase: string }
  /** An HTTP 200 eFetchResult ERROR, as for an expired or unknown WebEnv. */
  | { kind: 'invalid_webenv' }
  /** The normal answer, after a delay. */
  | { kind: 'slow'; delayMs: number }
  /** efetch: send this many records, then drop the connection. */
  | { kind: 'cut_body'; afterRecords: number };

/** One request as the server received it. */
export interface RecordedEutilsRequest {
  /** "esearch", "efetch" or the unknown path. */
  endpoint: string;
  params: Record<string, string>;
  /** Milliseconds since the epoch when the request arrived. */
  receivedAt: number;
  /** Status the server answered with (200 for NCBI error answers). */
  status: number;
  /** The fault applied to this request, null for a normal answer. */
  fault: EutilsFault['kind'] | null;
}

/** A local stand-in for NCBI E-utilities (esearch + efetch for PubMed, with the history server). */
export interface EutilsTestServer {
  /** Base URL ending with "/", to pass as the client's baseUrl. */
  readonly baseUrl: string;
  readonly requests: RecordedEutilsRequest[];
  addRecords(records: readonly TestPubmedRecord[]): void;
  /** Applies `fault` to the next `times` requests to `endpoint`, in queue order. */
  fail(endpoint: 'esearch' | 'efetch', fault: EutilsFault, times?: number): void;
  /** Forgets every WebEnv, as NCBI does when a history expires. */
  expireHistory(): void;
  close(): Promise<void>;
}

interface History {
  pmids: string[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function normalizeDate(date: string): string {
  return date.replace(/-/g, '/');
}

const ESEARCH_PROLOG =
  '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n';
const EFETCH_PROLOG =
  '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n';

/**
 * Starts an E-utilities test server on 127.0.0.1 (a free port). esearch honours db, term (recorded only),
 * datetype=edat, mindate/maxdate (inclusive days) and usehistory=y, creating a WebEnv per search; efetch
 * honours WebEnv, query_key, retstart and retmax and streams a PubmedArticleSet record by record. Records of
 * a search are ordered by PMID, newest first, as PubMed lists them by default.
 */
export async function startEutilsTestServer(records: readonly TestPubmedRecord[] = []): Promise<EutilsTestServer> {
  const known: TestPubmedRecord[] = [];
  const histories = new Map<string, History>();
  const faults: { endpoint: string; fault: EutilsFault }[] = [];
  const requests: RecordedEutilsRequest[] = [];

  function takeFault(endpoint: string): EutilsFault | null {
    const index = faults.findIndex((f) => f.endpoint === endpoint);
    if (index === -1) return null;
    const [entry] = faults.splice(index, 1);
    return entry?.fault ?? null;
  }

  function search(params: Record<string, string>): string[] {
    const min = params.mindate ? normalizeDate(params.mindate) : '0000/00/00';
    const max = params.maxdate ? normalizeDate(params.maxdate) : '9999/99/99';
    return known
      .filter((r) => {
        const day = normalizeDate(r.entryDate);
        return day >= min && day <= max;
      })
      .map((r) => r.pmid)
      .sort((a, b) => Number(b) - Number(a));
  }

  function send(res: ServerResponse, record: RecordedEutilsRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    record.status = status;
    res.writeHead(status, { 'content-type': status === 200 ? 'text/xml; charset=UTF-8' : 'application/json', ...headers });
    res.end(body);
  }

  function handleEsearch(res: ServerResponse, record: RecordedEutilsRequest, fault: EutilsFault | null): void {
    const params = record.params;
    if (fault?.kind === 'esearch_error') {
      send(res, record, 200, `${ESEARCH_PROLOG}<eSearchResult><ERROR>${escapeXml(fault.message)}</ERROR></eSearchResult>\n`);
      return;
    }
    const pmids = search(params);
    const translation = `${params.term ?? ''} AND ${params.mindate ?? ''}:${params.maxdate ?? ''}[edat]`;
    if (fault?.kind === 'error_list') {
      send(
        res,
        record,
        200,
        `${ESEARCH_PROLOG}<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/><TranslationSet/>` +
          `<QueryTranslation>${escapeXml(translation)}</QueryTranslation><ErrorList><PhraseNotFound>${escapeXml(fault.phrase)}</PhraseNotFound></ErrorList>` +
          `<WarningList><OutputMessage>No items found.</OutputMessage></WarningList></eSearchResult>\n`,
      );
      return;
    }
    let history = '';
    if (params.usehistory === 'y') {
      const webEnv = `MCID_${randomBytes(12).toString('hex')}`;
      histories.set(webEnv, { pmids });
      history = `<QueryKey>1</QueryKey><WebEnv>${webEnv}</WebEnv>`;
    }
    const retmax = Math.min(Number(params.retmax ?? '20'), 9999);
    const ids = pmids.slice(0, retmax).map((id) => `<Id>${id}</Id>`).join('');
    const warning = pmids.length === 0 ? '<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>' : '';
    send(
      res,
      record,
      200,
      `${ESEARCH_PROLOG}<eSearchResult><Count>${pmids.length}</Count><RetMax>${Math.min(retmax, pmids.length)}</RetMax><RetStart>0</RetStart>` +
        `${history}<IdList>${ids}</IdList><TranslationSet/><QueryTranslation>${escapeXml(translation)}</QueryTranslation>${warning}</eSearchResult>\n`,
    );
  }

  function handleEfetch(res: ServerResponse, record: RecordedEutilsRequest, fault: EutilsFault | null): void {
    const params = record.params;
    const history = histories.get(params.WebEnv ?? '');
    if (fault?.kind === 'invalid_webenv' || history === undefined || params.query_key !== '1') {
      send(res, record, 200, `<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult>\n\t<ERROR>Unable to obtain query #${escapeXml(params.query_key ?? '')}</ERROR>\n</eFetchResult>\n`);
      return;
    }
    const retstart = Number(params.retstart ?? '0');
    const retmax = Number(params.retmax ?? '20');
    const byPmid = new Map(known.map((r) => [r.pmid, r]));
    const page = history.pmids.slice(retstart, retstart + retmax);
    record.status = 200;
    res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8' });
    res.write(`${EFETCH_PROLOG}<PubmedArticleSet>\n`);
    let written = 0;
    for (const pmid of page) {
      if (fault?.kind === 'cut_body' && written >= fault.afterRecords) {
        res.socket?.destroy();
        return;
      }
      res.write(`${byPmid.get(pmid)?.xml ?? ''}\n`);
      written += 1;
    }
    res.end('</PubmedArticleSet>\n');
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = /\/(esearch|efetch)\.fcgi$/.exec(url.pathname)?.[1] ?? url.pathname;
    const params: Record<string, string> = {};
    for (const [name, value] of url.searchParams) params[name] = value;
    const fault = takeFault(endpoint);
    const record: RecordedEutilsRequest = { endpoint, params, receivedAt: Date.now(), status: 0, fault: fault?.kind ?? null };
    requests.push(record);
    const answer = (): void => {
      if (fault?.kind === 'status') {
        const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        const body =
          fault.status === 429
            ? JSON.stringify({ error: 'API rate limit exceeded', 'api-key': params.api_key ?? '', count: '4', limit: '3' })
            : JSON.stringify({ error: `simulated HTTP ${fault.status}` });
        send(res, record, fault.status, body, headers);
      } else if (endpoint === 'esearch') {
        handleEsearch(res, record, fault);
      } else if (endpoint === 'efetch') {
        handleEfetch(res, record, fault);
      } else {
        send(res, record, 404, JSON.stringify({ error: `unknown endpoint ${endpoint}` }));
      }
    };
    if (fault?.kind === 'slow') setTimeout(answer, fault.delayMs);
    else answer();
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  known.push(...records);

  return {
    baseUrl: `http://127.0.0.1:${port}/entrez/eutils/`,
    requests,
    addRecords(more) {
      known.push(...more);
    },
    fail(endpoint, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ endpoint, fault });
    },
    expireHistory() {
      histories.clear();
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
