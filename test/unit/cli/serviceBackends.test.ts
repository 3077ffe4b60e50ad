import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildStage } from '../../../services/cli/serviceCommands.ts';
import { loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';

const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

async function metricNamesOf(name: 'generate' | 'judge', env: Record<string, string>): Promise<string[]> {
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
