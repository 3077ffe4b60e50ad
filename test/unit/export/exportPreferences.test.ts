import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../../services/export/exportManifest.ts';
import { openExportStore, type ExportStore, type PaperEntry, type PreferencesEntry } from '../../../services/export/exportStore.ts';
import type { PreferenceRow } from '../../../services/export/preferenceRow.ts';
import { buildPreferencePairs } from '../../../services/preferences/buildPreferencePairs.ts';
import type { JudgedItem } from '../../../services/model/qaItem.ts';
import { judgedItem } from './judgedItems.ts';

let dir: string;
let outDir: string;
const stores: ExportStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-prefs-'));
  outDir = join(dir, 'export');
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(maxRowsPerShard?: number): Promise<ExportStore> {
  const store = await openExportStore({ outDir, now: () => new Date('2025-01-01T00:00:00Z'), ...(maxRowsPerShard ? { maxRowsPerShard } : {}) });
  stores.push(store);
  return store;
}

/** Two generators' candidates for one target: `a` scores `sa`, `b` scores `sb`. */
function items(pmid: string, version: number, tag: string, sa = 0.9, sb = 0.5): JudgedItem[] {
  const a = judgedItem({ id: `${pmid}-${tag}-a`, pmid, version, score: sa, question: `A ${tag} ${pmid}?` });
  const b = judgedItem({ id: `${pmid}-${tag}-b`, pmid, version, score: sb, question: `B ${tag} ${pmid}?`, verdict: sb < 0.6 ? 'reject' : 'accept', reasons: sb < 0.6 ? ['low_correct'] : [] });
  b.candidate.generator = { ...b.candidate.generator, name: 'second' };
  return [a, b];
}
const paper = (pmid: string, version: number, its: JudgedItem[], producedAt = 1): PaperEntry => ({ pmid, pmidVersion: version, producedAt, meshVersion: 'MeSH 2024', items: its });
const prefs = (pmid: string, version: number, its: JudgedItem[], producedAt = 1): PreferencesEntry => ({
  pmid,
  pmidVersion: version,
  producedAt,
  preferences: buildPreferencePairs({ pmid, pmidVersion: version, items: its, meshVersion: 'MeSH 2024' }),
});

function preferenceRows(): PreferenceRow[] {
  const data = join(outDir, 'data');
  return readdirSync(data)
    .filter((f) => f.startsWith('preferences-') && f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(data, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PreferenceRow));
}

describe('preference pairs in the export store', () => {
  it('writes DPO rows (prompt, chosen, rejected as strings, metadata beside) in shards the manifest names, counted in the card', async () => {
    const store = await open();
    const its = items('1', 1, 't');
    await store.apply(paper('1', 1, its));
    expect(await store.applyPreferences(prefs('1', 1, its))).toBe(true);
    const c = await store.checkpoint();
    expect(c.preferences).toBe(1);
    expect(c.files.preferences).toBe(join(outDir, 'data/preferences-*.jsonl'));
    const rows = preferenceRows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    for (const k of ['prompt', 'chosen', 'rejected'] as const) expect(typeof row[k]).toBe('string');
    expect(row.chosen).toBe('Question: A t 1?\nAnswer: metformin');
    expect(row.rejected).toBe('Question: B t 1?\nAnswer: metformin');
    expect(row.metadata).toMatchObject({ pmid: '1', pmid_version: 1, scoring: 'mean-of-criteria/v1', chosen: { item_id: '1-t-a', verdict: 'accept' }, rejected: { item_id: '1-t-b', verdict: 'reject', reject_reasons: ['low_correct'] } });
    expect(row.metadata.margin).toBeCloseTo(0.4, 10);
    const manifest = await readManifest(outDir);
    expect(manifest!.shards[0]).toMatchObject({ rows: { preferences: 1 }, files: { preferences: expect.stringMatching(/^data\/preferences-\d{5}\.jsonl$/), 'preferences.parquet': expect.stringMatching(/^data\/preferences-\d{5}\.parquet$/) } });
    const card = readFileSync(c.files.card, 'utf8');
    expect(card).toContain('## Preference pairs (DPO)');
    expect(card).toContain('Pairs: 1');
    expect(card).toMatch(/\| accept\/reject \| 1 \| 100\.0 % \|/);
    expect(card).toMatch(/\| margin \| 1 \| 0\.400 \|/);
  });

  it('keeps one set per paper: a newer set replaces the old whole, an older or repeated one is ignored', async () => {
    const store = await open();
    const v1 = items('1', 1, 'x');
    await store.apply(paper('1', 1, v1));
    expect(await store.applyPreferences(prefs('1', 1, v1, 5))).toBe(true);
    expect(await store.applyPreferences(prefs('1', 1, v1, 5))).toBe(false);
    expect(await store.applyPreferences(prefs('1', 1, v1, 4))).toBe(false);
    await store.checkpoint();
    expect(preferenceRows()).toHaveLength(1);
    // A replay with a new generator: new items and new pairs for the same version, produced later.
    const regen = [...items('1', 1, 'y'), ...items('1', 1, 'z', 0.8, 0.2)];
    await store.apply(paper('1', 1, regen, 9));
    await store.applyPreferences(prefs('1', 1, regen, 9));
    await store.checkpoint();
    expect(preferenceRows().map((r) => r.metadata.chosen.item_id).sort()).toEqual(['1-y-a', '1-z-a']);
  });

  it('never shows stale pairs: after a revision the old version\'s pairs vanish until the new version\'s arrive', async () => {
    const store = await open();
    const v1 = items('1', 1, 'x');
    await store.apply(paper('1', 1, v1));
    await store.applyPreferences(prefs('1', 1, v1));
    await store.checkpoint();
    expect(preferenceRows()).toHaveLength(1);
    // The revision's judgement arrives first (export and preferences consume separately).
    const v2 = items('1', 2, 'x');
    await store.apply(paper('1', 2, v2));
    expect((await store.checkpoint()).preferences).toBe(0);
    expect(preferenceRows()).toHaveLength(0);
    await store.applyPreferences(prefs('1', 2, v2));
    await store.checkpoint();
    expect(preferenceRows().map((r) => r.metadata.pmid_version)).toEqual([2]);
  });

  it('pairs that arrive before their judgement wait for it; a deleted paper loses its pairs and never gets them back', async () => {
    const store = await open();
    const its = items('7', 1, 'x');
    await store.applyPreferences(prefs('7', 1, its));
    expect((await store.checkpoint()).preferences).toBe(0);
    await store.apply(paper('7', 1, its));
    expect((await store.checkpoint()).preferences).toBe(1);
    await store.delete('7');
    expect(await store.applyPreferences(prefs('7', 1, its, 99))).toBe(false);
    expect((await store.checkpoint()).preferences).toBe(0);
    expect(preferenceRows()).toHaveLength(0);
  });

  it('rewrites only the shard of the paper whose pairs changed, and survives a restart', async () => {
    let store = await open(2);
    for (const pmid of ['1', '2', '3']) {
      const its = items(pmid, 1, 'x');
      await store.apply(paper(pmid, 1, its));
    }
    await store.checkpoint();
    const before = await readManifest(outDir);
    expect(before!.shards.length).toBeGreaterThan(1);
    const its = items('3', 1, 'x');
    await store.applyPreferences(prefs('3', 1, its));
    const c = await store.checkpoint();
    expect(c.shardsWritten).toBe(1);
    expect(c.preferences).toBe(1);
    await store.close();
    stores.splice(0);
    store = await open(2);
    expect((await store.checkpoint()).preferences).toBe(1);
  });
});
