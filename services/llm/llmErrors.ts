/** Base class of every error the LLM client throws; `retriable` says whether trying again later may help. */
export class LlmError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'LlmError';
    this.retriable = options.retriable;
  }
}

/** Invalid client settings; the message names the setting and how to fix it. */
export class LlmConfigError extends LlmError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'LlmConfigError';
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
    this.name = 'LlmUnavailableError';
    this.attempts = options.attempts;
    this.lastStatus = options.lastStatus;
  }
}

/** The server refused the request itself (400, 401, 403, 404, 422...): sending it again cannot help. */
export class LlmRequestError extends LlmError {
  readonly status: number;
  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(message, { retriable: false, cause: options.cause });
    this.name = 'LlmRequestError';
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
    this.name = 'LlmBadOutputError';
    this.excerpt = options.excerpt;
    this.attempts = options.attempts;
  }
}

/** The caller's AbortSignal fired; no further attempt is made. */
export class LlmAbortedError extends LlmError {
  constructor(message = 'LLM request aborted by the caller', options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
    this.name = 'LlmAbortedError';
  }
}

/** A 2xx response whose body broke off or is not a chat completion; retried like a connection error. */
export class LlmProtocolError extends LlmError {
  readonly status: number;
  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(message, { retriable: true, cause: options.cause });
    this.name = 'LlmProtocolError';
    this.status = options.status;
  }
}
