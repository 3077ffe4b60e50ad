/** The E-utilities endpoints this client calls. */
export type EutilsEndpoint = 'esearch' | 'efetch';

/** Base class of every error the E-utilities client and source throw; `retriable` says whether trying again later may help. */
export class EutilsError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'EutilsError';
    this.retriable = options.retriable;
  }
}

/** Invalid client or source settings; the message names the setting and how to fix it. */
export class EutilsConfigError extends EutilsError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'EutilsConfigError';
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
    this.name = 'EutilsUnavailableError';
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
    this.name = 'EutilsRequestError';
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
    this.name = 'EutilsAnswerError';
    this.endpoint = options.endpoint;
    this.ncbiMessage = options.ncbiMessage;
    this.attempts = options.attempts;
  }
}

/** A 2xx answer that is not what the endpoint should send (not an eSearchResult, too large, cut short). */
export class EutilsProtocolError extends EutilsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: true, cause: options.cause });
    this.name = 'EutilsProtocolError';
  }
}

/** The caller's AbortSignal fired while a request was waiting or running. */
export class EutilsAbortedError extends EutilsError {
  constructor(message = 'E-utilities request aborted by the caller', options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
    this.name = 'EutilsAbortedError';
  }
}
