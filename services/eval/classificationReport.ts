/** Precision, recall, F1 and support of one class. */
export interface ClassFigures {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Figures of a classification run, as PubMedQA's evaluation prints them (accuracy and macro-F1 over the classes). */
export interface ClassificationReport<L extends string> {
  /** Items with both a gold label and a prediction. */
  scored: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<L, ClassFigures>;
  /** confusion[gold][predicted] = count. */
  confusion: Record<L, Record<L, number>>;
}

/**
 * Accuracy, macro-F1 (the unweighted mean of the per-class F1, a class never predicted and never
 * gold counting 0, as scikit-learn's `f1_score(average="macro")` with explicit labels does), per-class
 * figures and the confusion matrix.
 * @example classificationReport(['yes', 'no'], [['yes', 'yes'], ['no', 'yes']]).accuracy // 0.5
 */
export function classificationReport<L extends string>(labels: readonly L[], pairs: ReadonlyArray<readonly [gold: L, predicted: L]>): ClassificationReport<L> {
  const confusion = Object.fromEntries(labels.map((g) => [g, Object.fromEntries(labels.map((p) => [p, 0]))])) as Record<L, Record<L, number>>;
  let correct = 0;
  for (const [gold, predicted] of pairs) {
    confusion[gold][predicted]++;
    if (gold === predicted) correct++;
  }
  const perClass = {} as Record<L, ClassFigures>;
  for (const l of labels) {
    const tp = confusion[l][l];
    const support = labels.reduce((s, p) => s + confusion[l][p], 0);
    const predicted = labels.reduce((s, g) => s + confusion[g][l], 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[l] = { precision, recall, f1, support };
  }
  const macroF1 = labels.length === 0 ? 0 : labels.reduce((s, l) => s + perClass[l].f1, 0) / labels.length;
  return { scored: pairs.length, accuracy: pairs.length === 0 ? 0 : correct / pairs.length, macroF1, perClass, confusion };
}

/** The report as text: accuracy, macro-F1, a per-class table and the confusion matrix (rows gold, columns predicted). */
export function formatClassificationReport<L extends string>(labels: readonly L[], r: ClassificationReport<L>): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const lines = [`accuracy ${pct(r.accuracy)}   macro-F1 ${pct(r.macroF1)}   (${r.scored} items scored)`, '', 'class    precision  recall     F1   support'];
  for (const l of labels) {
    const c = r.perClass[l];
    lines.push(`${l.padEnd(8)} ${pct(c.precision).padStart(9)} ${pct(c.recall).padStart(7)} ${pct(c.f1).padStart(6)} ${String(c.support).padStart(9)}`);
  }
  lines.push('', `confusion (rows gold, columns predicted)`, `${''.padEnd(8)} ${labels.map((l) => l.padStart(7)).join(' ')}`);
  for (const g of labels) lines.push(`${g.padEnd(8)} ${labels.map((p) => String(r.confusion[g][p]).padStart(7)).join(' ')}`);
  return lines.join('\n');
}
