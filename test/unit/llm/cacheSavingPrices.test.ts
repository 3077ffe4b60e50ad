import { describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { cacheSavingPrices } from '../../../services/config/llmSettings.ts';

describe('the prices behind the money a cache hit saves', () => {
  it('are the service prices with one endpoint, and the first endpoint\'s online prices with a list', () => {
    const single = { MEDISTILL_LLM_BASE_URL: 'http://127.0.0.1:9/v1', MEDISTILL_LLM_API_KEY: 'k', MEDISTILL_LLM_PRICE_PER_1K_INPUT: '0.15', MEDISTILL_LLM_PRICE_PER_1K_OUTPUT: '0.6' };
    expect(cacheSavingPrices(loadServiceConfig(single), single)).toEqual({ pricePer1kInput: 0.15, pricePer1kOutput: 0.6 });
    const endpoints = [
      { name: 'east', baseUrl: 'https://east.example.org/v1', apiKeyEnv: 'EAST_KEY', rpm: 300, tpm: 90000, pricePer1kInput: 0.2, pricePer1kOutput: 0.8, batchPricePer1kInput: 0.1 },
      { name: 'west', baseUrl: 'https://west.example.org/v1', apiKeyEnv: 'WEST_KEY', rpm: 300, tpm: 90000, pricePer1kInput: 0.3, pricePer1kOutput: 0.9 },
    ];
    const listed = { MEDISTILL_LLM_ENDPOINTS: JSON.stringify(endpoints), EAST_KEY: 'a', WEST_KEY: 'b' };
    expect(cacheSavingPrices(loadServiceConfig(listed), listed)).toEqual({ pricePer1kInput: 0.2, pricePer1kOutput: 0.8 });
    // A list that does not parse leaves the service prices; the backends report the list's problem.
    const broken = { MEDISTILL_LLM_ENDPOINTS: '[{"name": "x"}]', MEDISTILL_LLM_PRICE_PER_1K_INPUT: '1' };
    expect(cacheSavingPrices(loadServiceConfig(broken), broken)).toEqual({ pricePer1kInput: 1, pricePer1kOutput: 0 });
  });
});
