import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { logTail } from './logTail.ts';
import { pathExists } from './pathExists.ts';
import { pollUntil } from './pollUntil.ts';
import { runToCompletion } from './runToCompletion.ts';
import { spawnServer, type ServerProcess } from './serverProcess.ts';
import { ServerStartError } from './stackErrors.ts';

/** Log4j 2 configuration that keeps the broker quiet and writes to a file. */
export const KAFKA_LOG_CONFIG = fileURLToPath(new URL('./kafka/log4j2.properties', import.meta.url));

/** Main class of the broker; also how a stopped stack recognises the process in the process table. */
export const KAFKA_MAIN_CLASS = 'kafka.Kafka';

/** Options of {@link startKafka}. */
export interface StartKafkaOptions {
  /** Folder of this broker: `server.properties`, `data/`, `logs/`. */
  dir: string;
  classpath: string;
  /** Java executable (Kafka 4 needs 17+). */
  java: string;
  port: number;
  controllerPort: number;
  /** Partitions of a topic created without a count. Default 3. */
  partitions?: number;
  /** Maximum heap in MiB. Default 512. */
  heapMb?: number;
  /** Deadline for the broker to answer a cluster description. Default 90 s. */
  readyTimeoutMs?: number;
  /** Leave the broker running after this Node process exits. Default false. */
  detached?: boolean;
}

/** A running single-node KRaft broker. */
export interface RunningKafka {
  brokers: string[];
  process: ServerProcess;
  /** The broker's data (metadata and topic logs), throwaway once stopped. */
  dataDir: string;
  logFile: string;
}

/** One node acting as broker and controller, on loopback only. */
export function serverProperties(options: { port: number; controllerPort: number; dataDir: string; partitions: number }): string {
  const broker = `127.0.0.1:${options.port}`;
  const controller = `127.0.0.1:${options.controllerPort}`;
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': controller,
    listeners: `PLAINTEXT://${broker},CONTROLLER://${controller}`,
    'advertised.listeners': `PLAINTEXT://${broker},CONTROLLER://${controller}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': options.dataDir,
    'num.partitions': options.partitions,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    // The default 50 partitions make the first consumer group wait for 50 leaders on a one-node cluster.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** A KRaft cluster id: 16 random bytes in unpadded base64url, never starting with '-' (the tool would read an option). */
export function randomClusterId(): string {
  while (true) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function describes(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'local-stack-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Formats a fresh KRaft log directory (or keeps one formatted before, for a restart) and starts one
 * Kafka node (broker and controller) on 127.0.0.1; resolves once an admin client can describe the cluster.
 */
export async function startKafka(options: StartKafkaOptions): Promise<RunningKafka> {
  const dataDir = join(options.dir, 'data');
  const logsDir = join(options.dir, 'logs');
  await mkdir(dataDir, { recursive: true });
  await mkdir(logsDir, { recursive: true });
  const propsFile = join(options.dir, 'server.properties');
  const partitions = options.partitions ?? 3;
  await writeFile(propsFile, serverProperties({ port: options.port, controllerPort: options.controllerPort, dataDir, partitions }));

  const logFile = join(logsDir, 'server.log');
  const outputFile = join(logsDir, 'kafka.out');
  const jvmFlags = [
    `-Dlog4j2.configurationFile=${KAFKA_LOG_CONFIG}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-Djava.awt.headless=true',
    '-cp',
    options.classpath,
  ];
  // A restart on the same folder keeps the topics, offsets and the registry's journal.
  if (!(await pathExists(join(dataDir, 'meta.properties')))) await runToCompletion(
    options.java,
    ['-Xmx256m', ...jvmFlags, 'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propsFile, '--standalone'],
    { timeoutMs: 60_000, cwd: options.dir },
  );

  const heapMb = options.heapMb ?? 512;
  const server = await spawnServer({
    command: options.java,
    args: [`-Xms${Math.min(128, heapMb)}m`, `-Xmx${heapMb}m`, '-XX:+ExitOnOutOfMemoryError', ...jvmFlags, KAFKA_MAIN_CLASS, propsFile],
    cwd: options.dir,
    outputFile,
    detached: options.detached ?? false,
  });

  const brokers = [`127.0.0.1:${options.port}`];
  const exitedEarly = new AbortController();
  void server.exited.then(() => exitedEarly.abort());
  const result = await pollUntil(() => describes(brokers), {
    timeoutMs: options.readyTimeoutMs ?? 90_000,
    signal: exitedEarly.signal,
  });
  if (!result.ready) {
    await server.stop({ graceMs: 5_000 }).catch(() => undefined);
    const status = server.exitStatus();
    const detail =
      result.reason === 'aborted'
        ? `the broker exited (code ${status?.code ?? '?'}, signal ${status?.signal ?? 'none'})`
        : `not ready within ${options.readyTimeoutMs ?? 90_000} ms (last error: ${String(result.lastError)})`;
    const tail = `${await logTail(logFile)}\n--- ${outputFile} ---\n${await logTail(outputFile, 4_096)}`;
    throw new ServerStartError('kafka', detail, { logTail: tail, cause: result.lastError });
  }
  return { brokers, process: server, dataDir, logFile };
}
