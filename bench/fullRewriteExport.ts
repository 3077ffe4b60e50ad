import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { PaperEntry } from '../services/export/paperEntry.ts';
import { createDatasetWriter, type DatasetSummary } from '../services/export/createDatasetWriter.ts';

/**
 * The export's state: the newest judgement of every paper (higher PMID version first, then the
 * newer production time, so a replay with a new prompt or model replaces older items), and the
 * deleted PMIDs, which never come back. Applying the same message twice changes nothing, which is
 * what makes redelivery harmless.
 */
export class ExportState {
  private readonly papers = new Map<string, PaperEntry>();
  private readonly deleted = new Set<string>();
  private changed = false;

  /** Applies one judgement; returns false when an entry at least as new is already held. */
  apply(entry: PaperEntry): boolean {
    if (this.deleted.has(entry.pmid)) return false;
    const current = this.papers.get(entry.pmid);
    if (current && (current.pmidVersion > entry.pmidVersion || (current.pmidVersion === entry.pmidVersion && current.producedAt >= entry.producedAt))) {
      return false;
    }
    this.papers.set(entry.pmid, entry);
    this.changed = true;
    return true;
  }

  /** A tombstone: the paper's items leave the export for good. */
  delete(pmid: string): void {
    this.deleted.add(pmid);
    this.papers.delete(pmid);
    this.changed = true;
  }

  get dirty(): boolean {
    return this.changed;
  }

  get size(): number {
    return this.papers.size;
  }

  entries(): IterableIterator<PaperEntry> {
    return this.papers.values();
  }

  /** Writes the state to `dir` atomically (temp file, fsync, rename), then clears the dirty flag. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, 'state.jsonl.tmp');
    const fh = await open(tmp, 'w');
    try {
      let chunk = `${JSON.stringify({ deleted: [...this.deleted] })}\n`;
      for (const e of this.papers.values()) {
        chunk += `${JSON.stringify(e)}\n`;
        if (chunk.length > 1 << 20) {
          await fh.write(chunk);
          chunk = '';
        }
      }
      await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, 'state.jsonl'));
    this.changed = false;
  }

  /** Loads a state saved by `save`; an absent file gives an empty state. */
  static async load(dir: string): Promise<ExportState> {
    const state = new ExportState();
    const path = join(dir, 'state.jsonl');
    let first = true;
    try {
      const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        const obj = JSON.parse(line) as PaperEntry & { deleted?: string[] };
        if (first) {
          first = false;
          for (const p of obj.deleted ?? []) state.deleted.add(p);
          continue;
        }
        state.papers.set(obj.pmid, obj);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return state;
  }

  /**
   * Writes the dataset (JSONL, rejected items, card) from the state into a fresh folder and swaps
   * it in for `outDir`, so readers never see a half-written export.
   */
  async materialize(outDir: string): Promise<DatasetSummary> {
    const next = `${outDir}.next`;
    const old = `${outDir}.old`;
    await rm(next, { recursive: true, force: true });
    const meshVersion = this.papers.values().next().value?.meshVersion ?? null;
    const writer = createDatasetWriter({ outDir: next, meshVersion });
    for (const e of this.papers.values()) for (const item of e.items) await writer.write(item);
    const summary = await writer.close();
    await rm(old, { recursive: true, force: true });
    await rename(outDir, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(next, outDir);
    await rm(old, { recursive: true, force: true });
    return { ...summary, files: { dataset: join(outDir, 'dataset.jsonl'), rejected: join(outDir, 'rejected.jsonl'), card: join(outDir, 'card.md') } };
  }
}
