import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { toFile } from 'openai';
import { z } from 'zod';
import { LlmAbortedError, LlmBatchError, QueueFullError, RuntimeConfigError, type LlmBatchFailure } from '../errors/medistillErrors.ts';
import type { CompletionRequestBody, CompletionSender, SentCompletion } from './llmClient.ts';
import { redactUrl } from './llmConfig.ts';
import type { LlmEvent, LlmEventListener } from './llmEvents.ts';

/** Settings of a batch queue. */
export interface BatchQueueOptions {
  /** Endpoint name for events and metrics. */
  endpoint: string;
  baseUrl: string;
  /** Secret: sent as a Bearer token, never printed. */
  apiKey: string;
  /** Most requests in one batch file (the Batch API allows 50,000). */
  maxRequests: number;
  /** Longest time the first request of a file waits for more before the file is submitted. */
  maxWaitMs: number;
  /** Interval between status checks of a submitted batch. */
  pollMs: number;
  /** Times a request is submitted before it fails (an expired or failed batch, an error line, a missing line). */
  maxSubmissions: number;
  /** Most distinct requests waiting (unsubmitted or in a batch); one more is refused with QueueFullError. Default 4 × maxRequests. */
  maxPending?: number;
  /** Deadline of each HTTP request to the files and batches API. Default 120 s. */
  timeoutMs?: number;
  /** Consecutive failed status checks before the requests of a batch are failed (retriable). Default 20. */
  maxPollFailures?: number;
  /**
   * Names this queue's batches (metadata `medistill_queue`). When set, batches of an earlier process
   * with the same name that are still running, or completed within the last 24 h, are resumed at
   * start: a request already in one of them waits for that batch instead of being paid for again.
   */
  resumeAs?: string;
  /** Most batches resumed at start; default 20. */
  maxResumedBatches?: number;
  onEvent?: LlmEventListener;
}

/** Requests gathered into OpenAI Batch API files, submitted, polled, and their results handed back. */
export interface BatchQueue {
  /** The sender to give createLlmClient (`send`): one request in, its completion out, when its batch ends. */
  readonly send: CompletionSender;
  /** Submits what is gathered now, without waiting for maxWaitMs. */
  flush(): void;
  /** Distinct requests not yet answered. */
  readonly pending: number;
  /** Batches submitted and not yet finished. */
  readonly batchesInFlight: number;
  /** Stops timers and polling; requests still waiting fail with a retriable LlmBatchError. */
  close(): Promise<void>;
}

interface Waiter {
  resolve: (value: SentCompletion) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Entry {
  customId: string;
  body: CompletionRequestBody;
  waiters: Set<Waiter>;
  submissions: number;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

const lineSchema = z.object({
  custom_id: z.string(),
  response: z
    .object({
      status_code: z.number(),
      body: z.unknown(),
    })
    .nullable()
    .optional(),
  error: z.object({ code: z.string().nullable().optional(), message: z.string().nullable().optional() }).nullable().optional(),
});

const completionBodySchema = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable().optional() }).nullable().optional(), finish_reason: z.string().nullable().optional() })).min(1),
  usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).nullable().optional(),
});

/** The custom_id of a request: a hash of its exact body, so identical requests share one line and one price. */
export function batchCustomId(body: CompletionRequestBody): string {
  return `medistill-${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 40)}`;
}

/**
 * Creates a queue that turns calls into Batch API files: requests accumulate until maxRequests or
 * maxWaitMs, the file is uploaded (`/v1/files`, purpose batch), a batch is created
 * (`/v1/batches`, window 24 h) and polled, and the output and error files are read back line by
 * line. A line's completion goes to every caller of that request (identical requests share a line);
 * an error line with a retriable status (429, 408, 5xx), a line missing from a completed batch and
 * the unanswered requests of an expired or failed batch are submitted again, up to maxSubmissions;
 * a cancelled batch fails its unanswered requests (not retriable: someone chose to stop it). A line
 * that matches no request or does not decode is counted and skipped.
 */
export function createBatchQueue(options: BatchQueueOptions): BatchQueue {
  const { endpoint, maxRequests, maxWaitMs, pollMs, maxSubmissions } = options;
  const maxPending = options.maxPending ?? maxRequests * 4;
  const maxPollFailures = options.maxPollFailures ?? 20;
  for (const [name, value, min] of [
    ['maxRequests', maxRequests, 1],
    ['maxWaitMs', maxWaitMs, 0],
    ['pollMs', pollMs, 1],
    ['maxSubmissions', maxSubmissions, 1],
    ['maxPending', maxPending, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new RuntimeConfigError(`batch queue: ${name} must be an integer >= ${min}, got ${value}`);
  }
  const shownUrl = redactUrl(options.baseUrl);
  const openai = new OpenAI({
    baseURL: options.baseUrl,
    apiKey: options.apiKey,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 2,
    timeout: options.timeoutMs ?? 120_000,
    logLevel: 'off',
  });
  const scrub = (text: string): string => (options.apiKey.length >= 6 ? text.split(options.apiKey).join('***') : text);
  const emit = (event: LlmEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // instrumentation must never break a call
    }
  };

  const entries = new Map<string, Entry>();
  let gathering: Entry[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const running = new Set<Promise<void>>();
  /** Results of resumed batches that no caller has asked for yet, oldest first; bounded by maxPending. */
  const ready = new Map<string, SentCompletion>();
  const resumed = new Set<string>();
  let resuming: Promise<void> | null = null;
  const stop = new AbortController();
  let closed = false;

  function settle(entry: Entry, outcome: { value: SentCompletion } | { error: unknown }): void {
    entries.delete(entry.customId);
    // A resumed request that nobody has asked for again yet: keep its answer for when it is asked.
    if (entry.waiters.size === 0 && resumed.has(entry.customId) && 'value' in outcome) {
      ready.set(entry.customId, outcome.value);
      if (ready.size > maxPending) ready.delete(ready.keys().next().value as string);
    }
    resumed.delete(entry.customId);
    for (const w of entry.waiters) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      if ('value' in outcome) w.resolve(outcome.value);
      else w.reject(outcome.error);
    }
    entry.waiters.clear();
  }

  function arm(): void {
    if (timer !== null || gathering.length === 0 || closed) return;
    timer = setTimeout(flush, maxWaitMs);
  }

  function flush(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    // Requests whose every caller gave up before submission are not paid for.
    const chosen = gathering.filter((e) => e.waiters.size > 0);
    for (const e of gathering) {
      if (e.waiters.size > 0) continue;
      entries.delete(e.customId);
      resumed.delete(e.customId);
    }
    gathering = [];
    if (chosen.length === 0 || closed) return;
    for (const e of chosen) e.submissions += 1;
    const job = runBatch(chosen).catch(() => undefined);
    running.add(job);
    void job.finally(() => running.delete(job));
  }

  /** Puts requests back for another submission, or fails them when they had their share. */
  function again(list: Entry[], kind: LlmBatchFailure, detail: string, status: number | null = null): void {
    if (list.length === 0) return;
    let resubmitted = 0;
    for (const e of list) {
      if (e.submissions >= maxSubmissions || closed) {
        settle(e, { error: new LlmBatchError(scrub(`LLM batch request ${e.customId} at ${shownUrl} got no result after ${e.submissions} submission(s): ${detail}`), { kind, status }) });
      } else {
        gathering.push(e);
        resubmitted += 1;
      }
    }
    if (resubmitted > 0) emit({ type: 'llm.batch_lines', endpoint, outcome: 'resubmitted', count: resubmitted });
    if (gathering.length >= maxRequests) flush();
    else arm();
  }

  async function runBatch(list: Entry[]): Promise<void> {
    const byId = new Map(list.map((e) => [e.customId, e]));
    let batch: OpenAI.Batches.Batch;
    try {
      const jsonl = list.map((e) => JSON.stringify({ custom_id: e.customId, method: 'POST', url: '/v1/chat/completions', body: e.body })).join('\n') + '\n';
      const file = await openai.files.create({ file: await toFile(Buffer.from(jsonl, 'utf8'), 'medistill-batch.jsonl', { type: 'application/jsonl' }), purpose: 'batch' });
      const metadata: Record<string, string> = { source: 'medistill', ...(options.resumeAs === undefined ? {} : { medistill_queue: options.resumeAs }) };
      batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata });
    } catch (error) {
      emit({ type: 'llm.batch', endpoint, status: 'failed', requests: list.length });
      again(list, 'failed', `submission failed: ${(error as Error).message}`);
      return;
    }
    emit({ type: 'llm.batch', endpoint, status: 'submitted', requests: list.length });
    await follow(batch, byId, list);
  }

  /** Polls a batch to its end and hands its lines to the requests in `byId`. */
  async function follow(start: OpenAI.Batches.Batch, byId: Map<string, Entry>, list: Entry[]): Promise<void> {
    let batch = start;
    let failures = 0;
    while (!TERMINAL.has(batch.status)) {
      try {
        await sleep(pollMs, undefined, { signal: stop.signal });
      } catch {
        return; // closing: close() fails what is left
      }
      try {
        batch = await openai.batches.retrieve(batch.id);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= maxPollFailures) {
          again(list, 'failed', `status of batch ${batch.id} unreadable ${failures} times: ${(error as Error).message}`);
          return;
        }
      }
    }

    const status = batch.status as 'completed' | 'failed' | 'expired' | 'cancelled';
    emit({ type: 'llm.batch', endpoint, status, requests: list.length });
    // Expired and cancelled batches keep their partial results in the output file: use them.
    const errorRetry: Entry[] = [];
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      let text: string;
      try {
        text = await (await openai.files.content(fileId)).text();
      } catch (error) {
        // The results cannot be read: the requests go round again.
        emit({ type: 'llm.batch_lines', endpoint, outcome: 'undecodable', count: 1 });
        void error;
        continue;
      }
      const counts = { ok: 0, error: 0, unmatched: 0, undecodable: 0 };
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        let parsed: z.infer<typeof lineSchema>;
        try {
          parsed = lineSchema.parse(JSON.parse(raw));
        } catch {
          counts.undecodable += 1;
          continue;
        }
        const entry = byId.get(parsed.custom_id);
        if (!entry) {
          counts.unmatched += 1;
          continue;
        }
        byId.delete(parsed.custom_id);
        const code = parsed.response?.status_code ?? null;
        const body = code === 200 ? completionBodySchema.safeParse(parsed.response?.body) : null;
        if (body?.success) {
          counts.ok += 1;
          const choice = body.data.choices[0];
          settle(entry, {
            value: {
              content: choice?.message?.content ?? '',
              ...(body.data.model ? { model: body.data.model } : {}),
              finishReason: choice?.finish_reason ?? null,
              usage: { promptTokens: body.data.usage?.prompt_tokens ?? 0, completionTokens: body.data.usage?.completion_tokens ?? 0 },
            },
          });
          continue;
        }
        counts.error += 1;
        const message = parsed.error?.message ?? (code === 200 ? 'the line holds no chat completion' : `status ${code ?? 'none'}`);
        if (code === null || code === 200 || code === 429 || code === 408 || code >= 500) errorRetry.push(entry);
        else settle(entry, { error: new LlmBatchError(scrub(`LLM batch line ${entry.customId} refused by ${shownUrl} with status ${code}: ${message}`), { kind: 'line_error', status: code }) });
      }
      for (const [outcome, count] of Object.entries(counts) as [keyof typeof counts, number][]) {
        if (count > 0) emit({ type: 'llm.batch_lines', endpoint, outcome, count });
      }
    }
    again(errorRetry, 'line_error', 'its line came back as an error');
    const unanswered = [...byId.values()].filter((e) => entries.has(e.customId));
    if (unanswered.length === 0) return;
    if (status === 'cancelled') {
      for (const e of unanswered) settle(e, { error: new LlmBatchError(`LLM batch ${batch.id} at ${shownUrl} was cancelled before request ${e.customId} ran`, { kind: 'cancelled' }) });
      return;
    }
    if (status === 'completed') emit({ type: 'llm.batch_lines', endpoint, outcome: 'missing', count: unanswered.length });
    const kind: LlmBatchFailure = status === 'completed' ? 'missing' : status;
    again(unanswered, kind, status === 'completed' ? `batch ${batch.id} completed without its line` : `batch ${batch.id} ${status}`);
  }

  /**
   * Finds the batches an earlier process of the same name left running (or completed in the last
   * 24 h), reads their input files, and follows them as if submitted here: their requests wait for
   * them instead of being submitted again.
   */
  async function resume(name: string): Promise<void> {
    const since = Date.now() / 1000 - 24 * 3600;
    const found: OpenAI.Batches.Batch[] = [];
    try {
      for await (const b of openai.batches.list({ limit: 100 })) {
        if (b.created_at < since) break;
        if (b.metadata?.medistill_queue !== name || !['validating', 'in_progress', 'finalizing', 'completed'].includes(b.status)) continue;
        found.push(b);
        if (found.length >= (options.maxResumedBatches ?? 20)) break;
      }
    } catch {
      return; // listing is a saving, not a necessity: go on without it
    }
    for (const batch of found) {
      let text: string;
      try {
        text = await (await openai.files.content(batch.input_file_id)).text();
      } catch {
        continue;
      }
      const list: Entry[] = [];
      for (const raw of text.split('\n')) {
        if (raw.trim() === '' || entries.size >= maxPending) continue;
        try {
          const line = JSON.parse(raw) as { custom_id?: unknown; body?: unknown };
          if (typeof line.custom_id !== 'string' || entries.has(line.custom_id) || typeof line.body !== 'object' || line.body === null) continue;
          const entry: Entry = { customId: line.custom_id, body: line.body as CompletionRequestBody, waiters: new Set(), submissions: 1 };
          entries.set(entry.customId, entry);
          resumed.add(entry.customId);
          list.push(entry);
        } catch {
          // a line we did not write: not ours to resume
        }
      }
      if (list.length === 0) continue;
      emit({ type: 'llm.batch', endpoint, status: 'resumed', requests: list.length });
      const job = follow(batch, new Map(list.map((e) => [e.customId, e])), list).catch(() => undefined);
      running.add(job);
      void job.finally(() => running.delete(job));
    }
  }
  if (options.resumeAs !== undefined) resuming = resume(options.resumeAs).finally(() => (resuming = null));

  const send: CompletionSender = (body, context) => {
    if (resuming) {
      const wait = resuming;
      return wait.then(() => send(body, context));
    }
    const signal = context.signal;
    if (signal?.aborted) return Promise.reject(new LlmAbortedError());
    if (closed) return Promise.reject(new LlmBatchError('LLM batch queue is closed', { kind: 'failed' }));
    const customId = batchCustomId(body);
    const answered = ready.get(customId);
    if (answered) {
      ready.delete(customId);
      return Promise.resolve(answered);
    }
    let entry = entries.get(customId);
    if (!entry) {
      if (entries.size >= maxPending) return Promise.reject(new QueueFullError('LLM batch queue', maxPending));
      entry = { customId, body, waiters: new Set(), submissions: 0 };
      entries.set(customId, entry);
      gathering.push(entry);
    }
    const owner = entry;
    const promise = new Promise<SentCompletion>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          owner.waiters.delete(waiter);
          reject(new LlmAbortedError(undefined, { cause: signal.reason }));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      owner.waiters.add(waiter);
    });
    if (gathering.length >= maxRequests) flush();
    else arm();
    return promise;
  };

  return {
    send,
    flush,
    get pending() {
      return entries.size;
    },
    get batchesInFlight() {
      return running.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      stop.abort();
      await Promise.allSettled([...running]);
      for (const e of [...entries.values()]) settle(e, { error: new LlmBatchError('LLM batch queue closed before the result arrived', { kind: 'failed' }) });
      gathering = [];
    },
  };
}
