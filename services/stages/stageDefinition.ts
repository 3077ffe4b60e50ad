import type { TopicContract } from '../contracts/topicContracts.ts';
import type { MedistillError } from '../errors/medistillErrors.ts';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';

/** One input of a stage: a key and a value (null for a tombstone: a deleted paper), and when it was produced. */
export interface StageInput<T> {
  readonly key: string;
  readonly value: T | null;
  /** When the input was produced upstream; a sink orders versions of the same key by it. */
  readonly producedAt: Date;
}

/** One output of a stage: a key and a value, null for a tombstone. */
export interface StageOutput<T> {
  readonly key: string;
  readonly value: T | null;
}

/** A problem with part of an input that did not stop the rest (an item that could not be generated). */
export interface StageProblem {
  /** Short machine-readable reason, e.g. "llm_bad_output". */
  reason: string;
  message: string;
}

/** What one input became. */
export interface StageResult<O, Outcome extends string> {
  outputs: StageOutput<O>[];
  /** The input's outcome, one of the stage's declared `outcomes`. */
  outcome: Outcome;
  problems: StageProblem[];
}

/** What a runtime gives a stage for one input. */
export interface StageCallContext {
  /** Aborted when the runtime stops; work cut short is redelivered, not failed. */
  signal: AbortSignal;
  /** The runtime's event bus: stages report what they produced (quality events) on it. */
  instrumentation: Instrumentation;
}

/**
 * A stage, defined once: everything it does to one input, which both runtimes (in-process and Kafka)
 * execute without adding rules of their own. Errors thrown by `process` are classified by the error
 * hierarchy (retry, dead-letter, crash); expected outcomes ("no abstract", "no candidates", a
 * tombstone) are results, not errors.
 */
export interface StageDefinition<I, O, Outcome extends string = string> {
  readonly name: string;
  readonly input: TopicContract<I>;
  /** Where outputs go; null for a sink, which keeps what it processed and makes it durable in `flush`. */
  readonly output: TopicContract<O> | null;
  /** Every outcome `process` can report (for accounting and metrics: a small fixed set). */
  readonly outcomes: readonly Outcome[];
  /**
   * Identity of an input for dropping redeliveries (e.g. "pmid@version@generator"): two inputs with
   * the same key give the same outputs. null: never dropped (tombstones).
   */
  dedupKey(input: StageInput<I>): string | null;
  process(input: StageInput<I>, context: StageCallContext): Promise<StageResult<O, Outcome>>;
  /**
   * The error classes `process` may throw for an input (the failure policy decides for each: retry,
   * dead-letter or crash); anything else it throws is a bug.
   */
  readonly errors: readonly ErrorClass[];
  /** The reason recorded when `process` throws for an input (e.g. "generate_error"). */
  readonly failureReason: string;
  /** Inputs in flight at once when the deployment sets no bound (stages that call an LLM keep fewer). */
  readonly defaultMaxInFlight?: number;
  /** Sinks: makes everything processed durable; runtimes call it before committing, and at the end. */
  flush?(): Promise<void>;
}

/** A class in the error hierarchy. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => MedistillError;

/** A stage of any types, as the runtimes hold them in a chain. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStageDefinition = StageDefinition<any, any, string>;

/** A result with outputs and no problems. */
export function stageResult<O, Outcome extends string>(outcome: Outcome, outputs: StageOutput<O>[] = [], problems: StageProblem[] = []): StageResult<O, Outcome> {
  return { outputs, outcome, problems };
}

/** A tombstone passed on: a deleted paper leaves every stage downstream. */
export function passTombstone<O>(key: string): StageResult<O, 'deleted'> {
  return { outputs: [{ key, value: null }], outcome: 'deleted', problems: [] };
}
