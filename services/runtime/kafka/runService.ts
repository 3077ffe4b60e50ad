import type { Registry } from 'prom-client';
import { loadServiceConfig, type ServiceConfig } from '../../config/serviceConfig.ts';
import { createStageRunner, type KafkaStage, type ValueCodec } from './stageRunner.ts';
import { readConsumerLag } from './readConsumerLag.ts';
import { createHopMetrics } from '../../metrics/hopMetrics.ts';
import { startMetricsServer } from '../../metrics/metricsServer.ts';
import { codeVersion } from '../../config/codeVersion.ts';
import { announceService, connectService, readiness, serviceLog } from './serviceStartup.ts';

/** What a service's stage is built from. */
export interface StageContext {
  config: ServiceConfig;
  registry: Registry;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  codeVersion: string;
}

export interface ServiceOptions {
  name: string;
  env: NodeJS.ProcessEnv;
  /** Builds the stage (loads the vocabulary, LLM clients, ...); runs after config validation. */
  buildStage: (ctx: StageContext) => Promise<KafkaStage>;
  /** Overrides of the configuration (e.g. the replay command's group). */
  overrides?: Parameters<typeof loadServiceConfig>[1];
  /** Called once the service runs, with its metrics port (tests and the stack use it). */
  onReady?: (info: { metricsPort: number }) => void;
  /** Resolves to stop the service (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<void>;
  fromBeginning?: boolean;
}

function processStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

/**
 * Runs one stage as a Kafka service: validate config (printed redacted), connect, create topics,
 * register schemas, serve metrics, consume until SIGTERM, then drain, commit, disconnect.
 * Returns the process exit code: 0 after a clean stop, 1 after a crash.
 */
export async function runService(options: ServiceOptions): Promise<number> {
  const log = serviceLog;
  // Listen for SIGTERM from the start, so a stop during start-up is still a clean stop.
  const stopRequested = options.stopSignal ?? processStopSignal();
  const config = loadServiceConfig(options.env, options.overrides);
  const registry = announceService(options.name, config);
  const ctx: StageContext = { config, registry, log, env: options.env, codeVersion: codeVersion() };
  const stage = await options.buildStage(ctx);
  const groupId = config.groupId ?? `medistill-${options.name}`;

  const { kafka, admin, codec, registryProbe } = await connectService(options.name, config, [stage.inputTopic, ...stage.outputTopics]);

  const instruments = createHopMetrics(registry, options.name, () => readConsumerLag(admin, groupId, stage.inputTopic));
  const runner = createStageRunner({
    kafka,
    codec: codec as ValueCodec,
    stage,
    groupId,
    maxInFlight: config.maxInFlight ?? stage.defaultMaxInFlight ?? 500,
    batchSize: config.batchSize,
    batchMs: config.batchMs,
    maxAttempts: config.maxAttempts,
    codeVersion: codeVersion(),
    log,
    instruments,
    fromBeginning: options.fromBeginning,
  });
  const metrics = await startMetricsServer({
    registry,
    port: config.metricsPort,
    host: config.metricsHost,
    ready: () => readiness(runner.connected, registryProbe),
  });
  await runner.start();
  log(`${options.name}: consuming ${stage.inputTopic} as ${groupId}; metrics on :${metrics.port}`);
  options.onReady?.({ metricsPort: metrics.port });

  const stopped = stopRequested.then(() => 'stop' as const);
  const outcome = await Promise.race([stopped, runner.done.then(() => 'stop' as const, () => 'crash' as const)]);
  if (outcome === 'stop') {
    log(`${options.name}: stopping: draining in-flight work`);
    await runner.stop(config.shutdownTimeoutMs);
  }
  registryProbe.stop();
  await metrics.close();
  await admin.disconnect().catch(() => undefined);
  log(`${options.name}: stopped${outcome === 'crash' ? ' after a fatal error' : ''}`);
  return outcome === 'crash' ? 1 : 0;
}
