import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from './pathExists.ts';

/** Stopped runs whose logs are kept for a look after the fact; older ones are deleted. */
const KEPT_STOPPED_RUNS = 10;

/**
 * Creates `<dir>/runs/<time>-<random>` for one start of the stack, and deletes the oldest runs
 * beyond the newest ten that have been stopped (a stopped run has no `kafka/data` left).
 */
export async function createRunDirectory(dir: string): Promise<string> {
  const runsDir = join(dir, 'runs');
  await mkdir(runsDir, { recursive: true });
  const names = (await readdir(runsDir)).sort();
  const stopped: string[] = [];
  for (const name of names) {
    if (!(await pathExists(join(runsDir, name, 'kafka', 'data')))) stopped.push(name);
  }
  for (const name of stopped.slice(0, Math.max(0, stopped.length - KEPT_STOPPED_RUNS))) {
    await rm(join(runsDir, name), { recursive: true, force: true });
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(runsDir, `${stamp}-${randomBytes(3).toString('hex')}`);
  await mkdir(runDir, { recursive: true });
  return runDir;
}
