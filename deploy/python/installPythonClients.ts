import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withFileLock } from '../local/fileLock.ts';
import { runToCompletion } from '../local/runToCompletion.ts';
import { StackError } from '../local/stackErrors.ts';

/** Where the virtual environment is made by default: `.stack/python/` (git-ignored). */
export const DEFAULT_PYTHON_DIR = fileURLToPath(new URL('../../.stack/python/', import.meta.url));

/** The pinned PyPI packages of the environment. */
export const PYTHON_REQUIREMENTS = fileURLToPath(new URL('./requirements.txt', import.meta.url));

const MARKER = 'medistill-installed.json';

/** Options of {@link installPythonClients}. */
export interface InstallPythonClientsOptions {
  /** Folder of the virtual environment. Default {@link DEFAULT_PYTHON_DIR}. */
  dir?: string;
  /** Interpreter that makes the environment. Default `python3`. */
  python?: string;
  /** Deadline of the pip run. Default 10 minutes. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** The interpreter of the environment in `dir`. */
export function pythonOf(dir: string = DEFAULT_PYTHON_DIR): string {
  return join(dir, 'bin', 'python');
}

async function current(dir: string, requirements: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { requirements?: unknown };
    return marker.requirements === requirements;
  } catch {
    return false;
  }
}

/**
 * Makes a Python virtual environment with the pinned clients (`datasets`, `pyarrow`,
 * `confluent-kafka` with Avro and schema-registry support) from PyPI. Idempotent: a marker records
 * the requirements installed, so a second call returns at once; the environment is built in a
 * temporary folder and renamed into place, so a half-done run never looks installed; a lock file
 * keeps parallel callers apart. Runs before the tests (`npm run python:clients`, part of `pretest`).
 */
export async function installPythonClients(options: InstallPythonClientsOptions = {}): Promise<string> {
  const dir = resolve(options.dir ?? DEFAULT_PYTHON_DIR);
  const python = options.python ?? 'python3';
  const timeoutMs = options.timeoutMs ?? 600_000;
  const log = options.log ?? (() => undefined);
  const requirements = await readFile(PYTHON_REQUIREMENTS, 'utf8');
  if (await current(dir, requirements)) return pythonOf(dir);
  await mkdir(dirname(dir), { recursive: true });
  return withFileLock(`${dir.replace(/\/+$/, '')}.lock`, timeoutMs * 2, async () => {
    if (await current(dir, requirements)) return pythonOf(dir);
    // A virtual environment records its own path in its scripts: build it where it will live.
    const work = `${dir.replace(/\/+$/, '')}.partial`;
    await rm(work, { recursive: true, force: true });
    try {
      log(`python: ${python} -m venv ${dir}`);
      await runToCompletion(python, ['-m', 'venv', work], { timeoutMs: 120_000 });
      log(`python: pip install -r ${PYTHON_REQUIREMENTS}`);
      await runToCompletion(
        pythonOf(work),
        ['-m', 'pip', 'install', '--only-binary=:all:', '--disable-pip-version-check', '--no-input', '--quiet', '-r', PYTHON_REQUIREMENTS],
        { timeoutMs },
      );
      await writeFile(join(work, MARKER), `${JSON.stringify({ requirements }, null, 2)}\n`);
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw new StackError(`could not make the Python environment of ${PYTHON_REQUIREMENTS} (is ${python} with venv and pip on PATH, and PyPI reachable?)`, { retriable: true, cause: err });
    }
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
    // The scripts name the folder they were made in; the interpreter itself finds its site-packages
    // from pyvenv.cfg beside it, which is all the tests use.
    log(`python: clients ready in ${dir}`);
    return pythonOf(dir);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  installPythonClients({ log: (l) => process.stderr.write(`${l}\n`) }).then(
    (p) => process.stdout.write(`${p}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
