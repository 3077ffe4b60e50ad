import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExportIoError, UserInputError } from '../errors/medistillErrors.ts';
import { writeFileAtomic } from './atomicFile.ts';
import { MANIFEST_FILE, readManifest, shardFilePaths, type ExportManifest } from './exportManifest.ts';

/** Folder of the snapshots inside the dataset folder. */
export const SNAPSHOTS_DIR = 'snapshots';
/** The list of published snapshots, newest last. */
export const SNAPSHOT_INDEX = `${SNAPSHOTS_DIR}/index.json`;
/** What a snapshot folder says about itself. */
export const SNAPSHOT_FILE = 'snapshot.json';
/** Files of the folder that are not shards but belong to a snapshot when present (a run's failures, the card). */
const EXTRA_FILES = ['README.md', 'failures.parquet', 'failures.jsonl'];
/** Attempts when a checkpoint replaces a shard between reading the manifest and linking its files. */
const ATTEMPTS = 5;

/** One published snapshot. */
export interface SnapshotInfo {
  /** `v0001`, `v0002`, ...: the folder's name under `snapshots/`, never reused. */
  version: string;
  /** Digest of the exact shard files it holds (sha256 of their names, which are never reused either). */
  id: string;
  createdAt: string;
  /** When the checkpoint it publishes was written. */
  checkpointAt: string;
  papers: number;
  accepted: number;
  rejected: number;
  /** Items removed by revisions and deletions since the export began. */
  removed: number;
  /** Against the snapshot before it (null for the first). */
  changes: { previous: string; shardFilesAdded: number; shardFilesDropped: number; acceptedDelta: number; removedSince: number } | null;
  /** Paths relative to the snapshot folder. */
  files: string[];
}

/** What publishing did. */
export interface SnapshotResult {
  snapshot: SnapshotInfo;
  /** False when the newest snapshot already held exactly this checkpoint (nothing was written). */
  created: boolean;
  /** Absolute path of the snapshot folder. */
  dir: string;
}

/**
 * Publishes the dataset folder's current checkpoint as an immutable, versioned snapshot:
 * `snapshots/vNNNN/` holds the card, the manifest and every shard file the manifest names, hard-linked
 * (shard files are never rewritten in place, so a link is as good as a copy and costs no space), plus
 * `snapshot.json` with its version, content id and what changed since the previous snapshot. A
 * snapshot folder is a dataset folder of its own: `load_dataset("out/x/snapshots/v0003")` reads
 * exactly the data a model was trained on. Publishing the checkpoint of the newest snapshot again
 * returns that snapshot.
 * @example const { snapshot } = await publishSnapshot('out/sample'); // snapshot.version === 'v0001'
 */
export async function publishSnapshot(outDir: string, options: { now?: () => Date } = {}): Promise<SnapshotResult> {
  const now = options.now ?? (() => new Date());
  const index = await readSnapshotIndex(outDir);
  const latest = index.at(-1) ?? null;
  for (let attempt = 1; ; attempt++) {
    const manifest = await readManifest(outDir);
    if (!manifest) throw new UserInputError(`${outDir} holds no exported dataset (no ${MANIFEST_FILE}); run an export first`);
    const shardFiles = manifest.shards.flatMap(shardFilePaths).sort();
    const id = createHash('sha256').update(shardFiles.join('\n')).digest('hex').slice(0, 16);
    if (latest && latest.id === id) return { snapshot: latest, created: false, dir: join(outDir, SNAPSHOTS_DIR, latest.version) };
    const version = await nextVersion(outDir, index);
    try {
      const snapshot = await writeSnapshot(outDir, manifest, shardFiles, { version, id, createdAt: now().toISOString(), previous: latest });
      await writeFileAtomic(join(outDir, SNAPSHOT_INDEX), `${JSON.stringify([...index, snapshot], null, 1)}\n`);
      return { snapshot, created: true, dir: join(outDir, SNAPSHOTS_DIR, version) };
    } catch (err) {
      // A checkpoint replaced a shard meanwhile: start again from the new manifest.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= ATTEMPTS) throw err instanceof ExportIoError ? err : new ExportIoError(outDir, { cause: err });
    }
  }
}

/** The next free version: past every listed one and every folder a crash may have left unlisted. */
async function nextVersion(outDir: string, index: readonly SnapshotInfo[]): Promise<string> {
  let names: string[] = [];
  try {
    names = await readdir(join(outDir, SNAPSHOTS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ExportIoError(join(outDir, SNAPSHOTS_DIR), { cause: err });
  }
  const numbers = [...index.map((s) => s.version), ...names].map((n) => /^v(\d+)$/.exec(n)?.[1]).filter((n) => n !== undefined).map(Number);
  return `v${String(Math.max(0, ...numbers) + 1).padStart(4, '0')}`;
}

/** The snapshots published in `outDir`, oldest first (none when there are none). */
export async function readSnapshotIndex(outDir: string): Promise<SnapshotInfo[]> {
  try {
    return JSON.parse(await readFile(join(outDir, SNAPSHOT_INDEX), 'utf8')) as SnapshotInfo[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ExportIoError(join(outDir, SNAPSHOT_INDEX), { cause: err });
  }
}

async function writeSnapshot(
  outDir: string,
  manifest: ExportManifest,
  shardFiles: readonly string[],
  meta: { version: string; id: string; createdAt: string; previous: SnapshotInfo | null },
): Promise<SnapshotInfo> {
  const root = join(outDir, SNAPSHOTS_DIR);
  const tmp = join(root, `.${meta.version}.tmp`);
  const final = join(root, meta.version);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    for (const f of shardFiles) await linkOrCopy(join(outDir, f), join(tmp, f));
    const extras: string[] = [];
    for (const name of await readdir(outDir)) if (EXTRA_FILES.includes(name)) extras.push(name);
    for (const f of extras) await copyFile(join(outDir, f), join(tmp, f));
    await writeFile(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    const sum = (k: 'papers' | 'accepted' | 'rejected') => manifest.shards.reduce((n, s) => n + s[k], 0);
    const previousFiles = new Set(meta.previous?.files ?? []);
    const files = [...shardFiles, ...extras, MANIFEST_FILE, SNAPSHOT_FILE].sort();
    const accepted = sum('accepted');
    const snapshot: SnapshotInfo = {
      version: meta.version,
      id: meta.id,
      createdAt: meta.createdAt,
      checkpointAt: manifest.generatedAt,
      papers: sum('papers'),
      accepted,
      rejected: sum('rejected'),
      removed: manifest.removed,
      changes: meta.previous
        ? {
            previous: meta.previous.version,
            shardFilesAdded: shardFiles.filter((f) => !previousFiles.has(f)).length,
            shardFilesDropped: meta.previous.files.filter((f) => f.startsWith('data/') && !shardFiles.includes(f)).length,
            acceptedDelta: accepted - meta.previous.accepted,
            removedSince: manifest.removed - meta.previous.removed,
          }
        : null,
      files,
    };
    await writeFile(join(tmp, SNAPSHOT_FILE), `${JSON.stringify(snapshot, null, 1)}\n`);
    if (extras.includes('README.md')) await appendCitation(join(tmp, 'README.md'), snapshot);
    await rename(tmp, final);
    return snapshot;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The card of a snapshot says which version it is, so a model card can cite it. */
async function appendCitation(path: string, s: SnapshotInfo): Promise<void> {
  const text = await readFile(path, 'utf8');
  const lines = [
    '',
    '## Snapshot',
    '',
    `This folder is snapshot **${s.version}** (content id \`${s.id}\`), published ${s.createdAt} from the checkpoint of ${s.checkpointAt}: ${s.accepted} accepted items from ${s.papers} papers.`,
    s.changes
      ? `Since ${s.changes.previous}: ${s.changes.acceptedDelta >= 0 ? '+' : ''}${s.changes.acceptedDelta} accepted items, ${s.changes.removedSince} items removed by revisions and deletions, ${s.changes.shardFilesAdded} shard files new, ${s.changes.shardFilesDropped} dropped.`
      : 'It is the first snapshot.',
    'Its files never change; `snapshot.json` lists them.',
    '',
  ];
  await writeFile(path, text.replace(/\n*$/, '\n') + lines.join('\n'));
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another file system, or one without hard links: a copy is as good, only bigger.
    if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP') await copyFile(from, to);
    else throw err;
  }
}
