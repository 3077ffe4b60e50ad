import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildStage } from '../../../services/cli/serviceCommands.ts';
import { loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import { toRecordJudgementValue } from '../../../services/contracts/recordJudgementMapping.ts';
import { readSnapshotIndex } from '../../../services/export/exportSnapshot.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import { judgedItem } from '../export/judgedItems.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-export-service-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const message = (pmid: string, ids: string[]) =>
  toRecordJudgementValue(
    { pmid, pmidVersion: 1, outcome: 'candidates', items: ids.map((id) => judgedItem({ id, pmid })), failures: [], meshVersion: 'MeSH 2024' },
    createLineage('judge', 'test', new Date(1_000)),
  );

async function exportStage(env: Record<string, string>) {
  const fullEnv = { MEDISTILL_EXPORT_DIR: join(dir, 'export'), ...env };
  const built = await buildStage('export', { config: loadServiceConfig(fullEnv), registry: new Registry(), instrumentation: createInstrumentation(), log: () => undefined, env: fullEnv, codeVersion: 'test' });
  // The export runs one stage per topic it consumes; the first takes qa.judged.v1.
  return Array.isArray(built) ? built[0]! : built;
}

describe('the export service', () => {
  it('publishes a snapshot after its first checkpoint, then at most once per interval', async () => {
    const stage = await exportStage({ MEDISTILL_EXPORT_SNAPSHOT_INTERVAL_MS: '3600000' });
    const signal = new AbortController().signal;
    await stage.process({ key: '1', value: message('1', ['a']), topic: TOPICS.judged, partition: 0, offset: '0' }, signal);
    await stage.flush!();
    await expect.poll(async () => (await readSnapshotIndex(join(dir, 'export'))).map((s) => s.version)).toEqual(['v0001']);
    await stage.process({ key: '2', value: message('2', ['b']), topic: TOPICS.judged, partition: 0, offset: '1' }, signal);
    await stage.flush!();
    await new Promise((r) => setTimeout(r, 200));
    expect((await readSnapshotIndex(join(dir, 'export'))).map((s) => s.version)).toEqual(['v0001']);
  });

  it('publishes none when the interval is 0', async () => {
    const stage = await exportStage({ MEDISTILL_EXPORT_SNAPSHOT_INTERVAL_MS: '0' });
    await stage.process({ key: '1', value: message('1', ['a']), topic: TOPICS.judged, partition: 0, offset: '0' }, new AbortController().signal);
    await stage.flush!();
    await new Promise((r) => setTimeout(r, 200));
    expect(await readSnapshotIndex(join(dir, 'export'))).toEqual([]);
  });
});
