import { LABEL_SETTINGS, labellerFeatures, type LabelSetting } from './labellerFeatures.ts';
import { PUBMEDQA_LABELS, type PubmedqaItem, type PubmedqaLabel } from './pubmedqaFile.ts';
import { classificationReport, type ClassificationReport } from './classificationReport.ts';
import { fitSoftmax, predictProba, type Features, type SoftmaxModel } from './softmaxRegression.ts';
import { LABELLER_FEATURES_VERSION, type LabellerFitProcedure, type LabellerModelFile } from './yesNoLabeller.ts';
import { ProgrammingError } from '../errors/medistillErrors.ts';

/**
 * How the shipped model is fitted: one multinomial logistic regression per L2 penalty of the grid,
 * their weights averaged into one model (the mean of their logits). Nothing is chosen on the data, so
 * plain k-fold cross-validation of this procedure estimates the model that ships; choosing the penalty
 * by an inner cross-validation instead was less accurate under nested cross-validation (the choice
 * is noisy on 450 items). Changed only with its figures in bench/RESULTS.md.
 */
export const LABELLER_FIT: LabellerFitProcedure = { l2Grid: [0.003, 0.01, 0.03, 0.1], iterations: 300, minCount: 2 };

type Labelled = PubmedqaItem & { gold: PubmedqaLabel };

function labelled(items: readonly PubmedqaItem[]): Labelled[] {
  const out = items.filter((i): i is Labelled => i.gold !== null);
  if (out.length === 0) throw new ProgrammingError('no expert-labelled items to fit on');
  return out;
}

function argmaxLabel(model: SoftmaxModel<PubmedqaLabel>, x: Features): PubmedqaLabel {
  const p = predictProba(model, x);
  return PUBMEDQA_LABELS[p.indexOf(Math.max(...p))]!;
}

/**
 * The procedure on one setting's items: a model per penalty of the grid, averaged weight by weight
 * (a weight a model dropped counts 0).
 */
export function fitProcedure(xs: readonly Features[], ys: readonly PubmedqaLabel[], fit: LabellerFitProcedure = LABELLER_FIT): SoftmaxModel<PubmedqaLabel> {
  if (fit.l2Grid.length === 0) throw new ProgrammingError('the L2 grid is empty');
  const models = fit.l2Grid.map((l2) => fitSoftmax(PUBMEDQA_LABELS, xs, ys, { l2, iterations: fit.iterations, minCount: fit.minCount }));
  const n = models.length;
  const round = (v: number): number => Math.round((v / n) * 1e4) / 1e4;
  const weights: Record<string, number[]> = {};
  for (const m of models) {
    for (const [name, w] of Object.entries(m.weights)) {
      const sum = (weights[name] ??= PUBMEDQA_LABELS.map(() => 0));
      w.forEach((v, k) => (sum[k]! += v));
    }
  }
  for (const name of Object.keys(weights)) weights[name] = weights[name]!.map(round);
  const bias = PUBMEDQA_LABELS.map((_, k) => round(models.reduce((s, m) => s + m.bias[k]!, 0)));
  return { classes: PUBMEDQA_LABELS, bias, weights };
}

/** Fits the labeller's two models (one per setting) on expert-labelled items, by the procedure of LABELLER_FIT. */
export function fitYesNoLabeller(items: readonly PubmedqaItem[], source: string, fit = LABELLER_FIT): LabellerModelFile {
  const train = labelled(items);
  const models = Object.fromEntries(
    LABEL_SETTINGS.map((s) => [s, fitProcedure(train.map((i) => labellerFeatures(i, s)), train.map((i) => i.gold), fit)]),
  ) as LabellerModelFile['models'];
  return { featuresVersion: LABELLER_FEATURES_VERSION, fittedOn: { source, items: train.length, ids: train.map((i) => i.id) }, fit: { ...fit, l2Grid: [...fit.l2Grid] }, models };
}

/**
 * K-fold cross-validation of the labeller's whole fitting procedure: each fold is labelled by a model
 * fitted (by `fitProcedure`) on the other folds only, so every figure is on items the model did not
 * see. Folds are by position (item i goes to fold i mod k): deterministic, and PubMedQA's files are
 * not ordered by label.
 */
export function crossValidateLabeller(items: readonly PubmedqaItem[], setting: LabelSetting, folds = 10, fit = LABELLER_FIT): ClassificationReport<PubmedqaLabel> {
  const data = labelled(items);
  if (!Number.isInteger(folds) || folds < 2 || folds > data.length) throw new ProgrammingError(`folds must be a whole number from 2 to ${data.length}, got ${folds}`);
  const xs = data.map((i) => labellerFeatures(i, setting));
  const pairs: Array<[PubmedqaLabel, PubmedqaLabel]> = [];
  for (let k = 0; k < folds; k++) {
    const train = data.flatMap((_, i) => (i % folds === k ? [] : [i]));
    const model = fitProcedure(train.map((i) => xs[i]!), train.map((i) => data[i]!.gold), fit);
    for (let i = k; i < data.length; i += folds) pairs.push([data[i]!.gold, argmaxLabel(model, xs[i]!)]);
  }
  return classificationReport(PUBMEDQA_LABELS, pairs);
}
