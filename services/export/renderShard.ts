import { join } from 'node:path';
import { toDatasetRow, toRejectedRow } from './datasetRow.ts';
import { createStatsAccumulator, type StatsAccumulator, type StatsParts } from './datasetStats.ts';
import { openAtomicFile, writeFileAtomic, type AtomicFile } from './atomicFile.ts';
import type { ExportDb, QuestionHolder, StoredPaper } from './exportDb.ts';
import { itemPosition, KEYS } from './exportKeys.ts';
import { shardFiles, type ShardEntry } from './exportManifest.ts';
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
 * Writes the rows of the papers in one PMID range from the table store to new shard files (accepted
 * rows, rejected rows with reasons, statistics), all under fresh file numbers so the files the
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
      let next = 0;
      for (const paper of batch) {
        if (!piece || piece.rows >= options.maxRows) {
          if (piece) out.push(await piece.close());
          piece = await openPiece(options, piece ? pmidKey(paper.pmid) : options.lo);
          open.push(piece);
        }
        await piece.addPaper(paper, () => holders[next++]);
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
  addPaper(paper: StoredPaper, holderOfNextAccepted: () => QuestionHolder | undefined): Promise<void>;
  close(): Promise<RenderedShard>;
  discard(): Promise<void>;
}

async function openPiece(options: RenderShardOptions, lo: string): Promise<Piece> {
  const file = options.nextFile();
  const files = shardFiles(file);
  const accepted = await openAtomicFile(join(options.outDir, files.accepted!));
  const rejected = await openAtomicFile(join(options.outDir, files.rejected!));
  const stats: StatsAccumulator = createStatsAccumulator(null);
  let papers = 0;
  let rows = 0;
  const publishOrDrop = async (f: AtomicFile, name: string) => {
    if (f.lines === 0) {
      await f.discard();
      return null;
    }
    await f.commit();
    return name;
  };
  return {
    get rows() {
      return rows;
    },
    async addPaper(paper, holderOfNextAccepted) {
      papers++;
      for (const [index, item] of paper.items.entries()) {
        rows++;
        if (item.verdict !== 'accept') {
          const row = toRejectedRow(item);
          stats.addRejected(row);
          await rejected.appendJson(row);
          continue;
        }
        const holder = holderOfNextAccepted();
        if (holder && holder.position !== itemPosition(paper.seq, index)) {
          const row = toRejectedRow(item, holder.id);
          stats.addRejected(row);
          await rejected.appendJson(row);
          continue;
        }
        const row = toDatasetRow(item);
        stats.addAccepted(row);
        await accepted.appendJson(row);
      }
    },
    async close() {
      const parts = stats.toParts();
      const entry: ShardEntry = {
        lo,
        file,
        papers,
        accepted: accepted.lines,
        rejected: rejected.lines,
        files: {
          accepted: await publishOrDrop(accepted, files.accepted!),
          rejected: await publishOrDrop(rejected, files.rejected!),
          stats: files.stats,
        },
      };
      await writeFileAtomic(join(options.outDir, files.stats), `${JSON.stringify(parts)}\n`);
      return { entry, parts };
    },
    async discard() {
      await Promise.all([accepted.discard(), rejected.discard()]);
    },
  };
}
