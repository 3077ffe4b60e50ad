import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import { loadServiceConfig, type ServiceConfig } from '../../config/serviceConfig.ts';
import { createInstrumentation, type Instrumentation } from '../../instrumentation/instrumentation.ts';
import { createStageRunner, type KafkaStage, type ValueCodec } from './stageRunner.ts';
import { createSourceRunner, type KafkaSource } from './sourceRunner.ts';
import type { KafkaRunner } from './kafkaRunner.ts';
import { combineRunners } from './combinedRunner.ts';
import { createKafkajsPorts } from './kafkajsPorts.ts';
import { readConsumerLag } from './readConsumerLag.ts';
import { createHopMetrics } from '../../metrics/hopMetrics.ts';
import { startMetricsServer } from '../../metrics/metricsServer.ts';
import { codeVersion } from '../../config/codeVersion.ts';
import { announceService, connectService, readiness, serviceLog } from './serviceStartup.ts';
import type { RegistryProbe } from './registryProbe.ts';

/** What a service's stage or source is built from. */
export interface StageContext {
  config: ServiceConfig;
  registry: Registry;
  /** The service's event bus: the hop metrics listen on it; a builder may add its own metrics and emitters. */
  instrumentation: Instrumentation;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  codeVersion: string;
}

interface CommonServiceOptions {
  name: string;
  env: NodeJS.ProcessEnv;
  /** Overrides of the configuration (e.g. the replay command's group). */
  overrides?: Parameters<typeof loadServiceConfig>[1];
  /** Called once the service runs, with its metrics port (tests and the stack use it). */
  onReady?: (info: { metricsPort: number }) => void;
  /** Resolves to stop the service (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<void>;
  fromBeginning?: boolean;
}

/** A service that consumes a topic: a stage. */
export interface StageServiceOptions extends CommonServiceOptions {
  /**
   * Builds the stage (loads the vocabulary, LLM clients, ...); runs after config validation. A sink
   * that consumes several topics gives one stage per topic: each gets its own runner and consumer
   * group (the first the service's group, the others `<group>.<stage name>`).
   */
  buildStage: (ctx: StageContext) => Promise<KafkaStage | readonly KafkaStage[]>;
}

/** A service that reads from outside Kafka: a source. */
export interface SourceServiceOptions<T> extends CommonServiceOptions {
  /** Builds the source (checks its settings); runs after config validation, before connecting. */
  buildSource: (ctx: StageContext) => Promise<KafkaSource<T>>;
}

export type ServiceOptions<T = unknown> = StageServiceOptions | SourceServiceOptions<T>;

/** SIGTERM or SIGINT, once; the listeners are removed when either arrives. */
function processStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/**
 * Runs one stage or source as a Kafka service: validate config (printed redacted), build, connect,
 * create topics, register schemas, serve /metrics and /readyz, run until SIGTERM (or, for a finite
 * source, until its input is done), then drain, commit, disconnect, once.
 * Returns the process exit code: 0 after a clean stop, 1 after a crash.
 */
export async function runService<T>(options: ServiceOptions<T>): Promise<number> {
  const log = serviceLog;
  // Listen for SIGTERM from the start, so a stop during start-up is still a clean stop.
  const stopRequested = options.stopSignal ?? processStopSignal();
  const config = loadServiceConfig(options.env, options.overrides);
  const registry = announceService(options.name, config);
  const bus = createInstrumentation();
  const ctx: StageContext = { config, registry, instrumentation: bus, log, env: options.env, codeVersion: codeVersion() };
  // A stop while start-up waits for Kafka or the registry ends the wait.
  const starting = new AbortController();
  void stopRequested.then(() => starting.abort());
  const { runner, started, registryProbe, admin } = await buildRunner(options, ctx, starting.signal);

  const metrics = await startMetricsServer({
    registry,
    port: config.metricsPort,
    host: config.metricsHost,
    ready: () => readiness(runner.connected, registryProbe),
  });
  await runner.start();
  log(`${options.name}: ${started}; metrics on :${metrics.port}`);
  options.onReady?.({ metricsPort: metrics.port });

  // A finite source resolves `done` by itself; a stop request drains first. Either way stop runs once.
  const stopped = stopRequested.then(() => 'stop' as const);
  const outcome = await Promise.race([stopped, runner.done.then(() => 'stop' as const, () => 'crash' as const)]);
  if (outcome === 'stop') {
    log(`${options.name}: stopping: draining in-flight work`);
    await runner.stop(config.shutdownTimeoutMs);
  }
  registryProbe.stop();
  await metrics.close();
  await admin?.disconnect().catch(() => undefined);
  log(`${options.name}: stopped${outcome === 'crash' ? ' after a fatal error' : ''}`);
  return outcome === 'crash' ? 1 : 0;
}

/** Builds the stage or source, connects (topics, schemas) and wraps it in its runner, with hop metrics on the bus. */
async function buildRunner<T>(
  options: ServiceOptions<T>,
  ctx: StageContext,
  signal: AbortSignal,
): Promise<{ runner: KafkaRunner; started: string; registryProbe: RegistryProbe; admin: Admin | null }> {
  const { config, registry, instrumentation } = ctx;
  const common = {
    batchSize: config.batchSize,
    batchMs: config.batchMs,
    codeVersion: ctx.codeVersion,
    log: ctx.log,
    instrumentation,
    eventStage: options.name,
    outageBudgetMs: config.outageBudgetMs,
  };
  if ('buildStage' in options) {
    const built = await options.buildStage(ctx);
    const stages: readonly KafkaStage[] = Array.isArray(built) ? built : [built as KafkaStage];
    const baseGroup = config.groupId ?? `medistill-${options.name}`;
    const groups = stages.map((s, i) => (i === 0 ? baseGroup : `${baseGroup}.${s.name}`));
    const topics = [...new Set(stages.flatMap((s) => [s.inputTopic, ...s.outputTopics]))];
    const { kafka, admin, codec, registryProbe } = await connectService(options.name, config, topics, signal);
    createHopMetrics(registry, options.name, instrumentation, async () =>
      (await Promise.all(stages.map((s, i) => readConsumerLag(admin, groups[i]!, s.inputTopic)))).flat(),
    );
    const runners = stages.map((stage, i) =>
      createStageRunner({
        ...common,
        ports: createKafkajsPorts(kafka),
        codec: codec as ValueCodec,
        stage,
        groupId: groups[i]!,
        maxInFlight: config.maxInFlight ?? stage.defaultMaxInFlight ?? 500,
        maxAttempts: config.maxAttempts,
        fetch: { maxBytesPerPartition: config.fetchMaxBytesPerPartition, maxBytes: config.fetchMaxBytes, maxWaitTimeInMs: config.fetchMaxWaitMs },
        fromBeginning: options.fromBeginning,
      }),
    );
    const started = stages.map((s, i) => `consuming ${s.inputTopic} as ${groups[i]}`).join(', ');
    return { runner: combineRunners(runners), started, registryProbe, admin };
  }
  const source = await options.buildSource(ctx);
  const { kafka, admin, codec, registryProbe } = await connectService(options.name, config, source.outputTopics, signal);
  // A source has no consumer group, so no lag to read.
  await admin.disconnect().catch(() => undefined);
  createHopMetrics(registry, options.name, instrumentation);
  const runner = createSourceRunner({ ...common, ports: createKafkajsPorts(kafka), codec: codec as ValueCodec, source, maxInFlight: config.maxInFlight ?? 500 });
  return { runner, started: `reading ${source.name} into ${source.outputTopics.join(', ')}`, registryProbe, admin: null };
}
