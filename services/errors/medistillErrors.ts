/**
 * Every error medistill throws, in one hierarchy. A family base says what kind of failure it is, and
 * so what should happen to it; the leaves say where it came from and carry the details:
 *
 *   MedistillError
 *   ├─ UserInputError       a user can fix it (flags, missing input, settings): the CLI prints one line, exit 2
 *   │  └─ ConfigError       a setting is missing or invalid; raised at construction, before any work
 *   ├─ InvalidInputError    bad data in one message or file: dead-letter or count it, go on
 *   ├─ ContractError        bytes that do not decode, values that do not encode: dead-letter
 *   ├─ LlmError             the model server failed; `retriable` per cause
 *   ├─ EutilsError          NCBI E-utilities failed; `retriable` per cause
 *   ├─ InfrastructureError  the broker or the registry failed: retried within the outage budget, then crash and restart; the message is redelivered
 *   ├─ StorageError         a local file could not be read or written
 *   ├─ LimitError           a bounded queue or bucket refused a request
 *   ├─ ProgrammingError     a component was used against its contract: a bug, never retried
 *   └─ WaitAbortedError     the caller gave up waiting
 *
 * Decisions are taken by `instanceof` on the families, never on `name`: see
 * `runtime/failurePolicy.ts` (retry, dead-letter, crash) and `cli/reportFailure.ts` (exit codes).
 */
import type { SourcePosition } from '../model/pubmedRecord.ts';

/** Where a failure happened, when the thrower knows; every field is optional. */
export interface ErrorContext {
  stage?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  pmid?: string;
}

/** Options every medistill error accepts: whether retrying may help, what caused it, and where it happened. */
export interface MedistillErrorOptions extends ErrorContext {
  /** Whether trying the same work again later may succeed; defaults to the family's answer (mostly false). */
  retriable?: boolean;
  cause?: unknown;
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** Base of every medistill error: `name` is the class name, `retriable` defaults to false, `cause` and context are kept. */
export class MedistillError extends Error {
  override readonly name: string;
  readonly retriable: boolean;
  override readonly cause: unknown;
  readonly stage?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly pmid?: string;

  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    // Set here, not through Error's options: the class field above would reset it to undefined after super().
    this.cause = options.cause;
    if (options.stage !== undefined) this.stage = options.stage;
    if (options.topic !== undefined) this.topic = options.topic;
    if (options.partition !== undefined) this.partition = options.partition;
    if (options.offset !== undefined) this.offset = options.offset;
    if (options.pmid !== undefined) this.pmid = options.pmid;
  }
}

// ---------------------------------------------------------------------------------------------
// A user can fix it

/** A problem the user can fix (a flag, a missing file, a setting); the message is one line and says how. */
export class UserInputError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    // Retrying the same command with the same input fails the same way.
    super(message, { ...options, retriable: false });
  }
}

/** A usage or input problem on the command line, reported to the user as one line, with exit code 2. */
export class UsageError extends UserInputError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** An input path or glob pattern matched no file; raised before any record is read. */
export class InputNotFoundError extends UserInputError {
  readonly input: string;
  constructor(input: string, options: { detail?: string; cause?: unknown } = {}) {
    super(`input not found: ${input}${options.detail ? ` (${options.detail})` : ''}`, { cause: options.cause });
    this.input = input;
  }
}

/** Why a MeSH descriptor file could not be loaded. */
export type MeshLoadReason = 'not_found' | 'unreadable' | 'corrupt_gzip' | 'not_mesh' | 'empty' | 'malformed';

/** A descriptor file that cannot be turned into a vocabulary; the message is one line and names the file. */
export class MeshLoadError extends UserInputError {
  readonly reason: MeshLoadReason;
  readonly path: string;
  constructor(reason: MeshLoadReason, path: string, message: string, cause?: unknown) {
    super(message, { cause });
    this.reason = reason;
    this.path = path;
  }
}

/** A setting is missing or invalid; the message names it and says how to fix it. */
export class ConfigError extends UserInputError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, options);
  }
}

/** Invalid settings for a runtime component; the message names the setting and how to fix it. */
export class RuntimeConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** Invalid LLM client, generator or judge settings; the message names the setting and how to fix it. */
export class LlmConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** Descriptors that contradict each other (duplicate UI or tree number) or a bad option. */
export class MeshConfigError extends ConfigError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Bad annotate options; raised when the context is built, never per record. */
export class AnnotateConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** A bad dataset writer setting, raised at construction. */
export class ExportConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** Invalid E-utilities client or source settings; the message names the setting and how to fix it. */
export class EutilsConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** Invalid ingest source settings; the message names the setting and how to fix it. */
export class SourceConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** Bad codec settings or use (an unregistered topic); the message says how to fix it. */
export class ContractConfigError extends ConfigError {
  constructor(message: string) {
    super(message);
  }
}

/** A bad setting of the rule-based generator, raised at construction. */
export class RuleBasedGeneratorConfigError extends ConfigError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** A bad generator configuration (`--generators`, MEDISTILL_GENERATORS), raised at construction. */
export class GeneratorConfigError extends ConfigError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** A bad setting of the preference pairs (a margin outside 0..1), raised at construction. */
export class PreferenceConfigError extends ConfigError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** A bad setting of the rule-based judge, raised at construction. */
export class RuleBasedJudgeConfigError extends ConfigError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Bad data in one message or file

/** Data in one message or file that cannot be used; that item is dead-lettered or counted and the rest go on. */
export class InvalidInputError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, options);
  }
}

/** A judgement that cannot be turned into preference pairs (items of another paper, scores that are not numbers in 0..1). */
export class PreferenceInputError extends InvalidInputError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, options);
  }
}

/** Malformed XML inside one record; line and column (1-based) are counted from the origin given to the parser, index from the record text. */
export class XmlSyntaxError extends InvalidInputError {
  /** Offset in characters from the start of the parsed text. */
  readonly index: number;
  readonly line: number;
  readonly column: number;
  /** The problem alone, without the position prefix. */
  readonly detail: string;
  constructor(detail: string, options: { index: number; line: number; column: number }) {
    super(`${detail} (line ${options.line}, column ${options.column})`);
    this.detail = detail;
    this.index = options.index;
    this.line = options.line;
    this.column = options.column;
  }
}

/**
 * A record past one of the parser's explicit bounds (nesting depth, element count, attributes per element):
 * not malformed, but refused so that no input shape can exhaust the stack, memory or time. Positioned like
 * XmlSyntaxError; `limit` names the bound, fit for a reason label.
 */
export class XmlLimitError extends InvalidInputError {
  readonly limit: 'depth' | 'elements' | 'attributes';
  readonly index: number;
  readonly line: number;
  readonly column: number;
  /** The problem alone, without the position prefix. */
  readonly detail: string;
  constructor(limit: XmlLimitError['limit'], detail: string, options: { index: number; line: number; column: number }) {
    super(`${detail} (line ${options.line}, column ${options.column})`);
    this.limit = limit;
    this.detail = detail;
    this.index = options.index;
    this.line = options.line;
    this.column = options.column;
  }
}

/** Well-formed XML that is not a usable PubMed record (no PMID, unexpected element...). */
export class RecordContentError extends InvalidInputError {
  constructor(message: string) {
    super(message);
  }
}

/** Reading or decompressing an input failed part-way (corrupt gzip, I/O error); `position` is where decoding stopped. */
export class InputReadError extends InvalidInputError {
  readonly source: string;
  readonly position: SourcePosition;
  constructor(source: string, position: SourcePosition, options: { cause: unknown; retriable?: boolean }) {
    super(`cannot read ${source}: ${messageOf(options.cause)}`, { retriable: options.retriable ?? false, cause: options.cause });
    this.source = source;
    this.position = position;
  }
}

// ---------------------------------------------------------------------------------------------
// Broken contracts

/** Why a message broke its contract: a small fixed set, fit for a metric label or a dead-letter reason. */
export type ContractViolation = 'not_a_buffer' | 'too_short' | 'bad_magic_byte' | 'unknown_schema_id' | 'bad_body' | 'invalid_value';

/**
 * A message that does not meet its contract: it cannot be decoded (bad magic byte, unknown schema id,
 * truncated body) or a value cannot be encoded or mapped. Retrying never helps; dead-letter it.
 */
export class ContractError extends MedistillError {
  readonly violation: ContractViolation;
  constructor(violation: ContractViolation, message: string, options: MedistillErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.violation = violation;
  }
}

// ---------------------------------------------------------------------------------------------
// The model server

/** Base of every error the LLM client throws; `retriable` says whether trying again later may help. */
export class LlmError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions & { retriable: boolean }) {
    super(message, options);
  }
}

/** The server could not be reached or kept failing (429, 5xx, timeouts, broken connections) until retries ran out. */
export class LlmUnavailableError extends LlmError {
  readonly attempts: number;
  /** HTTP status of the last failed attempt, null when no response arrived. */
  readonly lastStatus: number | null;
  constructor(message: string, options: { attempts: number; lastStatus: number | null; cause?: unknown }) {
    // Retriable at the stage level: the server may come back, so the record should be retried later, not dead-lettered.
    super(message, { retriable: true, cause: options.cause });
    this.attempts = options.attempts;
    this.lastStatus = options.lastStatus;
  }
}

/** The server refused the request itself (400, 401, 403, 404, 422...): sending it again cannot help. */
export class LlmRequestError extends LlmError {
  readonly status: number;
  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(message, { retriable: false, cause: options.cause });
    this.status = options.status;
  }
}

/** The answer was not valid JSON for the expected schema, even after one repair attempt. */
export class LlmBadOutputError extends LlmError {
  /** The start of the last bad answer, for logs and dead-letter reasons. */
  readonly excerpt: string;
  readonly attempts: number;
  constructor(message: string, options: { excerpt: string; attempts: number; cause?: unknown }) {
    super(message, { retriable: false, cause: options.cause });
    this.excerpt = options.excerpt;
    this.attempts = options.attempts;
  }
}

/** The caller's AbortSignal fired; no further attempt is made. */
export class LlmAbortedError extends LlmError {
  constructor(message = 'LLM request aborted by the caller', options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** `--cache-only` (or MEDISTILL_LLM_CACHE_MODE=only) and the response cache holds no usable answer: no request is sent. */
export class LlmCacheMissError extends LlmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** A 2xx response whose body broke off or is not a chat completion; retried like a connection error. */
export class LlmProtocolError extends LlmError {
  readonly status: number;
  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(message, { retriable: true, cause: options.cause });
    this.status = options.status;
  }
}

/** Why a request sent through the Batch API came back without a usable result. */
export type LlmBatchFailure = 'failed' | 'expired' | 'cancelled' | 'missing' | 'line_error';

/**
 * A request sent through the Batch API got no result: its batch failed validation, expired or was
 * cancelled before it ran, or its line came back as an error, after the allowed resubmissions.
 * Retriable except when the batch was cancelled: someone chose to stop paying for it.
 */
export class LlmBatchError extends LlmError {
  readonly kind: LlmBatchFailure;
  /** HTTP status of the line's response, when it had one. */
  readonly status: number | null;
  constructor(message: string, options: { kind: LlmBatchFailure; status?: number | null; cause?: unknown }) {
    const status = options.status ?? null;
    // A line refused with a 4xx other than 408/429 would be refused again; a cancelled batch was stopped on purpose.
    const refused = status !== null && status < 500 && status !== 408 && status !== 429;
    super(message, { retriable: options.kind !== 'cancelled' && !refused, cause: options.cause });
    this.kind = options.kind;
    this.status = options.status ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// NCBI E-utilities

/** The E-utilities endpoints the client calls. */
export type EutilsEndpoint = 'esearch' | 'efetch';

/** Base of every error the E-utilities client and source throw; `retriable` says whether trying again later may help. */
export class EutilsError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions & { retriable: boolean }) {
    super(message, options);
  }
}

/** NCBI could not be reached or kept failing (429, 5xx, timeouts, broken connections) until the retries ran out. */
export class EutilsUnavailableError extends EutilsError {
  readonly endpoint: EutilsEndpoint;
  readonly attempts: number;
  /** HTTP status of the last failed attempt, null when no response arrived. */
  readonly lastStatus: number | null;
  constructor(message: string, options: { endpoint: EutilsEndpoint; attempts: number; lastStatus: number | null; cause?: unknown }) {
    // NCBI outages pass: the service may be restarted later from its checkpoint.
    super(message, { retriable: true, cause: options.cause });
    this.endpoint = options.endpoint;
    this.attempts = options.attempts;
    this.lastStatus = options.lastStatus;
  }
}

/** NCBI refused the request itself (400, 403, 404, 414...): sending it again cannot help. */
export class EutilsRequestError extends EutilsError {
  readonly endpoint: EutilsEndpoint;
  readonly status: number;
  constructor(message: string, options: { endpoint: EutilsEndpoint; status: number; cause?: unknown }) {
    super(message, { retriable: false, cause: options.cause });
    this.endpoint = options.endpoint;
    this.status = options.status;
  }
}

/**
 * An HTTP 200 answer that carries an NCBI error instead of data: an ERROR element (backend failure, expired
 * WebEnv), or an ErrorList saying part of the query was not understood. `retriable` is true for a single
 * answer that another try may fix, false once the retries ran out or when the query itself is at fault.
 */
export class EutilsAnswerError extends EutilsError {
  readonly endpoint: EutilsEndpoint;
  /** NCBI's own words, e.g. "Search Backend failed: ..." or "PhraseNotFound: foo". */
  readonly ncbiMessage: string;
  readonly attempts: number;
  constructor(message: string, options: { endpoint: EutilsEndpoint; ncbiMessage: string; attempts: number; retriable: boolean; cause?: unknown }) {
    super(message, { retriable: options.retriable, cause: options.cause });
    this.endpoint = options.endpoint;
    this.ncbiMessage = options.ncbiMessage;
    this.attempts = options.attempts;
  }
}

/** A 2xx answer that is not what the endpoint should send (not an eSearchResult, too large, cut short). */
export class EutilsProtocolError extends EutilsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
  }
}

/** The caller's AbortSignal fired while a request was waiting or running. */
export class EutilsAbortedError extends EutilsError {
  constructor(message = 'E-utilities request aborted by the caller', options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

// ---------------------------------------------------------------------------------------------
// The broker and the registry

/**
 * The broker or the schema registry failed (output refused, registry unreachable): the service crashes
 * and restarts, and the message is redelivered rather than dead-lettered. Retriable unless it says otherwise.
 */
export class InfrastructureError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, { ...options, retriable: options.retriable ?? true });
  }
}

/**
 * A service could not reach what it needs at start-up (Kafka, the registry); shown as one line, no stack.
 * Retriable, since what was unreachable may come up, unless the cause itself says retrying cannot help.
 */
export class ServiceStartError extends InfrastructureError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    const retriable = options.retriable ?? (options.cause instanceof MedistillError ? options.cause.retriable : true);
    super(message, { retriable, cause: options.cause });
  }
}

/** The schema registry did not answer in time, could not be reached, or failed (5xx); trying later may help. */
export class RegistryUnavailableError extends InfrastructureError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
  }
}

/**
 * Kafka or the schema registry stayed unreachable past the service's outage budget
 * (MEDISTILL_OUTAGE_BUDGET_MS): the service exits non-zero so that its orchestrator restarts it.
 */
export class OutageBudgetExceededError extends InfrastructureError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/** The registry refused a schema (incompatible with the latest version, invalid, or not allowed). */
export class SchemaRegistrationError extends InfrastructureError {
  readonly subject: string;
  /** HTTP status of the refusal (409 for an incompatible schema), when there was one. */
  readonly status: number | undefined;
  constructor(subject: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    // A restart registers the same schema and is refused again.
    super(message, { retriable: false, cause: options.cause });
    this.subject = subject;
    this.status = options.status;
  }
}

// ---------------------------------------------------------------------------------------------
// Local files

/** A local file (export, checkpoint) could not be read or written; `retriable` says whether the disk may recover. */
export class StorageError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, options);
  }
}

/** The LLM response cache (LevelDB folder or Redis server) could not be opened, read or written. */
export class LlmCacheStoreError extends StorageError {
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options);
  }
}

/** Writing, renaming or re-reading an export file failed (disk full, permissions, ...). */
export class ExportIoError extends StorageError {
  readonly path: string;
  constructor(path: string, options: { cause: unknown }) {
    super(`cannot write ${path}: ${messageOf(options.cause)}`, { retriable: true, cause: options.cause });
    this.path = path;
  }
}

/** A checkpoint could not be read or written; a source stops rather than repeat or skip work. */
export class CheckpointError extends StorageError {
  readonly path: string | null;
  constructor(message: string, options: { path?: string; retriable: boolean; cause?: unknown }) {
    super(message, { retriable: options.retriable, cause: options.cause });
    this.path = options.path ?? null;
  }
}

/** The literature index could not be opened, read or written (corrupt file, disk full, another schema). */
export class IndexStorageError extends StorageError {
  readonly path: string;
  constructor(path: string, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(`literature index ${path}: ${message}`, { retriable: options.retriable, cause: options.cause });
    this.path = path;
  }
}

/** The embeddings endpoint failed or answered something that is not one vector per input. */
export class EmbeddingsError extends LlmError {
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Bounded queues and buckets

/** A bounded queue or token bucket refused a request; `retriable` says whether waiting may help. */
export class LimitError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, options);
  }
}

/** A bounded waiting queue was full; the caller should back off and try again later. */
export class QueueFullError extends LimitError {
  /** Which queue refused the request ("rate limiter", "concurrency"). */
  readonly queue: string;
  readonly maxQueue: number;
  constructor(queue: string, maxQueue: number) {
    super(`${queue} queue is full (${maxQueue} waiting); retry later`, { retriable: true });
    this.queue = queue;
    this.maxQueue = maxQueue;
  }
}

/** A request asked for more tokens than a bucket can ever hold, so it could never be granted. */
export class RequestTooLargeError extends LimitError {
  readonly requested: number;
  readonly capacity: number;
  constructor(what: string, requested: number, capacity: number) {
    super(
      `${what}: a request for ${requested} tokens can never be granted, the bucket holds at most ${capacity}; ` +
        'split the request or raise the limit',
      { retriable: false },
    );
    this.requested = requested;
    this.capacity = capacity;
  }
}

// ---------------------------------------------------------------------------------------------
// Programming errors and aborts

/** A component was used in a way its contract forbids: a bug in the caller, never retried. */
export class ProgrammingError extends MedistillError {
  constructor(message: string, options: MedistillErrorOptions = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** A runtime component (tracker, gate, limiter) was used against its contract. */
export class RuntimeUsageError extends ProgrammingError {
  constructor(message: string) {
    super(message);
  }
}

/** The consumer used a source wrongly (iterated it twice, acknowledged an unknown unit...). */
export class SourceUsageError extends ProgrammingError {
  constructor(message: string) {
    super(message);
  }
}

/** The writer was used after `close()`. */
export class WriterClosedError extends ProgrammingError {
  constructor() {
    super('dataset writer is closed; create a new writer to write more items');
  }
}

/** The caller's AbortSignal fired while the request was waiting; `cause` is the signal's reason. */
export class WaitAbortedError extends MedistillError {
  constructor(what: string, options: { cause?: unknown } = {}) {
    super(`${what}: wait aborted by the caller`, { retriable: false, cause: options.cause });
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** An evaluation input that cannot be used as a whole (not JSON, not PubMedQA's layout): one line to the user, exit 2. */
export class EvalInputError extends UserInputError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}

/** One evaluation item with missing or malformed fields: counted as a failure, the others are scored. */
export class EvalItemError extends InvalidInputError {
  readonly itemId: string;
  constructor(itemId: string, message: string) {
    super(`item ${itemId}: ${message}`);
    this.itemId = itemId;
  }
}
