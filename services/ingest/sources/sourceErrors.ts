/** Base class of every error the ingest sources throw; `retriable` says whether trying again later may help. */
export class SourceError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'SourceError';
    this.retriable = options.retriable;
  }
}

/** Invalid source settings; the message names the setting and how to fix it. */
export class SourceConfigError extends SourceError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'SourceConfigError';
  }
}

/** A checkpoint could not be read or written; a source stops rather than repeat or skip work. */
export class CheckpointError extends SourceError {
  readonly path: string | null;
  constructor(message: string, options: { path?: string; retriable: boolean; cause?: unknown }) {
    super(message, { retriable: options.retriable, cause: options.cause });
    this.name = 'CheckpointError';
    this.path = options.path ?? null;
  }
}

/** The consumer used a source wrongly (iterated it twice, acknowledged an unknown unit...). */
export class SourceUsageError extends SourceError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'SourceUsageError';
  }
}
