/** A usage or input problem reported to the user as one line, with exit code 2. */
export class UsageError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
