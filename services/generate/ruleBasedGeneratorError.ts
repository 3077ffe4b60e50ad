/** A bad setting of the rule-based generator, raised at construction; never worth retrying. */
export class RuleBasedGeneratorConfigError extends Error {
  readonly retriable = false;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RuleBasedGeneratorConfigError';
  }
}
