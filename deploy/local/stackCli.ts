import { rm, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchStackArtifacts } from './fetchArtifacts.ts';
import { DEFAULT_STACK_DIR, startLocalStack } from './localStack.ts';
import { KAFKA_MAIN_CLASS } from './startKafka.ts';
import { REGISTRY_JAR } from './startRegistry.ts';

/** How a stopped stack recognises Redis in the process table (it names itself redis-server host:port). */
const REDIS_MARKER = 'redis-server';
import { StackUsageError } from './stackErrors.ts';
import { readStackState, removeStackState, writeStackState, type StackState } from './stackState.ts';
import { isRunning, stopPid } from './stopPid.ts';
import { MEDISTILL_BIN, startPipeline, stopServices } from './startPipeline.ts';
import { localPrometheusConfig } from './localPrometheusConfig.ts';

const USAGE = `usage: stackCli.ts <fetch|up|down> [--dir <folder>] [--artifacts <folder>] [--kafka-port <n>] [--registry-port <n>] [--no-pipeline]
  fetch  resolve Kafka and the schema registry with Maven (cached under <folder>/artifacts)
  up     start both, detached, then the services annotate, index, generate, judge, export and ingest against
         them, ingest watching <folder>/inbox (seeded with the bundled sample at the first start);
         metrics on fixed ports (ingest 9464, annotate 9465, generate 9466, judge 9467, export 9468, index 9469, preferences 9470;
         --free-ports: any free ones) and <folder>/prometheus.yml to scrape them; the dataset appears
         in <folder>/export; write <folder>/state.json; print the addresses (--no-pipeline: broker
         and registry only)
  down   stop what <folder>/state.json lists: the services first, then the broker and the registry
  --dir defaults to .stack/ at the repository root, --artifacts to <dir>/artifacts
  MEDISTILL_LLM_* and MEDISTILL_JUDGE_MODEL pass through to the services (rule-based when unset)`;

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
    ...(state.redis ? [`redis     ${state.redisUrl}  (pid ${state.redis.pid}, log ${state.redis.logFile}; the LLM response cache)`] : []),
    ...(state.services ?? []).map((s) => `${s.name.padEnd(9)} http://127.0.0.1:${s.metricsPort}/metrics  (pid ${s.pid}, log ${s.logFile})`),
  ];
}

/** Stops the services first (they drain and commit while the broker is still there), then the servers. */
async function stopDetached(dir: string, state: StackState): Promise<void> {
  try {
    await stopServices(state.services ?? []);
  } finally {
    await Promise.all([
      stopPid(state.kafka.pid, KAFKA_MAIN_CLASS),
      stopPid(state.registry.pid, REGISTRY_JAR),
      ...(state.redis ? [stopPid(state.redis.pid, REDIS_MARKER)] : []),
    ]);
  }
  await rm(join(state.runDir, 'kafka', 'data'), { recursive: true, force: true });
  await removeStackState(dir);
}

interface UpOptions {
  dir: string;
  artifactsDir: string | undefined;
  kafkaPort: number | undefined;
  registryPort: number | undefined;
  pipeline: boolean;
  /** Free metrics ports instead of the fixed ones (tests). */
  freePorts: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

async function servicesRunning(state: StackState, pipeline: boolean): Promise<boolean> {
  const services = state.services ?? [];
  if (pipeline && services.length === 0) return false;
  return (await Promise.all(services.map((s) => isRunning(s.pid, MEDISTILL_BIN)))).every(Boolean);
}

async function up(options: UpOptions, print: (line: string) => void): Promise<void> {
  const { dir } = options;
  const previous = await readStackState(dir);
  let state: StackState | undefined;
  if (previous) {
    const [kafkaUp, registryUp, redisUp, servicesUp] = await Promise.all([
      isRunning(previous.kafka.pid, KAFKA_MAIN_CLASS),
      isRunning(previous.registry.pid, REGISTRY_JAR),
      previous.redis ? isRunning(previous.redis.pid, REDIS_MARKER) : Promise.resolve(false),
      servicesRunning(previous, options.pipeline),
    ]);
    // A state from before the cache had no Redis: start a whole new stack, which brings one.
    const serversUp = kafkaUp && registryUp && redisUp;
    if (serversUp && servicesUp) {
      print('already running:');
      describe(previous).forEach((line) => print(line));
      return;
    }
    if (serversUp) {
      // The broker and its topics are fine: restart only the services on them.
      await stopServices(previous.services ?? []);
      state = { ...previous, services: [] };
      await writeStackState(dir, state);
    } else {
      // Half a stack is no use: stop what is left and start afresh.
      await stopDetached(dir, previous);
    }
  }
  const started = Date.now();
  if (!state) {
    const stack = await startLocalStack({ ...options, detached: true });
    state = {
      runDir: stack.runDir,
      brokers: stack.brokers,
      registryUrl: stack.registryUrl,
      startedAt: new Date().toISOString(),
      kafka: stack.kafka,
      registry: stack.registry,
      redisUrl: stack.redisUrl,
      redis: stack.redis,
    };
    await writeStackState(dir, state);
    print(`broker and registry started in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
    describe(state).forEach((line) => print(line));
  }
  if (!options.pipeline) return;
  const current: StackState = { ...state, services: [] };
  try {
    const pipeline = await startPipeline({
      stackDir: dir,
      runDir: current.runDir,
      brokers: current.brokers,
      registryUrl: current.registryUrl,
      ...(current.redisUrl ? { cacheUrl: current.redisUrl } : {}),
      callerEnv: options.env,
      ports: options.freePorts ? 'free' : 'fixed',
      // Recorded at spawn, so that `down` finds a service even if this command dies before it is ready.
      onSpawn: async (service) => {
        current.services = [...(current.services ?? []), service];
        await writeStackState(dir, current);
      },
      print,
    });
    print(`pipeline up in ${((Date.now() - started) / 1000).toFixed(1)} s; the dataset appears in ${pipeline.datasetFile} as the export catches up`);
    print(`metrics: ${pipeline.services.map((s) => `http://127.0.0.1:${s.metricsPort}/metrics`).join(' ')}`);
    const prometheusFile = join(dir, 'prometheus.yml');
    const alerts = fileURLToPath(new URL('../prometheus/alerts.yml', import.meta.url));
    await writeFile(prometheusFile, localPrometheusConfig(Object.fromEntries(pipeline.services.map((s) => [s.name, s.metricsPort])), alerts));
    print(`prometheus: --config.file=${prometheusFile} scrapes every service (with fixed ports the same as deploy/prometheus/prometheus-local.yml)`);
    print(`stop everything with: npm run stack:down${dir === resolve(DEFAULT_STACK_DIR) ? '' : ` -- --dir ${dir}`}`);
  } catch (err) {
    // Up either works or leaves nothing running; the logs stay in the run folder.
    await stopDetached(dir, current).catch(() => undefined);
    throw err;
  }
}

/**
 * Runs the stack tool with the given arguments (without node and script); resolves with the exit
 * code. `env` is the caller's environment: PATH, HOME and the LLM settings pass to the services.
 */
export async function runStackCli(
  argv: readonly string[],
  print: (line: string) => void,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      artifacts: { type: 'string' },
      'kafka-port': { type: 'string' },
      'registry-port': { type: 'string' },
      'no-pipeline': { type: 'boolean' },
      'free-ports': { type: 'boolean' },
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
        {
          dir,
          artifactsDir,
          kafkaPort: parsePort('kafka-port', values['kafka-port']),
          registryPort: parsePort('registry-port', values['registry-port']),
          pipeline: !values['no-pipeline'],
          freePorts: values['free-ports'] === true,
          env,
        },
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
      const services = (state.services ?? []).map((s) => `${s.name} (pid ${s.pid})`);
      print(`stopped ${services.length ? `${services.join(', ')}, ` : ''}kafka (pid ${state.kafka.pid}) and registry (pid ${state.registry.pid})`);
      return 0;
    }
    default:
      throw new StackUsageError(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runStackCli(process.argv.slice(2), (line) => console.log(line), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
