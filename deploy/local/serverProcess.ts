import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { guardChildProcess } from './exitGuard.ts';
import { ProcessStopError, StackError } from './stackErrors.ts';

/** How a server process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Receives the process's stdout and stderr. */
  outputFile: string;
  /** The whole environment of the process. Default: this process's environment. */
  env?: Readonly<Record<string, string>>;
  /**
   * Leave the process running after this Node process exits (own process group, not guarded).
   * Default false: the process is killed when this Node process exits.
   */
  detached?: boolean;
}

/** Deadlines of {@link ServerProcess.stop}. */
export interface StopOptions {
  /** Time for a clean shutdown after SIGTERM. Default 20 s. */
  graceMs?: number;
  /** Time for the kernel to reap the process after SIGKILL. Default 5 s. */
  killMs?: number;
}

/** A long-running child process whose output goes to a file. */
export interface ServerProcess {
  readonly pid: number;
  readonly outputFile: string;
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<ExitStatus>;
  /** The exit status once exited, else undefined. */
  exitStatus(): ExitStatus | undefined;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves once the process is gone. Safe to call twice. */
  stop(options?: StopOptions): Promise<void>;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts a server process with its output in a file, killed on this process's exit unless detached. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const output = await open(options.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      stdio: ['ignore', output.fd, output.fd],
      detached: options.detached ?? false,
      env: options.env,
    });
  } finally {
    // The child has its own copy of the descriptor.
    await output.close();
  }
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new StackError(`could not start ${options.command}: ${err.message}`, { retriable: false, cause: err });
  }
  const pid: number = child.pid;
  // Kill errors surface through stop()'s deadlines; an unhandled 'error' event would crash the process.
  child.on('error', () => undefined);
  const release = options.detached ? () => undefined : guardChildProcess(pid);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      release();
      resolve(status);
    });
  });
  if (options.detached) child.unref();

  let stopping: Promise<void> | undefined;
  async function stop(stopOptions: StopOptions = {}): Promise<void> {
    if (status) return;
    const graceMs = stopOptions.graceMs ?? 20_000;
    const killMs = stopOptions.killMs ?? 5_000;
    child.kill('SIGTERM');
    if ((await within(exited, graceMs)) !== 'timeout') return;
    child.kill('SIGKILL');
    if ((await within(exited, killMs)) === 'timeout') {
      throw new ProcessStopError(pid, `still running ${graceMs + killMs} ms after SIGTERM and SIGKILL`);
    }
  }

  return {
    pid,
    outputFile: options.outputFile,
    exited,
    exitStatus: () => status,
    stop: (stopOptions) => (stopping ??= stop(stopOptions)),
  };
}
