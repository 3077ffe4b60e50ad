import { ServiceStartError, UserInputError } from '../errors/medistillErrors.ts';
import { redactUrlCredentials } from '../config/urlCredentials.ts';

/** Exit code of a failure the user can fix (bad flags, missing input, bad settings, nothing to connect to). */
export const EXIT_USER_ERROR = 2;
/** Exit code of a bug: anything not known to be the user's to fix. */
export const EXIT_BUG = 1;

/**
 * Reports a failed command and gives its exit code. A user error, or a service that cannot reach
 * Kafka or the registry at start-up, is one line (`medistill: <message>`, exit 2): the stack would
 * only hide the message. Anything else is a bug and prints its stack (exit 1).
 * @example process.exitCode = reportFailure(err, process.stderr);
 */
export function reportFailure(err: unknown, stderr: { write(text: string): unknown }): number {
  if (err instanceof UserInputError || err instanceof ServiceStartError) {
    stderr.write(`medistill: ${redactUrlCredentials(err.message)}\n`);
    return EXIT_USER_ERROR;
  }
  stderr.write(`medistill: unexpected error: ${redactUrlCredentials(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return EXIT_BUG;
}
