/** A setting is missing or invalid; the message names it and says how to fix it. */
export class ConfigError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
