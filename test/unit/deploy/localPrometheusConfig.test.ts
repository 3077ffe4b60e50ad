import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { localPrometheusConfig } from '../../../deploy/local/localPrometheusConfig.ts';
import { PIPELINE_SERVICES, STACK_METRICS_PORTS } from '../../../deploy/local/startPipeline.ts';

const SHIPPED = new URL('../../../deploy/prometheus/prometheus-local.yml', import.meta.url);

describe('the Prometheus file of stack:up', () => {
  it('is the one generated for the fixed ports', () => {
    expect(readFileSync(SHIPPED, 'utf8')).toBe(localPrometheusConfig());
  });

  it('scrapes every service of the stack on its own fixed port', () => {
    const config = parse(readFileSync(SHIPPED, 'utf8')) as { scrape_configs: { static_configs: { targets: string[]; labels: { service: string } }[] }[] };
    const targets = config.scrape_configs[0]!.static_configs.map((c) => [c.labels.service, c.targets[0]]);
    expect(Object.fromEntries(targets)).toEqual(Object.fromEntries(PIPELINE_SERVICES.map((s) => [s, `127.0.0.1:${STACK_METRICS_PORTS[s]}`])));
    expect(new Set(Object.values(STACK_METRICS_PORTS)).size).toBe(PIPELINE_SERVICES.length);
  });
});
