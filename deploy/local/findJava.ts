import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runToCompletion } from './runToCompletion.ts';
import { JavaNotFoundError } from './stackErrors.ts';

/** Where JDKs are usually installed on Linux and macOS; each entry holds one folder per JDK. */
export const DEFAULT_JVM_DIRS: readonly string[] = ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines'];

/** A Java runtime found on this machine. */
export interface JavaRuntime {
  /** Path of the `java` executable (or just `java` for the one on PATH). */
  java: string;
  /** Feature release, e.g. 17 or 21. */
  major: number;
}

/** Parses "17.0.15", "21", "1.8.0_392" into the feature release. */
export function javaMajor(version: string): number | undefined {
  const parts = version.trim().split(/[.+_-]/);
  const first = Number(parts[0]);
  if (!Number.isInteger(first)) return undefined;
  if (first === 1) {
    const second = Number(parts[1]);
    return Number.isInteger(second) ? second : undefined;
  }
  return first;
}

async function pathJava(): Promise<JavaRuntime | undefined> {
  try {
    const out = await runToCompletion('java', ['-XshowSettings:properties', '-version'], { timeoutMs: 15_000 });
    const spec = /java\.specification\.version = (\S+)/.exec(out)?.[1];
    const major = spec ? javaMajor(spec) : undefined;
    return major === undefined ? undefined : { java: 'java', major };
  } catch {
    return undefined;
  }
}

/** Reads the `release` file every JDK image has, so no JVM has to be started to learn its version. */
async function homeJava(home: string): Promise<JavaRuntime | undefined> {
  for (const candidate of [home, join(home, 'Contents', 'Home')]) {
    try {
      const release = await readFile(join(candidate, 'release'), 'utf8');
      const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
      const major = version ? javaMajor(version) : undefined;
      if (major !== undefined) return { java: join(candidate, 'bin', 'java'), major };
    } catch {
      // not a JDK image
    }
  }
  return undefined;
}

/**
 * Finds the Java runtime of the lowest major version >= `minMajor`, preferring the `java` on PATH
 * on a tie, so that each server runs on the oldest runtime it supports.
 */
export async function findJava(minMajor: number, jvmDirs: readonly string[] = DEFAULT_JVM_DIRS): Promise<JavaRuntime> {
  const candidates: JavaRuntime[] = [];
  const onPath = await pathJava();
  if (onPath) candidates.push(onPath);
  for (const dir of jvmDirs) {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    for (const entry of entries) {
      const found = await homeJava(join(dir, entry));
      if (found) candidates.push(found);
    }
  }
  let best: JavaRuntime | undefined;
  for (const c of candidates) {
    if (c.major >= minMajor && (best === undefined || c.major < best.major)) best = c;
  }
  if (!best) throw new JavaNotFoundError(minMajor, jvmDirs);
  return best;
}
