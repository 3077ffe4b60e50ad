import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withFileLock } from './fileLock.ts';
import { runToCompletion } from './runToCompletion.ts';
import { StackError } from './stackErrors.ts';
import { pathExists } from './pathExists.ts';

/** The POM that pins the Kafka broker and its logging binding. */
export const KAFKA_POM = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url));
/** The POM that pins the Apicurio Registry archive. */
export const REGISTRY_POM = fileURLToPath(new URL('./registry/pom.xml', import.meta.url));

/** What the servers need on disk, resolved by Maven. */
export interface StackArtifacts {
  /** The broker's Java classpath (jars in the Maven local repository). */
  kafkaClasspath: string;
  /** Folder holding the registry's `quarkus-run.jar`. */
  registryHome: string;
}

/** Options of {@link fetchStackArtifacts}. */
export interface FetchOptions {
  /** Maven executable. Default `mvn`. */
  mvn?: string;
  /** Deadline of each Maven run; a cold Maven repository needs the most. Default 10 minutes. */
  timeoutMs?: number;
  /** Where the cache lives. Default `<dir>/artifacts`. */
  artifactsDir?: string;
}

/** A short digest of the POM, so that changing a pinned version invalidates the cache entry. */
async function pomKey(pom: string): Promise<string> {
  return createHash('sha256').update(await readFile(pom)).digest('hex').slice(0, 12);
}

type MavenOptions = { mvn: string; timeoutMs: number };

async function kafkaClasspath(artifactsDir: string, options: MavenOptions): Promise<string> {
  const file = join(artifactsDir, `kafka-${await pomKey(KAFKA_POM)}.classpath`);
  if (await pathExists(file)) {
    const cached = (await readFile(file, 'utf8')).trim();
    const entries = cached.split(delimiter);
    // The jars live in the Maven repository, which may have been wiped since.
    const present = await Promise.all(entries.map((e) => pathExists(e)));
    if (cached && present.every(Boolean)) return cached;
  }
  const partial = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await runToCompletion(
    options.mvn,
    ['-q', '-B', '-f', KAFKA_POM, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`],
    { timeoutMs: options.timeoutMs },
  );
  const classpath = (await readFile(partial, 'utf8')).trim();
  if (!classpath) throw new StackError(`Maven wrote an empty classpath for ${KAFKA_POM}`, { retriable: false });
  await rename(partial, file);
  return classpath;
}

async function registryHome(artifactsDir: string, options: MavenOptions): Promise<string> {
  const home = join(artifactsDir, `registry-${await pomKey(REGISTRY_POM)}`);
  if (await pathExists(join(home, 'quarkus-run.jar'))) return home;
  // Unpack beside the final folder and rename, so an interrupted unpack is never mistaken for a complete one.
  const partial = `${home}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await runToCompletion(
      options.mvn,
      // The POM puts the plugin's markers at `${unpackTo}.markers`: fresh ones, or it would skip an archive it unpacked before.
      ['-q', '-B', '-f', REGISTRY_POM, 'dependency:unpack', `-DunpackTo=${partial}`],
      { timeoutMs: options.timeoutMs },
    );
    if (!(await pathExists(join(partial, 'quarkus-run.jar')))) {
      throw new StackError(`the registry archive unpacked into ${partial} has no quarkus-run.jar`, { retriable: false });
    }
    // Another process may have finished first; its copy is as good as ours and may be in use.
    if (!(await pathExists(join(home, 'quarkus-run.jar')))) {
      await rm(home, { recursive: true, force: true });
      await rename(partial, home);
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
    await rm(`${partial}.markers`, { recursive: true, force: true });
  }
  return home;
}

/**
 * Resolves the broker's classpath and unpacks the registry under `<dir>/artifacts` with Maven
 * (jars cached in the default Maven local repository); reuses both when the POMs have not changed.
 */
export async function fetchStackArtifacts(dir: string, options: FetchOptions = {}): Promise<StackArtifacts> {
  const resolved: MavenOptions = { mvn: options.mvn ?? 'mvn', timeoutMs: options.timeoutMs ?? 600_000 };
  const artifactsDir = options.artifactsDir ?? join(dir, 'artifacts');
  await mkdir(artifactsDir, { recursive: true });
  // One Maven at a time, across processes too: Maven 3.8 does not lock its local repository.
  return withFileLock(join(artifactsDir, '.lock'), resolved.timeoutMs * 2, async () => {
    const classpath = await kafkaClasspath(artifactsDir, resolved);
    const home = await registryHome(artifactsDir, resolved);
    return { kafkaClasspath: classpath, registryHome: home };
  });
}
