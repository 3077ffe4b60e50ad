import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withFileLock } from './fileLock.ts';
import { runToCompletion } from './runToCompletion.ts';
import { StackError } from './stackErrors.ts';
import { pathExists } from './pathExists.ts';

/** Where the unpacked Debian package lives by default: `.stack/prometheus/` (git-ignored). */
export const DEFAULT_PROMETHEUS_DIR = fileURLToPath(new URL('../../.stack/prometheus/', import.meta.url));

/** Paths of the unpacked binaries. */
export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

/** Options of {@link installPrometheus}. */
export interface InstallPrometheusOptions {
  /** Folder the package is unpacked into. Default {@link DEFAULT_PROMETHEUS_DIR}. */
  dir?: string;
  /** Deadline of each apt-get / dpkg run. Default 5 minutes. */
  timeoutMs?: number;
  /** Log of what is being done; quiet when the binaries are already there. */
  log?: (line: string) => void;
}

/** The binaries inside an unpacked package folder (they may not exist yet). */
export function prometheusBinaries(dir: string = DEFAULT_PROMETHEUS_DIR): PrometheusBinaries {
  return { prometheus: join(dir, 'usr/bin/prometheus'), promtool: join(dir, 'usr/bin/promtool') };
}

async function installed(bins: PrometheusBinaries): Promise<boolean> {
  return (await pathExists(bins.prometheus)) && (await pathExists(bins.promtool));
}

/**
 * Puts Debian's `prometheus` package (prometheus and promtool) under `dir` without installing the
 * system service: `apt-get download` then `dpkg -x`, into a temporary folder renamed into place, so
 * a half-done run never looks installed. Idempotent, and safe for parallel callers (a lock file).
 * When the package lists are missing it runs `apt-get update` once (root, as in CI).
 */
export async function installPrometheus(options: InstallPrometheusOptions = {}): Promise<PrometheusBinaries> {
  const dir = resolve(options.dir ?? DEFAULT_PROMETHEUS_DIR);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const log = options.log ?? (() => undefined);
  const bins = prometheusBinaries(dir);
  if (await installed(bins)) return bins;
  const parent = resolve(dir, '..');
  await mkdir(parent, { recursive: true });
  return withFileLock(`${dir.replace(/\/+$/, '')}.lock`, timeoutMs * 3, async () => {
    if (await installed(bins)) return bins;
    const work = await mkdtemp(join(parent, '.prometheus-'));
    try {
      log('prometheus: apt-get download prometheus');
      try {
        await runToCompletion('apt-get', ['download', 'prometheus'], { cwd: work, timeoutMs });
      } catch (first) {
        log('prometheus: download failed, running apt-get update first');
        try {
          await runToCompletion('apt-get', ['update'], { timeoutMs });
        } catch (update) {
          throw new StackError('apt-get update failed (it needs root); install the package lists or run as root', { retriable: false, cause: update });
        }
        try {
          await runToCompletion('apt-get', ['download', 'prometheus'], { cwd: work, timeoutMs });
        } catch (second) {
          throw new StackError('apt-get download prometheus failed: is a Debian or Ubuntu package source configured?', { retriable: true, cause: new AggregateError([first, second]) });
        }
      }
      const deb = (await readdir(work)).find((f) => /^prometheus_.*\.deb$/.test(f));
      if (!deb) throw new StackError(`apt-get download left no prometheus_*.deb in ${work}`, { retriable: false });
      const unpacked = join(work, 'root');
      await runToCompletion('dpkg', ['-x', join(work, deb), unpacked], { timeoutMs });
      if (!(await installed(prometheusBinaries(unpacked)))) {
        throw new StackError(`${deb} holds no usr/bin/prometheus and usr/bin/promtool`, { retriable: false });
      }
      await rm(dir, { recursive: true, force: true });
      await rename(unpacked, dir);
      log(`prometheus: unpacked ${deb} into ${dir}`);
      return bins;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  installPrometheus({ dir, log: (line) => console.log(line) }).then(
    (bins) => console.log(`prometheus: ${bins.prometheus}\npromtool:   ${bins.promtool}`),
    (err: unknown) => {
      console.error(`installPrometheus: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
