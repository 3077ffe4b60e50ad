import { runCommand, RUN_USAGE } from './runCommand.ts';
import { annotateCommand, ANNOTATE_USAGE } from './annotateCommand.ts';
import { UsageError } from './cliErrors.ts';

const USAGE = `medistill: distil MeSH-guided, judged biomedical question-answer datasets from PubMed

commands:
  run        the whole chain in one process (ingest, annotate, generate, judge, export)
  annotate   ingest and MeSH-annotate only, to JSONL
  help       this text; "medistill help <command>" for a command's flags

${RUN_USAGE}

${ANNOTATE_USAGE}`;

/** Errors a user can fix get one line and exit code 2; anything else is a bug and shows its stack. */
function isUserError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err instanceof UsageError) return true;
  return ['InputNotFoundError', 'MeshLoadError', 'LlmConfigError', 'ConfigError'].includes(err.name) || (err as { retriable?: unknown }).retriable === false;
}

/** Entry point of the `medistill` command. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  try {
    switch (command) {
      case 'run':
        await runCommand(rest, io);
        return 0;
      case 'annotate':
        await annotateCommand(rest, io);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${rest[0] === 'run' ? RUN_USAGE : rest[0] === 'annotate' ? ANNOTATE_USAGE : USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; try "medistill help"`);
    }
  } catch (err) {
    if (isUserError(err)) {
      io.stderr.write(`medistill: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`medistill: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
