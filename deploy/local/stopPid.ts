import { readFile } from 'node:fs/promises';
import { pollUntil } from './pollUntil.ts';
import { ProcessStopError } from './stackErrors.ts';

/**
 * Whether `pid` runs and its command line contains `marker`; a zombie counts as gone. Where /proc
 * does not exist the marker cannot be checked and a live pid is trusted.
 */
export async function isRunning(pid: number, marker: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself hold spaces or parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker);
  } catch {
    return true;
  }
}

/**
 * Stops a process this Node process did not start (known only by pid): SIGTERM, wait up to
 * `graceMs`, SIGKILL, wait up to `killMs`. A pid whose command line lacks `marker` is left alone,
 * since after a reboot the number may belong to another program.
 */
export async function stopPid(pid: number, marker: string, options: { graceMs?: number; killMs?: number } = {}): Promise<void> {
  if (!(await isRunning(pid, marker))) return;
  const gone = async (): Promise<boolean> => !(await isRunning(pid, marker));
  process.kill(pid, 'SIGTERM');
  if ((await pollUntil(gone, { timeoutMs: options.graceMs ?? 20_000, intervalMs: 100 })).ready) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  if (!(await pollUntil(gone, { timeoutMs: options.killMs ?? 5_000, intervalMs: 100 })).ready) {
    throw new ProcessStopError(pid, 'still running after SIGTERM and SIGKILL');
  }
}
