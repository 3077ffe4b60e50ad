import { createReadStream } from 'node:fs';
import { readEvalReports, renderEvalSection, withEvalSection } from '../eval/evalCardSection.ts';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ExportConfigError, ExportIoError, WriterClosedError } from '../errors/medistillErrors.ts';
import { writeFileAtomic } from './atomicFile.ts';
import { renderDatasetCard } from './datasetCard.ts';
import { renderCardFrontMatter, type CardConfig } from './cardFrontMatter.ts';
import { SHARD_KINDS } from './shardKinds.ts';
import { createStatsAccumulator, type DatasetStats, type StatsParts } from './datasetStats.ts';
import { openExportDb, type ExportCounters, type ExportDb, type ExportDbOp, type StoredPaper, type StoredPreferences } from './exportDb.ts';
import { KEYS } from './exportKeys.ts';
import {
  ACCEPTED_GLOB,
  DATA_DIR,
  kindGlob,
  MANIFEST_FILE,
  MANIFEST_FORMAT,

  readManifest,
  REJECTED_GLOB,
  shardFilePaths,
  shardIndexOf,
  STATS_DIR,
  writeManifest,
  type ExportManifest,
  type ShardEntry,
} from './exportManifest.ts';
import { isNewerJudgement, type PaperEntry, type PreferencesEntry } from './paperEntry.ts';
import { planQuestionChanges, questionsOf } from './questionIndex.ts';
import { renderShard } from './renderShard.ts';

export type { PaperEntry, PreferencesEntry } from './paperEntry.ts';

/** The dataset card: YAML front matter for Hugging Face `datasets` and the Hub, then the statistics. */
export const CARD_FILE = 'README.md';
/** Files of earlier layouts (single files, the card under its old name); removed by the first checkpoint. */
const LEGACY_FILES = ['dataset.jsonl', 'rejected.jsonl', 'card.md'];

export interface ExportStoreOptions {
  /** The dataset folder: card.md, manifest.json, data/accepted-*.jsonl, data/rejected-*.jsonl, stats/. */
  outDir: string;
  /** Where the table store lives (default `<outDir>.state`, beside the dataset folder). */
  stateDir?: string;
  /** MeSH version shown in the card (default: that of the last judgement applied). */
  meshVersion?: string | null;
  /** Title of the dataset card. */
  title?: string;
  /** Clock for the card's and manifest's generation time (default: the system clock). */
  now?: () => Date;
  /**
   * Rows (accepted and rejected) past which a shard is split at the next paper (default 2,000). Smaller
   * shards make a scattered revision rewrite less; larger ones make fewer files.
   */
  maxRowsPerShard?: number;
  /** Papers rendered per multi-get of question holders (default 256). */
  readBatch?: number;
  /** LevelDB block cache in bytes (default 8 MiB): the store's memory does not grow with the dataset. */
  cacheSize?: number;
  /**
   * Configurations of files the caller keeps in the folder (`medistill run`'s failures.jsonl), added
   * to the card's; asked at every checkpoint, and the card is rewritten at a checkpoint with nothing
   * new when they are given.
   */
  extraConfigs?: () => CardConfig[];
}

/** What a checkpoint leaves in the dataset folder. */
export interface ExportCheckpoint {
  papers: number;
  /** Items in the dataset. */
  accepted: number;
  /** Items the judge rejected. */
  rejected: number;
  /** Accepted items dropped because an earlier item asks the same question. */
  duplicates: number;
  /** Items removed by revisions and deletions since the export began. */
  removed: number;
  /** Preference pairs (DPO rows) in the dataset. */
  preferences: number;
  shards: number;
  /** Shards this checkpoint wrote (0 when nothing changed). */
  shardsWritten: number;
  /** Rows this checkpoint wrote. */
  rowsWritten: number;
  /** The card's statistics. */
  stats: DatasetStats;
  /** Absolute paths; `accepted`, `rejected` and `preferences` are globs over the JSONL shard files, `parquet` over the Parquet ones of every kind. */
  files: { outDir: string; card: string; manifest: string; accepted: string; rejected: string; preferences: string; parquet: string };
}

/** The judged items of every paper, kept on disk and published as a sharded dataset folder. */
export interface ExportStore {
  /**
   * Applies a paper's judgement. The newest judgement of a paper wins (higher pmidVersion, then later
   * producedAt); a deleted PMID never comes back; applying the same entry twice changes nothing.
   * Returns false when the entry was ignored.
   */
  apply(entry: PaperEntry): Promise<boolean>;
  /**
   * Applies a paper's preference pairs: the newest set replaces the paper's older one whole (same
   * rule as judgements). Only pairs whose two items are in the paper's current judgement, of the
   * same PMID version, are written to the dataset. Returns false when the entry was ignored.
   */
  applyPreferences(entry: PreferencesEntry): Promise<boolean>;
  /** Tombstone: the paper's items and pairs leave the dataset for good. */
  delete(pmid: string): Promise<void>;
  /** True when something was applied or deleted since the last checkpoint. */
  readonly dirty: boolean;
  /**
   * Makes everything applied durable and brings the dataset folder up to date, rewriting only the
   * shards whose papers changed; the manifest is written last, so readers of it see the previous
   * dataset or the new one, never a mix.
   */
  checkpoint(): Promise<ExportCheckpoint>;
  /** Closes the table store; pending changes not yet checkpointed are kept for the next open. */
  close(): Promise<void>;
}

/**
 * Opens the export store: the table store in `stateDir` (restored as it was at the last write) and
 * the dataset folder in `outDir` (its manifest, with files a crash left behind removed).
 * @example
 * const store = await openExportStore({ outDir: 'out/export' });
 * await store.apply({ pmid: '1', pmidVersion: 1, producedAt: Date.now(), meshVersion: '2024', items });
 * const { accepted, files } = await store.checkpoint();
 * await store.close();
 */
export async function openExportStore(options: ExportStoreOptions): Promise<ExportStore> {
  const maxRows = options.maxRowsPerShard ?? 2_000;
  const readBatch = options.readBatch ?? 256;
  const cacheSize = options.cacheSize ?? 8 << 20;
  if (!options.outDir) throw new ExportConfigError('outDir must be a non-empty path');
  for (const [name, value] of Object.entries({ maxRowsPerShard: maxRows, readBatch, cacheSize })) {
    if (!Number.isInteger(value) || value < 1) throw new ExportConfigError(`${name} must be a positive integer, got ${value}`);
  }
  const outDir = options.outDir.replace(/\/+$/, '');
  const stateDir = options.stateDir ?? `${outDir}.state`;
  const now = options.now ?? (() => new Date());
  try {
    await mkdir(join(outDir, DATA_DIR), { recursive: true });
    await mkdir(join(outDir, STATS_DIR), { recursive: true });
    await mkdir(stateDir, { recursive: true });
  } catch (cause) {
    throw new ExportIoError(outDir, { cause });
  }

  const db = await openExportDb(join(stateDir, 'tables'), cacheSize);
  const saved = (await db.get(KEYS.counters)) as ExportCounters | undefined;
  const fresh = saved === undefined;
  let counters: ExportCounters = saved ?? { nextSeq: 0, removed: 0, meshVersion: null };
  let manifest = await readManifest(outDir);
  let parts = await readShardParts(outDir, manifest?.shards ?? []);
  await removeUnlisted(outDir, manifest?.shards ?? []);

  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();
  /** Store operations run one at a time: each reads the tables, then writes one batch. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new WriterClosedError());
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const applyNow = async (entry: PaperEntry): Promise<boolean> => {
    if ((await db.get(KEYS.tombstone(entry.pmid))) !== undefined) return false;
    const old = (await db.get(KEYS.paper(entry.pmid))) as StoredPaper | undefined;
    if (old && !isNewerJudgement(entry, old)) return false;
    const seq = old ? old.seq : counters.nextSeq;
    const stored: StoredPaper = { pmid: entry.pmid, pmidVersion: entry.pmidVersion, producedAt: entry.producedAt, meshVersion: entry.meshVersion, items: entry.items, seq };
    const { ops, touched } = await planQuestionChanges(db, questionsOf(old, seq), questionsOf(stored, seq));
    const next: ExportCounters = {
      nextSeq: old ? counters.nextSeq : counters.nextSeq + 1,
      removed: counters.removed + (old?.items.length ?? 0),
      meshVersion: entry.meshVersion,
    };
    ops.push({ type: 'put', key: KEYS.paper(entry.pmid), value: stored });
    await commit(ops, touched.add(entry.pmid), next);
    return true;
  };

  const applyPreferencesNow = async (entry: PreferencesEntry): Promise<boolean> => {
    if ((await db.get(KEYS.tombstone(entry.pmid))) !== undefined) return false;
    const old = (await db.get(KEYS.preferences(entry.pmid))) as StoredPreferences | undefined;
    if (old && !isNewerJudgement(entry, old)) return false;
    const stored: StoredPreferences = { pmid: entry.pmid, pmidVersion: entry.pmidVersion, producedAt: entry.producedAt, preferences: entry.preferences };
    await commit([{ type: 'put', key: KEYS.preferences(entry.pmid), value: stored }], new Set([entry.pmid]), counters);
    return true;
  };

  const deleteNow = async (pmid: string): Promise<void> => {
    if ((await db.get(KEYS.tombstone(pmid))) !== undefined) return;
    const old = (await db.get(KEYS.paper(pmid))) as StoredPaper | undefined;
    const { ops, touched } = await planQuestionChanges(db, questionsOf(old, old?.seq ?? 0), new Map());
    ops.push({ type: 'put', key: KEYS.tombstone(pmid), value: 1 });
    ops.push({ type: 'del', key: KEYS.preferences(pmid) });
    if (old) {
      ops.push({ type: 'del', key: KEYS.paper(pmid) });
      touched.add(pmid);
    }
    await commit(ops, touched, { ...counters, removed: counters.removed + (old?.items.length ?? 0) });
  };

  /** Writes one change in one batch, with the dirty marks of the papers whose rows it changes. */
  const commit = async (ops: ExportDbOp[], touched: Set<string>, next: ExportCounters) => {
    for (const pmid of touched) ops.push({ type: 'put', key: KEYS.dirty(pmid), value: 1 });
    ops.push({ type: 'put', key: KEYS.counters, value: next });
    try {
      await db.batch(ops);
    } catch (cause) {
      throw new ExportIoError(stateDir, { cause });
    }
    counters = next;
    dirty = true;
  };

  if (fresh) await importLegacyState(stateDir, applyNow, deleteNow);
  // A dataset folder lost, never written, or written in an older layout while the tables hold papers: render every range.
  let fullRebuild = (manifest === null || manifest.format < MANIFEST_FORMAT) && (await firstKey(db, KEYS.anyPaper)) !== undefined;
  let dirty = fullRebuild || (await firstKey(db, { ...KEYS.dirtyRange, limit: 1 })) !== undefined;

  const meshVersion = () => (options.meshVersion !== undefined ? options.meshVersion : counters.meshVersion);

  const summarize = (m: ExportManifest, shardsWritten: number, rowsWritten: number): ExportCheckpoint => {
    const stats = createStatsAccumulator(meshVersion());
    for (const p of parts.values()) stats.addParts(p);
    stats.addRemoved(counters.removed);
    const snapshot = stats.snapshot();
    return {
      papers: m.shards.reduce((n, s) => n + s.papers, 0),
      accepted: snapshot.accepted,
      rejected: snapshot.rejected,
      duplicates: snapshot.duplicates,
      removed: snapshot.removed,
      preferences: snapshot.preferences.pairs,
      shards: m.shards.length,
      shardsWritten,
      rowsWritten,
      stats: snapshot,
      files: {
        outDir,
        card: join(outDir, CARD_FILE),
        manifest: join(outDir, MANIFEST_FILE),
        accepted: join(outDir, ACCEPTED_GLOB),
        rejected: join(outDir, REJECTED_GLOB),
        parquet: join(outDir, DATA_DIR, '*.parquet'),
        preferences: join(outDir, kindGlob('preferences', 'jsonl')),
      },
    };
  };

  /** The card: front matter naming a configuration per kind that has rows, then the statistics. */
  const writeCard = async (m: ExportManifest, summary: ExportCheckpoint): Promise<void> => {
    const configs: CardConfig[] = [];
    for (const kind of SHARD_KINDS) {
      const rows = m.shards.reduce((n, s) => n + (s.rows[kind.name] ?? 0), 0);
      // `datasets` cannot read a configuration without rows: a kind with none is left out until it has some.
      if (rows > 0) configs.push({ name: kind.config, dataFiles: kindGlob(kind.name, 'parquet'), features: kind.features, rows, default: kind.config === 'default' });
    }
    configs.push(...(options.extraConfigs?.() ?? []));
    const front = renderCardFrontMatter(configs, { prettyName: options.title ?? 'medistill dataset', size: summary.accepted });
    const body = renderDatasetCard(summary.stats, { title: options.title, generatedAt: m.generatedAt, files: { accepted: kindGlob('accepted', 'parquet'), rejected: kindGlob('rejected', 'parquet'), preferences: kindGlob('preferences', 'parquet') } });
    // The card keeps the dataset's evaluation reports (eval/*.json, written by `medistill eval`).
    await writeFileAtomic(join(outDir, CARD_FILE), withEvalSection(`${front}\n${body}`, renderEvalSection(await readEvalReports(outDir))));
  };

  const checkpointNow = async (): Promise<ExportCheckpoint> => {
    if (!dirty && manifest) {
      const summary = summarize(manifest, 0, 0);
      if (options.extraConfigs) await writeCard(manifest, summary);
      return summary;
    }
    // Everything applied so far becomes durable before any file names it.
    try {
      await db.put(KEYS.counters, counters, { sync: true });
    } catch (cause) {
      throw new ExportIoError(stateDir, { cause });
    }
    const dirtyKeys: string[] = [];
    for await (const key of db.keys(KEYS.dirtyRange)) dirtyKeys.push(key);
    const current: ShardEntry[] = manifest?.shards ?? [];
    // With no shard yet, the whole key space is one range to render.
    const ranges = current.length ? current : [null];
    const touched = new Set<number>();
    if (fullRebuild || current.length === 0) ranges.forEach((_, i) => touched.add(i));
    else for (const key of dirtyKeys) touched.add(shardIndexOf(current, key.slice(2)));

    let nextFile = manifest?.nextFile ?? 1;
    const shards: ShardEntry[] = [];
    const nextParts = new Map(parts);
    const superseded: ShardEntry[] = [];
    let rowsWritten = 0;
    let shardsWritten = 0;
    for (const [i, shard] of ranges.entries()) {
      if (!touched.has(i)) {
        shards.push(shard!);
        continue;
      }
      const rendered = await renderShard({
        db,
        outDir,
        lo: shard?.lo ?? '',
        hi: ranges[i + 1]?.lo ?? null,
        maxRows,
        readBatch,
        nextFile: () => nextFile++,
      });
      if (shard) {
        superseded.push(shard);
        nextParts.delete(shard.file);
      }
      for (const r of rendered) {
        shards.push(r.entry);
        nextParts.set(r.entry.file, r.parts);
        rowsWritten += r.entry.accepted + r.entry.rejected + (r.entry.rows.preferences ?? 0);
      }
      shardsWritten += rendered.length;
    }
    // An emptied first range hands its start to the next shard; the ranges still cover every key.
    if (shards.length) shards[0] = { ...shards[0]!, lo: '' };

    const next: ExportManifest = { format: MANIFEST_FORMAT, generatedAt: now().toISOString(), meshVersion: meshVersion(), nextFile, removed: counters.removed, shards };
    parts = nextParts;
    const summary = summarize(next, shardsWritten, rowsWritten);
    await writeCard(next, summary);
    await writeManifest(outDir, next);
    manifest = next;
    try {
      await db.batch(dirtyKeys.map((key) => ({ type: 'del' as const, key })));
    } catch (cause) {
      throw new ExportIoError(stateDir, { cause });
    }
    dirty = false;
    fullRebuild = false;
    await removeFiles(outDir, [...superseded.flatMap(shardFilePaths), ...LEGACY_FILES]);
    return summary;
  };

  return {
    apply: (entry) => serial(() => applyNow(entry)),
    applyPreferences: (entry) => serial(() => applyPreferencesNow(entry)),
    delete: (pmid) => serial(() => deleteNow(pmid)),
    get dirty() {
      return dirty;
    },
    checkpoint: () => serial(checkpointNow),
    async close() {
      if (closed) return;
      await serial(async () => undefined);
      closed = true;
      await db.close();
    },
  };
}

async function firstKey(db: ExportDb, range: { gt: string; lt: string; limit: number }): Promise<string | undefined> {
  for await (const key of db.keys(range)) return key;
  return undefined;
}

/** The saved statistics of every shard: O(shards) small files, merged for the card. */
async function readShardParts(outDir: string, shards: readonly ShardEntry[]): Promise<Map<number, StatsParts>> {
  const parts = new Map<number, StatsParts>();
  for (const s of shards) {
    const path = join(outDir, s.files.stats);
    try {
      parts.set(s.file, JSON.parse(await readFile(path, 'utf8')) as StatsParts);
    } catch (cause) {
      throw new ExportIoError(path, { cause });
    }
  }
  return parts;
}

/** Removes what a checkpoint cut short left behind: temporary files and shard files no manifest names. */
async function removeUnlisted(outDir: string, shards: readonly ShardEntry[]): Promise<void> {
  const listed = new Set(shards.flatMap(shardFilePaths));
  const stale: string[] = [];
  for (const dir of [DATA_DIR, STATS_DIR]) {
    for (const name of await readdir(join(outDir, dir))) if (!listed.has(`${dir}/${name}`)) stale.push(`${dir}/${name}`);
  }
  for (const name of await readdir(outDir)) if (name.endsWith('.tmp')) stale.push(name);
  await removeFiles(outDir, stale);
}

async function removeFiles(outDir: string, files: readonly (string | null | undefined)[]): Promise<void> {
  for (const f of files) if (f !== null && f !== undefined) await rm(join(outDir, f), { force: true });
}

/**
 * Imports the state file of the export before the table store (`state.jsonl`: a line of deleted
 * PMIDs, then one paper per line), so a service upgraded in place restarts where it stopped.
 */
async function importLegacyState(stateDir: string, apply: (entry: PaperEntry) => Promise<boolean>, remove: (pmid: string) => Promise<void>): Promise<void> {
  const path = join(stateDir, 'state.jsonl');
  let first = true;
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      const obj = JSON.parse(line) as PaperEntry & { deleted?: string[] };
      if (first) {
        first = false;
        for (const pmid of obj.deleted ?? []) await remove(pmid);
        continue;
      }
      await apply(obj);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ExportIoError(path, { cause: err });
  }
  await rename(path, `${path}.imported`);
}
