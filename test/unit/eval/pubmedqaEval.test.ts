import { describe, expect, it } from 'vitest';
import { classificationReport } from '../../../services/eval/classificationReport.ts';
import { EvalInputError } from '../../../services/errors/medistillErrors.ts';
import { crossValidateLabeller, fitProcedure, fitYesNoLabeller, LABELLER_FIT } from '../../../services/eval/fitYesNoLabeller.ts';
import { PUBMEDQA_LABELS, readPubmedqaFile } from '../../../services/eval/pubmedqaFile.ts';
import { createYesNoLabeller } from '../../../services/eval/yesNoLabeller.ts';
import { labellerFeatures } from '../../../services/eval/labellerFeatures.ts';
import { fitSoftmax } from '../../../services/eval/softmaxRegression.ts';
import { evalPubmedqa } from '../../../services/eval/evalPubmedqa.ts';

const FIXTURES = new URL('../../fixtures/pubmedqa/', import.meta.url).pathname;

describe('readPubmedqaFile', () => {
  it('reads PQA-L items keyed by PMID with their expert label', async () => {
    const { items, failures } = await readPubmedqaFile(`${FIXTURES}pqal_fixture.json`);
    expect(failures).toEqual([]);
    expect(items).toHaveLength(8);
    expect(items[0]).toMatchObject({ id: '90000001', gold: 'no', question: 'Does metformin reduce mortality in older adults with heart failure?' });
    expect(items[0]!.contexts).toHaveLength(2);
  });

  it('takes the labels of the test split from its ground-truth file', async () => {
    const { items } = await readPubmedqaFile(`${FIXTURES}test_set_fixture.json`, `${FIXTURES}test_ground_truth_fixture.json`);
    expect(items.map((i) => i.gold)).toEqual(['no', 'yes', 'yes', 'no']);
    const unlabelled = await readPubmedqaFile(`${FIXTURES}test_set_fixture.json`);
    expect(unlabelled.items.every((i) => i.gold === null)).toBe(true);
  });

  it('counts items with missing fields or a bad label as failures and keeps the others', async () => {
    const { items, failures } = await readPubmedqaFile(`${FIXTURES}pqal_missing_fields.json`);
    expect(items).toHaveLength(3);
    expect(failures.map((f) => f.message).sort()).toEqual([
      'item 90000098: final_decision must be yes, no or maybe, got "perhaps"',
      'item 90000099: CONTEXTS must be a non-empty list of strings',
    ]);
  });

  it('refuses a file in another layout with a message that names the expected one', async () => {
    await expect(readPubmedqaFile(`${FIXTURES}other_layout.json`)).rejects.toThrow(EvalInputError);
    await expect(readPubmedqaFile(`${FIXTURES}other_layout.json`)).rejects.toThrow(/keyed by PMID, got an array/);
    await expect(readPubmedqaFile(`${FIXTURES}absent.json`)).rejects.toThrow(/cannot read/);
  });
});

describe('classificationReport', () => {
  it('computes accuracy, per-class figures, macro-F1 and the confusion matrix', () => {
    const r = classificationReport(PUBMEDQA_LABELS, [
      ['yes', 'yes'],
      ['yes', 'no'],
      ['no', 'no'],
      ['maybe', 'yes'],
    ]);
    expect(r.accuracy).toBe(0.5);
    expect(r.confusion.yes).toEqual({ yes: 1, no: 1, maybe: 0 });
    expect(r.perClass.yes).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.perClass.no.f1).toBeCloseTo(2 / 3);
    expect(r.perClass.maybe).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macroF1).toBeCloseTo((0.5 + 2 / 3 + 0) / 3);
  });
});

describe('the yes/no/maybe labeller', () => {
  it('reads negated and affirmed conclusions the way the experts did (shipped model, reasoning-free)', async () => {
    const { items } = await readPubmedqaFile(`${FIXTURES}pqal_fixture.json`);
    const labeller = createYesNoLabeller();
    const yn = items.filter((i) => i.gold !== 'maybe');
    const right = yn.filter((i) => labeller.label(i, 'reasoning-free').label === i.gold).length;
    expect(right).toBeGreaterThanOrEqual(6);
  });

  it('learns from the items it is fitted on, and cross-validation labels each fold with a model that never saw it', async () => {
    const { items } = await readPubmedqaFile(`${FIXTURES}pqal_fixture.json`);
    const twice = [...items, ...items.map((i) => ({ ...i, id: `${i.id}b` }))];
    const model = fitYesNoLabeller(twice, 'fixture');
    expect(model.fittedOn.items).toBe(16);
    const labeller = createYesNoLabeller(model);
    const train = twice.filter((i) => labeller.label(i, 'reasoning-free').label === i.gold).length;
    expect(train).toBeGreaterThanOrEqual(14);
    const cv = crossValidateLabeller(twice, 'reasoning-free', 4);
    expect(cv.scored).toBe(16);
    expect(cv.accuracy).toBeLessThanOrEqual(train / 16);
  });

  it('marks figures on items the model was fitted on as training figures', async () => {
    const file = await readPubmedqaFile(`${FIXTURES}pqal_fixture.json`);
    const labeller = createYesNoLabeller(fitYesNoLabeller(file.items.slice(0, 3), 'fixture'));
    const report = await evalPubmedqa(file, 'pqal_fixture.json', { setting: 'reasoning-free', backend: { kind: 'offline', labeller } });
    expect(report.seenInFitting).toBe(3);
    expect(report.counts).toEqual({ inFile: 8, usable: 8, invalid: 0, failed: 0, unlabelled: 0, scored: 8 });
    expect(report.majorityBaseline).toEqual({ label: 'yes', accuracy: 0.5 });
  });
});

describe('the labeller\'s features and fitting procedure', () => {
  const input = (question: string, longAnswer: string) => ({ question, contexts: ['Methods.'], longAnswer });

  it('sees the question\'s words negated near by in the conclusion, hedges, and sameness against difference', () => {
    const denied = labellerFeatures(input('Ankle pressure in nursing homes: is it predictive of mortality?', 'The index is not predictive of mortality in this population.'), 'reasoning-free');
    expect(denied.get('near:qneg-only')).toBe(1);
    const affirmed = labellerFeatures(input('Is the index predictive of mortality?', 'The index is predictive of mortality, not only in men.'), 'reasoning-free');
    expect(affirmed.has('near:qneg')).toBe(false);
    const hedged = labellerFeatures(input('Does drug X reduce pain?', 'Drug X may reduce pain; further randomised studies are needed. Its role remains unclear.'), 'reasoning-free');
    expect([hedged.get('hedge:further'), hedged.get('hedge:unclear'), hedged.get('hedge:first-modal')]).toEqual([1, 1, 1]);
    const differ = labellerFeatures(input('Are they the same procedure?', 'Cone specimens were longer and heavier than LEEP specimens.'), 'reasoning-free');
    expect(differ.get('eq:qsame-edifferent')).toBe(1);
  });

  it('averages one model per penalty of the grid, weight by weight, into the model it ships', async () => {
    const { items } = await readPubmedqaFile(`${FIXTURES}pqal_fixture.json`);
    const xs = items.map((i) => labellerFeatures(i, 'reasoning-free'));
    const ys = items.map((i) => i.gold!);
    const fit = { ...LABELLER_FIT, l2Grid: [0.001, 1] };
    const [weak, strong] = fit.l2Grid.map((l2) => fitSoftmax(PUBMEDQA_LABELS, xs, ys, { l2, iterations: fit.iterations, minCount: fit.minCount }));
    const avg = fitProcedure(xs, ys, fit);
    const name = Object.keys(weak!.weights).find((n) => strong!.weights[n])!;
    expect(avg.weights[name]![0]).toBeCloseTo((weak!.weights[name]![0]! + strong!.weights[name]![0]!) / 2, 3);
    expect(fitYesNoLabeller(items, 'fixture', fit).models['reasoning-free']).toEqual(avg);
  });
});
