/** Why a MeSH descriptor file could not be loaded. */
export type MeshLoadReason = 'not_found' | 'unreadable' | 'corrupt_gzip' | 'not_mesh' | 'empty' | 'malformed';

/** Base class of every error raised by the mesh module. */
export class MeshError extends Error {
  readonly retriable: boolean;
  override readonly cause: unknown;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = 'MeshError';
    this.retriable = options.retriable ?? false;
    this.cause = options.cause;
  }
}

/** A descriptor file that cannot be turned into a vocabulary; the message is one line and names the file. */
export class MeshLoadError extends MeshError {
  readonly reason: MeshLoadReason;
  readonly path: string;

  constructor(reason: MeshLoadReason, path: string, message: string, cause?: unknown) {
    // A broken or missing vocabulary file does not fix itself, so retrying is pointless.
    super(message, { retriable: false, cause });
    this.name = 'MeshLoadError';
    this.reason = reason;
    this.path = path;
  }
}

/** Descriptors that contradict each other (duplicate UI or tree number) or a bad option. */
export class MeshConfigError extends MeshError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
    this.name = 'MeshConfigError';
  }
}
