import type { ReadableStreamReadResult } from 'node:stream/web';
import type { PubmedItem } from '../../model/pubmedRecord.ts';
import {
  EutilsAbortedError,
  EutilsAnswerError,
  EutilsConfigError,
  type EutilsEndpoint,
  EutilsProtocolError,
  EutilsRequestError,
  EutilsUnavailableError,
  InputReadError,
} from '../../errors/medistillErrors.ts';
import { parsePubmedXml } from '../parsePubmedXml.ts';
import { abortableDelay } from './abortableDelay.ts';
import { ncbiDateRange, type EntryDateWindow } from './entryDateWindow.ts';
import { emitEutilsEvent, type EutilsEventListener } from './eutilsEvents.ts';
import { AttemptFailure, decideEutilsFailure, eutilsRetryDelay, parseRetryAfter, type EutilsBackoff } from './eutilsFailure.ts';
import { createIntervalLimiter } from './intervalLimiter.ts';
import { parseEsearchResult, type EsearchResult } from './parseEsearchResult.ts';
import { redactSecret } from './redactSecret.ts';

/** NCBI's published default. */
export const DEFAULT_EUTILS_BASE_URL = 'https://eutils.ncbi.nlm.nih.gov/entrez/eutils/';

/** Settings of the E-utilities client. */
export interface EutilsClientOptions {
  /** Where esearch.fcgi and efetch.fcgi live. Default https://eutils.ncbi.nlm.nih.gov/entrez/eutils/. */
  baseUrl?: string;
  /** Name of the application, sent as `tool` (NCBI asks for it; no spaces). */
  tool: string;
  /** Contact address, sent as `email`, so NCBI can reach the operator before blocking. */
  email: string;
  /** NCBI API key (secret: never printed). Raises the allowed rate from 3 to 10 requests/s. */
  apiKey?: string;
  /** Requests per second for the whole client. Default and maximum: 3 without a key, 10 with one. */
  requestsPerSecond?: number;
  /** Longest wait for an answer to start, and between two chunks of its body. Default 30 000 ms. */
  timeoutMs?: number;
  /** Retries of one request after 429, 5xx, timeouts and connection errors. Default 5. */
  maxRetries?: number;
  /** Retries of an esearch whose answer is an NCBI ERROR element. Default 3. */
  maxAnswerRetries?: number;
  /** First backoff delay; doubles with each retry, with jitter. Default 500 ms. */
  minBackoffMs?: number;
  /** Largest backoff delay. Default 30 000 ms. */
  maxBackoffMs?: number;
  /** Largest Retry-After honoured; a longer one is cut to this. Default 120 000 ms. */
  maxRetryAfterMs?: number;
  /** Instrumentation events (requests, errors); must not throw. */
  onEvent?: EutilsEventListener;
  /** Random source for jitter, replaceable in tests. Default Math.random. */
  random?: () => number;
}

/** An esearch over PubMed entry dates, run with usehistory=y so efetch can page through the result. */
export interface EsearchParams {
  /** PubMed query. Default "all[sb]" (every record). */
  term?: string;
  window: EntryDateWindow;
}

/** One efetch page of a history result. */
export interface EfetchParams {
  webEnv: string;
  queryKey: string;
  retstart: number;
  retmax: number;
  /** Items of this page already handed over (by an earlier call): they are parsed again and dropped. */
  skip?: number;
  /** Source written into every item, for error reports and lineage. */
  source: string;
}

/** Request and error counts since the client was created. */
export interface EutilsClientStats {
  requests: number;
  errors: number;
}

/** A rate-limited, retrying E-utilities client for PubMed. */
export interface EutilsClient {
  /** Runs an esearch by entry date with usehistory=y and retmax=0; throws EutilsAnswerError on ERROR or ErrorList answers. */
  esearch(params: EsearchParams, signal?: AbortSignal): Promise<EsearchResult>;
  /**
   * Streams one efetch page as parsed items. A body that breaks off is fetched again and the items already
   * yielded are skipped; an NCBI ERROR answer (such as an expired WebEnv) throws a retriable EutilsAnswerError
   * at once, since only a new esearch can fix it.
   */
  efetch(params: EfetchParams, signal?: AbortSignal): AsyncGenerator<PubmedItem>;
  stats(): EutilsClientStats;
}

const MAX_SEARCH_ANSWER_BYTES = 1024 * 1024;
const MAX_ERROR_EXCERPT_BYTES = 2048;
const MAX_FETCH_ERROR_BYTES = 64 * 1024;
const PEEK_CHARS = 4096;
const FETCH_ROOT = /<(PubmedArticleSet|PubmedArticle|PubmedBookArticle|eFetchResult|ERROR)\b/;
/** Headroom on NCBI's limit: requests are counted on arrival, so network jitter must not push two into one second. */
const RATE_MARGIN = 1.1;

/** An answer whose headers arrived, with its per-attempt timeout still running over the body. */
interface OpenAnswer {
  response: Response;
  /** Starts the timeout before waiting on the network. */
  arm(): void;
  /** Stops it once data arrived: time the consumer spends on a chunk is not the server's. */
  disarm(): void;
  release(): void;
  /** The failure to report for an error thrown while reading the body. */
  failureOf(error: unknown): Error;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new EutilsConfigError(`eutils: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function validateOptions(options: EutilsClientOptions): { baseUrl: URL; rate: number } {
  if (typeof options.tool !== 'string' || !/^\S+$/.test(options.tool)) {
    throw new EutilsConfigError('eutils: tool must be a non-empty name without spaces (NCBI identifies the application by it), e.g. "medistill"');
  }
  if (typeof options.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(options.email)) {
    throw new EutilsConfigError('eutils: email must be a contact address (NCBI writes to it before blocking a client), e.g. "ops@example.org"');
  }
  if (options.apiKey !== undefined && !/^\S+$/.test(options.apiKey)) {
    throw new EutilsConfigError('eutils: apiKey must be a non-empty string without spaces; leave it unset to run without a key');
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.baseUrl ?? DEFAULT_EUTILS_BASE_URL);
  } catch (error) {
    throw new EutilsConfigError(`eutils: baseUrl must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}: ${String(error)}`);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
    throw new EutilsConfigError(`eutils: baseUrl must use http or https, got ${baseUrl.protocol}`);
  }
  if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
  const limit = options.apiKey === undefined ? 3 : 10;
  const rate = options.requestsPerSecond ?? limit;
  if (!(rate > 0 && rate <= limit)) {
    throw new EutilsConfigError(
      `eutils: requestsPerSecond must be in (0, ${limit}] ${options.apiKey === undefined ? 'without an API key (set apiKey for up to 10)' : 'with an API key'}, got ${rate}`,
    );
  }
  return { baseUrl, rate };
}

async function readBounded(response: Response, maxBytes: number, answer?: OpenAnswer): Promise<{ text: string; complete: boolean }> {
  if (response.body === null) return { text: '', complete: true };
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let bytes = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      answer?.arm();
      try {
        next = await reader.read();
      } catch (error) {
        throw answer ? answer.failureOf(error) : error;
      } finally {
        answer?.disarm();
      }
      if (next.done) return { text: text + decoder.decode(), complete: true };
      bytes += next.value.byteLength;
      text += decoder.decode(next.value, { stream: true });
      if (bytes > maxBytes) return { text, complete: false };
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function decodeBasicEntities(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_m, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
}

/** NCBI's error text from an efetch error answer: the ERROR element, a JSON "error" field, or the start of the body. */
function fetchErrorText(body: string): string {
  const element = /<ERROR\b[^>]*>([\s\S]*?)<\/ERROR\s*>/.exec(body);
  if (element?.[1] !== undefined) return oneLine(decodeBasicEntities(element[1])) || 'empty ERROR element';
  const json = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(body);
  if (json?.[1] !== undefined) return oneLine(json[1]);
  return oneLine(body, 200) || 'empty error answer';
}

/**
 * Creates an E-utilities client for PubMed. Every request carries `tool`, `email` and, when set, `api_key`;
 * requests of the client share one limiter (3/s without a key, 10/s with one); each attempt has a timeout;
 * 429 (honouring Retry-After), 5xx, timeouts and connection errors are retried with backoff, a bounded number
 * of times. The API key never appears in an error message or event: URLs are shown with api_key=<redacted>.
 *
 * @example
 * const client = createEutilsClient({ tool: 'medistill', email: 'ops@example.org', apiKey });
 * const found = await client.esearch({ window: { from: new Date('2024-01-01'), to: new Date('2024-01-02') } });
 */
export function createEutilsClient(options: EutilsClientOptions): EutilsClient {
  const { baseUrl, rate } = validateOptions(options);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 30_000, 1);
  const maxRetries = positiveInteger('maxRetries', options.maxRetries, 5);
  const maxAnswerRetries = positiveInteger('maxAnswerRetries', options.maxAnswerRetries, 3);
  const backoff: EutilsBackoff = {
    minBackoffMs: positiveInteger('minBackoffMs', options.minBackoffMs, 500),
    maxBackoffMs: positiveInteger('maxBackoffMs', options.maxBackoffMs, 30_000),
    maxRetryAfterMs: positiveInteger('maxRetryAfterMs', options.maxRetryAfterMs, 120_000),
  };
  const random = options.random ?? Math.random;
  const apiKey = options.apiKey;
  const limiter = createIntervalLimiter(Math.ceil((1000 / rate) * RATE_MARGIN));
  const counts: EutilsClientStats = { requests: 0, errors: 0 };

  const redact = (text: string): string => redactSecret(text, apiKey);

  function urlFor(endpoint: EutilsEndpoint, params: Record<string, string>): URL {
    const url = new URL(`${endpoint}.fcgi`, baseUrl);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    url.searchParams.set('tool', options.tool);
    url.searchParams.set('email', options.email);
    if (apiKey !== undefined) url.searchParams.set('api_key', apiKey);
    return url;
  }

  async function open(endpoint: EutilsEndpoint, url: URL, attempt: number, signal: AbortSignal | undefined): Promise<OpenAnswer> {
    await limiter.take(signal);
    if (signal?.aborted) throw new EutilsAbortedError();
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
    };
    const disarm = (): void => clearTimeout(timer);
    const release = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const failureOf = (error: unknown): Error => {
      if (signal?.aborted) return new EutilsAbortedError(undefined, { cause: error });
      if (timedOut) return new AttemptFailure(`no data within ${timeoutMs} ms`, { kind: 'timeout', cause: error });
      const reason = rootMessage(error);
      return new AttemptFailure(`connection failed: ${reason}`, { kind: 'connection', cause: error });
    };
    arm();
    counts.requests += 1;
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, headers: { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' } });
    } catch (error) {
      release();
      emitEutilsEvent(options.onEvent, { type: 'eutils.request', endpoint, status: null, ms: performance.now() - started, attempt });
      throw failureOf(error);
    }
    disarm();
    emitEutilsEvent(options.onEvent, { type: 'eutils.request', endpoint, status: response.status, ms: performance.now() - started, attempt });
    const answer: OpenAnswer = { response, arm, disarm, release, failureOf };
    if (!response.ok) {
      let excerpt = '';
      try {
        excerpt = (await readBounded(response, MAX_ERROR_EXCERPT_BYTES, answer)).text;
      } catch {
        // The status is what matters; a body that breaks off adds nothing.
      } finally {
        release();
      }
      throw new AttemptFailure(`HTTP ${response.status}${excerpt ? `: ${oneLine(excerpt, 200)}` : ''}`, {
        kind: 'http',
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    return answer;
  }

  /** Decides what a failed attempt leads to: waits before the next one, or throws the final error. */
  async function afterFailure(
    endpoint: EutilsEndpoint,
    url: URL,
    error: unknown,
    attempt: number,
    used: { transport: number; answer: number },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const decision = decideEutilsFailure(error);
    if (decision === null) throw error;
    counts.errors += 1;
    const isAnswer = decision.reason === 'ncbi_error';
    const retryNumber = isAnswer ? ++used.answer : ++used.transport;
    const budget = isAnswer ? maxAnswerRetries : maxRetries;
    const willRetry = decision.retriable && retryNumber <= budget && !signal?.aborted;
    const detail = redact(error instanceof Error ? error.message : String(error));
    emitEutilsEvent(options.onEvent, { type: 'eutils.error', endpoint, reason: decision.reason, attempt, willRetry, detail: oneLine(detail) });
    if (willRetry) {
      await abortableDelay(eutilsRetryDelay(retryNumber, decision.retryAfterMs, backoff, random), signal);
      if (signal?.aborted) throw new EutilsAbortedError();
      return;
    }
    const where = `(GET ${redact(url.toString())})`;
    if (decision.reason === 'aborted') throw error;
    if (error instanceof EutilsAnswerError) {
      throw new EutilsAnswerError(
        error.retriable
          ? `NCBI ${endpoint} answered with an error ${attempt} times in a row: ${redact(error.ncbiMessage)} ${where}`
          : `NCBI ${endpoint} rejected the query: ${redact(error.ncbiMessage)} ${where}`,
        { endpoint, ncbiMessage: redact(error.ncbiMessage), attempts: attempt, retriable: false, cause: error },
      );
    }
    if (decision.reason === 'rejected') {
      throw new EutilsRequestError(`NCBI ${endpoint} refused the request: ${detail} ${where}`, { endpoint, status: decision.status ?? 0, cause: error });
    }
    throw new EutilsUnavailableError(`NCBI ${endpoint} failed after ${attempt} attempts: ${detail} ${where}`, {
      endpoint,
      attempts: attempt,
      lastStatus: decision.status,
      cause: error,
    });
  }

  async function esearch(params: EsearchParams, signal?: AbortSignal): Promise<EsearchResult> {
    const { mindate, maxdate } = ncbiDateRange(params.window);
    const url = urlFor('esearch', {
      db: 'pubmed',
      term: params.term ?? 'all[sb]',
      datetype: 'edat',
      mindate,
      maxdate,
      usehistory: 'y',
      retmax: '0',
    });
    const used = { transport: 0, answer: 0 };
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await open('esearch', url, attempt, signal);
        let body: { text: string; complete: boolean };
        try {
          body = await readBounded(answer.response, MAX_SEARCH_ANSWER_BYTES, answer);
        } finally {
          answer.release();
        }
        if (!body.complete) throw new EutilsProtocolError(`esearch answer is larger than ${MAX_SEARCH_ANSWER_BYTES} bytes`);
        const result = parseEsearchResult(body.text);
        if (result.errorList.length > 0) {
          // NCBI drops the parts it did not understand and searches the rest: going on would ingest the wrong records.
          throw new EutilsAnswerError(`esearch ErrorList: ${result.errorList.join('; ')}`, {
            endpoint: 'esearch',
            ncbiMessage: result.errorList.join('; '),
            attempts: attempt,
            retriable: false,
          });
        }
        if (result.error !== null) {
          throw new EutilsAnswerError(`esearch ERROR: ${result.error}`, { endpoint: 'esearch', ncbiMessage: result.error, attempts: attempt, retriable: true });
        }
        if (result.webEnv === null || result.webEnv === '' || result.queryKey === null || result.queryKey === '') {
          throw new EutilsProtocolError('esearch answer has no WebEnv or QueryKey although usehistory=y was asked');
        }
        return result;
      } catch (error) {
        await afterFailure('esearch', url, error, attempt, used, signal);
      }
    }
  }

  async function* efetch(params: EfetchParams, signal?: AbortSignal): AsyncGenerator<PubmedItem> {
    const url = urlFor('efetch', {
      db: 'pubmed',
      query_key: params.queryKey,
      WebEnv: params.webEnv,
      retstart: String(params.retstart),
      retmax: String(params.retmax),
      retmode: 'xml',
    });
    const used = { transport: 0, answer: 0 };
    let delivered = 0;
    for (let attempt = 1; ; attempt++) {
      const drop = (params.skip ?? 0) + delivered;
      try {
        const answer = await open('efetch', url, attempt, signal);
        const chunks = bodyChunks(answer);
        const head = await peek(chunks);
        if (head.errorAnswer) {
          const rest = await drain(head.replay, MAX_FETCH_ERROR_BYTES);
          const message = fetchErrorText(rest);
          throw new EutilsAnswerError(`efetch ERROR: ${message}`, { endpoint: 'efetch', ncbiMessage: message, attempts: attempt, retriable: true });
        }
        let index = 0;
        for await (const item of parsePubmedXml(head.replay, params.source)) {
          if (index++ < drop) continue;
          delivered += 1;
          yield item;
        }
        return;
      } catch (error) {
        // parsePubmedXml wraps a body that broke off in InputReadError; the transport failure inside decides.
        const cause = error instanceof InputReadError && decideEutilsFailure(error.cause) !== null ? error.cause : error;
        if (error instanceof EutilsAnswerError && error.endpoint === 'efetch') {
          counts.errors += 1;
          emitEutilsEvent(options.onEvent, { type: 'eutils.error', endpoint: 'efetch', reason: 'ncbi_error', attempt, willRetry: false, detail: redact(error.ncbiMessage) });
          throw new EutilsAnswerError(`NCBI efetch answered with an error: ${redact(error.ncbiMessage)} (GET ${redact(url.toString())})`, {
            endpoint: 'efetch',
            ncbiMessage: redact(error.ncbiMessage),
            attempts: attempt,
            retriable: true,
            cause: error,
          });
        }
        await afterFailure('efetch', url, cause, attempt, used, signal);
      }
    }
  }

  return { esearch, efetch, stats: () => ({ ...counts }) };
}

/** The body's chunks, restarting the idle timeout on each; stopping early cancels the body. */
async function* bodyChunks(answer: OpenAnswer): AsyncGenerator<Uint8Array> {
  const body = answer.response.body;
  if (body === null) {
    answer.release();
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      answer.arm();
      try {
        next = await reader.read();
      } catch (error) {
        throw answer.failureOf(error);
      } finally {
        answer.disarm();
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    answer.release();
    reader.cancel().catch(() => {});
  }
}

/** Reads the start of an efetch answer to tell records from an NCBI error answer, then replays what it read. */
async function peek(chunks: AsyncGenerator<Uint8Array>): Promise<{ errorAnswer: boolean; replay: AsyncGenerator<Uint8Array> }> {
  const prefix: Uint8Array[] = [];
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let root: string | null = null;
  let ended = false;
  while (text.length < PEEK_CHARS) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    prefix.push(next.value);
    text += decoder.decode(next.value, { stream: true });
    root = FETCH_ROOT.exec(text)?.[1] ?? null;
    if (root !== null) break;
  }
  const trimmed = text.trimStart();
  const errorAnswer = root === 'eFetchResult' || root === 'ERROR' || (root === null && trimmed.startsWith('{') && trimmed.includes('"error"'));
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* prefix;
    if (!ended) yield* chunks;
  }
  return { errorAnswer, replay: replay() };
}

async function drain(chunks: AsyncGenerator<Uint8Array>, maxBytes: number): Promise<string> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    text += decoder.decode(chunk, { stream: true });
    if (bytes > maxBytes) break;
  }
  return text;
}

/** The deepest message of a cause chain: undici hides "connect ECONNREFUSED ..." under "fetch failed". */
function rootMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  let current: unknown = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}
