/** The deployment schemas could not be installed or are missing; `retriable` says whether trying again may help. */
export class DeploySchemaError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'DeploySchemaError';
    this.retriable = options.retriable;
  }
}
