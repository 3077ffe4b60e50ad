import { MESH_BRANCHES } from '../mesh/meshVocabulary.ts';
import { CRITERIA, ITEM_TYPES } from '../model/qaItem.ts';
import type { DatasetStats, ProvenanceUsage } from './datasetStats.ts';
import type { ScoreDistribution } from './scoreDistribution.ts';

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** Presentation settings of the card. */
export interface DatasetCardOptions {
  title?: string;
  /** ISO time shown in the card; left out when absent so equal stats render equal cards. */
  generatedAt?: string;
  /** Where the rows are, as the card names them (default: `dataset.jsonl` and `rejected.jsonl`). */
  files?: { accepted: string; rejected: string; preferences?: string };
}

/**
 * The dataset card in Markdown: counts by item type and MeSH branch, score distributions, rejections,
 * duplicates, and the generators, judges and MeSH version behind the data.
 * @example writeFileSync('card.md', renderDatasetCard(stats, { title: 'medistill sample' }));
 */
export function renderDatasetCard(stats: DatasetStats, options: DatasetCardOptions = {}): string {
  const out: string[] = [];
  const files = options.files ?? { accepted: 'dataset.jsonl', rejected: 'rejected.jsonl' };
  out.push(`# ${options.title ?? 'medistill dataset'}`, '');
  out.push(
    'Biomedical question-answer items distilled from PubMed abstracts, each targeting a MeSH descriptor,',
    'judged for grounding, answerability, correctness, clarity and MeSH hierarchy alignment: of the target',
    'descriptor (`hierarchy`), and of the papers each question retrieves from the literature index (`retrieval`;',
    'their PMIDs, the item\'s supporting context, are in `retrieved_pmids`).',
    `Accepted items are in \`${files.accepted}\`; rejected items and dropped duplicates, with their reasons, in \`${files.rejected}\`.`,
    '',
  );
  if (options.generatedAt) out.push(`Generated: ${options.generatedAt}`, '');
  out.push(`MeSH version: ${stats.meshVersion ?? 'not given'}`, '');

  out.push('## Summary', '', '| | items |', '|---|---:|');
  out.push(`| accepted | ${stats.accepted} |`);
  out.push(`| rejected by the judge | ${stats.rejected} |`);
  out.push(`| duplicates dropped | ${stats.duplicates} |`);
  out.push(`| removed (deleted or superseded papers) | ${stats.removed} |`, '');

  out.push('## Accepted items by type', '', '| type | items | share |', '|---|---:|---:|');
  for (const t of ITEM_TYPES) out.push(`| ${t} | ${stats.byType[t]} | ${share(stats.byType[t], stats.accepted)} |`);
  out.push('');

  out.push('## Accepted items by top-level MeSH branch', '');
  out.push('An item whose target descriptor sits in two branches counts in both.', '');
  out.push('| branch | name | items | share |', '|---|---|---:|---:|');
  for (const [letter, n] of Object.entries(stats.byBranch)) {
    out.push(`| ${letter} | ${MESH_BRANCHES[letter] ?? 'unknown'} | ${n} | ${share(n, stats.accepted)} |`);
  }
  if (Object.keys(stats.byBranch).length === 0) out.push('| - | none | 0 | - |');
  out.push('');

  out.push('## Score distributions (accepted items)', '');
  out.push('Histogram: ten bins over 0..1, lowest on the left.', '');
  out.push('| criterion | n | min | p25 | median | p75 | max | histogram | bin counts |', '|---|---:|---:|---:|---:|---:|---:|---|---|');
  for (const c of CRITERIA) out.push(scoreRow(c, stats.scores[c]));
  out.push('');

  out.push('## Rejections by reason', '');
  out.push('An item rejected for two reasons counts under each.', '');
  out.push('| reason | items |', '|---|---:|');
  for (const [reason, n] of Object.entries(stats.rejectionsByReason)) out.push(`| ${reason} | ${n} |`);
  if (Object.keys(stats.rejectionsByReason).length === 0) out.push('| none | 0 |');
  out.push('');

  out.push('## LLM response cache', '');
  out.push('Items whose LLM answer came from the response cache (no request paid for). Rejected items and dropped duplicates count in "all items".', '');
  out.push('| | accepted | all items |', '|---|---:|---:|');
  out.push(`| generated from cache | ${stats.cache.generated.accepted} | ${stats.cache.generated.total} |`);
  out.push(`| judged from cache | ${stats.cache.judged.accepted} | ${stats.cache.judged.total} |`, '');
  out.push(...preferenceSection(stats, files.preferences ?? 'preferences.jsonl'));

  out.push('## Generators', '', ...provenanceTable(stats.generators), '');
  out.push('## Judges', '', ...provenanceTable(stats.judges), '');
  return out.join('\n');
}

function preferenceSection(stats: DatasetStats, file: string): string[] {
  const p = stats.preferences;
  const out = ['## Preference pairs (DPO)', ''];
  out.push(
    `Two generators write a candidate for each target; when the judge's combined scores of the two differ by at least the margin, they form a pair (the better chosen, the other rejected): \`${file}\`, columns \`prompt\`, \`chosen\`, \`rejected\` as TRL's DPOTrainer reads them, with scores, reasons and provenance under \`metadata\`.`,
    '',
  );
  out.push(`Pairs: ${p.pairs}`, '');
  out.push('| chosen / rejected verdicts | pairs | share |', '|---|---:|---:|');
  for (const [v, n] of Object.entries(p.byVerdicts)) out.push(`| ${v} | ${n} | ${share(n, p.pairs)} |`);
  if (p.pairs === 0) out.push('| - | 0 | - |');
  out.push('', '| chosen generator | pairs won | share |', '|---|---:|---:|');
  for (const [g, n] of Object.entries(p.wins)) out.push(`| ${cell(g)} | ${n} | ${share(n, p.pairs)} |`);
  if (p.pairs === 0) out.push('| - | 0 | - |');
  out.push('', 'Margin distribution (chosen minus rejected combined score; ten bins over 0..1):', '');
  out.push('| | n | min | p25 | median | p75 | max | histogram | bin counts |', '|---|---:|---:|---:|---:|---:|---:|---|---|');
  out.push(scoreRow('margin', p.margins), '');
  return out;
}

function scoreRow(criterion: string, d: ScoreDistribution): string {
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  const peak = Math.max(...d.histogram);
  const spark = d.count === 0 ? '-' : d.histogram.map((n) => (n === 0 ? '·' : SPARK[Math.min(SPARK.length - 1, Math.floor((n / peak) * (SPARK.length - 1)))])).join('');
  return `| ${criterion} | ${d.count} | ${f(d.min)} | ${f(d.p25)} | ${f(d.median)} | ${f(d.p75)} | ${f(d.max)} | ${spark} | ${d.histogram.join(' ')} |`;
}

function provenanceTable(rows: readonly ProvenanceUsage[]): string[] {
  const out = ['| backend | name | version | prompt version | model | accepted | total |', '|---|---|---|---|---|---:|---:|'];
  for (const p of rows) out.push(`| ${p.backend} | ${cell(p.name)} | ${cell(p.version)} | ${cell(p.prompt_version)} | ${cell(p.model ?? '-')} | ${p.accepted} | ${p.total} |`);
  if (rows.length === 0) out.push('| - | none | - | - | - | 0 | 0 |');
  return out;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

function share(n: number, total: number): string {
  return total === 0 ? '-' : `${((100 * n) / total).toFixed(1)} %`;
}
