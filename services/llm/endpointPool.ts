import { setTimeout as sleep } from 'node:timers/promises';
import { LimitError, LlmAbortedError, LlmRequestError, LlmUnavailableError, RuntimeConfigError } from '../errors/medistillErrors.ts';
import { createAimdConcurrency, type AimdConcurrency } from './aimdConcurrency.ts';
import { createEndpointHealth, type EndpointHealth, type EndpointHealthOptions } from './endpointHealth.ts';
import { gateLlmClient } from './gatedLlmClient.ts';
import { createLlmCallGate, type LlmCallGate, type LlmCallGateEvent } from './llmCallGate.ts';
import { createLlmClient, type ChatJsonResult, type LlmClient } from './llmClient.ts';
import type { LlmConfigInput } from './llmConfig.ts';
import { describeEndpoint, pricesOf, type LlmEndpoint } from './llmEndpoints.ts';
import type { FailoverReason, LlmEvent, LlmEventListener } from './llmEvents.ts';
import { createLlmRateLimiter, type LlmRateLimiter } from './llmRateLimiter.ts';
import { requestSignal } from './requestSignal.ts';

/** Which model a client asks for: the generator's or the judge's. */
export type LlmRole = 'generator' | 'judge';

/** Settings shared by every endpoint of a pool. */
export interface EndpointPoolOptions {
  /** Models and request settings used where an endpoint says nothing of its own. */
  defaults: { model: string; judgeModel: string; timeoutMs: number; maxRetries: number; maxTokens?: number };
  onEvent?: LlmEventListener;
  /** Every call through an endpoint's gate (rate-limit and slot waits), with the endpoint's name. */
  onGateEvent?: (endpoint: string, event: LlmCallGateEvent) => void;
  /** Circuit breaker settings of every endpoint. */
  health?: EndpointHealthOptions;
  /** Rounds over the endpoints before a call fails (each round tries every endpoint that is up); default 3. */
  maxRounds?: number;
  /** Longest wait, when every endpoint is out, for the first to come back; default 60 s. */
  maxOutageWaitMs?: number;
  /** Client settings for tests (backoff...). */
  clientOverrides?: Partial<LlmConfigInput>;
  random?: () => number;
}

/** One endpoint with its own limits, concurrency, health and clients. */
export interface PooledEndpoint {
  readonly endpoint: LlmEndpoint;
  readonly limiter: LlmRateLimiter;
  readonly concurrency: AimdConcurrency;
  readonly gate: LlmCallGate;
  readonly health: EndpointHealth;
  /** The gated client of this endpoint for a role. */
  client(role: LlmRole): LlmClient;
  /** Calls the router has sent to this endpoint and that have not finished. */
  readonly inFlight: number;
}

/** Several OpenAI-compatible endpoints behind one router. */
export interface EndpointPool {
  readonly endpoints: readonly PooledEndpoint[];
  /** A client that routes each call to an endpoint by weight and load, and fails over. */
  client(role: LlmRole): LlmClient;
  /** One printable line per endpoint, keys left out. */
  describe(): string[];
}

/**
 * Builds a pool of endpoints, each with its own rate limiter (requests and tokens per minute), AIMD
 * concurrency, circuit breaker and price, and a router over them.
 *
 * Routing: a call goes to the endpoint that is up with the fewest calls in flight per unit of weight,
 * so a saturated pool fills every endpoint to its own limit and an idle one spreads by weight.
 * Failover: a call that fails on an endpoint with a 429 storm, a 5xx, a timeout, an unreachable
 * server, a refused key or a full queue goes to the next endpoint at once; repeated failures take
 * the endpoint out for a cooldown (see endpointHealth.ts). Bad output and other 4xx are the
 * request's fault and are not retried elsewhere.
 */
export function createEndpointPool(endpoints: readonly LlmEndpoint[], options: EndpointPoolOptions): EndpointPool {
  if (endpoints.length === 0) throw new RuntimeConfigError('endpoint pool: give at least one endpoint');
  const maxRounds = options.maxRounds ?? 3;
  const maxOutageWaitMs = options.maxOutageWaitMs ?? 60_000;
  const emit = (event: LlmEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // instrumentation must never break a call
    }
  };
  const several = endpoints.length > 1;

  const inFlight = new Map<string, number>();
  const pooled: PooledEndpoint[] = endpoints.map((e) => {
    const limiter = createLlmRateLimiter({
      requestsPerMinute: e.rpm,
      tokensPerMinute: e.tpm,
      // One second of requests at once by default: a provider's limit is usually enforced over short windows too.
      burstRequests: e.burstRequests ?? Math.max(1, Math.ceil(e.rpm / 60)),
    });
    const concurrency = createAimdConcurrency({ maxLimit: e.maxConcurrency });
    const gate = createLlmCallGate({ rateLimiter: limiter, concurrency, onEvent: (g) => options.onGateEvent?.(e.name, g) });
    const health = createEndpointHealth(options.health);
    const clients = new Map<LlmRole, LlmClient>();
    const modelFor = (role: LlmRole): string => (role === 'generator' ? (e.model ?? options.defaults.model) : (e.judgeModel ?? e.model ?? options.defaults.judgeModel));
    return {
      endpoint: e,
      limiter,
      concurrency,
      gate,
      health,
      client(role) {
        let client = clients.get(role);
        if (!client) {
          const maxTokens = options.defaults.maxTokens ?? 2048;
          const raw = createLlmClient(
            {
              baseUrl: e.baseUrl,
              apiKey: e.apiKey,
              model: modelFor(role),
              timeoutMs: e.timeoutMs ?? options.defaults.timeoutMs,
              // With several endpoints the next endpoint is the retry; alone, the endpoint retries itself.
              maxRetries: e.maxRetries ?? (several ? 0 : options.defaults.maxRetries),
              maxTokens,
              ...options.clientOverrides,
            },
            { endpoint: e.name, prices: pricesOf(e).online, ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.random ? { random: options.random } : {}) },
          );
          // A call that waited in this endpoint's queue while the endpoint was taken out is not sent:
          // it fails over at once instead of meeting the same failure (or a whole timeout).
          const guarded: LlmClient = {
            ...raw,
            chatJson: (messages, schema, callOptions) =>
              health.up || health.probing
                ? raw.chatJson(messages, schema, callOptions)
                : Promise.reject(new EndpointOutError(`LLM endpoint ${e.name} was taken out while the call waited`)),
          };
          client = gateLlmClient(guarded, gate, maxTokens);
          clients.set(role, client);
        }
        return client;
      },
      get inFlight() {
        return inFlight.get(e.name) ?? 0;
      },
    };
  });

  let turn = 0;
  /** The endpoint that is up, not yet tried, with the least pending work per unit of weight. */
  function pick(tried: ReadonlySet<PooledEndpoint>): PooledEndpoint | undefined {
    let best: PooledEndpoint | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    turn = (turn + 1) % pooled.length;
    for (let i = 0; i < pooled.length; i++) {
      // Start at a rotating position so that ties take turns.
      const p = pooled[(turn + i) % pooled.length] as PooledEndpoint;
      if (tried.has(p) || !p.health.available()) continue;
      // Counted by the router itself: the gate's own queues fill only after an await, too late for a burst of calls.
      const score = (p.inFlight + 1) / p.endpoint.weight;
      if (score < bestScore) {
        best = p;
        bestScore = score;
      }
    }
    return best;
  }

  function routedClient(role: LlmRole): LlmClient {
    const model = role === 'generator' ? options.defaults.model : options.defaults.judgeModel;
    const names = pooled.map((p) => p.endpoint.name).join(', ');
    return {
      model,
      baseUrl: `endpoints: ${names}`,
      describe: () => `endpoints: ${pooled.map((p) => describeEndpoint(p.endpoint)).join('; ')}`,
      async chatJson<T>(...args: Parameters<LlmClient['chatJson']>): Promise<ChatJsonResult<T>> {
        const [messages, schema, callOptions] = args;
        const signal = requestSignal(callOptions?.signal);
        const own: Parameters<LlmClient['chatJson']> = [messages, schema, signal === undefined ? callOptions : { ...callOptions, signal }];
        const purpose = callOptions?.purpose ?? 'chat';
        let lastError: unknown;
        let attempts = 0;
        for (let round = 0; round < maxRounds; round++) {
          const tried = new Set<PooledEndpoint>();
          for (;;) {
            if (signal?.aborted) throw new LlmAbortedError();
            const target = pick(tried);
            if (!target) break;
            tried.add(target);
            target.health.begin();
            attempts += 1;
            const name = target.endpoint.name;
            inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
            try {
              const result = (await target.client(role).chatJson(...own)) as ChatJsonResult<T>;
              if (target.health.success()) emit({ type: 'llm.endpoint_state', endpoint: target.endpoint.name, up: true, reason: 'recovered' });
              return result;
            } catch (error) {
              const reason = failoverReason(error);
              if (reason === null) {
                // The endpoint answered; the request itself was at fault (bad output, 400...).
                if (!(error instanceof LlmAbortedError)) target.health.success();
                throw error;
              }
              lastError = error;
              if (target.health.failure()) emit({ type: 'llm.endpoint_state', endpoint: target.endpoint.name, up: false, reason });
              emit({ type: 'llm.failover', purpose, endpoint: target.endpoint.name, reason });
            } finally {
              inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
            }
          }
          if (round === maxRounds - 1) break;
          // Every endpoint failed or is out: wait for the first to come back, or back off a little.
          const outage = Math.min(...pooled.map((p) => (p.health.available() ? 0 : p.health.retryInMs)));
          const waitMs = Math.max(outage, 250 * 2 ** round);
          if (waitMs > maxOutageWaitMs) break;
          try {
            await sleep(waitMs, undefined, signal ? { signal } : undefined);
          } catch (error) {
            throw new LlmAbortedError(undefined, { cause: error });
          }
        }
        const status = lastError instanceof LlmUnavailableError ? lastError.lastStatus : lastError instanceof LlmRequestError ? lastError.status : null;
        const detail = lastError instanceof Error ? lastError.message : 'every endpoint is out';
        throw new LlmUnavailableError(`every LLM endpoint failed or is out (${names}) after ${attempts} attempts; last: ${detail}`, {
          attempts,
          lastStatus: status,
          cause: lastError,
        });
      },
    };
  }

  const routers = new Map<LlmRole, LlmClient>();
  return {
    endpoints: pooled,
    client(role) {
      let c = routers.get(role);
      if (!c) routers.set(role, (c = routedClient(role)));
      return c;
    },
    describe: () => pooled.map((p) => `endpoint ${describeEndpoint(p.endpoint)}`),
  };
}

/** A call reached an endpoint that had been taken out while the call waited in its queue; it was not sent. */
class EndpointOutError extends LlmUnavailableError {
  constructor(message: string) {
    super(message, { attempts: 0, lastStatus: null });
  }
}

/** Whether a failed call should move to another endpoint, and why; null when the request itself is at fault. */
export function failoverReason(error: unknown): FailoverReason | null {
  if (error instanceof EndpointOutError) return 'unavailable';
  if (error instanceof LlmUnavailableError) {
    const s = error.lastStatus;
    if (s === 429) return 'rate_limited';
    if (s !== null && s >= 500) return 'server_error';
    if (s === null && /within \d+ ms/.test(error.message)) return 'timeout';
    return 'unavailable';
  }
  if (error instanceof LlmRequestError && (error.status === 401 || error.status === 403)) return 'unauthorized';
  if (error instanceof LimitError) return 'queue_full';
  return null;
}
