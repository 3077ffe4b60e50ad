/** Why a message broke its contract: a small fixed set, fit for a metric label or a dead-letter reason. */
export type ContractViolation =
  | 'not_a_buffer'
  | 'too_short'
  | 'bad_magic_byte'
  | 'unknown_schema_id'
  | 'bad_body'
  | 'invalid_value';

/**
 * A message that does not meet its contract: it cannot be decoded (bad magic byte, unknown schema id,
 * truncated body) or a value cannot be encoded or mapped. Retrying never helps; dead-letter it.
 */
export class ContractError extends Error {
  readonly retriable = false;
  readonly violation: ContractViolation;

  constructor(violation: ContractViolation, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ContractError';
    this.violation = violation;
  }
}

/** The schema registry did not answer in time, could not be reached, or failed (5xx); trying later may help. */
export class RegistryUnavailableError extends Error {
  readonly retriable = true;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RegistryUnavailableError';
  }
}

/** The registry refused a schema (incompatible with the latest version, invalid, or not allowed). */
export class SchemaRegistrationError extends Error {
  readonly retriable = false;
  readonly subject: string;
  /** HTTP status of the refusal (409 for an incompatible schema), when there was one. */
  readonly status: number | undefined;

  constructor(subject: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SchemaRegistrationError';
    this.subject = subject;
    this.status = options.status;
  }
}

/** Bad codec settings or use (an unregistered topic); the message says how to fix it. */
export class ContractConfigError extends Error {
  readonly retriable = false;

  constructor(message: string) {
    super(message);
    this.name = 'ContractConfigError';
  }
}
