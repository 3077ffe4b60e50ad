import { ProgrammingError } from '../errors/medistillErrors.ts';
import { labellerFeatures, type LabellerInput, type LabelSetting } from './labellerFeatures.ts';
import type { PubmedqaLabel } from './pubmedqaFile.ts';
import { predictProba, type SoftmaxModel } from './softmaxRegression.ts';
import { SHIPPED_LABELLER_MODEL } from './yesNoLabellerModel.ts';

/** Bump when the features change: a model fitted on other features must be refitted. */
export const LABELLER_FEATURES_VERSION = 'yn-features/v2';

/** The fitted labeller as stored: one model per setting, what it was fitted on, and how. */
export interface LabellerModelFile {
  featuresVersion: string;
  fittedOn: { source: string; items: number; ids: string[] };
  /** The fitting procedure (see LABELLER_FIT). */
  fit: LabellerFitProcedure;
  models: Record<LabelSetting, SoftmaxModel<PubmedqaLabel>>;
}

/** How a labeller is fitted: the L2 penalties whose models are averaged, and the optimiser's settings. */
export interface LabellerFitProcedure {
  l2Grid: readonly number[];
  iterations: number;
  minCount: number;
}

/** A label with the probability of each class. */
export interface LabelPrediction {
  label: PubmedqaLabel;
  probabilities: Record<PubmedqaLabel, number>;
}

/** Labels yes/no/maybe questions without an LLM. */
export interface YesNoLabeller {
  readonly version: string;
  /** The ids of the items the model was fitted on: figures on them are training figures. */
  readonly fittedIds: ReadonlySet<string>;
  label(input: LabellerInput, setting: LabelSetting): LabelPrediction;
}

/** The model shipped with medistill, fitted on PubMedQA's 500 expert-labelled PQA-L items (see bench/pubmedqaQuality.ts for its cross-validated figures). */
export function shippedLabellerModel(): LabellerModelFile {
  return SHIPPED_LABELLER_MODEL;
}

/**
 * A labeller from a fitted model (the shipped one by default): the features of `labellerFeatures`
 * weighed by a multinomial logistic regression fitted on expert labels, so its answers rest on what
 * experts decided, not on the rule-based generator's cues.
 * @example createYesNoLabeller().label({ question, contexts, longAnswer }, 'reasoning-free').label // 'no'
 */
export function createYesNoLabeller(file: LabellerModelFile = shippedLabellerModel()): YesNoLabeller {
  if (file.featuresVersion !== LABELLER_FEATURES_VERSION) {
    throw new ProgrammingError(`the labeller model was fitted on features ${file.featuresVersion}, the code computes ${LABELLER_FEATURES_VERSION}: refit it (npm run labeller:fit)`);
  }
  const fittedIds = new Set(file.fittedOn.ids);
  return {
    version: `${LABELLER_FEATURES_VERSION}+${file.fittedOn.source}`,
    fittedIds,
    label(input, setting) {
      const model = file.models[setting];
      const p = predictProba(model, labellerFeatures(input, setting));
      const probabilities = Object.fromEntries(model.classes.map((c, i) => [c, p[i]!])) as Record<PubmedqaLabel, number>;
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
      return { label: model.classes[best]!, probabilities };
    },
  };
}
