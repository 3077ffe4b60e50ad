import { describe, expect, it } from 'vitest';
import { faultRowFailed, formatFaultTable, runFaultSuite } from '../../faults/faultSuite.ts';
import { MUTATIONS } from '../../support/pubmedFuzzCorpus.ts';

describe('the fault suite at CI size (npm run faults runs it larger)', () => {
  it('SIGKILLs, a broker and a registry outage, an LLM storm and the fuzz corpus lose, duplicate, crash and leak nothing, and every trial recovers by itself', async () => {
    const lines: string[] = [];
    const rows = await runFaultSuite({ trials: 1, recordsPerTrial: 20, downMs: 8_000, seed: 12, fuzzCases: MUTATIONS.length * 12, log: (l) => void lines.push(l) });
    const table = formatFaultTable(rows);
    process.stderr.write(`${table}\n`);
    expect(rows.map((r) => r.fault)).toHaveLength(5);
    expect(rows.filter((r) => r.fault !== 'fuzz corpus').every((r) => r.trials === 1)).toBe(true);
    expect(rows.find((r) => r.fault === 'fuzz corpus')?.trials).toBe(MUTATIONS.length * 12);
    expect(rows.filter(faultRowFailed), `${table}\n${lines.join('\n')}`).toEqual([]);
  }, 900_000);
});
