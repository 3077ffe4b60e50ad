/** Base class of every error the export module throws; `retriable` says whether trying again later may help. */
export class ExportError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ExportError';
    this.retriable = options.retriable;
  }
}

/** A bad writer setting, raised at construction. */
export class ExportConfigError extends ExportError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'ExportConfigError';
  }
}

/** The writer was used after `close()`: a programming error in the caller. */
export class WriterClosedError extends ExportError {
  constructor() {
    super('dataset writer is closed; create a new writer to write more items', { retriable: false });
    this.name = 'WriterClosedError';
  }
}

/** Writing, renaming or re-reading an export file failed (disk full, permissions, ...). */
export class ExportIoError extends ExportError {
  readonly path: string;
  constructor(path: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot write ${path}: ${reason}`, { retriable: true, cause: options.cause });
    this.name = 'ExportIoError';
    this.path = path;
  }
}
