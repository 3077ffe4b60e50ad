import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The folder of a dataset that holds its evaluation reports. */
export const EVAL_DIR = 'eval';
const BEGIN = '<!-- medistill:eval -->';
const END = '<!-- /medistill:eval -->';

/** The fields of a report the card shows (both report kinds carry `kind`, `backend` and `finishedAt`). */
interface ReportHead {
  kind: string;
  backend: { name: string; version: string };
  finishedAt: string;
  source?: string;
  setting?: string;
  counts?: { scored: number; failed: number; invalid: number; inFile: number };
  seenInFitting?: number;
  crossValidated?: { folds: number } | null;
  metrics?: { accuracy: number; macroF1: number };
  kinds?: Array<{ kind: string; items: number; rejected: number; rate: number }>;
  clean?: { items: number; accepted: number; rate: number };
}

/** Reads the evaluation reports a dataset folder holds (`eval/*.json`), oldest first; none when the folder is absent. */
export async function readEvalReports(outDir: string): Promise<ReportHead[]> {
  let names: string[];
  try {
    names = (await readdir(join(outDir, EVAL_DIR))).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: ReportHead[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(await readFile(join(outDir, EVAL_DIR, n), 'utf8')) as ReportHead;
      if (typeof r.kind === 'string' && r.backend) out.push(r);
    } catch {
      // A report being written or not ours: the card goes on without it.
    }
  }
  return out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The card's "Quality evaluations" section for these reports, between markers so it can be replaced; empty when there are none. */
export function renderEvalSection(reports: readonly ReportHead[]): string {
  if (reports.length === 0) return '';
  const lines = [BEGIN, '## Quality evaluations', '', `Reports in \`${EVAL_DIR}/\` (\`medistill eval\`).`, ''];
  const qa = reports.filter((r) => r.kind === 'pubmedqa' && r.metrics && r.counts);
  if (qa.length > 0) {
    lines.push('### PubMedQA (expert-labelled yes/no/maybe)', '', '| setting | labeller | accuracy | macro-F1 | scored | failed | note |', '|---|---|---:|---:|---:|---:|---|');
    for (const r of qa) {
      const note = r.crossValidated ? `${r.crossValidated.folds}-fold cross-validation` : r.seenInFitting ? `${r.seenInFitting} items seen in fitting: training figures` : 'items unseen in fitting';
      lines.push(`| ${r.setting} | ${r.backend.name} | ${pct(r.metrics!.accuracy)} | ${pct(r.metrics!.macroF1)} | ${r.counts!.scored} | ${r.counts!.failed} | ${note} |`);
    }
    lines.push('');
  }
  for (const r of reports.filter((x) => x.kind === 'judge-validation' && x.kinds && x.clean)) {
    lines.push(`### Judge validation: ${r.backend.name} ${r.backend.version}`, '', '| items | count | judged | share rejected |', '|---|---:|---:|---:|');
    lines.push(`| clean (should be accepted) | ${r.clean!.items} | accepted ${r.clean!.accepted} | ${pct(1 - r.clean!.rate)} |`);
    for (const k of r.kinds!) lines.push(`| ${k.kind} | ${k.items} | rejected ${k.rejected} | ${pct(k.rate)} |`);
    lines.push('');
  }
  lines.push(END);
  return lines.join('\n');
}

/** The card with its evaluation section replaced (or appended, or removed when `section` is empty). */
export function withEvalSection(card: string, section: string): string {
  const start = card.indexOf(BEGIN);
  const end = card.indexOf(END);
  const base = start >= 0 && end > start ? `${card.slice(0, start).trimEnd()}\n${card.slice(end + END.length).replace(/^\n+/, '\n')}` : card;
  return section ? `${base.trimEnd()}\n\n${section}\n` : base;
}
