import { LABEL_SETTINGS, labellerFeatures, type LabelSetting } from './labellerFeatures.ts';
import { PUBMEDQA_LABELS, type PubmedqaItem, type PubmedqaLabel } from './pubmedqaFile.ts';
import { classificationReport, type ClassificationReport } from './classificationReport.ts';
import { fitSoftmax, predictProba, type FitOptions } from './softmaxRegression.ts';
import { LABELLER_FEATURES_VERSION, type LabellerModelFile } from './yesNoLabeller.ts';
import { ProgrammingError } from '../errors/medistillErrors.ts';

/** How the shipped model is fitted; changed only with its cross-validated figures in bench/RESULTS.md. */
export const LABELLER_FIT: Required<Pick<FitOptions, 'l2' | 'iterations' | 'minCount'>> = { l2: 0.01, iterations: 300, minCount: 2 };

function labelled(items: readonly PubmedqaItem[]): Array<PubmedqaItem & { gold: PubmedqaLabel }> {
  const out = items.filter((i): i is PubmedqaItem & { gold: PubmedqaLabel } => i.gold !== null);
  if (out.length === 0) throw new ProgrammingError('no expert-labelled items to fit on');
  return out;
}

/** Fits the labeller's two models (one per setting) on expert-labelled items. */
export function fitYesNoLabeller(items: readonly PubmedqaItem[], source: string, fit = LABELLER_FIT): LabellerModelFile {
  const train = labelled(items);
  const models = Object.fromEntries(
    LABEL_SETTINGS.map((s) => [s, fitSoftmax(PUBMEDQA_LABELS, train.map((i) => labellerFeatures(i, s)), train.map((i) => i.gold), fit)]),
  ) as LabellerModelFile['models'];
  return { featuresVersion: LABELLER_FEATURES_VERSION, fittedOn: { source, items: train.length, ids: train.map((i) => i.id) }, fit, models };
}

/**
 * K-fold cross-validation of the labeller: each fold is labelled by a model fitted on the other folds
 * only, so every figure is on items the model did not see. Folds are by position (item i goes to fold
 * i mod k): deterministic, and PubMedQA's files are not ordered by label.
 */
export function crossValidateLabeller(items: readonly PubmedqaItem[], setting: LabelSetting, folds = 10, fit = LABELLER_FIT): ClassificationReport<PubmedqaLabel> {
  const data = labelled(items);
  if (!Number.isInteger(folds) || folds < 2 || folds > data.length) throw new ProgrammingError(`folds must be a whole number from 2 to ${data.length}, got ${folds}`);
  const xs = data.map((i) => labellerFeatures(i, setting));
  const pairs: Array<[PubmedqaLabel, PubmedqaLabel]> = [];
  for (let k = 0; k < folds; k++) {
    const train = data.flatMap((_, i) => (i % folds === k ? [] : [i]));
    const model = fitSoftmax(PUBMEDQA_LABELS, train.map((i) => xs[i]!), train.map((i) => data[i]!.gold), fit);
    for (let i = k; i < data.length; i += folds) {
      const p = predictProba(model, xs[i]!);
      pairs.push([data[i]!.gold, PUBMEDQA_LABELS[p.indexOf(Math.max(...p))]!]);
    }
  }
  return classificationReport(PUBMEDQA_LABELS, pairs);
}
