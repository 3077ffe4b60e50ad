import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { logTail } from './logTail.ts';
import { pollUntil } from './pollUntil.ts';
import { spawnServer, type ServerProcess } from './serverProcess.ts';
import { ServerStartError } from './stackErrors.ts';

/** Path of the Confluent-compatible API inside Apicurio Registry. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** The registry's launcher; also how a stopped stack recognises the process in the process table. */
export const REGISTRY_JAR = 'quarkus-run.jar';

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions {
  /** Folder of this registry: its log and temporary files. */
  dir: string;
  /** Folder holding `quarkus-run.jar`. */
  home: string;
  /** Java executable (Apicurio Registry 3.3 needs 21+). */
  java: string;
  port: number;
  /** Maximum heap in MiB. Default 384. */
  heapMb?: number;
  /** Deadline for `GET /subjects` to answer 200. Default 90 s. */
  readyTimeoutMs?: number;
  /** Leave the registry running after this Node process exits. Default false. */
  detached?: boolean;
  /**
   * Kafka bootstrap servers of the registry's KafkaSQL storage: every schema is a record of the
   * `kafkasql-journal` topic, so a restarted registry reads them back with their ids. Absent:
   * in-memory storage, forgotten at every restart.
   */
  kafkaBootstrap?: string;
}

/** A running schema registry. */
export interface RunningRegistry {
  /** Base URL of the Confluent-compatible API. */
  url: string;
  process: ServerProcess;
  logFile: string;
}

/** The Kafka topic of the registry's KafkaSQL journal (Apicurio's default name). */
export const REGISTRY_JOURNAL_TOPIC = 'kafkasql-journal';

/**
 * System properties for Apicurio: loopback only, quiet, a small connection pool, and KafkaSQL
 * storage on the given broker (in-memory storage without one).
 */
export function registryProperties(options: { port: number; tmpDir: string; kafkaBootstrap?: string }): string[] {
  const props: Record<string, string | number | boolean> = {
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': options.port,
    // The management interface is built in; port 0 stops it claiming 0.0.0.0:9000, which two stacks would share.
    'quarkus.management.host': '127.0.0.1',
    'quarkus.management.port': 0,
    'quarkus.banner.enabled': false,
    'quarkus.http.access-log.enabled': false,
    'quarkus.log.category."io.apicurio".level': 'WARN',
    'quarkus.log.category."io.quarkus".level': 'WARN',
    // @kafkajs/confluent-schema-registry compares GET /config/{subject} with its own default, BACKWARD;
    // Apicurio answers with the global rule for a subject that has none of its own (NONE unless set).
    'apicurio.rules.global.compatibility': 'BACKWARD',
    'apicurio.storage.snapshot.location': options.tmpDir,
    'apicurio.import.work-dir': options.tmpDir,
    'apicurio.datasource.jdbc.initial-size': 2,
    'apicurio.datasource.jdbc.min-size': 2,
    'apicurio.datasource.jdbc.max-size': 10,
    'java.io.tmpdir': options.tmpDir,
  };
  if (options.kafkaBootstrap) {
    // The journal is the storage; the SQL database beside it is an in-memory view rebuilt from it at start.
    props['apicurio.storage.kind'] = 'kafkasql';
    props['apicurio.kafkasql.bootstrap.servers'] = options.kafkaBootstrap;
    props['apicurio.kafkasql.topic'] = REGISTRY_JOURNAL_TOPIC;
  }
  return Object.entries(props).map(([k, v]) => `-D${k}=${v}`);
}

async function answersSubjects(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Starts Apicurio Registry with in-memory storage on 127.0.0.1 and resolves once its
 * Confluent-compatible API lists subjects.
 */
export async function startRegistry(options: StartRegistryOptions): Promise<RunningRegistry> {
  const tmpDir = join(options.dir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const logFile = join(options.dir, 'registry.log');
  const heapMb = options.heapMb ?? 384;
  const server = await spawnServer({
    command: options.java,
    args: [
      `-Xms${Math.min(64, heapMb)}m`,
      `-Xmx${heapMb}m`,
      '-XX:+ExitOnOutOfMemoryError',
      ...registryProperties({ port: options.port, tmpDir, kafkaBootstrap: options.kafkaBootstrap }),
      '-jar',
      join(options.home, REGISTRY_JAR),
    ],
    cwd: options.dir,
    outputFile: logFile,
    detached: options.detached ?? false,
  });

  const url = `http://127.0.0.1:${options.port}${CCOMPAT_PATH}`;
  const exitedEarly = new AbortController();
  void server.exited.then(() => exitedEarly.abort());
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const result = await pollUntil(() => answersSubjects(url), { timeoutMs, signal: exitedEarly.signal });
  if (!result.ready) {
    await server.stop({ graceMs: 5_000 }).catch(() => undefined);
    const status = server.exitStatus();
    const detail =
      result.reason === 'aborted'
        ? `the registry exited (code ${status?.code ?? '?'}, signal ${status?.signal ?? 'none'})`
        : `GET ${url}/subjects did not answer 200 within ${timeoutMs} ms (last error: ${String(result.lastError)})`;
    throw new ServerStartError('registry', detail, { logTail: await logTail(logFile), cause: result.lastError });
  }
  return { url, process: server, logFile };
}
