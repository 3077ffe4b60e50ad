import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetRow, RejectedRow } from './datasetRow.ts';
import type { PreferenceRow } from './preferenceRow.ts';
import { readManifest } from './exportManifest.ts';

/** Attempts when a checkpoint replaces a shard file between reading the manifest and the file. */
const ATTEMPTS = 5;

/**
 * The rows of an exported dataset as its manifest lists them: one consistent view, even while the
 * export writes its next checkpoint (a file superseded mid-read makes the read start again from the
 * new manifest). An absent dataset reads as no rows.
 * @example const rows = await readExportRows('out/export', 'accepted');
 */
export async function readExportRows(outDir: string, which: 'accepted'): Promise<DatasetRow[]>;
export async function readExportRows(outDir: string, which: 'rejected'): Promise<RejectedRow[]>;
export async function readExportRows(outDir: string, which: 'preferences'): Promise<PreferenceRow[]>;
export async function readExportRows(outDir: string, which: 'accepted' | 'rejected' | 'preferences'): Promise<unknown[]> {
  for (let attempt = 1; ; attempt++) {
    const manifest = await readManifest(outDir);
    if (!manifest) return [];
    try {
      const rows: unknown[] = [];
      for (const shard of manifest.shards) {
        const file = shard.files[which];
        if (!file) continue;
        for (const line of (await readFile(join(outDir, file), 'utf8')).split('\n')) if (line) rows.push(JSON.parse(line) as unknown);
      }
      return rows;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= ATTEMPTS) throw err;
    }
  }
}
