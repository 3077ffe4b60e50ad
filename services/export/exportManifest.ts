import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExportIoError } from '../errors/medistillErrors.ts';
import { writeFileAtomic } from './atomicFile.ts';
import { SHARD_KINDS } from './shardKinds.ts';

export const MANIFEST_FILE = 'manifest.json';
export const DATA_DIR = 'data';
export const STATS_DIR = 'stats';
/** Globs of the shard files, relative to the dataset folder (what a `data_files` reader is given). */
export const ACCEPTED_GLOB = `${DATA_DIR}/accepted-*.jsonl`;
export const REJECTED_GLOB = `${DATA_DIR}/rejected-*.jsonl`;
/** The format written now: 2 added Parquet files and per-kind row counts; an older manifest is re-rendered whole. */
export const MANIFEST_FORMAT = 2;

/** Glob of a kind's shard files in one format, relative to the dataset folder. */
export function kindGlob(kind: string, format: 'jsonl' | 'parquet'): string {
  return `${DATA_DIR}/${kind}-*.${format}`;
}

/** The key of a kind's Parquet file in {@link ShardEntry.files} (its JSONL file is under the kind's name). */
export function parquetKey(kind: string): string {
  return `${kind}.parquet`;
}

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
  /** Rows of each kind of the store (accepted, rejected, ...). */
  rows: Record<string, number>;
  /**
   * Paths relative to the dataset folder, null when the shard has no such rows: under a kind's name
   * its JSONL file, under `<kind>.parquet` its Parquet file, under `stats` the shard's statistics.
   */
  files: { stats: string; [kindOrParquet: string]: string | null };
}

/** The dataset folder's table of contents, written last at every checkpoint. */
export interface ExportManifest {
  format: number;
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
  const files: ShardEntry['files'] = { stats: `${STATS_DIR}/stats-${id}.json` };
  for (const { name } of SHARD_KINDS) {
    files[name] = `${DATA_DIR}/${name}-${id}.jsonl`;
    files[parquetKey(name)] = `${DATA_DIR}/${name}-${id}.parquet`;
  }
  return files;
}

/** Every file a shard entry names. */
export function shardFilePaths(shard: ShardEntry): string[] {
  return Object.values(shard.files).filter((f): f is string => typeof f === 'string');
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
