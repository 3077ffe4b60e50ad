import { describe, expect, it } from 'vitest';
import { describeServiceConfig, loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { DEFAULT_FETCH } from '../../../services/runtime/kafka/stageRunner.ts';

describe('fetch settings', () => {
  it('default to the runner defaults and are printed at start-up', () => {
    const config = loadServiceConfig({});
    expect({ maxBytesPerPartition: config.fetchMaxBytesPerPartition, maxBytes: config.fetchMaxBytes, maxWaitTimeInMs: config.fetchMaxWaitMs }).toEqual(DEFAULT_FETCH);
    expect(describeServiceConfig(config)).toContain(`MEDISTILL_FETCH_MAX_BYTES=${DEFAULT_FETCH.maxBytes}`);
  });

  it('are read from the environment and refuse a per-partition size above the total, naming both', () => {
    expect(loadServiceConfig({ MEDISTILL_FETCH_MAX_BYTES: '20971520', MEDISTILL_FETCH_MAX_BYTES_PER_PARTITION: '4194304' }).fetchMaxBytesPerPartition).toBe(4_194_304);
    expect(() => loadServiceConfig({ MEDISTILL_FETCH_MAX_BYTES: '1048576', MEDISTILL_FETCH_MAX_BYTES_PER_PARTITION: '2097152' })).toThrow(
      /MEDISTILL_FETCH_MAX_BYTES_PER_PARTITION \(2097152\) is above MEDISTILL_FETCH_MAX_BYTES \(1048576\)/,
    );
    expect(() => loadServiceConfig({ MEDISTILL_FETCH_MAX_BYTES: '10' })).toThrow(/MEDISTILL_FETCH_MAX_BYTES/);
  });
});
