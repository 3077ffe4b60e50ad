import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportIoError } from '../errors/medistillErrors.ts';
import { writeFileAtomic } from './atomicFile.ts';

export const MANIFEST_FILE = 'manifest.json';
export const DATA_DIR = 'data';
export const STATS_DIR = 'stats';
/** Globs of the shard files, relative to the dataset folder (what a `data_files` reader is given). */
export const ACCEPTED_GLOB = `${DATA_DIR}/accepted-*.jsonl`;
export const REJECTED_GLOB = `${DATA_DIR}/rejected-*.jsonl`;

/** One shard: the papers whose PMID key is in [lo, the next shard's lo). */
export interface ShardEntry {
  /** Lowest PMID key of the range ('' for the first shard). */
  lo: string;
  /** Number in the shard's file names; a rewritten shard gets a new number. */
  file: number;
  papers: number;
  accepted: number;
  /** Rows in the rejected file: judge rejections and dropped duplicates. */
  rejected: number;
  /** Paths relative to the dataset folder; null when the shard has no such rows. */
  files: { accepted: string | null; rejected: string | null; stats: string };
}

/** The dataset folder's table of contents, written last at every checkpoint. */
export interface ExportManifest {
  format: 1;
  generatedAt: string;
  meshVersion: string | null;
  /** Next free file number. */
  nextFile: number;
  /** Items removed by revisions and deletions since the export began. */
  removed: number;
  /** Shards in PMID key order; their ranges cover every key. */
  shards: ShardEntry[];
}

/** The file names of shard number `n`. */
export function shardFiles(n: number): ShardEntry['files'] {
  const id = String(n).padStart(5, '0');
  return { accepted: `${DATA_DIR}/accepted-${id}.jsonl`, rejected: `${DATA_DIR}/rejected-${id}.jsonl`, stats: `${STATS_DIR}/stats-${id}.json` };
}

/** Reads the manifest of a dataset folder; null when there is none yet. */
export async function readManifest(outDir: string): Promise<ExportManifest | null> {
  const path = join(outDir, MANIFEST_FILE);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ExportManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ExportIoError(path, { cause: err });
  }
}

/** Publishes a manifest atomically: the moment it is renamed, readers see the new dataset. */
export async function writeManifest(outDir: string, manifest: ExportManifest): Promise<void> {
  await writeFileAtomic(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Index of the shard whose range holds `key` (shards sorted by `lo`, the first with lo ''). */
export function shardIndexOf(shards: readonly ShardEntry[], key: string): number {
  let lo = 0;
  let hi = shards.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (shards[mid]!.lo <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
