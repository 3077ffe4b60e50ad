import { open, readFile, rm } from 'node:fs/promises';
import { pollUntil } from './pollUntil.ts';
import { StackError } from './stackErrors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // A lock whose owner died (killed mid-fetch) would otherwise block every later start.
  const owner = Number(await readFile(path, 'utf8').catch(() => ''));
  if (Number.isInteger(owner) && owner > 0 && !alive(owner)) await rm(path, { force: true });
  return false;
}

/**
 * Runs `fn` while holding an exclusive lock file, so that two processes (parallel test files, a
 * CI step) never run Maven on the same cache at once; waits at most `timeoutMs` for the lock.
 */
export async function withFileLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const acquired = await pollUntil(() => tryAcquire(path), { timeoutMs, intervalMs: 200 });
  if (!acquired.ready) {
    throw new StackError(`lock ${path} still held after ${timeoutMs} ms`, { retriable: true, cause: acquired.lastError });
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
