import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Admin, Kafka } from 'kafkajs';
import { describeServiceConfig, loadServiceConfig, type ServiceConfig } from '../config/serviceConfig.ts';
import { createAvroCodec } from '../contracts/avroCodec.ts';
import { dlqTopic } from '../contracts/avroSchemas.ts';
import { createKafkaClient } from './kafka/createKafkaClient.ts';
import { ensureTopics } from './kafka/ensureTopics.ts';
import { createStageRunner, type KafkaStage, type ValueCodec } from './kafka/stageRunner.ts';
import { readConsumerLag } from './kafka/readConsumerLag.ts';
import { createHopMetrics } from './metrics/hopMetrics.ts';
import { startMetricsServer } from './metrics/metricsServer.ts';
import { codeVersion } from './codeVersion.ts';
import { startRegistryProbe } from './registryProbe.ts';
import { startStep } from './serviceStartError.ts';

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
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  // Listen for SIGTERM from the start, so a stop during start-up is still a clean stop.
  const stopRequested = options.stopSignal ?? processStopSignal();
  const config = loadServiceConfig(options.env, options.overrides);
  log(`${options.name}: starting medistill ${codeVersion()} with`);
  for (const line of describeServiceConfig(config)) log(`  ${line}`);

  const registry = new Registry();
  registry.setDefaultLabels({ service: options.name });
  collectDefaultMetrics({ register: registry });
  const ctx: StageContext = { config, registry, log, env: options.env, codeVersion: codeVersion() };
  const stage = await options.buildStage(ctx);
  const groupId = config.groupId ?? `medistill-${options.name}`;

  const kafka: Kafka = createKafkaClient(config, `medistill-${options.name}`, log);
  const admin: Admin = kafka.admin();
  const topics = [stage.inputTopic, ...stage.outputTopics];
  const created = await startStep(`cannot reach Kafka at ${config.kafkaBrokers.join(',')}`, async () => {
    await admin.connect();
    return ensureTopics(admin, [...topics, ...topics.map(dlqTopic)], config.topicPartitions, config.topicReplication);
  });
  if (created.length) log(`${options.name}: created topics ${created.join(', ')}`);
  const registryAuth = config.registryUsername && config.registryPassword ? { username: config.registryUsername, password: config.registryPassword } : undefined;
  const codec = createAvroCodec({ registryUrl: config.registryUrl, auth: registryAuth });
  await startStep(`cannot register the schemas at ${config.registryUrl}`, () => codec.registerAll(topics));
  const registryProbe = startRegistryProbe({ registryUrl: config.registryUrl, auth: registryAuth });

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
    ready: () => {
      if (!runner.connected) return { ok: false, reason: 'not connected to Kafka' };
      if (!registryProbe.ok) return { ok: false, reason: registryProbe.reason ?? 'schema registry unreachable' };
      return { ok: true };
    },
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
