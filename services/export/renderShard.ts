import { join } from 'node:path';
import { toDatasetRow, toRejectedRow } from './datasetRow.ts';
import { createStatsAccumulator, type StatsAccumulator, type StatsParts } from './datasetStats.ts';
import { openAtomicFile, writeFileAtomic, type AtomicFile } from './atomicFile.ts';
import type { ExportDb, QuestionHolder, StoredPaper, StoredPreferences } from './exportDb.ts';
import { toPreferenceRow } from './preferenceRow.ts';
import { itemPosition, KEYS } from './exportKeys.ts';
import { parquetKey, shardFiles, type ShardEntry } from './exportManifest.ts';
import { encodeJsonRow } from './datasetFeatures.ts';
import { encodeParquet } from './parquetEncoding.ts';
import { SHARD_KINDS, type ShardKind, type ShardKindName } from './shardKinds.ts';
import { pmidKey } from './pmidKey.ts';
import { questionKey } from './questionKey.ts';

export interface RenderShardOptions {
  db: ExportDb;
  outDir: string;
  /** The range to render: PMID keys in [lo, hi); hi null for the last shard. */
  lo: string;
  hi: string | null;
  /** A shard that reaches this many rows is closed at the next paper and the rest goes to a new one. */
  maxRows: number;
  /** Papers read per multi-get of question holders. */
  readBatch: number;
  /** Hands out fresh file numbers. */
  nextFile: () => number;
}

/** A rendered shard: its manifest entry and its statistics. */
export interface RenderedShard {
  entry: ShardEntry;
  parts: StatsParts;
}

/**
 * Writes the rows of the papers in one PMID range from the table store to new shard files (for each
 * kind of row, accepted and rejected with reasons, a Parquet and a JSONL file; statistics), all under fresh file numbers so the files the
 * current manifest names stay untouched until a new manifest replaces it. A range that holds more
 * than `maxRows` rows comes out as several shards; an empty range as none.
 */
export async function renderShard(options: RenderShardOptions): Promise<RenderedShard[]> {
  const out: RenderedShard[] = [];
  let piece: Piece | null = null;
  let batch: StoredPaper[] = [];
  const open: Piece[] = [];
  try {
    const flush = async () => {
      const questions = batch.flatMap((p) => p.items.filter((i) => i.verdict === 'accept').map((i) => questionKey(i.candidate.question)));
      const holders = (await options.db.getMany(questions.map((q) => KEYS.owner(q)))) as (QuestionHolder | undefined)[];
      const preferences = (await options.db.getMany(batch.map((p) => KEYS.preferences(p.pmid)))) as (StoredPreferences | undefined)[];
      let next = 0;
      for (const [i, paper] of batch.entries()) {
        if (!piece || piece.rows >= options.maxRows) {
          if (piece) out.push(await piece.close());
          piece = await openPiece(options, piece ? pmidKey(paper.pmid) : options.lo);
          open.push(piece);
        }
        await piece.addPaper(paper, () => holders[next++], preferences[i]);
      }
      batch = [];
    };
    for await (const value of options.db.values(KEYS.paperRange(options.lo, options.hi))) {
      batch.push(value as StoredPaper);
      if (batch.length >= options.readBatch) await flush();
    }
    await flush();
    if (piece) out.push(await (piece as Piece).close());
    return out;
  } catch (err) {
    await Promise.all(open.map((p) => p.discard()));
    throw err;
  }
}

interface Piece {
  readonly rows: number;
  addPaper(paper: StoredPaper, holderOfNextAccepted: () => QuestionHolder | undefined, preferences: StoredPreferences | undefined): Promise<void>;
  close(): Promise<RenderedShard>;
  discard(): Promise<void>;
}

/** The rows of one kind in a shard being written: its JSONL file as it goes, its Parquet file at the end. */
interface KindWriter {
  kind: ShardKind;
  jsonl: AtomicFile;
  rows: object[];
}

async function openPiece(options: RenderShardOptions, lo: string): Promise<Piece> {
  const file = options.nextFile();
  const files = shardFiles(file);
  const writers = new Map<string, KindWriter>();
  for (const kind of SHARD_KINDS) writers.set(kind.name, { kind, jsonl: await openAtomicFile(join(options.outDir, files[kind.name]!)), rows: [] });
  const stats: StatsAccumulator = createStatsAccumulator(null);
  let papers = 0;
  let rows = 0;
  const add = async (kind: ShardKindName, row: object) => {
    const w = writers.get(kind)!;
    w.rows.push(row);
    await w.jsonl.appendLine(encodeJsonRow(w.kind.features, row));
  };
  /** Publishes a kind's files, or none when the shard has no such rows. */
  const publish = async (w: KindWriter, entryFiles: ShardEntry['files']) => {
    const name = w.kind.name;
    if (w.rows.length === 0) {
      await w.jsonl.discard();
      entryFiles[name] = null;
      entryFiles[parquetKey(name)] = null;
      return;
    }
    await w.jsonl.commit();
    await writeFileAtomic(join(options.outDir, files[parquetKey(name)]!), encodeParquet(w.kind.features, w.rows));
    entryFiles[name] = files[name]!;
    entryFiles[parquetKey(name)] = files[parquetKey(name)]!;
  };
  return {
    get rows() {
      return rows;
    },
    async addPaper(paper, holderOfNextAccepted, preferences) {
      papers++;
      // Only pairs of the paper's current judgement: both items still there, same PMID version.
      if (preferences && preferences.pmidVersion === paper.pmidVersion) {
        const ids = new Set(paper.items.map((i) => i.candidate.id));
        for (const pair of preferences.preferences.pairs) {
          if (!ids.has(pair.chosen.itemId) || !ids.has(pair.rejected.itemId)) continue;
          rows++;
          const row = toPreferenceRow(pair, preferences.preferences.scoring);
          stats.addPreference(row);
          await add('preferences', row);
        }
      }
      for (const [index, item] of paper.items.entries()) {
        rows++;
        if (item.verdict !== 'accept') {
          const row = toRejectedRow(item);
          stats.addRejected(row);
          await add('rejected', row);
          continue;
        }
        const holder = holderOfNextAccepted();
        if (holder && holder.position !== itemPosition(paper.seq, index)) {
          const row = toRejectedRow(item, holder.id);
          stats.addRejected(row);
          await add('rejected', row);
          continue;
        }
        const row = toDatasetRow(item);
        stats.addAccepted(row);
        await add('accepted', row);
      }
    },
    async close() {
      const parts = stats.toParts();
      const entryFiles: ShardEntry['files'] = { stats: files.stats };
      const counts: Record<string, number> = {};
      for (const w of writers.values()) {
        counts[w.kind.name] = w.rows.length;
        await publish(w, entryFiles);
      }
      const entry: ShardEntry = { lo, file, papers, accepted: counts.accepted ?? 0, rejected: counts.rejected ?? 0, rows: counts, files: entryFiles };
      await writeFileAtomic(join(options.outDir, files.stats), `${JSON.stringify(parts)}\n`);
      return { entry, parts };
    },
    async discard() {
      await Promise.all([...writers.values()].map((w) => w.jsonl.discard()));
    },
  };
}
