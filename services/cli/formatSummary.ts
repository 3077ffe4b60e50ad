import type { RunResult } from '../runtime/inprocess/runPipeline.ts';
import { RECORD_OUTCOMES } from '../runtime/inprocess/recordLedger.ts';

const OUTCOME_LABELS: Record<(typeof RECORD_OUTCOMES)[number], string> = {
  with_items: 'emitted items',
  no_accepted_items: 'no item accepted',
  no_candidates: 'no candidate generated',
  no_abstract: 'no abstract',
  deleted: 'deletions (DeleteCitation)',
  withdrawn: 'withdrawn by a deletion',
  superseded: 'superseded by a newer version',
  duplicate: 'duplicate PMID and version',
  failed: 'failed',
};

function counts(map: Record<string, number | undefined>): string {
  const parts = Object.entries(map)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** What `medistill run` reports: the run's accounting and what the dataset holds at the end. */
export interface RunSummary extends RunResult {
  /** Accepted items in the final dataset (after duplicates, revisions and deletions). */
  exported: number;
  /** Accepted items dropped because an earlier item asks the same question. */
  duplicatesDropped: number;
  /** Items removed by revisions and deletions. */
  removed: number;
  /** Preference pairs in the dataset (absent when the run made none). */
  preferencePairs?: number;
}

/** The closing summary of a run: every input entry accounted for, then the items. */
export function formatSummary(
  result: RunSummary,
  files: { outDir: string; failuresLogged: number; dataset: { accepted: string; rejected: string; card: string; preferences?: string } },
): string {
  const lines: string[] = [];
  const width = Math.max(...Object.values(OUTCOME_LABELS).map((l) => l.length));
  lines.push(`records: ${result.records} input entries, each accounted for below`);
  for (const outcome of RECORD_OUTCOMES) {
    const n = result.outcomes[outcome];
    if (n === 0 && outcome !== 'with_items' && outcome !== 'failed') continue;
    let line = `  ${OUTCOME_LABELS[outcome].padEnd(width)}  ${String(n).padStart(6)}`;
    if (outcome === 'failed' && n > 0) line += `  (${counts(result.failures)})`;
    lines.push(line);
  }
  lines.push(
    `items: ${result.candidates} candidates, ${result.accepted} accepted, ${result.rejected} rejected` +
      (result.rejected ? ` (${counts(result.rejectedByReason)})` : ''),
  );
  if (Object.keys(result.generateFailures).length) {
    lines.push(`  items not generated: ${counts(result.generateFailures)}`);
  }
  lines.push(
    `dataset: ${result.exported} items in ${files.dataset.accepted.replace(/\.jsonl$/, '.{parquet,jsonl}')}` +
      ` (${result.duplicatesDropped} duplicate questions dropped` +
      (result.removed > 0 ? `, ${result.removed} removed by revisions or deletions` : '') +
      `), card ${files.dataset.card}, rejected items ${files.dataset.rejected}`,
  );
  if (result.preferencePairs !== undefined && files.dataset.preferences) {
    lines.push(`preference pairs: ${result.preferencePairs} in ${files.dataset.preferences} (prompt, chosen, rejected for DPO)`);
  }
  lines.push(`failures: ${files.failuresLogged} entries with their reasons in ${files.outDir}/failures.jsonl`);
  lines.push(`time: ${(result.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
