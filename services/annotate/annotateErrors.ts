/** Base class of every error raised by the annotate stage. */
export class AnnotateError extends Error {
  readonly retriable: boolean;
  override readonly cause: unknown;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = 'AnnotateError';
    this.retriable = options.retriable ?? false;
    this.cause = options.cause;
  }
}

/** Bad annotate options; raised when the context is built, never per record. */
export class AnnotateConfigError extends AnnotateError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'AnnotateConfigError';
  }
}
