import { faultRowFailed, formatFaultTable, runFaultSuite } from './faultSuite.ts';
import { installRequestQueueTimerFix } from '../../services/runtime/kafka/requestQueueTimer.ts';

installRequestQueueTimerFix();

/**
 * `npm run faults`: the fault suite at operator scale (FAULT_TRIALS trials of FAULT_RECORDS records per
 * fault, the broker and registry down FAULT_DOWN_MS, FAULT_SEED for the SIGKILL choices and the fuzz
 * corpus, FAULT_FUZZ_CASES mutated PubMed files); prints the
 * table and exits 1 on any loss, duplicate, crash, leak or trial that did not recover.
 */
const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${process.env[name]}`);
  return v;
};
const rows = await runFaultSuite({
  trials: num('FAULT_TRIALS', 3),
  recordsPerTrial: num('FAULT_RECORDS', 60),
  downMs: num('FAULT_DOWN_MS', 20_000),
  seed: num('FAULT_SEED', 12),
  fuzzCases: num('FAULT_FUZZ_CASES', 2_000),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatFaultTable(rows)}\n`);
process.exitCode = rows.some(faultRowFailed) ? 1 : 0;
