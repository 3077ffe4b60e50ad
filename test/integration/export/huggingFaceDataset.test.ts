import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/runCli.ts';
import { runPythonJson } from '../../support/pythonClients.ts';
import { openExportStore, type PaperEntry } from '../../../services/export/exportStore.ts';
import { publishSnapshot } from '../../../services/export/exportSnapshot.ts';
import { judgedItem, type ItemSpec } from '../../unit/export/judgedItems.ts';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;

interface Loaded {
  rows: number;
  features: Record<string, string>;
  first: Record<string, unknown> | null;
  all_ids: string[] | null;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-hf-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let loads = 0;
/**
 * Loads with a cache of its own each time: `datasets` keys its cache by the folder, so a second load
 * of a live folder that changed may return the first (why the README points training at snapshots).
 */
const load = (folder: string, ...configs: string[]) => runPythonJson<Record<string, Loaded>>('loadDataset.py', [folder, ...configs], { HF_DATASETS_CACHE: join(work, `hf-cache-${++loads}`) });

function paper(pmid: string, items: Omit<ItemSpec, 'pmid'>[], version = 1): PaperEntry {
  return { pmid, pmidVersion: version, producedAt: 1, meshVersion: 'MeSH 2024', items: items.map((i) => judgedItem({ ...i, pmid, version })) };
}

describe('the export folder read by Hugging Face datasets', () => {
  it('loads the bundled real PubMed sample run: the default configuration and the failures, with the counts of the run', async () => {
    const out = join(work, 'sample');
    const res = await runCli(['run', '--input', join(SAMPLES, 'pubmed'), '--mesh', join(SAMPLES, 'mesh/desc2024-sample.xml.gz'), '--out', out, '--quiet']);
    expect(res.code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { exported: number; outcomes: Record<string, number> };
    // The real sample shows the accounting: a revision, a deletion that withdraws a record, a malformed record.
    expect(summary.outcomes).toMatchObject({ superseded: 1, withdrawn: 1, failed: 1 });
    const loaded = await load(out, 'failures');
    expect(loaded.default!.rows).toBe(summary.exported);
    expect(loaded.default!.features.scores).toContain("'grounded': Value('float64')");
    expect(loaded.default!.features.pmid_version).toBe("Value('int64')");
    expect(loaded.failures!.rows).toBe(summary.outcomes.failed);
    expect(loaded.failures!.features.position).toContain("'line': Value('int64')");
    expect(loaded.failures!.first).toMatchObject({ reason: 'parse_error', pmid: '35123456' });
  }, 240_000);

  it('loads accepted and rejected items across shards, whole and fractional scores alike as float64', async () => {
    const out = join(work, 'store');
    const store = await openExportStore({ outDir: out, maxRowsPerShard: 2 });
    // Shard files that hold only whole scores sit beside ones with fractions: one type for all.
    await store.apply(paper('10', [{ id: 'a1', score: 1 }, { id: 'a2', score: 1, type: 'multiple_choice' }]));
    await store.apply(paper('20', [{ id: 'b1', score: 0.5 }, { id: 'b2', verdict: 'reject', reasons: ['low_grounded'], score: 0 }]));
    await store.apply(paper('30', [{ id: 'c1', question: 'Question a1?' }, { id: 'c2', type: 'yes_no_maybe' }]));
    const c = await store.checkpoint();
    await store.close();
    expect(c.shards).toBeGreaterThan(1);

    const loaded = await load(out, 'rejected');
    expect(loaded.default!.rows).toBe(c.accepted);
    expect([...loaded.default!.all_ids!].sort()).toEqual(['a1', 'a2', 'b1', 'c2']);
    expect(loaded.default!.features.scores).toContain("'hierarchy': Value('float64')");
    expect(loaded.rejected!.rows).toBe(2);
    expect([...loaded.rejected!.all_ids!].sort()).toEqual(['b2', 'c1']);
    expect(loaded.rejected!.features.duplicate_of).toBe("Value('string')");
    expect(loaded.rejected!.features.reject_reasons).toBe("List(Value('string'))");

    // A snapshot is a dataset folder of its own, still whole after the live folder moved on.
    const snap = await publishSnapshot(out);
    const again = await openExportStore({ outDir: out, maxRowsPerShard: 2 });
    await again.delete('10');
    await again.checkpoint();
    await again.close();
    const fromSnapshot = await load(snap.dir);
    expect([...fromSnapshot.default!.all_ids!].sort()).toEqual(['a1', 'a2', 'b1', 'c2']);
    const live = await load(out);
    expect([...live.default!.all_ids!].sort()).toEqual(['b1', 'c1', 'c2']);
  }, 240_000);
});
