/** What became of one input record; every record ends in exactly one outcome. */
export type RecordOutcome =
  | 'with_items'
  | 'no_accepted_items'
  | 'no_candidates'
  | 'no_abstract'
  | 'deleted'
  | 'withdrawn'
  | 'superseded'
  | 'duplicate'
  | 'failed';

export const RECORD_OUTCOMES: readonly RecordOutcome[] = [
  'with_items',
  'no_accepted_items',
  'no_candidates',
  'no_abstract',
  'deleted',
  'withdrawn',
  'superseded',
  'duplicate',
  'failed',
];

interface VersionEntry {
  version: number;
  outcome: RecordOutcome | null;
  reason?: string;
}

/**
 * Keeps one line per input record so the run can account for all of them, and decides which
 * record versions survive: a newer version of a PMID supersedes the older ones, and a
 * DeleteCitation withdraws the PMID. Outcomes are settled at the end, because records finish out
 * of order and a revision or deletion may arrive after the record it replaces.
 */
export class RecordLedger {
  private readonly byPmid = new Map<string, VersionEntry[]>();
  private readonly deletedPmids = new Set<string>();
  private deletions = 0;
  private duplicates = 0;
  private readonly failures = new Map<string, number>();
  private failed = 0;

  /**
   * Registers an incoming record at intake (in input order). Returns false when the same PMID and
   * version was already taken, in which case the record is counted as a duplicate and skipped.
   */
  admit(pmid: string, version: number): boolean {
    const entries = this.byPmid.get(pmid);
    if (entries?.some((e) => e.version === version)) {
      this.duplicates++;
      return false;
    }
    if (entries) entries.push({ version, outcome: null });
    else this.byPmid.set(pmid, [{ version, outcome: null }]);
    return true;
  }

  /** Counts an input dropped as a redelivery of a record already taken (same PMID and version). */
  duplicate(): void {
    this.duplicates++;
  }

  /** Sets the outcome of an admitted record once its processing is over. */
  settle(pmid: string, version: number, outcome: RecordOutcome, reason?: string): void {
    const entry = this.byPmid.get(pmid)?.find((e) => e.version === version);
    if (!entry) throw new Error(`record ${pmid} v${version} was never admitted`);
    entry.outcome = outcome;
    if (reason !== undefined) entry.reason = reason;
  }

  /** Counts a DeleteCitation entry and withdraws the PMID. */
  delete(pmid: string): void {
    this.deletions++;
    this.deletedPmids.add(pmid);
  }

  /** Counts an input part that failed before it became a record (unparseable XML, no PMID). */
  fail(reason: string): void {
    this.failed++;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  /** Whether items from this PMID version belong in the final dataset. */
  keeps(pmid: string, version: number): boolean {
    if (this.deletedPmids.has(pmid)) return false;
    const entries = this.byPmid.get(pmid);
    if (!entries) return true;
    return entries.every((e) => e.version <= version);
  }

  /** True when some admitted record will not reach the final dataset (so the export must be filtered). */
  get hasRemovals(): boolean {
    if (this.deletedPmids.size > 0) return true;
    for (const entries of this.byPmid.values()) if (entries.length > 1) return true;
    return false;
  }

  /** Final outcome counts and failure reasons; call after every admitted record was settled. */
  totals(): { records: number; outcomes: Record<RecordOutcome, number>; failures: Record<string, number> } {
    const outcomes = Object.fromEntries(RECORD_OUTCOMES.map((o) => [o, 0])) as Record<RecordOutcome, number>;
    const failures: Record<string, number> = Object.fromEntries(this.failures);
    outcomes.deleted = this.deletions;
    outcomes.duplicate = this.duplicates;
    outcomes.failed = this.failed;
    for (const [pmid, entries] of this.byPmid) {
      const newest = Math.max(...entries.map((e) => e.version));
      for (const e of entries) {
        if (e.outcome === null) throw new Error(`record ${pmid} v${e.version} was never settled`);
        let outcome: RecordOutcome = e.outcome;
        if (outcome !== 'failed') {
          if (this.deletedPmids.has(pmid)) outcome = 'withdrawn';
          else if (e.version < newest) outcome = 'superseded';
        }
        outcomes[outcome]++;
        if (outcome === 'failed') {
          const reason = e.reason ?? 'unknown';
          failures[reason] = (failures[reason] ?? 0) + 1;
        }
      }
    }
    const records = RECORD_OUTCOMES.reduce((n, o) => n + outcomes[o], 0);
    return { records, outcomes, failures };
  }
}
