import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openExportStore, type PaperEntry } from '../../../services/export/exportStore.ts';
import { publishSnapshot, readSnapshotIndex } from '../../../services/export/exportSnapshot.ts';
import { createSnapshotSchedule } from '../../../services/export/snapshotSchedule.ts';
import { UserInputError } from '../../../services/errors/medistillErrors.ts';
import { judgedItem, type ItemSpec } from './judgedItems.ts';

let dir: string;
let outDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-snap-'));
  outDir = join(dir, 'export');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function paper(pmid: string, items: Omit<ItemSpec, 'pmid'>[], version = 1): PaperEntry {
  return { pmid, pmidVersion: version, producedAt: 1, meshVersion: 'MeSH 2024', items: items.map((i) => judgedItem({ ...i, pmid, version })) };
}

function idsIn(snapshotDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(snapshotDir, 'manifest.json'), 'utf8')) as { shards: { files: Record<string, string | null> }[] };
  return manifest.shards
    .flatMap((s) => (s.files.accepted ? readFileSync(join(snapshotDir, s.files.accepted), 'utf8').split('\n').filter(Boolean) : []))
    .map((l) => (JSON.parse(l) as { id: string }).id)
    .sort();
}

describe('publishSnapshot', () => {
  it('keeps each version whole while revisions and deletions show in the next one', async () => {
    const store = await openExportStore({ outDir, maxRowsPerShard: 2 });
    await store.apply(paper('1', [{ id: 'a' }]));
    await store.apply(paper('2', [{ id: 'b' }]));
    await store.apply(paper('3', [{ id: 'c' }]));
    await store.checkpoint();
    const first = await publishSnapshot(outDir, { now: () => new Date('2025-01-01T00:00:00Z') });
    expect(first).toMatchObject({ created: true, snapshot: { version: 'v0001', accepted: 3, changes: null } });
    expect(idsIn(first.dir)).toEqual(['a', 'b', 'c']);
    const v1Card = readFileSync(join(first.dir, 'README.md'), 'utf8');
    expect(v1Card).toContain('snapshot **v0001**');

    // The same checkpoint again: the same snapshot, nothing written.
    expect(await publishSnapshot(outDir)).toMatchObject({ created: false, snapshot: { version: 'v0001', id: first.snapshot.id } });

    await store.apply(paper('1', [{ id: 'a2' }], 2));
    await store.delete('3');
    await store.checkpoint();
    await store.close();
    const second = await publishSnapshot(outDir);
    expect(second.snapshot).toMatchObject({ version: 'v0002', accepted: 2, changes: { previous: 'v0001', acceptedDelta: -1, removedSince: 2 } });
    expect(second.snapshot.id).not.toBe(first.snapshot.id);
    expect(idsIn(second.dir)).toEqual(['a2', 'b']);
    // v0001 still holds what it held, though the live folder dropped those shard files.
    expect(idsIn(first.dir)).toEqual(['a', 'b', 'c']);
    expect(readFileSync(join(first.dir, 'README.md'), 'utf8')).toBe(v1Card);
    expect((await readSnapshotIndex(outDir)).map((s) => s.version)).toEqual(['v0001', 'v0002']);
  });

  it('links shard files rather than copying them', async () => {
    const store = await openExportStore({ outDir });
    await store.apply(paper('1', [{ id: 'a' }]));
    await store.checkpoint();
    await store.close();
    const { dir: snap, snapshot } = await publishSnapshot(outDir);
    const shard = snapshot.files.find((f) => f.endsWith('.parquet'))!;
    expect(statSync(join(snap, shard)).ino).toBe(statSync(join(outDir, shard)).ino);
  });

  it('refuses a folder with no export, with a message saying so', async () => {
    await expect(publishSnapshot(join(dir, 'nothing'))).rejects.toThrow(UserInputError);
  });
});

describe('createSnapshotSchedule', () => {
  it('publishes at most one snapshot per interval, after checkpoints', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const store = await openExportStore({ outDir });
    const published: string[] = [];
    const schedule = createSnapshotSchedule({ outDir, intervalMs: 60_000, now: () => new Date(clock), onSnapshot: (r) => published.push(r.snapshot.version) });
    const change = async (id: string) => {
      await store.apply(paper(id, [{ id }]));
      await store.checkpoint();
      schedule.afterCheckpoint();
      await schedule.idle();
    };
    await change('1');
    clock += 30_000;
    await change('2');
    clock += 31_000;
    await change('3');
    await store.close();
    expect(published).toEqual(['v0001', 'v0002']);
    expect((await readSnapshotIndex(outDir)).at(-1)!.accepted).toBe(3);
  });
});
