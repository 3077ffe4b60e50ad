import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { globDepth, globToRegExp, hasWildcard } from './globPattern.ts';
import { InputNotFoundError } from '../errors/medistillErrors.ts';

/** File names a folder input contributes: PubMed XML, plain or gzipped. */
const PUBMED_FILE = /\.xml(?:\.gz)?$/i;

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(join(dir, entry.name)).catch(() => null))?.isDirectory() ?? false;
}

/** Walks `dir` depth-first in name order, calling `visit` with each file's path relative to `dir` ('/'-separated). */
async function walk(dir: string, prefix: string, depth: number, visit: (relative: string, path: string) => void): Promise<void> {
  if (depth <= 0) return;
  const entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (await isDirectory(dir, entry)) await walk(path, relative, depth - 1, visit);
    else visit(relative, path);
  }
}

async function globFiles(pattern: string): Promise<string[]> {
  const normalized = pattern.replace(/\\/g, '/');
  const segments = normalized.split('/');
  const firstWild = segments.findIndex(hasWildcard);
  const fixed = segments.slice(0, firstWild);
  const base = fixed.length === 0 ? '.' : fixed.join('/') || '/';
  const rest = segments.slice(firstWild).join('/');
  const matcher = globToRegExp(rest);
  const found: string[] = [];
  const baseStat = await stat(base).catch(() => null);
  if (baseStat === null || !baseStat.isDirectory()) return found;
  await walk(base, '', globDepth(rest), (relative, path) => {
    if (matcher.test(relative)) found.push(fixed.length === 0 ? path : join(base, relative));
  });
  return found;
}

async function folderFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  await walk(folder, '', Number.POSITIVE_INFINITY, (relative, path) => {
    if (PUBMED_FILE.test(relative)) found.push(path);
  });
  return found;
}

/**
 * Lists the files behind the inputs, in order and without duplicates: a file as itself, a folder as its
 * `.xml` and `.xml.gz` files (recursively, in name order), a glob (`*`, `?`, `**`) as the files it matches.
 * Throws InputNotFoundError for the first input that gives no file, so a run can fail before it starts.
 *
 * @example await resolveInputFiles(['baseline/', 'updates/**\/*.xml.gz'])
 */
export async function resolveInputFiles(inputs: string | readonly string[]): Promise<string[]> {
  const list = typeof inputs === 'string' ? [inputs] : inputs;
  const files: string[] = [];
  const seen = new Set<string>();
  for (const input of list) {
    const info = await stat(input).catch((error: unknown) => ({ error }));
    let found: string[];
    if ('error' in info) {
      if (!hasWildcard(input)) throw new InputNotFoundError(input, { cause: info.error });
      found = await globFiles(input);
    } else if (info.isDirectory()) {
      found = await folderFiles(input);
      if (found.length === 0) throw new InputNotFoundError(input, { detail: 'a folder with no .xml or .xml.gz file' });
    } else {
      found = [input];
    }
    if (found.length === 0) throw new InputNotFoundError(input, { detail: 'the pattern matches no file' });
    for (const file of found) {
      if (!seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
  }
  return files;
}
