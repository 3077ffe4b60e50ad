import { rm } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchStackArtifacts } from './fetchArtifacts.ts';
import { DEFAULT_STACK_DIR, startLocalStack } from './localStack.ts';
import { KAFKA_MAIN_CLASS } from './startKafka.ts';
import { REGISTRY_JAR } from './startRegistry.ts';
import { StackUsageError } from './stackErrors.ts';
import { readStackState, removeStackState, writeStackState, type StackState } from './stackState.ts';
import { isRunning, stopPid } from './stopPid.ts';

const USAGE = `usage: stackCli.ts <fetch|up|down> [--dir <folder>] [--artifacts <folder>] [--kafka-port <n>] [--registry-port <n>]
  fetch  resolve Kafka and the schema registry with Maven (cached under <folder>/artifacts)
  up     start both, detached; write <folder>/state.json; print their addresses
  down   stop what <folder>/state.json lists
  --dir defaults to .stack/ at the repository root, --artifacts to <dir>/artifacts`;

function parsePort(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StackUsageError(`--${name} must be a port number (1-65535), got '${value}'\n${USAGE}`);
  }
  return port;
}

function describe(state: StackState): string[] {
  return [
    `kafka     ${state.brokers.join(',')}  (pid ${state.kafka.pid}, log ${state.kafka.logFile})`,
    `registry  ${state.registryUrl}  (pid ${state.registry.pid}, log ${state.registry.logFile})`,
  ];
}

async function stopDetached(dir: string, state: StackState): Promise<void> {
  await Promise.all([stopPid(state.kafka.pid, KAFKA_MAIN_CLASS), stopPid(state.registry.pid, REGISTRY_JAR)]);
  await rm(join(state.runDir, 'kafka', 'data'), { recursive: true, force: true });
  await removeStackState(dir);
}

interface UpOptions {
  dir: string;
  artifactsDir: string | undefined;
  kafkaPort: number | undefined;
  registryPort: number | undefined;
}

async function up(options: UpOptions, print: (line: string) => void): Promise<void> {
  const { dir } = options;
  const previous = await readStackState(dir);
  if (previous) {
    const [kafkaUp, registryUp] = await Promise.all([
      isRunning(previous.kafka.pid, KAFKA_MAIN_CLASS),
      isRunning(previous.registry.pid, REGISTRY_JAR),
    ]);
    if (kafkaUp && registryUp) {
      print('already running:');
      describe(previous).forEach((line) => print(line));
      return;
    }
    // Half a stack is no use: stop what is left and start afresh.
    await stopDetached(dir, previous);
  }
  const started = Date.now();
  const stack = await startLocalStack({ ...options, detached: true });
  const state: StackState = {
    runDir: stack.runDir,
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    startedAt: new Date().toISOString(),
    kafka: stack.kafka,
    registry: stack.registry,
  };
  await writeStackState(dir, state);
  print(`started in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  describe(state).forEach((line) => print(line));
}

/** Runs the stack tool with the given arguments (without node and script); resolves with the exit code. */
export async function runStackCli(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      artifacts: { type: 'string' },
      'kafka-port': { type: 'string' },
      'registry-port': { type: 'string' },
    },
  });
  const dir = resolve(values.dir ?? DEFAULT_STACK_DIR);
  const artifactsDir = values.artifacts === undefined ? undefined : resolve(values.artifacts);
  const command = positionals[0];
  switch (command) {
    case 'fetch': {
      const started = Date.now();
      const artifacts = await fetchStackArtifacts(dir, { artifactsDir });
      print(`fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      print(`kafka classpath: ${artifacts.kafkaClasspath.split(delimiter).length} jars`);
      print(`registry: ${artifacts.registryHome}`);
      return 0;
    }
    case 'up':
      await up(
        { dir, artifactsDir, kafkaPort: parsePort('kafka-port', values['kafka-port']), registryPort: parsePort('registry-port', values['registry-port']) },
        print,
      );
      return 0;
    case 'down': {
      const state = await readStackState(dir);
      if (!state) {
        print(`no stack recorded in ${dir}`);
        return 0;
      }
      await stopDetached(dir, state);
      print(`stopped kafka (pid ${state.kafka.pid}) and registry (pid ${state.registry.pid})`);
      return 0;
    }
    default:
      throw new StackUsageError(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runStackCli(process.argv.slice(2), (line) => console.log(line)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
