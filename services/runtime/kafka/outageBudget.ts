import { InfrastructureError, OutageBudgetExceededError } from '../../errors/medistillErrors.ts';
import { sleep, type RuntimeClock } from './runtimeClock.ts';

/** What a service depends on that can go away for a while. */
export type Dependency = 'kafka' | 'registry';

/** Settings of an outage budget. */
export interface OutageBudgetOptions {
  /** Longest a dependency may stay unreachable before the service gives up (0: give up at the first failure). */
  budgetMs: number;
  clock: RuntimeClock;
  /** Names the service in its log lines. */
  name: string;
  log: (line: string) => void;
  /** First retry delay, doubled per attempt up to maxDelayMs. Default 250. */
  baseDelayMs?: number;
  /** Default 5000. */
  maxDelayMs?: number;
}

/**
 * How long Kafka or the registry has been unreachable, and whether the service should still wait.
 * An outage starts with the first failure reaching a dependency and ends with the first success;
 * past `budgetMs` the service exits (one line, non-zero) for its orchestrator to restart it.
 */
export interface OutageBudget {
  /**
   * Runs `attempt` until it succeeds. A retriable InfrastructureError is retried with exponential
   * backoff while the outage of `dependency` is within the budget; past it, OutageBudgetExceededError.
   * Other errors, and any error once `signal` aborted, are thrown as they are.
   */
  ride<T>(dependency: Dependency, what: string, attempt: () => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Something reached the dependency: an outage of it, if any, is over. */
  reached(dependency: Dependency): void;
  /** Something failed to reach the dependency: starts its outage if none is running. */
  failed(dependency: Dependency, what: string, err: unknown): void;
  /** The error that ends the service when an outage outlasted the budget; null otherwise. */
  exceeded(): OutageBudgetExceededError | null;
}

interface Outage {
  since: number;
  what: string;
  last: unknown;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The label of a dependency in log lines. */
const LABEL: Record<Dependency, string> = { kafka: 'Kafka', registry: 'the schema registry' };

/**
 * Creates an outage budget. Logs one line when an outage starts and one when it ends, never one per
 * retry, so a broker restart leaves two lines in each service's log.
 * @example const budget = createOutageBudget({ budgetMs: 120_000, clock: systemClock, name: 'judge', log });
 */
export function createOutageBudget(options: OutageBudgetOptions): OutageBudget {
  const { clock, log, name, budgetMs } = options;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const outages = new Map<Dependency, Outage>();

  const reached = (dependency: Dependency): void => {
    const outage = outages.get(dependency);
    if (!outage) return;
    outages.delete(dependency);
    log(`${name}: ${LABEL[dependency]} reachable again after ${((clock.now() - outage.since) / 1000).toFixed(1)} s`);
  };

  const failed = (dependency: Dependency, what: string, err: unknown): void => {
    const outage = outages.get(dependency);
    if (outage) {
      outage.last = err;
      outage.what = what;
      return;
    }
    outages.set(dependency, { since: clock.now(), what, last: err });
    log(`${name}: ${what} failed (${messageOf(err)}); retrying for up to ${Math.round(budgetMs / 1000)} s (MEDISTILL_OUTAGE_BUDGET_MS)`);
  };

  const exceeded = (): OutageBudgetExceededError | null => {
    for (const [dependency, outage] of outages) {
      const ms = clock.now() - outage.since;
      if (ms < budgetMs) continue;
      return new OutageBudgetExceededError(
        `${LABEL[dependency]} unreachable for ${(ms / 1000).toFixed(0)} s, past the outage budget (MEDISTILL_OUTAGE_BUDGET_MS=${budgetMs}); ` +
          `last failure: ${outage.what}: ${messageOf(outage.last)}; exiting for a restart`,
        { cause: outage.last },
      );
    }
    return null;
  };

  return {
    async ride(dependency, what, attempt, signal) {
      let delay = baseDelayMs;
      let failedBefore = false;
      while (true) {
        try {
          const result = await attempt();
          // A produce reaches the broker; a decode may be served from the codec's cache, so only
          // the success of a decode that failed before says the registry is back.
          if (dependency === 'kafka' || failedBefore) reached(dependency);
          return result;
        } catch (err) {
          if (!(err instanceof InfrastructureError) || !err.retriable || signal.aborted) throw err;
          failedBefore = true;
          failed(dependency, what, err);
          const over = exceeded();
          if (over) throw over;
          await sleep(clock, delay, signal);
          if (signal.aborted) throw err;
          delay = Math.min(maxDelayMs, delay * 2);
        }
      }
    },
    reached,
    failed,
    exceeded,
  };
}
