import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withFileLock } from './fileLock.ts';
import { runToCompletion } from './runToCompletion.ts';
import { StackError } from './stackErrors.ts';
import { pathExists } from './pathExists.ts';

/** Where the unpacked Debian packages live by default: `.stack/redis/` (git-ignored). */
export const DEFAULT_REDIS_DIR = fileURLToPath(new URL('../../.stack/redis/', import.meta.url));

/**
 * Debian's Redis server and the two libraries it links that a minimal system may lack (libc, libssl,
 * libsystemd and libatomic are part of every Debian base). redis-server is a symlink to redis-check-rdb,
 * which sits in redis-tools.
 */
const PACKAGES = ['redis-server', 'redis-tools', 'libjemalloc2', 'liblzf1'] as const;

/** The unpacked server: the executable and the folder of its libraries (for LD_LIBRARY_PATH). */
export interface RedisBinaries {
  redisServer: string;
  libDir: string;
}

/** The binaries inside an unpacked folder (they may not exist yet). */
export function redisBinaries(dir: string = DEFAULT_REDIS_DIR): RedisBinaries {
  return { redisServer: join(dir, 'usr/bin/redis-server'), libDir: join(dir, 'usr/lib/x86_64-linux-gnu') };
}

async function installed(bins: RedisBinaries): Promise<boolean> {
  return (await pathExists(bins.redisServer)) && (await pathExists(join(bins.libDir, 'libjemalloc.so.2')));
}

/**
 * Puts Debian's Redis server under `dir` without installing the system service: `apt-get download`
 * of the packages, then `dpkg -x` into a temporary folder renamed into place, so a half-done run
 * never looks installed. Idempotent and safe for parallel callers (a lock file); runs
 * `apt-get update` once when the package lists are missing.
 */
export async function installRedis(options: { dir?: string; timeoutMs?: number; log?: (line: string) => void } = {}): Promise<RedisBinaries> {
  const dir = resolve(options.dir ?? DEFAULT_REDIS_DIR);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const log = options.log ?? (() => undefined);
  const bins = redisBinaries(dir);
  if (await installed(bins)) return bins;
  const parent = resolve(dir, '..');
  await mkdir(parent, { recursive: true });
  return withFileLock(`${dir.replace(/\/+$/, '')}.lock`, timeoutMs * 3, async () => {
    if (await installed(bins)) return bins;
    const work = await mkdtemp(join(parent, '.redis-'));
    try {
      log(`redis: apt-get download ${PACKAGES.join(' ')}`);
      try {
        await runToCompletion('apt-get', ['download', ...PACKAGES], { cwd: work, timeoutMs });
      } catch (first) {
        log('redis: download failed, running apt-get update first');
        try {
          await runToCompletion('apt-get', ['update'], { timeoutMs });
        } catch (update) {
          throw new StackError('apt-get update failed (it needs root); install the package lists or run as root', { retriable: false, cause: update });
        }
        try {
          await runToCompletion('apt-get', ['download', ...PACKAGES], { cwd: work, timeoutMs });
        } catch (second) {
          throw new StackError(`apt-get download ${PACKAGES.join(' ')} failed: is a Debian package source configured?`, { retriable: true, cause: new AggregateError([first, second]) });
        }
      }
      const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
      const unpacked = join(work, 'root');
      for (const deb of debs) await runToCompletion('dpkg', ['-x', join(work, deb), unpacked], { timeoutMs });
      if (!(await installed(redisBinaries(unpacked)))) {
        throw new StackError(`the packages (${debs.join(', ')}) hold no usr/bin/redis-server with libjemalloc`, { retriable: false });
      }
      await rm(dir, { recursive: true, force: true });
      await rename(unpacked, dir);
      log(`redis: unpacked ${debs.length} packages into ${dir}`);
      return bins;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installRedis({ dir: process.argv[2], log: (line) => console.log(line) }).then(
    (bins) => console.log(`redis-server: ${bins.redisServer}`),
    (err: unknown) => {
      console.error(`installRedis: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
