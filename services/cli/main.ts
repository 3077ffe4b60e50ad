import { runCommand, RUN_USAGE } from './runCommand.ts';
import { annotateCommand, ANNOTATE_USAGE } from './annotateCommand.ts';
import { indexCommand, INDEX_USAGE } from './indexCommand.ts';
import { UsageError } from '../errors/medistillErrors.ts';
import { reportFailure } from './reportFailure.ts';
import { processEnvironment } from '../config/serviceConfig.ts';
import { REPLAY_USAGE, replayCommand, stageServiceCommand } from './serviceCommands.ts';
import { runIngestService } from '../runtime/kafka/ingestService.ts';
import { snapshotCommand, SNAPSHOT_USAGE } from './snapshotCommand.ts';
import { consumeCommand, CONSUME_USAGE } from './consumeCommand.ts';
import { cacheCommand, CACHE_USAGE } from './cacheCommand.ts';
import { evalCommand, EVAL_USAGE } from './evalCommand.ts';

const USAGE = `medistill: distil MeSH-guided, judged biomedical question-answer datasets from PubMed

commands, in one process:
  run        the whole chain (ingest, annotate, generate, judge, preferences, export) on files
  annotate   with --input: ingest and MeSH-annotate only, to JSONL
  cache      stats or prune of the LLM response cache
  index      with --input: bulk-index PubMed files into the literature index (--index <dir>)
  eval       quality: PubMedQA accuracy of a labeller or judge model; judge validation on corrupted items
  help       this text; "medistill help <command>" for a command's flags

commands that run one stage as a Kafka service (settings from MEDISTILL_* variables):
  ingest     PubMed records from files, a watched folder or E-utilities → pubmed.records.v1
  annotate   pubmed.records.v1 → pubmed.annotated.v1 (without --input)
  index      pubmed.annotated.v1 → the literature index in MEDISTILL_INDEX_DIR (without --input)
  generate   pubmed.annotated.v1 → qa.candidates.v1
  judge      qa.candidates.v1 → qa.judged.v1
  preferences  qa.judged.v1 → qa.preferences.v1 (pairs of the two generators' candidates)
  export     qa.judged.v1 and qa.preferences.v1 → the dataset folder (MEDISTILL_EXPORT_DIR), snapshots on a schedule;
             with --snapshot: publish a snapshot of a dataset folder now
  replay     re-consume a topic under a new consumer group
  consume    print a topic's messages decoded, as JSON lines

${RUN_USAGE}

${ANNOTATE_USAGE}

${INDEX_USAGE}

${REPLAY_USAGE}

${SNAPSHOT_USAGE}

${CONSUME_USAGE}

${CACHE_USAGE}`;

const SHORT_USAGE = `usage: medistill <command> [flags]
commands: run, annotate, index, ingest, generate, judge, export, replay, consume, cache, help
"medistill help" lists them; "medistill help <command>" gives a command's flags`;

/** `medistill help <command>`: the flags of the commands that have their own. */
const COMMAND_USAGE: Record<string, string> = { run: RUN_USAGE, annotate: ANNOTATE_USAGE, index: INDEX_USAGE, replay: REPLAY_USAGE, export: SNAPSHOT_USAGE, consume: CONSUME_USAGE, eval: EVAL_USAGE };

/** Entry point of the `medistill` command. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, env: processEnvironment() };
  try {
    switch (command) {
      case 'run':
        await runCommand(rest, io);
        return 0;
      case 'annotate':
        if (!rest.includes('--input')) return await stageServiceCommand('annotate', io.env);
        await annotateCommand(rest, io);
        return 0;
      case 'export':
        if (rest.includes('--snapshot')) return await snapshotCommand(rest, io);
        return await stageServiceCommand(command, io.env);
      case 'index':
        if (!rest.includes('--input')) return await stageServiceCommand('index', io.env);
        await indexCommand(rest, io);
        return 0;
      case 'generate':
      case 'judge':
      case 'preferences':
        return await stageServiceCommand(command, io.env);
      case 'ingest':
        return await runIngestService(io.env);
      case 'eval':
        return await evalCommand(rest, io);
      case 'replay':
        return await replayCommand(rest, io.env);
      case 'consume':
        return await consumeCommand(rest, io);
      case 'cache':
        await cacheCommand(rest, io);
        return 0;
      case undefined:
        // No command is a mistake, not a request for help: a short usage on stderr, exit 2.
        io.stderr.write(`${SHORT_USAGE}\n`);
        return 2;
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(`${COMMAND_USAGE[rest[0] ?? ''] ?? USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; try "medistill help"`);
    }
  } catch (err) {
    return reportFailure(err, io.stderr);
  }
}
