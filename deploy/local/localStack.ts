import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchStackArtifacts } from './fetchArtifacts.ts';
import { DEFAULT_JVM_DIRS, findJava } from './findJava.ts';
import { freePorts } from './freePort.ts';
import { createRunDirectory } from './runDirectory.ts';
import { startKafka, type RunningKafka } from './startKafka.ts';
import { startRegistry, type RunningRegistry } from './startRegistry.ts';
import { startRedis, type RunningRedis } from './startRedis.ts';
import { StackError } from './stackErrors.ts';

/** `.stack/` at the repository root (git-ignored): artifacts, data and logs of the local stack. */
export const DEFAULT_STACK_DIR = fileURLToPath(new URL('../../.stack/', import.meta.url));

/** Kafka 4.x runs on Java 17; Apicurio Registry 3.3 is compiled for Java 21. */
const KAFKA_MIN_JAVA = 17;
const REGISTRY_MIN_JAVA = 21;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Holds artifacts, data and logs. Default {@link DEFAULT_STACK_DIR}. */
  dir?: string;
  /** Cache of Maven-fetched artifacts, shareable between stack folders. Default `<dir>/artifacts`. */
  artifactsDir?: string;
  /** Broker port; a free one when absent. */
  kafkaPort?: number;
  /** Registry port; a free one when absent. */
  registryPort?: number;
  /** Leave both servers running after this Node process exits (for `stack up`). Default false. */
  detached?: boolean;
  /** Folders searched for JDKs beside the `java` on PATH. Default {@link DEFAULT_JVM_DIRS}. */
  jvmDirs?: readonly string[];
  /** Deadline for each server to become ready. Default 90 s. */
  readyTimeoutMs?: number;
  /** Maximum heaps in MiB. Defaults: Kafka 512, registry 384. */
  kafkaHeapMb?: number;
  registryHeapMb?: number;
  /** Redis port (the services' shared LLM response cache); a free one when absent. */
  redisPort?: number;
}

/** One server of the stack, for state files and checks. */
export interface StackServer {
  pid: number;
  port: number;
  logFile: string;
}

/** A running local stack. */
export interface LocalStack {
  /** Bootstrap servers for Kafka clients. */
  brokers: string[];
  /** Base URL of the Confluent-compatible schema registry API. */
  registryUrl: string;
  /** Folder of this run (configuration, data, logs). */
  runDir: string;
  kafka: StackServer;
  registry: StackServer;
  /** URL of the Redis that holds the LLM response cache the services share. */
  redisUrl: string;
  redis: StackServer;
  /** Stops the servers (SIGTERM, then SIGKILL after a deadline) and deletes the broker's data. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Kills a server with SIGKILL (a crash, not a clean stop) and resolves once it is gone; its data
   * stays. For fault tests.
   */
  kill(server: 'kafka' | 'registry'): Promise<void>;
  /** Starts a killed server again on the same ports with the same data; resolves once it answers. */
  restart(server: 'kafka' | 'registry'): Promise<void>;
}

async function stopAll(kafka: RunningKafka | undefined, registry: RunningRegistry | undefined, redis: RunningRedis | undefined): Promise<void> {
  const results = await Promise.allSettled([kafka?.process.stop(), registry?.process.stop(), redis?.process.stop()]);
  if (kafka) await rm(kafka.dataDir, { recursive: true, force: true });
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) throw failures[0]?.reason;
}

/**
 * Starts a one-node Kafka (KRaft) broker and Redis (the LLM response cache) in parallel, then Apicurio
 * Registry with its KafkaSQL storage on that broker (so schemas and their ids survive a registry
 * restart), fetching Kafka and the registry with Maven and Redis from Debian on first use; resolves
 * once all three answer.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dir = resolve(options.dir ?? DEFAULT_STACK_DIR);
  const jvmDirs = options.jvmDirs ?? DEFAULT_JVM_DIRS;
  const artifacts = await fetchStackArtifacts(dir, { artifactsDir: options.artifactsDir });
  const [kafkaJava, registryJava] = await Promise.all([
    findJava(KAFKA_MIN_JAVA, jvmDirs),
    findJava(REGISTRY_MIN_JAVA, jvmDirs),
  ]);
  const [freeA, freeB, freeC, freeD] = await freePorts(4);
  const kafkaPort = options.kafkaPort ?? (freeA as number);
  const controllerPort = freeB as number;
  const registryPort = options.registryPort ?? (freeC as number);
  const redisPort = options.redisPort ?? (freeD as number);
  const runDir = await createRunDirectory(dir);
  const detached = options.detached ?? false;

  const kafkaOptions = {
    dir: join(runDir, 'kafka'),
    classpath: artifacts.kafkaClasspath,
    java: kafkaJava.java,
    port: kafkaPort,
    controllerPort,
    heapMb: options.kafkaHeapMb,
    readyTimeoutMs: options.readyTimeoutMs,
    detached,
  };
  const [kafkaResult, redisResult] = await Promise.allSettled([
    startKafka(kafkaOptions),
    startRedis({ dir: join(runDir, 'redis'), port: redisPort, detached }),
  ]);
  if (kafkaResult.status === 'rejected' || redisResult.status === 'rejected') {
    await stopAll(
      kafkaResult.status === 'fulfilled' ? kafkaResult.value : undefined,
      undefined,
      redisResult.status === 'fulfilled' ? redisResult.value : undefined,
    ).catch(() => undefined);
    const failed = [kafkaResult, redisResult].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw failed?.reason;
  }
  let kafka = kafkaResult.value;
  const redis = redisResult.value;
  // The registry keeps its schemas in a topic of this broker, so it starts once the broker answers.
  const registryOptions = {
    dir: join(runDir, 'registry'),
    home: artifacts.registryHome,
    java: registryJava.java,
    port: registryPort,
    heapMb: options.registryHeapMb,
    readyTimeoutMs: options.readyTimeoutMs,
    detached,
    kafkaBootstrap: kafka.brokers.join(','),
  };
  let registry: RunningRegistry;
  try {
    registry = await startRegistry(registryOptions);
  } catch (err) {
    await stopAll(kafka, undefined, redis).catch(() => undefined);
    throw err;
  }
  const server = (which: 'kafka' | 'registry'): RunningKafka | RunningRegistry => (which === 'kafka' ? kafka : registry);
  let stopping: Promise<void> | undefined;
  return {
    brokers: kafka.brokers,
    registryUrl: registry.url,
    runDir,
    get kafka() {
      return { pid: kafka.process.pid, port: kafkaPort, logFile: kafka.logFile };
    },
    get registry() {
      return { pid: registry.process.pid, port: registryPort, logFile: registry.logFile };
    },
    redisUrl: redis.url,
    redis: { pid: redis.process.pid, port: redisPort, logFile: redis.logFile },
    stop: () => (stopping ??= stopAll(kafka, registry, redis)),
    async kill(which) {
      const { process: child } = server(which);
      if (child.exitStatus() === undefined) process.kill(child.pid, 'SIGKILL');
      await child.exited;
    },
    async restart(which) {
      if (server(which).process.exitStatus() === undefined) throw new StackError(`${which} is still running; kill it first`, { retriable: false });
      if (which === 'kafka') kafka = await startKafka(kafkaOptions);
      else registry = await startRegistry(registryOptions);
    },
  };
}
