import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBatchApi, type BatchLineResult, type BatchPlan, type StoredBatch } from './openaiBatchApi.ts';

export type { BatchPlan, StoredBatch } from './openaiBatchApi.ts';

/** What the server does with one chat-completions request. */
export type Behaviour =
  | {
      kind: 'reply';
      content: string;
      /** Wait this long before answering, to simulate latency. */
      delayMs?: number;
      finishReason?: 'stop' | 'length' | 'content_filter';
      usage?: { promptTokens: number; completionTokens: number };
    }
  | { kind: 'rate_limit'; retryAfterSeconds: number; message?: string }
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'broken_body' }
  | { kind: 'hang' };

/** The chat-completions request body as the client sent it. */
export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: string }[];
  temperature?: number;
  max_tokens?: number;
  response_format?: { type: string };
  [key: string]: unknown;
}

/** Decides the behaviour for requests that find the one-shot queue empty. */
export type Responder = (body: ChatRequestBody, request: RecordedRequest) => string | Behaviour | Promise<string | Behaviour>;

/** One request as the server received it; the Authorization value is kept only as a SHA-256 fingerprint. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-case header names; `authorization` is replaced by "<redacted>". */
  headers: Record<string, string>;
  /** sha256 hex of the Authorization header value, null when absent. */
  authorizationSha256: string | null;
  /** Parsed JSON body (null when the body was empty or not JSON). */
  body: ChatRequestBody | null;
  /** Milliseconds since the epoch when the request had been read. */
  receivedAt: number;
}

/** Settings of the test server. */
export interface OpenAiTestServerOptions {
  /** Default behaviour when the queue is empty; replies "{}" when absent. */
  responder?: Responder;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /** More than `maxRequests` chat requests within `windowMs` get a 429 with Retry-After. */
  rateLimit?: { maxRequests: number; windowMs: number };
  /** Largest request body accepted (bytes); larger ones get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Most requests kept in `requests`; the oldest are dropped beyond it. Default 10 000. */
  maxRecorded?: number;
  /** Time from creating a batch to running its lines (the files and batches API). Default 20 ms. */
  batchProcessDelayMs?: number;
  /** The vector POST /v1/embeddings answers for a text; default {@link hashedBagOfWords}. */
  embed?: (text: string) => number[];
}

/** A running scripted OpenAI-compatible server. */
export interface OpenAiTestServer {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:43111/v1. */
  readonly url: string;
  readonly port: number;
  /** Requests received so far (chat and models), oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Chat-completions requests only. */
  chatRequests(): RecordedRequest[];
  /** Queues one-shot behaviours, consumed in order by the next chat requests. */
  enqueue(...behaviours: (Behaviour | string)[]): void;
  setResponder(responder: Responder): void;
  /** True when the request carried `Authorization: Bearer <key>`. */
  sentKey(request: RecordedRequest, key: string): boolean;
  /** Queues plans for the next batches created (expire, cancel, fail, stall, extra or dropped lines). */
  enqueueBatchPlan(...plans: BatchPlan[]): void;
  /** Every batch created, oldest first. */
  batches(): StoredBatch[];
  /** Every batch line the server ran (one per request it answered through the Batch API). */
  batchLinesRun(): { batchId: string; customId: string; body: unknown }[];
  /** Forgets recorded requests, queued behaviours, files and batches. */
  reset(): void;
  /** Makes POST /v1/embeddings answer this HTTP status (null: answer vectors again). */
  failEmbeddings(status: number | null): void;
  /** Embeddings requests only. */
  embeddingsRequests(): RecordedRequest[];
  /** Stops listening and drops every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** Reply with this content (a string is shorthand for it). */
export function reply(content: string, extra: Omit<Extract<Behaviour, { kind: 'reply' }>, 'kind' | 'content'> = {}): Behaviour {
  return { kind: 'reply', content, ...extra };
}

/** Reply with a value serialised as JSON content. */
export function replyJson(value: unknown): Behaviour {
  return { kind: 'reply', content: JSON.stringify(value) };
}

/** Wait, then reply. */
export function delayed(delayMs: number, content: string): Behaviour {
  return { kind: 'reply', content, delayMs };
}

/** 429 with Retry-After (seconds) and an OpenAI-style error body. */
export function rateLimited(retryAfterSeconds: number): Behaviour {
  return { kind: 'rate_limit', retryAfterSeconds };
}

/** An error status (500 by default) with an OpenAI-style error body. */
export function serverError(status = 500, message = 'The server had an error while processing your request.'): Behaviour {
  return { kind: 'status', status, message };
}

/** A well-formed completion whose content is not valid JSON. */
export function invalidJson(content = 'Sure! Here is the JSON you asked for: {"items": [oops'): Behaviour {
  return { kind: 'reply', content };
}

/** Headers and half a body, then the connection is cut. */
export function brokenBody(): Behaviour {
  return { kind: 'broken_body' };
}

/** Never answer (until the client gives up or the server closes). */
export function hang(): Behaviour {
  return { kind: 'hang' };
}

/** sha256 hex of a header value, the form in which Authorization is recorded. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Starts a scripted OpenAI-compatible chat-completions server on 127.0.0.1 at a free port. */
export async function startOpenAiTestServer(options: OpenAiTestServerOptions = {}): Promise<OpenAiTestServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxRecorded = options.maxRecorded ?? 10_000;
  const models = options.models ?? ['test-model'];
  let responder: Responder = options.responder ?? (() => '{}');
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  const windowStarts: number[] = [];
  let sequence = 0;
  const batchApi = createBatchApi({ runLine, processDelayMs: options.batchProcessDelayMs ?? 20 });

  /** A batch line is decided like a chat request: the one-shot queue first, then the responder. */
  async function runLine(rawBody: unknown): Promise<BatchLineResult> {
    const body = (rawBody !== null && typeof rawBody === 'object' ? rawBody : {}) as ChatRequestBody;
    const record: RecordedRequest = { method: 'POST', path: '/v1/batches#line', headers: {}, authorizationSha256: null, body, receivedAt: Date.now() };
    const next = queue.shift() ?? (await responder(body, record));
    const b: Behaviour = typeof next === 'string' ? { kind: 'reply', content: next } : next;
    switch (b.kind) {
      case 'reply':
        return { status: 200, body: completionOf(b, body) };
      case 'rate_limit':
        return { status: 429, body: { error: { message: b.message ?? 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } };
      case 'status':
        return { status: b.status, body: { error: { message: b.message ?? `status ${b.status}`, type: b.status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } } };
      default:
        return { status: 500, body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } } };
    }
  }

  function completionOf(b: Extract<Behaviour, { kind: 'reply' }>, body: ChatRequestBody): unknown {
    const promptChars = (body.messages ?? []).reduce((n, m) => n + String(m.content).length, 0);
    const usage = b.usage ?? { promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(b.content.length / 4) };
    return {
      id: `chatcmpl-test-${++sequence}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? models[0] ?? 'test-model',
      choices: [{ index: 0, message: { role: 'assistant', content: b.content }, finish_reason: b.finishReason ?? 'stop' }],
      usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
    };
  }
  let embeddingsFailure: number | null = null;
  const embed = options.embed ?? hashedBagOfWords;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `test server failure: ${(error as Error).message}`, 'server_error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req, maxBodyBytes);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: recordHeaders(req),
      authorizationSha256: typeof req.headers.authorization === 'string' ? fingerprint(req.headers.authorization) : null,
      body: raw === null ? null : parseJson(raw),
      receivedAt: Date.now(),
    };
    requests.push(record);
    if (requests.length > maxRecorded) requests.shift();

    if (raw === null) return sendError(res, 413, `request body larger than ${maxBodyBytes} bytes`, 'invalid_request_error');
    if (record.method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'medistill-test' })),
      });
    }
    if (await batchApi.handle(record.method, path, raw, req.headers['content-type'] ?? '', res)) return;
    if (record.method === 'POST' && path === '/v1/embeddings') {
      if (embeddingsFailure !== null) return sendError(res, embeddingsFailure, 'embeddings failure set by the test', 'server_error');
      const input = (record.body as unknown as { input?: unknown } | null)?.input;
      const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((t) => typeof t === 'string') ? (input as string[]) : null;
      if (texts === null || texts.length === 0) return sendError(res, 400, 'input must be a string or a non-empty array of strings', 'invalid_request_error');
      return sendJson(res, 200, {
        object: 'list',
        model: (record.body as unknown as { model?: string }).model ?? 'test-embeddings',
        data: texts.map((t, index) => ({ object: 'embedding', index, embedding: embed(t) })),
        usage: { prompt_tokens: texts.join(' ').split(/\s+/).length, total_tokens: texts.join(' ').split(/\s+/).length },
      });
    }
    if (record.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, 404, `no route for ${record.method} ${path}`, 'invalid_request_error');
    }
    if (record.body === null || !Array.isArray(record.body.messages)) {
      return sendError(res, 400, 'body must be JSON with a messages array', 'invalid_request_error');
    }
    if (options.rateLimit) {
      const now = Date.now();
      const { maxRequests, windowMs } = options.rateLimit;
      while (windowStarts.length > 0 && (windowStarts[0] ?? 0) <= now - windowMs) windowStarts.shift();
      if (windowStarts.length >= maxRequests) {
        const waitMs = (windowStarts[0] ?? now) + windowMs - now;
        return sendRateLimited(res, Math.max(1, Math.ceil(waitMs / 1000)), 'Rate limit reached for requests');
      }
      windowStarts.push(now);
    }

    const next = queue.shift() ?? (await responder(record.body, record));
    const behaviour: Behaviour = typeof next === 'string' ? { kind: 'reply', content: next } : next;
    await perform(behaviour, record.body, req, res);
  }

  async function perform(b: Behaviour, body: ChatRequestBody, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (b.kind) {
      case 'reply': {
        if (b.delayMs) await waitOrClose(b.delayMs, req);
        if (res.destroyed) return;
        return sendJson(res, 200, completionOf(b, body));
      }
      case 'rate_limit':
        return sendRateLimited(res, b.retryAfterSeconds, b.message ?? 'Rate limit reached for requests');
      case 'status':
        return sendError(res, b.status, b.message ?? `status ${b.status}`, b.status >= 500 ? 'server_error' : 'invalid_request_error', b.headers);
      case 'broken_body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assi');
        // Let the partial body reach the client before the connection is cut.
        await new Promise((resolve) => setTimeout(resolve, 10));
        res.destroy();
        return;
      case 'hang':
        await new Promise<void>((resolve) => req.socket.once('close', () => resolve()));
        return;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    chatRequests: () => requests.filter((r) => r.path === '/v1/chat/completions'),
    embeddingsRequests: () => requests.filter((r) => r.path === '/v1/embeddings'),
    failEmbeddings(status) {
      embeddingsFailure = status;
    },
    enqueue: (...behaviours) => {
      for (const b of behaviours) queue.push(typeof b === 'string' ? { kind: 'reply', content: b } : b);
    },
    setResponder: (fn) => {
      responder = fn;
    },
    sentKey: (request, key) => request.authorizationSha256 === fingerprint(`Bearer ${key}`),
    enqueueBatchPlan: (...plans) => batchApi.enqueuePlan(...plans),
    batches: () => batchApi.batches(),
    batchLinesRun: () => batchApi.linesRun(),
    reset: () => {
      batchApi.reset();
      requests.length = 0;
      queue.length = 0;
      windowStarts.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        batchApi.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = name === 'authorization' ? '<redacted>' : Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The body as text, or null when it exceeds the limit (the rest is drained, not buffered). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): ChatRequestBody | null {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as ChatRequestBody) : null;
  } catch {
    return null;
  }
}

function waitOrClose(ms: number, req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    req.socket.once('close', done);
    function done(): void {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    }
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

function sendRateLimited(res: ServerResponse, retryAfterSeconds: number, message: string): void {
  sendJson(
    res,
    429,
    { error: { message, type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    { 'retry-after': String(retryAfterSeconds) },
  );
}

/**
 * A deterministic 64-dimensional text vector: each lower-cased word (3+ letters, first 5 letters
 * kept, so "asthma" and "asthmatic" meet) adds 1 to a hashed dimension; L2-normalised. Texts that
 * share words point the same way, which is all a retrieval test needs from an embedding model.
 */
export function hashedBagOfWords(text: string): number[] {
  const v = new Array<number>(64).fill(0);
  for (const m of text.toLowerCase().matchAll(/[a-z]{3,}/g)) {
    const w = m[0].slice(0, 5);
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
    v[(h >>> 0) % 64]! += 1;
  }
  const n = Math.hypot(...v);
  return n === 0 ? v : v.map((x) => x / n);
}
