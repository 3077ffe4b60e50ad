/** Base class of every error the service runtime throws; `retriable` says whether trying again later may help. */
export class RuntimeError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'RuntimeError';
    this.retriable = options.retriable;
  }
}

/** Invalid settings for a runtime component; the message names the setting and how to fix it. */
export class RuntimeConfigError extends RuntimeError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'RuntimeConfigError';
  }
}

/** A bounded waiting queue was full; the caller should back off and try again later. */
export class QueueFullError extends RuntimeError {
  /** Which queue refused the request ("rate limiter", "concurrency"). */
  readonly queue: string;
  readonly maxQueue: number;
  constructor(queue: string, maxQueue: number) {
    super(`${queue} queue is full (${maxQueue} waiting); retry later`, { retriable: true });
    this.name = 'QueueFullError';
    this.queue = queue;
    this.maxQueue = maxQueue;
  }
}

/** A request asked for more tokens than a bucket can ever hold, so it could never be granted. */
export class RequestTooLargeError extends RuntimeError {
  readonly requested: number;
  readonly capacity: number;
  constructor(what: string, requested: number, capacity: number) {
    super(
      `${what}: a request for ${requested} tokens can never be granted, the bucket holds at most ${capacity}; ` +
        'split the request or raise the limit',
      { retriable: false },
    );
    this.name = 'RequestTooLargeError';
    this.requested = requested;
    this.capacity = capacity;
  }
}

/** The caller's AbortSignal fired while the request was waiting; `cause` is the signal's reason. */
export class WaitAbortedError extends RuntimeError {
  constructor(what: string, options: { cause?: unknown } = {}) {
    super(`${what}: wait aborted by the caller`, { retriable: false, cause: options.cause });
    this.name = 'WaitAbortedError';
  }
}

/** A runtime component was used in a way its contract forbids (a programming error, never retried). */
export class RuntimeUsageError extends RuntimeError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'RuntimeUsageError';
  }
}
