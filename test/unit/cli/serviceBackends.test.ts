import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildStage } from '../../../services/cli/serviceCommands.ts';
import { loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';

const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

async function metricNamesOf(name: 'annotate' | 'generate' | 'judge', env: Record<string, string>): Promise<string[]> {
  const registry = new Registry();
  const fullEnv = { MEDISTILL_MESH_PATH: MESH, ...env };
  await buildStage(name, { config: loadServiceConfig(fullEnv), registry, instrumentation: createInstrumentation(), log: () => undefined, env: fullEnv, codeVersion: 'test' });
  return (await registry.getMetricsAsJSON()).map((m) => m.name);
}

describe('the generate and judge services', () => {
  it('expose no LLM metrics when they run rule-based', async () => {
    for (const name of ['generate', 'judge'] as const) {
      const names = await metricNamesOf(name, {});
      expect(names.filter((n) => n.includes('llm')), name).toEqual([]);
    }
  });

  it('expose the LLM concurrency limit when an LLM is configured', async () => {
    const names = await metricNamesOf('judge', { MEDISTILL_LLM_BASE_URL: 'http://127.0.0.1:9/v1', MEDISTILL_LLM_API_KEY: 'k' });
    expect(names.some((n) => n.includes('llm') && n.includes('concurrency'))).toBe(true);
  });
});

describe('the annotate service with MeSH from neighbours', () => {
  it('refuses MEDISTILL_MESH_NEIGHBOURS without MEDISTILL_INDEX_DIR, saying which folder it needs', async () => {
    await expect(metricNamesOf('annotate', { MEDISTILL_MESH_NEIGHBOURS: 'true' })).rejects.toThrow(/MEDISTILL_MESH_NEIGHBOURS needs MEDISTILL_INDEX_DIR/);
  });

  it('counts its neighbour queries on the retrieval metrics only when neighbours are on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medistill-annotate-neighbours-'));
    try {
      expect((await metricNamesOf('annotate', {})).filter((n) => n.startsWith('medistill_retrieval_'))).toEqual([]);
      const on = await metricNamesOf('annotate', { MEDISTILL_MESH_NEIGHBOURS: 'true', MEDISTILL_INDEX_DIR: dir });
      expect(on).toContain('medistill_retrieval_queries_total');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
