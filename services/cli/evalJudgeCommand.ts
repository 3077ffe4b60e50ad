import { parseArgs } from 'node:util';
import { createAnnotateContext } from '../annotate/annotateContext.ts';
import { annotateRecord } from '../annotate/annotateRecord.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { UsageError } from '../errors/medistillErrors.ts';
import { CORRUPTION_KINDS, corruptItems } from '../eval/corruptions.ts';
import { runJudgeSuite, type JudgeSuiteReport } from '../eval/judgeSuite.ts';
import { readPubmedqaFile } from '../eval/pubmedqaFile.ts';
import { crossFittedLabellers, PUBMEDQA_EXPERT, pubmedqaCleanItems } from '../eval/pubmedqaJudgeItems.ts';
import { createYesNoLabeller, type YesNoLabeller } from '../eval/yesNoLabeller.ts';
import type { Judge } from '../judge/judge.ts';
import { createRuleBasedJudge } from '../judge/ruleBasedJudge.ts';
import { createRuleBasedGenerator } from '../generate/ruleBasedGenerator.ts';
import { readPubmedInputs, resolveInputFiles } from '../ingest/readPubmedInputs.ts';
import { createInstrumentation } from '../instrumentation/instrumentation.ts';
import { loadMeshVocabulary } from '../mesh/loadMeshVocabulary.ts';
import { createHierarchyScorer } from '../mesh/meshSimilarity.ts';
import { MAX_LINGER_MS } from '../metrics/serveRunMetrics.ts';
import type { QaCandidate } from '../model/qaItem.ts';
import { BACKEND_CHOICES, buildBackends, type BackendChoice } from './buildBackends.ts';
import { evalMetricsServer, writeEvalReport } from './evalCommand.ts';
import { positiveInt, wholeNumber } from './numericFlags.ts';
import { parseThresholds } from './parseThresholds.ts';
import { bundledMeshPath } from './runCommand.ts';

export const JUDGE_SUITE_USAGE = `usage: medistill eval judge --input <PubMed XML file|folder|glob> [--input ...] --out <dataset folder> [--mesh <desc.xml[.gz]>]
                           [--pubmedqa <PQA-L file, e.g. ori_pqal.json>]
                           [--backend auto|rule-based|llm] [--threshold c=x,...] [--limit N] [--concurrency N]
                           [--metrics-port N [--linger-ms N]]

Judge validation: from real records, the rule-based generator builds clean items, and from those
corrupted copies of known kinds (${CORRUPTION_KINDS.join(', ')}).
The judge (rule-based, or the LLM judge of MEDISTILL_LLM_*) scores all of them; the report gives, per
kind, the share rejected, and the share of clean items accepted. It goes to <out>/eval/ and the card (README.md).
--pubmedqa adds PubMedQA's expert-labelled items as clean yes/no/maybe items (the experts' answer),
corrupted like the others (label_flipped on every one); items the offline labeller was fitted on
are judged by a labeller refitted without them (10-fold cross-fitting).`;

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** `medistill eval judge`: can the judge say no? */
export async function judgeSuiteCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string', multiple: true },
        out: { type: 'string' },
        report: { type: 'string' },
        mesh: { type: 'string' },
        pubmedqa: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        threshold: { type: 'string', multiple: true },
        limit: { type: 'string' },
        concurrency: { type: 'string' },
        'metrics-port': { type: 'string' },
        'linger-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${JUDGE_SUITE_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input?.length) throw new UsageError(`--input is required\n${JUDGE_SUITE_USAGE}`);
  if (!v.out && !v.report) throw new UsageError(`--out is required\n${JUDGE_SUITE_USAGE}`);
  if (!(BACKEND_CHOICES as readonly string[]).includes(v.backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v.backend}"`);
  const limit = positiveInt('limit', v.limit, 500);
  const concurrency = positiveInt('concurrency', v.concurrency, 4);
  const lingerMs = v['linger-ms'] === undefined ? 0 : wholeNumber('linger-ms', v['linger-ms'], MAX_LINGER_MS);
  const thresholds = parseThresholds(v.threshold ?? []);
  const log = (line: string): void => {
    if (!v.quiet) io.stderr.write(`${line}\n`);
  };

  const config = loadServiceConfig(io.env);
  const files = await resolveInputFiles(v.input);
  const vocab = await loadMeshVocabulary(v.mesh ?? bundledMeshPath());
  const annotateCtx = createAnnotateContext(vocab);
  const hierarchyScorer = createHierarchyScorer(vocab);
  const bus = createInstrumentation();
  const { judge, settingsLines } = buildBackends({ choice: v.backend as BackendChoice, config, env: io.env, vocab, hierarchyScorer, thresholds, itemsPerRecord: 3, llm: { onEvent: (e) => bus.emit(e) } });
  for (const l of settingsLines) log(l);
  // Clean items come from the rule-based generator whatever the judge: their making is known and repeatable.
  const generator = createRuleBasedGenerator({ vocab, itemsPerRecord: 3 });

  const clean: QaCandidate[] = [];
  let papers = 0;
  let failed = 0;
  for await (const entry of readPubmedInputs(files)) {
    if (papers >= limit) break;
    if (entry.kind === 'error') {
      failed++;
      continue;
    }
    if (entry.kind !== 'article') continue;
    papers++;
    const { items } = await generator.generate(annotateRecord(entry, annotateCtx));
    clean.push(...items);
  }
  let pubmedqa: JudgeSuiteReport['pubmedqa'] = null;
  let judgeFor: ((c: QaCandidate) => Judge | undefined) | undefined;
  if (v.pubmedqa) {
    const file = await readPubmedqaFile(v.pubmedqa);
    const made = pubmedqaCleanItems(file.items, vocab, new Date().toISOString());
    clean.push(...made.candidates);
    let labellerNote = 'the LLM judge';
    if (!judge.name.startsWith('llm')) {
      const shipped = createYesNoLabeller();
      const seen = made.candidates.filter((c) => shipped.fittedIds.has(c.pmid)).length;
      log(`PubMedQA: ${made.candidates.length} expert-labelled items (${made.skipped} skipped, ${file.failures.length} unusable); ${seen} were used to fit the offline labeller: refitting it without each tenth of them`);
      const byId = crossFittedLabellers(file.items, shipped, 10);
      const judges = new Map<YesNoLabeller, Judge>();
      judgeFor = (c) => {
        const l = c.generator.name === PUBMEDQA_EXPERT ? byId.get(c.pmid) : undefined;
        if (!l || l === shipped) return undefined;
        let j = judges.get(l);
        if (!j) judges.set(l, (j = createRuleBasedJudge({ hierarchyScorer, thresholds, labeller: l })));
        return j;
      };
      labellerNote = seen > 0 ? 'offline labeller cross-fitted (10 folds): each item read by a model fitted without it' : `offline labeller ${shipped.version} (never fitted on these items)`;
    }
    pubmedqa = { file: v.pubmedqa, items: made.candidates.length, skipped: made.skipped + file.failures.length, labeller: labellerNote };
  }
  if (clean.length === 0) throw new UsageError(`no items could be built from ${files.length} file(s) (${papers} records, ${failed} unreadable): give PubMed records with abstracts`);
  const corrupted = corruptItems(clean, vocab);
  log(`judge validation: ${papers} records (${failed} unreadable), ${clean.length} clean items, ${corrupted.length} corrupted; judge ${judge.name} ${judge.version}`);

  const metrics = await evalMetricsServer(v['metrics-port'], io.env, bus, log);
  try {
    const report = await runJudgeSuite(judge, clean, corrupted, { source: files, papers, backendKind: judge.name.startsWith('llm') ? 'llm' : 'rule-based', concurrency, judgeFor, pubmedqa });
    const backendLabel = report.backend.kind === 'llm' ? 'llm' : 'offline';
    bus.emit({ type: 'eval.judge', backend: backendLabel, kind: 'clean', rejectionRate: 1 - report.clean.rate, items: report.clean.items });
    for (const k of report.kinds) bus.emit({ type: 'eval.judge', backend: backendLabel, kind: k.kind, rejectionRate: k.rate, items: k.items });
    io.stdout.write(formatJudgeSuite(report));
    const path = await writeEvalReport(report, `judge-validation-${report.backend.kind}.json`, { report: v.report, out: v.out });
    io.stdout.write(`report: ${path}\n`);
  } finally {
    await metrics?.close(lingerMs);
  }
  return 0;
}

/** The report as a table. */
export function formatJudgeSuite(r: JudgeSuiteReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `judge validation: ${r.backend.name} ${r.backend.version} (${r.backend.promptVersion}), ${r.papers} records`,
    '',
    `${'items'.padEnd(26)} ${'count'.padStart(6)} ${'rejected'.padStart(9)} ${'share'.padStart(7)}`,
    `${'clean (should pass)'.padEnd(26)} ${String(r.clean.items).padStart(6)} ${String(r.clean.items - r.clean.accepted).padStart(9)} ${pct(1 - r.clean.rate).padStart(7)}   accepted ${pct(r.clean.rate)}`,
  ];
  for (const k of r.kinds) lines.push(`${k.kind.padEnd(26)} ${String(k.items).padStart(6)} ${String(k.rejected).padStart(9)} ${pct(k.rate).padStart(7)}`);
  if (r.pubmedqa) {
    const src = (o: Record<string, { items: number }>, key: string): string => Object.entries(o).map(([name, x]) => `${name} ${(x as Record<string, number>)[key]}/${x.items}`).join(', ');
    const flip = r.kinds.find((k) => k.kind === 'label_flipped');
    lines.push(`PubMedQA expert items: ${r.pubmedqa.items} (${r.pubmedqa.skipped} skipped), ${r.pubmedqa.labeller}`);
    lines.push(`  clean accepted by source: ${src(r.clean.bySource, 'accepted')}`);
    if (flip) lines.push(`  label_flipped rejected by source: ${src(flip.bySource, 'rejected')}`);
  }
  lines.push(`${'all corrupted'.padEnd(26)} ${String(r.corrupted.items).padStart(6)} ${String(r.corrupted.rejected).padStart(9)} ${pct(r.corrupted.rate).padStart(7)}`);
  if (r.judgeErrors > 0) lines.push(`judge errors (counted as rejections): ${r.judgeErrors}`);
  return `${lines.join('\n')}\n`;
}
