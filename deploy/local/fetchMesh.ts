import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { loadMeshVocabulary } from '../../services/mesh/loadMeshVocabulary.ts';
import { StackError } from './stackErrors.ts';

/** NLM's folder of the current MeSH descriptor files (desc<year>.xml). */
export const NLM_MESH_BASE = 'https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh/';
/** Where the vocabulary is put by default: out/mesh/ (git-ignored). */
export const DEFAULT_MESH_DIR = fileURLToPath(new URL('../../out/mesh/', import.meta.url));

/** Options of {@link fetchMesh}. */
export interface FetchMeshOptions {
  /** MeSH year (default: the current year; NLM publishes the next year's file in the autumn). */
  year?: number;
  /** Folder of the result. Default {@link DEFAULT_MESH_DIR}. */
  dir?: string;
  /** The file to download (default `<NLM_MESH_BASE>desc<year>.xml`). */
  url?: string;
  /** Deadline of the download. Default 15 minutes (the file is about 300 MB). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Downloads NLM's full MeSH descriptor vocabulary, gzips it on the way to `<dir>/desc<year>.xml.gz`
 * (about 30 MB instead of 300), checks it loads, and returns its path and descriptor count. A file
 * already there is only checked; a download cut short leaves nothing under the final name.
 * @example const { path } = await fetchMesh(); // medistill run --mesh <path> ...
 */
export async function fetchMesh(options: FetchMeshOptions = {}): Promise<{ path: string; descriptors: number; downloaded: boolean }> {
  const year = options.year ?? new Date().getUTCFullYear();
  const dir = resolve(options.dir ?? DEFAULT_MESH_DIR);
  const url = options.url ?? `${NLM_MESH_BASE}desc${year}.xml`;
  const path = join(dir, `desc${year}.xml.gz`);
  const log = options.log ?? (() => undefined);
  let downloaded = false;
  if (!(await stat(path).catch(() => null))) {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.partial`;
    log(`mesh: downloading ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 900_000) });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createGzip({ level: 6 }), createWriteStream(tmp));
      await rename(tmp, path);
      downloaded = true;
    } catch (cause) {
      await rm(tmp, { force: true });
      throw new StackError(`could not download the MeSH vocabulary from ${url} (give another year with --year, or a mirror with --url)`, { retriable: true, cause });
    }
  }
  const vocab = await loadMeshVocabulary(path);
  log(`mesh: ${vocab.size} descriptors in ${path}`);
  return { path, descriptors: vocab.size, downloaded };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { year: { type: 'string' }, url: { type: 'string' }, dir: { type: 'string' } } });
  fetchMesh({ year: values.year === undefined ? undefined : Number(values.year), url: values.url, dir: values.dir, log: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => process.stdout.write(`${r.path}\nuse it with: medistill run --mesh ${r.path} ...  (or MEDISTILL_MESH_PATH for the services)\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
