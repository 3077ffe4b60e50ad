/** A bad setting of the rule-based judge, raised at construction; never worth retrying. */
export class RuleBasedJudgeConfigError extends Error {
  readonly retriable = false;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RuleBasedJudgeConfigError';
  }
}
