/**
 * Quality bench: the yes/no/maybe labeller against PubMedQA's 500 expert-labelled PQA-L items
 * (/work/shared/data/pubmedqa/pqal_trainval.json, MIT licence), and the judge-validation suite on the
 * real PubMed samples under /work/shared/data/pubmed. The shipped labeller was fitted on those 500
 * items, so its figures here are 10-fold cross-validated (each fold labelled by a model fitted on the
 * other nine); the baselines are the majority answer and the former cue rules (conclusionCues.ts,
 * reading the conclusion alone). The judge suite runs the offline judge, and the LLM judge when
 * MEDISTILL_LLM_BASE_URL is set. Without the data the bench says so and exits 0.
 *
 * Run: npx tsx bench/pubmedqaQuality.ts [--no-write]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { classificationReport, type ClassificationReport } from '../services/eval/classificationReport.ts';
import { crossValidateLabeller, fitYesNoLabeller, LABELLER_FIT } from '../services/eval/fitYesNoLabeller.ts';
import { shippedLabellerModel } from '../services/eval/yesNoLabeller.ts';
import { LABEL_SETTINGS } from '../services/eval/labellerFeatures.ts';
import { PUBMEDQA_LABELS, readPubmedqaFile, type PubmedqaLabel } from '../services/eval/pubmedqaFile.ts';
import { analyseConclusion } from '../services/generate/conclusionCues.ts';
import { runCli } from '../test/support/runCli.ts';
import { writeResultsSection } from './writeResultsSection.ts';

const PQAL = '/work/shared/data/pubmedqa/pqal_trainval.json';
const PUBMED = '/work/shared/data/pubmed/**/*.xml*';
const MESH = '/work/shared/data/mesh/desc2024-reconstructed.xml.gz';

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const line = (name: string, r: ClassificationReport<PubmedqaLabel>): string =>
  `| ${name} | ${pct(r.accuracy)} | ${pct(r.macroF1)} | ${(['yes', 'no', 'maybe'] as const).map((l) => pct(r.perClass[l].f1)).join(' | ')} |`;

async function main(): Promise<void> {
  if (!existsSync(PQAL)) {
    process.stdout.write(`PubMedQA development items not found at ${PQAL}: nothing to measure.\n`);
    return;
  }
  const started = Date.now();
  const { items } = await readPubmedqaFile(PQAL);
  const golds = items.map((i) => i.gold!);
  const majority = classificationReport(PUBMEDQA_LABELS, golds.map((g) => [g, 'yes'] as const));
  const cues = classificationReport(PUBMEDQA_LABELS, items.map((i) => [i.gold!, analyseConclusion(i.longAnswer).answer] as const));
  const rows = ['| labeller (500 development items) | accuracy | macro-F1 | F1 yes | F1 no | F1 maybe |', '|---|---:|---:|---:|---:|---:|', line('always "yes" (majority)', majority), line('former cue rules, conclusion only (baseline)', cues)];
  for (const setting of LABEL_SETTINGS) {
    const t0 = Date.now();
    const r = crossValidateLabeller(items, setting, 10);
    rows.push(line(`offline labeller, ${setting}, 10-fold CV`, r));
    process.stdout.write(`${setting}: accuracy ${pct(r.accuracy)}, macro-F1 ${pct(r.macroF1)} (${((Date.now() - t0) / 1000).toFixed(1)} s for 10 fits)\n`);
  }
  // The shipped model must be the one the cross-validation estimates: the same procedure on all 500 items gives it again.
  const refit = fitYesNoLabeller(items, shippedLabellerModel().fittedOn.source);
  const reproduced = JSON.stringify(refit.models) === JSON.stringify(shippedLabellerModel().models) && JSON.stringify(refit.fit) === JSON.stringify(shippedLabellerModel().fit);
  process.stdout.write(`shipped model reproduced by the fitting procedure on these items: ${reproduced ? 'yes' : 'NO (run npm run labeller:fit)'}\n`);
  const human = (key: 'reasoning_required_pred' | 'reasoning_free_pred'): number => {
    // PubMedQA ships one annotator's predictions beside the final decision: the single-human anchor.
    const raw = JSON.parse(readFileSync(PQAL, 'utf8')) as Record<string, Record<string, string>>;
    const v = Object.values(raw);
    return v.filter((x) => x[key] === x.final_decision).length / v.length;
  };
  rows.push(`| single human annotator (in the file), reasoning-required / reasoning-free | ${pct(human('reasoning_required_pred'))} / ${pct(human('reasoning_free_pred'))} | | | | |`);

  const judgeTables: string[] = [];
  const backends = [['rule-based', {}] as const, ...(process.env.MEDISTILL_LLM_BASE_URL ? [['llm', process.env] as const] : [])];
  for (const [backend, env] of backends) {
    const report = `/tmp/medistill-judge-bench-${backend}.json`;
    const r = await runCli(['eval', 'judge', '--input', PUBMED, '--mesh', MESH, '--pubmedqa', PQAL, '--backend', backend, '--report', report, '--quiet'], env as Record<string, string>, 900_000);
    if (r.code !== 0) throw new Error(r.stderr);
    process.stdout.write(r.stdout);
    type Counts = Record<string, { items: number; accepted?: number; rejected?: number }>;
    const j = JSON.parse(readFileSync(report, 'utf8')) as { backend: { name: string; version: string }; papers: number; clean: { items: number; accepted: number; rate: number; bySource: Counts; rejectedFor?: Record<string, number> }; kinds: Array<{ kind: string; items: number; rejected: number; rate: number; bySource: Counts }>; corrupted: { items: number; rejected: number; rate: number }; pubmedqa: { items: number; labeller: string } | null };
    const bySource = (name: string, c: Counts, key: 'accepted' | 'rejected'): string[] =>
      Object.entries(c).map(([src, x]) => `| ${name}, ${src === 'pubmedqa-expert' ? 'PubMedQA expert items' : `${src} generator`} | ${x.items} | ${x[key]} | ${pct((x[key] ?? 0) / Math.max(1, x.items))} |`);
    const flip = j.kinds.find((k) => k.kind === 'label_flipped');
    judgeTables.push(
      `Judge ${j.backend.name} ${j.backend.version}, ${j.papers} real records (clean items from the rule-based generators) and ${j.pubmedqa?.items ?? 0} PubMedQA expert-labelled items (clean answer = the experts' decision; ${j.pubmedqa?.labeller ?? 'none'}):`,
      '',
      '| items | count | judged as wanted | share |',
      '|---|---:|---:|---:|',
      `| clean (accepted) | ${j.clean.items} | ${j.clean.accepted} | ${pct(j.clean.rate)} |`,
      ...bySource('clean (accepted)', j.clean.bySource, 'accepted'),
      ...j.kinds.map((k) => `| ${k.kind} (rejected) | ${k.items} | ${k.rejected} | ${pct(k.rate)} |`),
      ...(flip ? bySource('label_flipped (rejected)', flip.bySource, 'rejected') : []),
      `| all corrupted (rejected) | ${j.corrupted.items} | ${j.corrupted.rejected} | ${pct(j.corrupted.rate)} |`,
      '',
      `Reading: the generator answers a yes/no item from its title when the title states or denies a finding (evidence apart from the conclusion the judge reads), and with the judge's own labeller when the title asks (there the check agrees by construction); its ${flip?.bySource['rule-based']?.items ?? 0} yes/no items are all the real records give. The PubMedQA rows are the independent figures: the experts' answer, read by a labeller that never saw the item. Their ceiling is the labeller's agreement with the experts (about 3 in 4): a flip is caught when the labeller favours the experts' answer, a clean item passes when it does not favour another; rejections of clean items, all sources: ${Object.entries(j.clean.rejectedFor ?? {}).map(([r, n]) => `${r} ${n}`).join(', ')}. A context swapped under an expert item keeps its conclusion, which still grounds the question; that is why this kind is caught less there.`,
      '',
    );
  }
  if (!process.env.MEDISTILL_LLM_BASE_URL) judgeTables.push('LLM judge: no endpoint configured on this machine (MEDISTILL_LLM_BASE_URL unset); its wiring is tested through the OpenAI-protocol test server.', '');

  const body = [
    `Command: \`npx tsx bench/pubmedqaQuality.ts\` (load ${loadavg()[0]!.toFixed(1)}, ${((Date.now() - started) / 1000).toFixed(0)} s). PubMedQA PQA-L development items (500, expert labels: 276 yes, 169 no, 55 maybe). These are development figures; anchors on the test split: majority 55.2 %, single human 78.0 % reasoning-required, AntGLM-Med 80.6 %, GPT-4 Medprompt 82.0 %. The offline labeller (features ${shippedLabellerModel().featuresVersion}) was fitted on these 500 items by one procedure: one logistic regression per L2 penalty of the fixed grid ${JSON.stringify(LABELLER_FIT.l2Grid)}, weights averaged; nothing is chosen on the data, so its rows are plain 10-fold cross-validation of that procedure (fit on 450, label the other 50), and the procedure run on all 500 gives the shipped model again (${reproduced ? 'checked in this run' : 'NOT reproduced in this run'}). Choosing the penalty by an inner 5-fold CV instead scored 74.2 % reasoning-free under nested 10-fold CV while this was designed: the choice is noisy on 450 items, so the penalties are averaged instead. \`medistill eval pubmedqa --input ${PQAL} --backend offline --cv 10\` prints the same.`,
    '',
    ...rows,
    '',
    'Reading: on 500 items one accuracy figure has a standard error of about 2 points, and the features were designed while reading these items\' cross-validation errors, so the reasoning-free figure is if anything optimistic for unseen items (the v1 features scored 74.6 % and 62.4 % in the previous run of this bench). Three fold assignments gave 75.4 to 75.8 % while this was designed. The labeller never predicts "maybe" at the majority decision (F1 0): hedged conclusions lean "yes" more often than not in the experts\' labels.',
    '',
    ...judgeTables,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (!process.argv.includes('--no-write')) await writeResultsSection('Quality: PubMedQA labeller and judge validation', body);
}

await main();
