/** Base class of every error the local stack throws; `retriable` says whether trying again later may help. */
export class StackError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StackError';
    this.retriable = options.retriable;
  }
}

/** A command (mvn, java tool) failed, timed out or could not be spawned; `output` is the tail of what it printed. */
export class CommandFailedError extends StackError {
  readonly command: string;
  readonly output: string;
  constructor(command: string, detail: string, options: { output: string; retriable: boolean; cause?: unknown }) {
    super(`${command}: ${detail}${options.output ? `\n--- output (tail) ---\n${options.output}` : ''}`, {
      retriable: options.retriable,
      cause: options.cause,
    });
    this.name = 'CommandFailedError';
    this.command = command;
    this.output = options.output;
  }
}

/** No Java runtime of the required major version was found in the places searched. */
export class JavaNotFoundError extends StackError {
  constructor(minMajor: number, searched: readonly string[]) {
    super(
      `no Java runtime >= ${minMajor} found (searched: java on PATH, ${searched.join(', ') || 'no directories'}); ` +
        `install a JDK ${minMajor}+ or pass its parent directory in jvmDirs`,
      { retriable: false },
    );
    this.name = 'JavaNotFoundError';
  }
}

/** A server process exited early or was not ready before its deadline; `logTail` holds the end of its log. */
export class ServerStartError extends StackError {
  readonly server: string;
  readonly logTail: string;
  constructor(server: string, detail: string, options: { logTail: string; cause?: unknown }) {
    super(`${server} did not start: ${detail}\n--- ${server} log (tail) ---\n${options.logTail}`, {
      retriable: true,
      cause: options.cause,
    });
    this.name = 'ServerStartError';
    this.server = server;
    this.logTail = options.logTail;
  }
}

/** A process did not exit after SIGTERM and SIGKILL within the deadlines. */
export class ProcessStopError extends StackError {
  readonly pid: number;
  constructor(pid: number, detail: string) {
    super(`process ${pid} ${detail}`, { retriable: true });
    this.name = 'ProcessStopError';
    this.pid = pid;
  }
}

/** The command line of the stack tool was not understood; the message says how to call it. */
export class StackUsageError extends StackError {
  constructor(message: string) {
    super(message, { retriable: false });
    this.name = 'StackUsageError';
  }
}
