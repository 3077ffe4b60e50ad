import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors/medistillErrors.ts';
import { CARD_FILE } from '../export/exportStore.ts';
import { createInstrumentation, type Instrumentation } from '../instrumentation/instrumentation.ts';
import { loadServiceConfig } from '../config/serviceConfig.ts';
import { llmConfigured, llmSettingsFrom } from '../config/llmSettings.ts';
import { createLlmClient } from '../llm/llmClient.ts';
import { describeLlmConfig } from '../llm/llmConfig.ts';
import { MAX_LINGER_MS, serveRunMetrics, type RunMetricsServer } from '../metrics/serveRunMetrics.ts';
import { formatClassificationReport } from '../eval/classificationReport.ts';
import { EVAL_DIR, readEvalReports, renderEvalSection, withEvalSection } from '../eval/evalCardSection.ts';
import { evalPubmedqa, type PubmedqaBackend, type PubmedqaReport } from '../eval/evalPubmedqa.ts';
import { crossValidateLabeller } from '../eval/fitYesNoLabeller.ts';
import { LABEL_SETTINGS, type LabelSetting } from '../eval/labellerFeatures.ts';
import { PUBMEDQA_LABELS, readPubmedqaFile } from '../eval/pubmedqaFile.ts';
import { createYesNoLabeller } from '../eval/yesNoLabeller.ts';
import { judgeSuiteCommand, JUDGE_SUITE_USAGE } from './evalJudgeCommand.ts';
import { positiveInt, wholeNumber } from './numericFlags.ts';

export const EVAL_PUBMEDQA_USAGE = `usage: medistill eval pubmedqa --input <ori_pqal.json|test_set.json> [--ground-truth <test_ground_truth.json>]
                              [--setting reasoning-required|reasoning-free|both] [--backend auto|offline|llm] [--voc]
                              [--cv K] [--report <file.json>] [--out <dataset folder>] [--concurrency N] [--limit N]
                              [--metrics-port N [--linger-ms N]]

Labels PubMedQA's expert-labelled PQA-L items (yes/no/maybe) and prints accuracy, macro-F1, per-class
figures and the confusion matrix, as PubMedQA's own evaluation does.
  --setting        reasoning-required: question + abstract; reasoning-free: + the conclusion (default both)
  --backend        offline: the labeller fitted on expert labels; llm: the judge model of MEDISTILL_LLM_*;
                   auto (default): llm when MEDISTILL_LLM_BASE_URL is set
  --voc            llm: Verification-of-Choice (argue for yes, no and maybe; keep the answer whose argument survives)
  --cv K           offline: K-fold cross-validation on the file's own labels (fit on K-1 folds, label the K-th);
                   the figures to report for items the shipped model was fitted on
  --report         the JSON report (default: pubmedqa-<setting>-<backend>.json under --out/eval, else the working folder)
  --out            a dataset folder: the report goes to its eval/ folder and into its card (README.md)`;

export const EVAL_USAGE = `usage: medistill eval <pubmedqa|judge> ...

${EVAL_PUBMEDQA_USAGE}

${JUDGE_SUITE_USAGE}`;

interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** `medistill eval`: the quality evaluations. */
export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'pubmedqa') return evalPubmedqaCommand(rest, io);
  if (what === 'judge') return judgeSuiteCommand(rest, io);
  throw new UsageError(`medistill eval needs "pubmedqa" or "judge"\n${EVAL_USAGE}`);
}

/** Serves the eval gauges while the evaluation runs, when asked to. */
export async function evalMetricsServer(port: string | undefined, env: NodeJS.ProcessEnv, bus: Instrumentation, log: (l: string) => void): Promise<RunMetricsServer | null> {
  if (port === undefined) return null;
  const config = loadServiceConfig(env);
  const server = await serveRunMetrics(
    { service: 'eval', port: wholeNumber('metrics-port', port, 65_535), host: config.metricsHost, pricePer1kInput: config.llmPricePer1kInput, pricePer1kOutput: config.llmPricePer1kOutput },
    bus,
  );
  log(`metrics: serving /metrics on ${config.metricsHost}:${server.port}`);
  return server;
}

/** Writes a report where it was asked for, and into the dataset's card when it went to a dataset folder. */
export async function writeEvalReport(report: object, name: string, v: { report?: string | undefined; out?: string | undefined }): Promise<string> {
  const outDir = v.out ? resolve(v.out) : null;
  const path = v.report ? resolve(v.report) : outDir ? join(outDir, EVAL_DIR, name) : resolve(name);
  await mkdir(resolve(path, '..'), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  if (outDir) {
    if (!v.report) {
      const cardPath = join(outDir, CARD_FILE);
      const card = await readFile(cardPath, 'utf8').catch(() => '# Dataset card\n');
      await writeFile(cardPath, withEvalSection(card, renderEvalSection(await readEvalReports(outDir))));
    }
  }
  return path;
}

async function evalPubmedqaCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        'ground-truth': { type: 'string' },
        setting: { type: 'string', default: 'both' },
        backend: { type: 'string', default: 'auto' },
        voc: { type: 'boolean', default: false },
        cv: { type: 'string' },
        report: { type: 'string' },
        out: { type: 'string' },
        concurrency: { type: 'string' },
        limit: { type: 'string' },
        'metrics-port': { type: 'string' },
        'linger-ms': { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${EVAL_PUBMEDQA_USAGE}`);
  }
  const v = parsed.values;
  if (!v.input) throw new UsageError(`--input is required\n${EVAL_PUBMEDQA_USAGE}`);
  const settings: LabelSetting[] = v.setting === 'both' ? [...LABEL_SETTINGS] : LABEL_SETTINGS.includes(v.setting as LabelSetting) ? [v.setting as LabelSetting] : [];
  if (settings.length === 0) throw new UsageError(`--setting must be reasoning-required, reasoning-free or both, got "${v.setting}"`);
  if (!['auto', 'offline', 'llm'].includes(v.backend)) throw new UsageError(`--backend must be auto, offline or llm, got "${v.backend}"`);
  if (v.report && settings.length > 1) throw new UsageError('--report names one file: give one --setting with it');
  const concurrency = positiveInt('concurrency', v.concurrency, 4);
  const limit = positiveInt('limit', v.limit, Infinity);
  const lingerMs = v['linger-ms'] === undefined ? 0 : wholeNumber('linger-ms', v['linger-ms'], MAX_LINGER_MS);
  const log = (line: string): void => {
    if (!v.quiet) io.stderr.write(`${line}\n`);
  };

  const config = loadServiceConfig(io.env);
  const useLlm = v.backend === 'llm' || (v.backend === 'auto' && llmConfigured(config));
  if (v.cv !== undefined && useLlm) throw new UsageError('--cv fits the offline labeller: use it with --backend offline');
  if (v.voc && !useLlm) throw new UsageError('--voc needs the LLM backend (MEDISTILL_LLM_BASE_URL, or --backend llm)');
  const folds = v.cv === undefined ? null : positiveInt('cv', v.cv, 10);
  if (folds !== null && folds < 2) throw new UsageError('--cv must be at least 2');

  const file = await readPubmedqaFile(resolve(v.input), v['ground-truth'] ? resolve(v['ground-truth']) : undefined);
  if (Number.isFinite(limit)) file.items.splice(limit);
  for (const f of file.failures) log(`skipped: ${f.message}`);
  const bus = createInstrumentation();
  let backend: PubmedqaBackend;
  if (useLlm) {
    const judge = llmSettingsFrom(config, io.env).judge;
    backend = { kind: 'llm', client: createLlmClient(judge, { onEvent: (e) => bus.emit(e) }), model: judge.model };
    log(`labeller: ${describeLlmConfig(judge)}${v.voc ? ', with Verification-of-Choice' : ''}`);
  } else {
    backend = { kind: 'offline', labeller: createYesNoLabeller() };
    log(`labeller: offline (${backend.labeller.version})${folds ? `, ${folds}-fold cross-validation on the file's labels` : ''}`);
  }

  const metrics = await evalMetricsServer(v['metrics-port'], io.env, bus, log);
  let status = 0;
  try {
    for (const setting of settings) {
      const report: PubmedqaReport & { crossValidated?: { folds: number } | null } = await evalPubmedqa(file, basename(v.input), { setting, backend, voc: v.voc, concurrency });
      report.crossValidated = null;
      if (folds !== null) {
        report.metrics = crossValidateLabeller(file.items, setting, folds);
        report.crossValidated = { folds };
        report.seenInFitting = 0;
        report.predictions = [];
        report.counts.scored = report.metrics.scored;
      }
      const backendLabel = backend.kind === 'llm' ? 'llm' : 'offline';
      bus.emit({ type: 'eval.pubmedqa', setting, backend: backendLabel, accuracy: report.metrics.accuracy, macroF1: report.metrics.macroF1, scored: report.counts.scored, failed: report.counts.failed });
      const c = report.counts;
      io.stdout.write(`PubMedQA ${setting}, ${report.backend.name}${report.voc ? ' + VoC' : ''}${folds ? ` (${folds}-fold cross-validation)` : ''}\n`);
      io.stdout.write(`items: ${c.inFile} in file, ${c.invalid} invalid, ${c.failed} failed, ${c.unlabelled} without a gold label, ${c.scored} scored\n`);
      if (report.majorityBaseline) io.stdout.write(`majority baseline ("${report.majorityBaseline.label}"): ${(report.majorityBaseline.accuracy * 100).toFixed(1)}%\n`);
      if (report.seenInFitting > 0) {
        io.stdout.write(`note: ${report.seenInFitting} of these items were used to fit the offline labeller, so these are training figures; use --cv for an estimate on unseen items\n`);
      }
      io.stdout.write(`${formatClassificationReport(PUBMEDQA_LABELS, report.metrics)}\n`);
      const path = await writeEvalReport(report, `pubmedqa-${setting}-${backendLabel}${report.voc ? '-voc' : ''}${folds ? '-cv' : ''}.json`, v);
      io.stdout.write(`report: ${path}\n\n`);
      if (c.scored === 0) status = 1;
    }
  } finally {
    await metrics?.close(lingerMs);
  }
  return status;
}
