import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatsAccumulator } from '../../../services/export/datasetStats.ts';
import type { DatasetRow, RejectedRow } from '../../../services/export/datasetRow.ts';
import { readManifest } from '../../../services/export/exportManifest.ts';
import { openExportStore, type ExportStore, type ExportStoreOptions, type PaperEntry } from '../../../services/export/exportStore.ts';
import { judgedItem, type ItemSpec } from './judgedItems.ts';

let dir: string;
let outDir: string;
const stores: ExportStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-store-'));
  outDir = join(dir, 'export');
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: Partial<ExportStoreOptions> = {}): Promise<ExportStore> {
  const store = await openExportStore({ outDir, now: () => new Date('2025-01-01T00:00:00Z'), ...options });
  stores.push(store);
  return store;
}

function paper(pmid: string, items: Omit<ItemSpec, 'pmid'>[], version = 1, producedAt = 1): PaperEntry {
  return { pmid, pmidVersion: version, producedAt, meshVersion: 'MeSH 2024', items: items.map((i) => judgedItem({ ...i, pmid, version })) };
}

function readRows<T>(glob: 'accepted' | 'rejected'): T[] {
  const data = join(outDir, 'data');
  return readdirSync(data)
    .filter((f) => f.startsWith(`${glob}-`) && f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(data, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T));
}
const acceptedIds = () => readRows<DatasetRow>('accepted').map((r) => r.id).sort();
const rejectedRows = () => readRows<RejectedRow>('rejected');

describe('openExportStore', () => {
  it('keeps the newest judgement of a paper: a higher version, then a later production time', async () => {
    const store = await open();
    expect(await store.apply(paper('1', [{ id: 'v1' }], 1, 10))).toBe(true);
    expect(await store.apply(paper('1', [{ id: 'v2' }], 2, 5))).toBe(true);
    expect(await store.apply(paper('1', [{ id: 'old' }], 1, 99))).toBe(false);
    expect(await store.apply(paper('1', [{ id: 'v2-regen' }], 2, 6))).toBe(true);
    expect(await store.apply(paper('1', [{ id: 'v2-older' }], 2, 4))).toBe(false);
    const c = await store.checkpoint();
    expect(acceptedIds()).toEqual(['v2-regen']);
    expect(c).toMatchObject({ papers: 1, accepted: 1, removed: 2 });
  });

  it('never brings a deleted PMID back', async () => {
    const store = await open();
    await store.apply(paper('1', [{ id: 'a' }]));
    await store.apply(paper('2', [{ id: 'b' }]));
    await store.checkpoint();
    await store.delete('1');
    expect(await store.apply(paper('1', [{ id: 'a2' }], 5, 5))).toBe(false);
    const c = await store.checkpoint();
    expect(acceptedIds()).toEqual(['b']);
    expect(c).toMatchObject({ papers: 1, accepted: 1, removed: 1 });
  });

  it('ignores an entry applied twice and leaves the store clean', async () => {
    const store = await open();
    const entry = paper('1', [{ id: 'a' }, { id: 'b', verdict: 'reject', reasons: ['low_correct'] }]);
    expect(await store.apply(entry)).toBe(true);
    const first = await store.checkpoint();
    expect(await store.apply(entry)).toBe(false);
    expect(store.dirty).toBe(false);
    const second = await store.checkpoint();
    expect(second).toMatchObject({ accepted: 1, rejected: 1, removed: 0, shardsWritten: 0 });
    expect(second.stats).toEqual(first.stats);
  });

  it('drops a question asked again in another paper, and promotes the duplicate when the first paper loses it', async () => {
    const store = await open();
    await store.apply(paper('10', [{ id: 'first', question: 'What does metformin do?' }]));
    await store.apply(paper('20', [{ id: 'again', question: '  what does METFORMIN  do? ' }]));
    let c = await store.checkpoint();
    expect(acceptedIds()).toEqual(['first']);
    expect(rejectedRows()).toMatchObject([{ id: 'again', reject_reasons: ['duplicate'], duplicate_of: 'first' }]);
    expect(c).toMatchObject({ accepted: 1, duplicates: 1 });

    await store.apply(paper('10', [{ id: 'revised', question: 'Something else?' }], 2));
    c = await store.checkpoint();
    expect(acceptedIds()).toEqual(['again', 'revised']);
    expect(rejectedRows()).toEqual([]);
    expect(c).toMatchObject({ accepted: 2, duplicates: 0, removed: 1 });

    await store.delete('20');
    await store.apply(paper('30', [{ id: 'third', question: 'What does metformin do?' }]));
    await store.checkpoint();
    expect(acceptedIds()).toEqual(['revised', 'third']);
  });

  it('rewrites only the shard that holds a changed paper', async () => {
    const store = await open({ maxRowsPerShard: 4 });
    for (let p = 1; p <= 12; p++) await store.apply(paper(String(p * 100), [{ id: `a${p}` }, { id: `b${p}`, verdict: 'reject', reasons: ['low_clear'] }]));
    await store.checkpoint();
    const before = await readManifest(outDir);
    expect(before!.shards.length).toBe(6);
    const mtimes = new Map(before!.shards.map((s) => [s.file, statSync(join(outDir, s.files.accepted!)).mtimeMs]));

    await store.apply(paper('500', [{ id: 'a5-v2' }, { id: 'b5-v2' }], 2));
    const c = await store.checkpoint();
    expect(c.shardsWritten).toBe(1);
    expect(c.rowsWritten).toBe(4);
    const after = await readManifest(outDir);
    const changed = after!.shards.filter((s) => !mtimes.has(s.file));
    expect(changed.map((s) => s.lo)).toEqual([before!.shards[2]!.lo]);
    for (const s of after!.shards.filter((x) => mtimes.has(x.file))) {
      expect(statSync(join(outDir, s.files.accepted!)).mtimeMs).toBe(mtimes.get(s.file));
    }
    expect(existsSync(join(outDir, before!.shards[2]!.files.accepted!))).toBe(false);

    // New papers land in the newest range; a full shard splits and the shards below stay as they are.
    for (let p = 13; p <= 16; p++) await store.apply(paper(String(p * 100), [{ id: `a${p}` }]));
    const grown = await store.checkpoint();
    expect(grown.shardsWritten).toBe(2);
    expect(acceptedIds()).toHaveLength(17);
  });

  it('restores its state after a restart', async () => {
    let store = await open();
    await store.apply(paper('1', [{ id: 'a' }], 2));
    await store.delete('2');
    await store.checkpoint();
    await store.apply(paper('3', [{ id: 'pending' }]));
    await store.close();
    stores.length = 0;

    store = await open();
    expect(store.dirty).toBe(true);
    expect(await store.apply(paper('1', [{ id: 'older' }], 1))).toBe(false);
    expect(await store.apply(paper('2', [{ id: 'gone' }]))).toBe(false);
    const c = await store.checkpoint();
    expect(acceptedIds()).toEqual(['a', 'pending']);
    expect(c.papers).toBe(2);
  });

  it('leaves the previous consistent view when a checkpoint stops between the shard files and the manifest', async () => {
    let store = await open({ maxRowsPerShard: 2 });
    for (let p = 1; p <= 4; p++) await store.apply(paper(String(p), [{ id: `a${p}` }]));
    await store.checkpoint();
    const before = readFileSync(join(outDir, 'manifest.json'), 'utf8');
    const ids = acceptedIds();

    // What a crash after the shard files and before the manifest leaves: new shard files no manifest names.
    await store.apply(paper('4', [{ id: 'a4-v2' }], 2));
    await store.close();
    stores.length = 0;
    writeFileSync(join(outDir, 'data', 'accepted-00099.jsonl'), '{"id":"a4-v2"}\n');
    writeFileSync(join(outDir, 'data', '.accepted-00100.jsonl.tmp'), '{"id":"half');
    expect(readFileSync(join(outDir, 'manifest.json'), 'utf8')).toBe(before);
    const listed = JSON.parse(before) as { shards: { files: { accepted: string | null } }[] };
    const visible = listed.shards.flatMap((s) => readFileSync(join(outDir, s.files.accepted!), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as DatasetRow).id));
    expect(visible.sort()).toEqual(ids);

    store = await open({ maxRowsPerShard: 2 });
    expect(existsSync(join(outDir, 'data', 'accepted-00099.jsonl'))).toBe(false);
    expect(existsSync(join(outDir, 'data', '.accepted-00100.jsonl.tmp'))).toBe(false);
    await store.checkpoint();
    expect(acceptedIds()).toEqual(['a1', 'a2', 'a3', 'a4-v2']);
  });

  it('writes a card whose counts equal a full recount of the shard files', async () => {
    const store = await open({ maxRowsPerShard: 3 });
    for (let p = 1; p <= 9; p++) {
      await store.apply(
        paper(String(p), [
          { id: `o${p}`, score: p / 10, treeNumbers: [p % 2 ? 'C19.246' : 'D02.078'] },
          { id: `m${p}`, type: 'multiple_choice', question: `Shared ${p % 3}?` },
          { id: `r${p}`, verdict: 'reject', reasons: ['low_grounded', 'voc_failed'] },
        ]),
      );
    }
    await store.delete('4');
    await store.apply(paper('5', [{ id: 'o5b', type: 'yes_no_maybe', score: 0.42 }], 2));
    const c = await store.checkpoint();
    const recount = createStatsAccumulator('MeSH 2024');
    for (const row of readRows<DatasetRow>('accepted')) recount.addAccepted(row);
    for (const row of rejectedRows()) recount.addRejected(row);
    recount.addRemoved(6);
    expect(c.stats).toEqual(recount.snapshot());
    const card = readFileSync(c.files.card, 'utf8');
    expect(card).toContain(`| accepted | ${c.accepted} |`);
    expect(card).toContain(`| duplicates dropped | ${c.duplicates} |`);
    expect(card).toContain('data/accepted-*.parquet');
  });

  it('rejects a bad setting at open with a message that names it', async () => {
    await expect(open({ maxRowsPerShard: 0 })).rejects.toThrow(/maxRowsPerShard must be a positive integer/);
  });
});
