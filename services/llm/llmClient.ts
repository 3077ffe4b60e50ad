import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { z } from 'zod';
import { describeLlmConfig, parseLlmConfig, redactUrl, type LlmConfig, type LlmConfigInput } from './llmConfig.ts';
import { LlmAbortedError, LlmBadOutputError, LlmProtocolError, LlmRequestError, LlmUnavailableError } from '../errors/medistillErrors.ts';
import type { LlmEvent, LlmEventListener, LlmMode } from './llmEvents.ts';
import { parseJsonContent } from './parseJsonContent.ts';
import { requestSignal } from './requestSignal.ts';
import { decideFailure, retryDelay, type FailureDecision } from './retryPolicy.ts';

/** One chat message. */
export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Per-call options of chatJson. */
export interface ChatJsonOptions {
  signal?: AbortSignal;
  /** Short fixed label for events and metrics (e.g. "generate", "judge", "voc"); never an id. */
  purpose?: string;
  /** Version of the caller's prompt; part of the response cache's key. */
  promptVersion?: string;
}

/** Token counts summed over every attempt of a call. */
export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A validated answer with what it cost. */
export interface ChatJsonResult<T> {
  value: T;
  usage: LlmUsage;
  /** HTTP requests made, retries and the repair request included. */
  attempts: number;
  /** Model name the server reported (the configured one when it reported none). */
  model: string;
  /** True when the answer came from the response cache: no request was sent, nothing was paid. */
  cached?: boolean;
}

/** A chat client that returns schema-validated JSON and owns retries, backoff and repair. */
export interface LlmClient {
  readonly model: string;
  /** Base URL with any credentials removed. */
  readonly baseUrl: string;
  chatJson<T>(messages: readonly LlmMessage[], schema: z.ZodType<T>, options?: ChatJsonOptions): Promise<ChatJsonResult<T>>;
  /** The settings as one printable line, API key redacted. */
  describe(): string;
}

/** The body of one chat-completions request, exactly as sent online or written as a Batch API line. */
export interface CompletionRequestBody {
  model: string;
  messages: { role: LlmMessage['role']; content: string }[];
  temperature: number;
  max_tokens: number;
  response_format?: { type: 'json_object' };
}

/** A completion obtained some other way than one HTTP request (a Batch API output line). */
export interface SentCompletion {
  content: string;
  model?: string;
  finishReason?: string | null;
  usage: LlmUsage;
}

/** Sends one completion request by other means; its errors are the caller's (LlmBatchError...). */
export type CompletionSender = (body: CompletionRequestBody, context: { purpose: string; signal?: AbortSignal }) => Promise<SentCompletion>;

/** Hooks and test seams that are not configuration. */
export interface LlmClientOptions {
  onEvent?: LlmEventListener;
  /** Source of jitter in [0, 1); Math.random by default. */
  random?: () => number;
  /** Name of the configured endpoint, carried by events for per-endpoint metrics (never the URL or key). */
  endpoint?: string;
  /** Prices per 1,000 tokens of the endpoint: each request's estimated cost goes into its event. */
  prices?: { input: number; output: number };
  /**
   * Replaces the HTTP request of every completion, the repair included (batch mode sends it as a line of
   * a Batch API file); validation, repair and events are the same as online. Retries are the sender's.
   */
  send?: CompletionSender;
}

/** Longest bad answer sent back in a repair request. */
const MAX_REPAIR_ECHO = 16_000;
/** Longest response body read from the server. */
const MAX_BODY_CHARS = 8 * 1024 * 1024;

const completionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }).nullable().optional(),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .optional(),
  usage: z
    .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() })
    .nullable()
    .optional(),
});

interface Completion {
  content: string;
  model: string;
  finishReason: string | null;
}

interface CallState {
  purpose: string;
  signal: AbortSignal | undefined;
  attempts: number;
  usage: LlmUsage;
}

/**
 * Builds an LLM client over the official openai package (its own retries off, so Retry-After,
 * backoff and events are ours). Bad settings throw LlmConfigError here, before any request.
 *
 * @example
 * const llm = createLlmClient({ baseUrl: 'http://127.0.0.1:8000/v1', apiKey: 'none', model: 'qwen2.5-7b' });
 * const { value } = await llm.chatJson([{ role: 'user', content: 'Reply {"ok": true}' }], z.object({ ok: z.boolean() }));
 */
export function createLlmClient(input: LlmConfigInput, options: LlmClientOptions = {}): LlmClient {
  const config: LlmConfig = parseLlmConfig(input);
  const random = options.random ?? Math.random;
  const shownUrl = redactUrl(config.baseUrl);
  const openai = new OpenAI({
    baseURL: config.baseUrl,
    apiKey: config.apiKey,
    // Explicit nulls keep OPENAI_* environment variables out of our requests.
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: config.timeoutMs,
    logLevel: 'off',
  });

  const scrub = (text: string): string =>
    config.apiKey.length >= 6 ? text.split(config.apiKey).join('***') : text;

  const mode: LlmMode = options.send ? 'batch' : 'online';
  const tagged = (promptTokens: number, completionTokens: number): { endpoint?: string; mode?: LlmMode; cost?: number } => ({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(mode === 'batch' ? { mode } : {}),
    ...(options.prices === undefined
      ? {}
      : { cost: (promptTokens / 1000) * options.prices.input + (completionTokens / 1000) * options.prices.output }),
  });
  const bodyOf = (messages: readonly LlmMessage[]): CompletionRequestBody => ({
    model: config.model,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: config.temperature,
    max_tokens: config.maxTokens,
    ...(config.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
  });

  const emit = (event: LlmEvent): void => {
    if (!options.onEvent) return;
    try {
      options.onEvent(event);
    } catch {
      // A faulty listener must not break requests.
    }
  };

  async function attemptOnce(messages: readonly LlmMessage[], state: CallState): Promise<Completion> {
    const attempt = ++state.attempts;
    const deadline = AbortSignal.timeout(config.timeoutMs);
    const signal = state.signal ? AbortSignal.any([state.signal, deadline]) : deadline;
    const started = performance.now();
    emit({ type: 'llm.request_start', purpose: state.purpose, model: config.model, attempt });
    let status: number | null = null;
    try {
      const response = await openai.chat.completions.create(bodyOf(messages), { signal, maxRetries: 0, timeout: config.timeoutMs }).asResponse();
      status = response.status;
      const completion = await readCompletion(response);
      const usage = completion.usage;
      state.usage.promptTokens += usage.promptTokens;
      state.usage.completionTokens += usage.completionTokens;
      emit({
        type: 'llm.request_end',
        purpose: state.purpose,
        model: config.model,
        attempt,
        status,
        outcome: 'ok',
        latencyMs: performance.now() - started,
        ...usage,
        ...tagged(usage.promptTokens, usage.completionTokens),
      });
      return completion;
    } catch (error) {
      const decided = decideFailure(error, {
        callerAborted: state.signal?.aborted ?? false,
        deadlineExpired: deadline.aborted,
        timeoutMs: config.timeoutMs,
      });
      emit({
        type: 'llm.request_end',
        purpose: state.purpose,
        model: config.model,
        attempt,
        status: decided?.status ?? status,
        outcome: decided?.reason ?? 'rejected',
        latencyMs: performance.now() - started,
        promptTokens: 0,
        completionTokens: 0,
        ...tagged(0, 0),
      });
      if (decided === null) throw error;
      throw new AttemptFailed(decided, error);
    }
  }

  async function readCompletion(response: Response): Promise<Completion & { usage: LlmUsage }> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new LlmProtocolError(`response body broke off (${(error as Error).message})`, { status: response.status, cause: error });
    }
    if (text.length > MAX_BODY_CHARS) {
      throw new LlmProtocolError(`response body larger than ${MAX_BODY_CHARS} characters`, { status: response.status });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new LlmProtocolError('response body is not JSON', { status: response.status, cause: error });
    }
    const parsed = completionSchema.safeParse(json);
    if (!parsed.success) {
      throw new LlmProtocolError('response body is not a chat completion', { status: response.status, cause: parsed.error });
    }
    const choice = parsed.data.choices?.[0];
    return {
      content: choice?.message?.content ?? '',
      model: parsed.data.model ?? config.model,
      finishReason: choice?.finish_reason ?? null,
      usage: {
        promptTokens: parsed.data.usage?.prompt_tokens ?? 0,
        completionTokens: parsed.data.usage?.completion_tokens ?? 0,
      },
    };
  }

  /** One completion through the sender (batch mode): one attempt, its failures are the sender's to explain. */
  async function completeVia(send: CompletionSender, messages: readonly LlmMessage[], state: CallState): Promise<Completion> {
    const attempt = ++state.attempts;
    const started = performance.now();
    emit({ type: 'llm.request_start', purpose: state.purpose, model: config.model, attempt });
    let sent: SentCompletion;
    try {
      sent = await send(bodyOf(messages), { purpose: state.purpose, ...(state.signal ? { signal: state.signal } : {}) });
    } catch (error) {
      const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : null;
      emit({
        type: 'llm.request_end', purpose: state.purpose, model: config.model, attempt, status,
        outcome: state.signal?.aborted ? 'aborted' : 'rejected', latencyMs: performance.now() - started, promptTokens: 0, completionTokens: 0, ...tagged(0, 0),
      });
      if (state.signal?.aborted) throw new LlmAbortedError(undefined, { cause: error });
      throw error;
    }
    const usage = { promptTokens: Math.max(0, sent.usage.promptTokens || 0), completionTokens: Math.max(0, sent.usage.completionTokens || 0) };
    state.usage.promptTokens += usage.promptTokens;
    state.usage.completionTokens += usage.completionTokens;
    emit({
      type: 'llm.request_end', purpose: state.purpose, model: config.model, attempt, status: 200, outcome: 'ok',
      latencyMs: performance.now() - started, ...usage, ...tagged(usage.promptTokens, usage.completionTokens),
    });
    return { content: sent.content, model: sent.model ?? config.model, finishReason: sent.finishReason ?? null };
  }

  /** One completion with transport retries: up to 1 + maxRetries attempts. */
  async function complete(messages: readonly LlmMessage[], state: CallState): Promise<Completion> {
    if (options.send) return completeVia(options.send, messages, state);
    let last: AttemptFailed | undefined;
    for (let retry = 0; retry <= config.maxRetries; retry++) {
      if (retry > 0 && last) {
        const delayMs = retryDelay(retry, last.decision.retryAfterMs, config, random);
        emit({ type: 'llm.retry', purpose: state.purpose, model: config.model, attempt: state.attempts, reason: last.decision.reason, delayMs });
        try {
          await sleep(delayMs, undefined, state.signal ? { signal: state.signal } : undefined);
        } catch (error) {
          throw new LlmAbortedError(undefined, { cause: error });
        }
      }
      if (state.signal?.aborted) throw new LlmAbortedError();
      try {
        return await attemptOnce(messages, state);
      } catch (error) {
        if (!(error instanceof AttemptFailed)) throw error;
        const d = error.decision;
        if (d.reason === 'aborted') throw new LlmAbortedError(undefined, { cause: error.original });
        if (!d.retriable) {
          throw new LlmRequestError(scrub(`LLM request rejected by ${shownUrl} with status ${d.status ?? 'none'}: ${d.detail}`), {
            status: d.status ?? 0,
            cause: error.original,
          });
        }
        last = error;
      }
    }
    const d = last?.decision;
    throw new LlmUnavailableError(scrub(`LLM unavailable at ${shownUrl} after ${state.attempts} attempts: ${d?.detail ?? 'unknown error'}`), {
      attempts: state.attempts,
      lastStatus: d?.status ?? null,
      cause: last?.original,
    });
  }

  async function chatJson<T>(
    messages: readonly LlmMessage[],
    schema: z.ZodType<T>,
    callOptions: ChatJsonOptions = {},
  ): Promise<ChatJsonResult<T>> {
    const state: CallState = {
      purpose: callOptions.purpose ?? 'chat',
      signal: requestSignal(callOptions.signal),
      attempts: 0,
      usage: { promptTokens: 0, completionTokens: 0 },
    };
    const first = await complete(messages, state);
    const firstRead = readAnswer(first.content, schema);
    if (firstRead.ok) return { value: firstRead.value, usage: state.usage, attempts: state.attempts, model: first.model };

    // Exactly one repair: the model sees its own answer and what was wrong with it.
    emit({ type: 'llm.repair', purpose: state.purpose, model: config.model, problem: firstRead.problem });
    const repairMessages: LlmMessage[] = [
      ...messages,
      { role: 'assistant', content: first.content.slice(0, MAX_REPAIR_ECHO) },
      {
        role: 'user',
        content:
          `Your previous answer could not be used: ${firstRead.problem}` +
          `${first.finishReason === 'length' ? ' (it was cut off at the token limit; answer more briefly)' : ''}. ` +
          'Reply again with only the corrected JSON object: no explanations, no code fence.',
      },
    ];
    const second = await complete(repairMessages, state);
    const secondRead = readAnswer(second.content, schema);
    if (secondRead.ok) return { value: secondRead.value, usage: state.usage, attempts: state.attempts, model: second.model };
    emit({ type: 'llm.bad_output', purpose: state.purpose, model: config.model, problem: secondRead.problem });
    const excerpt = scrub(excerptOf(second.content));
    throw new LlmBadOutputError(scrub(`LLM answer unusable after one repair: ${secondRead.problem}; answer starts: ${excerpt}`), {
      excerpt,
      attempts: state.attempts,
    });
  }

  return {
    model: config.model,
    baseUrl: shownUrl,
    chatJson,
    describe: () => describeLlmConfig(config),
  };
}

/** Internal carrier of a failed attempt's decision; never leaves this module. */
class AttemptFailed extends Error {
  constructor(
    readonly decision: FailureDecision,
    readonly original: unknown,
  ) {
    super(decision.detail);
    this.name = 'AttemptFailed';
  }
}

function readAnswer<T>(content: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; problem: string } {
  const json = parseJsonContent(content);
  if (!json.ok) return json;
  const checked = schema.safeParse(json.value);
  if (checked.success) return { ok: true, value: checked.data };
  return { ok: false, problem: `the JSON does not match the expected shape (${describeIssues(checked.error)})` };
}

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, 8).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  const more = error.issues.length > 8 ? `; and ${error.issues.length - 8} more` : '';
  return lines.join('; ') + more;
}

function excerptOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > 160 ? `${line.slice(0, 160)}...` : line);
}
