import type { ServerResponse } from 'node:http';

/** How the server treats the next batch created: run every line, or end early in one of the ways a real batch can. */
export type BatchPlan =
  | { kind: 'complete'; extraLines?: string[]; dropLines?: number; /** Stays in progress this long first. */ afterMs?: number }
  /** Runs the first `processed` lines, then expires: the rest never run. */
  | { kind: 'expire'; processed: number }
  /** Runs the first `processed` lines, then is cancelled. */
  | { kind: 'cancel'; processed: number }
  /** Fails validation: no line runs. */
  | { kind: 'fail'; message?: string }
  /** Stays in progress until cancelled through the API or the server closes. */
  | { kind: 'stall' };

/** What one batch line gets, decided like a chat request (reply, status, rate limit...). */
export interface BatchLineResult {
  status: number;
  /** Response body: a chat completion for 200, an OpenAI error object otherwise. */
  body: unknown;
}

/** One stored file. */
interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
  createdAt: number;
}

/** One batch as the server keeps it. */
export interface StoredBatch {
  id: string;
  status: 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
  input_file_id: string;
  output_file_id?: string;
  error_file_id?: string;
  endpoint: string;
  completion_window: string;
  created_at: number;
  metadata: Record<string, string> | null;
  errors?: { object: 'list'; data: { code: string; message: string; line: number | null }[] };
  request_counts: { total: number; completed: number; failed: number };
}

/** The files and batches part of the test server. */
export interface BatchApi {
  /** Handles the request when it is a files or batches route; false otherwise. */
  handle(method: string, path: string, raw: string, contentType: string, res: ServerResponse): Promise<boolean>;
  /** Queues plans for the next batches created, in order; without one a batch completes. */
  enqueuePlan(...plans: BatchPlan[]): void;
  /** Every batch created, oldest first. */
  batches(): StoredBatch[];
  /** The request lines the server ran (each line of each batch that ran), oldest first. */
  linesRun(): { batchId: string; customId: string; body: unknown }[];
  reset(): void;
  close(): void;
}

/**
 * The OpenAI Files and Batch API as the openai client speaks it: `POST /v1/files` (multipart, purpose
 * batch), `GET /v1/files/{id}` and `/content`, `POST /v1/batches`, `GET /v1/batches[/{id}]`,
 * `POST /v1/batches/{id}/cancel`. A batch runs `processDelayMs` after creation; each line is decided
 * by `runLine` like a chat request; results go to an output file (200 lines) and an error file.
 */
export function createBatchApi(options: { runLine: (body: unknown) => Promise<BatchLineResult>; processDelayMs: number }): BatchApi {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, StoredBatch>();
  const plans: BatchPlan[] = [];
  const lines: { batchId: string; customId: string; body: unknown }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let sequence = 0;
  const now = (): number => Math.floor(Date.now() / 1000);

  function storeFile(content: string, filename: string, purpose: string): StoredFile {
    const file = { id: `file-test-${++sequence}`, filename, purpose, content, createdAt: now() };
    files.set(file.id, file);
    return file;
  }

  function fileObject(f: StoredFile): unknown {
    return { id: f.id, object: 'file', bytes: Buffer.byteLength(f.content), created_at: f.createdAt, filename: f.filename, purpose: f.purpose, status: 'processed' };
  }

  async function run(batch: StoredBatch, plan: BatchPlan): Promise<void> {
    const input = files.get(batch.input_file_id);
    if (plan.kind === 'stall') return;
    if (plan.kind === 'fail' || !input) {
      batch.status = 'failed';
      batch.errors = { object: 'list', data: [{ code: 'invalid_request', message: plan.kind === 'fail' ? (plan.message ?? 'validation failed') : 'input file not found', line: null }] };
      return;
    }
    const requestLines = input.content.split('\n').filter((l) => l.trim() !== '');
    batch.status = 'in_progress';
    if (plan.kind === 'complete' && plan.afterMs) await new Promise((resolve) => setTimeout(resolve, plan.afterMs));
    batch.request_counts.total = requestLines.length;
    const limit = plan.kind === 'expire' || plan.kind === 'cancel' ? Math.min(plan.processed, requestLines.length) : requestLines.length;
    const out: string[] = [];
    const err: string[] = [];
    for (let i = 0; i < limit; i++) {
      if ((batch.status as string) === 'cancelling') break;
      let request: { custom_id?: string; body?: unknown };
      try {
        request = JSON.parse(requestLines[i] as string) as { custom_id?: string; body?: unknown };
      } catch {
        err.push(JSON.stringify({ id: `batch_req_${++sequence}`, custom_id: null, response: null, error: { code: 'invalid_json', message: `line ${i + 1} is not JSON` } }));
        batch.request_counts.failed += 1;
        continue;
      }
      lines.push({ batchId: batch.id, customId: String(request.custom_id), body: request.body });
      const result = await options.runLine(request.body);
      const line = JSON.stringify({
        id: `batch_req_${++sequence}`,
        custom_id: request.custom_id,
        response: { status_code: result.status, request_id: `req_${sequence}`, body: result.body },
        error: null,
      });
      if (result.status === 200) {
        out.push(line);
        batch.request_counts.completed += 1;
      } else {
        err.push(line);
        batch.request_counts.failed += 1;
      }
    }
    if (plan.kind === 'complete') {
      if (plan.dropLines) out.splice(out.length - Math.min(plan.dropLines, out.length));
      out.push(...(plan.extraLines ?? []));
    }
    if (out.length > 0) batch.output_file_id = storeFile(`${out.join('\n')}\n`, `${batch.id}_output.jsonl`, 'batch_output').id;
    if (err.length > 0) batch.error_file_id = storeFile(`${err.join('\n')}\n`, `${batch.id}_error.jsonl`, 'batch_output').id;
    if ((batch.status as string) === 'cancelling' || plan.kind === 'cancel') batch.status = 'cancelled';
    else if (plan.kind === 'expire') batch.status = 'expired';
    else batch.status = 'completed';
  }

  async function handle(method: string, path: string, raw: string, contentType: string, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/v1/files') {
      const parts = parseMultipart(raw, contentType);
      const file = parts.get('file');
      const purpose = parts.get('purpose')?.content ?? '';
      if (!file || purpose === '') {
        sendJson(res, 400, { error: { message: 'multipart body needs a file and a purpose', type: 'invalid_request_error', param: null, code: null } });
        return true;
      }
      sendJson(res, 200, fileObject(storeFile(file.content, file.filename ?? 'upload.jsonl', purpose)));
      return true;
    }
    const fileMatch = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (method === 'GET' && fileMatch) {
      const file = files.get(fileMatch[1] as string);
      if (!file) sendJson(res, 404, { error: { message: `no file ${fileMatch[1]}`, type: 'invalid_request_error', param: null, code: null } });
      else if (fileMatch[2]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(file.content) });
        res.end(file.content);
      } else sendJson(res, 200, fileObject(file));
      return true;
    }
    if (method === 'POST' && path === '/v1/batches') {
      const body = safeJson(raw) as { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: Record<string, string> } | null;
      if (!body?.input_file_id || !files.has(body.input_file_id) || body.endpoint !== '/v1/chat/completions' || body.completion_window !== '24h') {
        sendJson(res, 400, { error: { message: 'need an uploaded input_file_id, endpoint /v1/chat/completions and completion_window 24h', type: 'invalid_request_error', param: null, code: null } });
        return true;
      }
      const batch: StoredBatch = {
        id: `batch_test_${++sequence}`,
        status: 'validating',
        input_file_id: body.input_file_id,
        endpoint: body.endpoint,
        completion_window: body.completion_window,
        created_at: now(),
        metadata: body.metadata ?? null,
        request_counts: { total: 0, completed: 0, failed: 0 },
      };
      batches.set(batch.id, batch);
      const plan = plans.shift() ?? { kind: 'complete' };
      const timer = setTimeout(() => {
        timers.delete(timer);
        void run(batch, plan);
      }, options.processDelayMs);
      timers.add(timer);
      sendJson(res, 200, batchObject(batch));
      return true;
    }
    if (method === 'GET' && path === '/v1/batches') {
      sendJson(res, 200, { object: 'list', data: [...batches.values()].map(batchObject), has_more: false });
      return true;
    }
    const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (batchMatch) {
      const batch = batches.get(batchMatch[1] as string);
      if (!batch) {
        sendJson(res, 404, { error: { message: `no batch ${batchMatch[1]}`, type: 'invalid_request_error', param: null, code: null } });
        return true;
      }
      if (method === 'POST' && batchMatch[2]) {
        if (batch.status === 'validating' || batch.status === 'in_progress') batch.status = batch.status === 'validating' ? 'cancelled' : 'cancelling';
        sendJson(res, 200, batchObject(batch));
        return true;
      }
      if (method === 'GET' && !batchMatch[2]) {
        sendJson(res, 200, batchObject(batch));
        return true;
      }
    }
    return false;
  }

  return {
    handle,
    enqueuePlan: (...p) => {
      plans.push(...p);
    },
    batches: () => [...batches.values()],
    linesRun: () => [...lines],
    reset: () => {
      files.clear();
      batches.clear();
      plans.length = 0;
      lines.length = 0;
    },
    close: () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

function batchObject(b: StoredBatch): unknown {
  return { object: 'batch', ...b };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The parts of a multipart/form-data body by field name (text bodies only, which is all the Files API needs here). */
function parseMultipart(raw: string, contentType: string): Map<string, { content: string; filename?: string }> {
  const parts = new Map<string, { content: string; filename?: string }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const mark = boundary ? `--${boundary[1] ?? boundary[2]}` : null;
  if (!mark) return parts;
  for (const chunk of raw.split(mark).slice(1)) {
    if (chunk.startsWith('--')) break;
    const split = chunk.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = chunk.slice(0, split);
    const content = chunk.slice(split + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (name) parts.set(name, filename === undefined ? { content } : { content, filename });
  }
  return parts;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
