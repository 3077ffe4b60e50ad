import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { installPrometheus, type PrometheusBinaries } from '../../../deploy/local/installPrometheus.ts';

const run = promisify(execFile);
const DIR = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));

let bins: PrometheusBinaries;
beforeAll(async () => {
  // Idempotent: a no-op when `npm run prometheus:fetch` already unpacked the package.
  bins = await installPrometheus();
}, 600_000);

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(bins.promtool, args, { cwd: DIR, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('deploy/prometheus with promtool', () => {
  it('prometheus.yml is a valid configuration that loads alerts.yml', async () => {
    const r = await promtool('check', 'config', 'prometheus.yml');
    expect(r.output).toContain('SUCCESS: 1 rule files found');
    expect(r.code, r.output).toBe(0);
  });

  it('alerts.yml holds seven valid rules', async () => {
    const r = await promtool('check', 'rules', 'alerts.yml');
    expect(r.output).toContain('SUCCESS: 7 rules found');
    expect(r.code, r.output).toBe(0);
  });

  it('every alert fires and stays quiet as alerts.test.yml expects', async () => {
    const r = await promtool('test', 'rules', 'alerts.test.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });
});
