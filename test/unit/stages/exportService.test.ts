import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import { toRecordJudgementValue } from '../../../services/contracts/recordJudgementMapping.ts';
import { openExportStore, type ExportCheckpoint, type ExportStoreOptions } from '../../../services/export/exportStore.ts';
import { readExportRows } from '../../../services/export/readExportRows.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { kafkaStageOf } from '../../../services/runtime/kafka/kafkaStageOf.ts';
import { createExportStage } from '../../../services/stages/exportStage.ts';
import { judgedItem } from '../export/judgedItems.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-export-stage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const message = (pmid: string, ids: string[], producedAt: number) =>
  toRecordJudgementValue(
    { pmid, pmidVersion: 1, outcome: 'candidates', items: ids.map((id) => judgedItem({ id, pmid })), failures: [], meshVersion: 'MeSH 2024' },
    createLineage('judge', 'test', new Date(producedAt)),
  );
const input = (key: string, value: unknown, offset: number) => ({ key, value, topic: TOPICS.judged, partition: 0, offset: String(offset) });

/** The export service's stage: the export definition on the export store, as the Kafka runner runs it. */
async function exportService(options: ExportStoreOptions, checkpoints: ExportCheckpoint[]) {
  const store = await openExportStore(options);
  const restored = await store.checkpoint();
  const stage = kafkaStageOf(createExportStage({ target: store, onCheckpoint: (c) => checkpoints.push(c) }), { codeVersion: 'test', instrumentation: createInstrumentation() });
  return { stage, restored: restored.papers };
}

describe('the export stage on the export store, as a Kafka sink', () => {
  it('writes the judged items at flush, applies tombstones, and restores its state after a restart', async () => {
    const outDir = join(dir, 'export');
    const checkpoints: ExportCheckpoint[] = [];
    const { stage, restored } = await exportService({ outDir }, checkpoints);
    expect(restored).toBe(0);
    const signal = new AbortController().signal;
    await stage.process(input('1', message('1', ['a', 'b'], 1_000), 0), signal);
    await stage.process(input('2', message('2', ['c'], 1_000), 1), signal);
    await stage.flush!();
    expect((await readExportRows(outDir, 'accepted')).map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);

    await stage.process(input('1', null, 2), signal);
    await stage.flush!();
    expect((await readExportRows(outDir, 'accepted')).map((r) => r.id)).toEqual(['c']);
    // The store is still open in this process: the restart below reads a copy of the state it left.
    cpSync(`${outDir}.state`, join(dir, 'copy.state'), { recursive: true, filter: (src) => !src.endsWith('LOCK') });
    cpSync(outDir, join(dir, 'copy'), { recursive: true });
    const restarted = await exportService({ outDir: join(dir, 'copy'), stateDir: join(dir, 'copy.state') }, checkpoints);
    expect(restarted.restored).toBe(1);
    // A deleted paper does not come back.
    await restarted.stage.process(input('1', message('1', ['back'], 9_000), 3), signal);
    await restarted.stage.flush!();
    expect((await readExportRows(join(dir, 'copy'), 'accepted')).map((r) => r.id)).toEqual(['c']);
    // Ignored, so nothing changed and no checkpoint was written.
    expect(checkpoints.map((c) => c.accepted)).toEqual([3, 1]);
  });
});
