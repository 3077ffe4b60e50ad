import { spawn } from 'node:child_process';
import { BoundedTail } from './boundedTail.ts';
import { CommandFailedError } from './stackErrors.ts';

/** Options of {@link runToCompletion}. */
export interface RunOptions {
  /** Kill the command and fail after this long. */
  timeoutMs: number;
  cwd?: string;
  /** Characters of output kept for the result and for error messages. Default 16 KiB. */
  maxOutputChars?: number;
}

/**
 * Runs a command to its end and resolves with its combined stdout and stderr (tail only);
 * fails with {@link CommandFailedError} on a non-zero exit, a spawn error or the timeout.
 */
export function runToCompletion(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  const label = [command, ...args.slice(0, 3)].join(' ') + (args.length > 3 ? ' ...' : '');
  return new Promise((resolve, reject) => {
    const output = new BoundedTail(options.maxOutputChars ?? 16_384);
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c));
    child.stderr.on('data', (c: Buffer) => output.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandFailedError(label, `could not be started (${err.message})`, { output: '', retriable: false, cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new CommandFailedError(label, `timed out after ${options.timeoutMs} ms`, { output: output.toString(), retriable: true }));
      } else if (code !== 0) {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        reject(new CommandFailedError(label, how, { output: output.toString(), retriable: false }));
      } else {
        resolve(output.toString());
      }
    });
  });
}
