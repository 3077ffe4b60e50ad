import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { installRedis } from './installRedis.ts';
import { logTail } from './logTail.ts';
import { pollUntil } from './pollUntil.ts';
import { spawnServer, type ServerProcess } from './serverProcess.ts';
import { ServerStartError } from './stackErrors.ts';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Folder of this server: its data (append-only file) and log. */
  dir: string;
  port: number;
  /** Folder of the unpacked Debian packages; default `.stack/redis/`. */
  installDir?: string;
  /** Memory bound; past it the least recently used entries go (a cache may lose entries, never grow without bound). Default 256 MiB. */
  maxMemoryMb?: number;
  /** Deadline for PING to answer. Default 30 s. */
  readyTimeoutMs?: number;
  /** Leave the server running after this Node process exits. Default false. */
  detached?: boolean;
}

/** A running Redis. */
export interface RunningRedis {
  /** redis://127.0.0.1:<port>/0 */
  url: string;
  process: ServerProcess;
  logFile: string;
}

/** Sends PING over a plain socket and waits for +PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePing(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/**
 * Starts Debian's Redis on 127.0.0.1 (installed on first use by installRedis) with an append-only
 * file in `dir`, so cached LLM answers survive a restart of the server, and an LRU memory bound;
 * resolves once it answers PING.
 */
export async function startRedis(options: StartRedisOptions): Promise<RunningRedis> {
  const bins = await installRedis(options.installDir ? { dir: options.installDir } : {});
  const dataDir = join(options.dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const logFile = join(options.dir, 'redis.log');
  const server = await spawnServer({
    command: bins.redisServer,
    args: [
      '--bind', '127.0.0.1',
      '--port', String(options.port),
      '--dir', dataDir,
      '--appendonly', 'yes',
      '--save', '',
      '--maxmemory', `${options.maxMemoryMb ?? 256}mb`,
      '--maxmemory-policy', 'allkeys-lru',
      '--protected-mode', 'yes',
      '--daemonize', 'no',
    ],
    cwd: options.dir,
    outputFile: logFile,
    env: { ...process.env, LD_LIBRARY_PATH: [bins.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } as Record<string, string>,
    detached: options.detached ?? false,
  });
  const exitedEarly = new AbortController();
  void server.exited.then(() => exitedEarly.abort());
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const result = await pollUntil(() => pings(options.port), { timeoutMs, intervalMs: 100, signal: exitedEarly.signal });
  if (!result.ready) {
    await server.stop({ graceMs: 5_000 }).catch(() => undefined);
    const status = server.exitStatus();
    const detail =
      result.reason === 'aborted'
        ? `redis-server exited (code ${status?.code ?? '?'}, signal ${status?.signal ?? 'none'})`
        : `PING on 127.0.0.1:${options.port} did not answer within ${timeoutMs} ms`;
    throw new ServerStartError('redis', detail, { logTail: await logTail(logFile), cause: result.lastError });
  }
  return { url: `redis://127.0.0.1:${options.port}/0`, process: server, logFile };
}
