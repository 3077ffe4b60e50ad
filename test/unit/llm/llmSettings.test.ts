import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeServiceConfig, loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { describeLlmSettings, llmConfigured, llmSettingsFrom } from '../../../services/config/llmSettings.ts';
import { LlmConfigError } from '../../../services/errors/medistillErrors.ts';

const KEY = 'sk-settings-test-0a1b2c3d4e5f';
const list = [{ name: 'east', baseUrl: 'https://east.example.org/v1', apiKeyEnv: 'EAST_KEY', rpm: 300, tpm: 90000, pricePer1kInput: 0.2, batchPricePer1kInput: 0.1 }];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-llm-settings-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('LLM settings with an endpoint list and batch mode', () => {
  it('reads the list from the environment, with batch settings, and prints neither key nor URL credentials', () => {
    const env = { MEDISTILL_LLM_ENDPOINTS: JSON.stringify(list), EAST_KEY: KEY, MEDISTILL_LLM_MODE: 'batch', MEDISTILL_LLM_BATCH_MAX_REQUESTS: '100' };
    const config = loadServiceConfig(env);
    expect(llmConfigured(config)).toBe(true);
    const settings = llmSettingsFrom(config, env);
    expect(settings).toMatchObject({ listed: true, mode: 'batch', batch: { maxRequests: 100, maxWaitMs: 60_000, pollMs: 30_000, maxSubmissions: 3 } });
    expect(settings.endpoints[0]).toMatchObject({ name: 'east', apiKey: KEY, batchPricePer1kInput: 0.1 });
    const printed = [...describeLlmSettings(settings), ...describeServiceConfig(config)].join('\n');
    expect(printed).not.toContain(KEY);
    expect(printed).not.toContain('user:pw');
    expect(printed).toContain('LLM mode: batch');
  });

  it('refuses an endpoint whose base URL carries credentials, without quoting them', () => {
    const env = { MEDISTILL_LLM_ENDPOINTS: JSON.stringify([{ ...list[0], baseUrl: 'https://user:pw-marker-5e1@east.example.org/v1' }]), EAST_KEY: KEY };
    expect(() => llmSettingsFrom(loadServiceConfig(env), env)).toThrow(/baseUrl: must not carry user:password/);
    expect(() => llmSettingsFrom(loadServiceConfig(env), env)).not.toThrow(/pw-marker-5e1/);
  });

  it('takes the list as a JSON array from a MEDISTILL_CONFIG file', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ llmEndpoints: list }));
    const env = { MEDISTILL_CONFIG: file, EAST_KEY: KEY };
    expect(llmSettingsFrom(loadServiceConfig(env), env).endpoints.map((e) => e.name)).toEqual(['east']);
  });

  it('refuses a base URL and a list at once, and an unknown mode', () => {
    const env = { MEDISTILL_LLM_ENDPOINTS: JSON.stringify(list), MEDISTILL_LLM_BASE_URL: 'https://api.example.org/v1', EAST_KEY: KEY };
    expect(() => llmSettingsFrom(loadServiceConfig(env), env)).toThrow(LlmConfigError);
    expect(() => loadServiceConfig({ MEDISTILL_LLM_MODE: 'bulk' })).toThrow(/MEDISTILL_LLM_MODE/);
  });

  it('gives the single base URL the name "default" and its batch prices', () => {
    const env = { MEDISTILL_LLM_BASE_URL: 'https://api.example.org/v1', MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_PRICE_PER_1K_INPUT: '0.4', MEDISTILL_LLM_BATCH_PRICE_PER_1K_INPUT: '0.2' };
    const settings = llmSettingsFrom(loadServiceConfig(env), env);
    expect(settings.listed).toBe(false);
    expect(settings.endpoints[0]).toMatchObject({ name: 'default', pricePer1kInput: 0.4, batchPricePer1kInput: 0.2, apiKey: KEY });
  });
});

describe('stack:up hands the services the key variables an endpoint list names', () => {
  it('passes on exactly the apiKeyEnv variables of an inline list, and none for a file or bad JSON', async () => {
    const { endpointKeyVariables, serviceEnv } = await import('../../../deploy/local/startPipeline.ts');
    expect(endpointKeyVariables(JSON.stringify([...list, { ...list[0], name: 'west', apiKeyEnv: 'WEST_KEY' }]))).toEqual(['EAST_KEY', 'WEST_KEY']);
    expect(endpointKeyVariables('@/etc/endpoints.json')).toEqual([]);
    expect(endpointKeyVariables('[oops')).toEqual([]);
    const env = serviceEnv({
      callerEnv: { MEDISTILL_LLM_ENDPOINTS: JSON.stringify(list), EAST_KEY: KEY, UNRELATED_SECRET: 'x' },
      brokers: ['127.0.0.1:1'],
      registryUrl: 'http://127.0.0.1:2',
      metricsPort: 0,
    });
    expect(env.EAST_KEY).toBe(KEY);
    expect(env.UNRELATED_SECRET).toBeUndefined();
  });
});
