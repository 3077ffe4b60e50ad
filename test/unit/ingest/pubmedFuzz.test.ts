import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateFuzzCorpus, loadRecordPool, MUTATIONS, runFuzzCase, type FuzzOutcome } from '../../support/pubmedFuzzCorpus.ts';

const FIXTURES = new URL('../../fixtures/pubmed/', import.meta.url);
/** Fixed: the corpus is the same on every run; MEDISTILL_FUZZ_SEED / _CASES explore further by hand. */
const SEED = Number(process.env['MEDISTILL_FUZZ_SEED'] ?? 20_261_205);
const CASES = Number(process.env['MEDISTILL_FUZZ_CASES'] ?? MUTATIONS.length * 12);

/** Text of local files an external entity would pull in: none of it may reach an output. */
function leakMarkers(): string[] {
  const markers: string[] = [];
  if (existsSync('/etc/passwd')) markers.push(readFileSync('/etc/passwd', 'utf8').split('\n')[0] ?? '');
  if (existsSync('/etc/hostname')) markers.push(readFileSync('/etc/hostname', 'utf8').trim());
  return markers.filter((m) => m.length >= 4);
}

describe('the PubMed fuzz corpus (seeded mutations of the fixture records)', () => {
  it(`parses ${CASES} mutated files with 0 crashes, 0 unaccounted and 0 duplicated records, no file content leaked`, async () => {
    const pool = await loadRecordPool(FIXTURES);
    const corpus = generateFuzzCorpus(pool, SEED, CASES);
    const markers = leakMarkers();
    expect(corpus.length).toBe(CASES);
    const byMutation = new Map<string, { cases: number; failures: number; worstMs: number }>();
    const problems: string[] = [];
    for (const fuzzCase of corpus) {
      const outcome: FuzzOutcome = await runFuzzCase(fuzzCase, markers);
      const row = byMutation.get(fuzzCase.mutation) ?? { cases: 0, failures: 0, worstMs: 0 };
      row.cases++;
      row.failures += outcome.failures;
      row.worstMs = Math.max(row.worstMs, outcome.millis);
      byMutation.set(fuzzCase.mutation, row);
      const where = `case ${fuzzCase.id} (${fuzzCase.mutation}, seed ${SEED})`;
      if (outcome.crashed !== null) problems.push(`${where}: crashed: ${outcome.crashed}`);
      for (const u of outcome.unaccounted) problems.push(`${where}: ${u}`);
      for (const d of outcome.duplicated) problems.push(`${where}: ${d} emitted twice`);
      for (const l of outcome.leaked) problems.push(`${where}: leaked ${JSON.stringify(l)}`);
    }
    expect(problems).toEqual([]);
    // Every mutation ran, and those that damage a record were seen as damage at least once.
    expect([...byMutation.keys()].sort()).toEqual([...MUTATIONS].sort());
    for (const mutation of ['deep-nesting', 'many-elements', 'many-attributes', 'entity-bomb', 'external-entity', 'truncate-file', 'drop-close-tag']) {
      expect(byMutation.get(mutation)?.failures, mutation).toBeGreaterThan(0);
    }
    for (const mutation of ['doubled-set', 'concatenated-files']) expect(byMutation.get(mutation)?.failures, mutation).toBe(0);
    // No shape may be slow either: a quadratic walk over the megabyte-sized mutations would take minutes.
    for (const [mutation, row] of byMutation) expect(row.worstMs, mutation).toBeLessThan(10_000);
  }, 120_000);
});
