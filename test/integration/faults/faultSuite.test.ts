import { describe, expect, it } from 'vitest';
import { faultRowFailed, formatFaultTable, runFaultSuite } from '../../faults/faultSuite.ts';

describe('the fault suite at CI size (npm run faults runs it larger)', () => {
  it('SIGKILLs, a broker and a registry outage and an LLM storm lose, duplicate, crash and leak nothing, and every trial recovers by itself', async () => {
    const lines: string[] = [];
    const rows = await runFaultSuite({ trials: 1, recordsPerTrial: 20, downMs: 8_000, seed: 12, log: (l) => void lines.push(l) });
    const table = formatFaultTable(rows);
    process.stderr.write(`${table}\n`);
    expect(rows.map((r) => r.fault)).toHaveLength(4);
    expect(rows.every((r) => r.trials === 1)).toBe(true);
    expect(rows.filter(faultRowFailed), `${table}\n${lines.join('\n')}`).toEqual([]);
  }, 900_000);
});
