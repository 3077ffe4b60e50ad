import { describe, expect, it } from 'vitest';
import { createRuleBasedJudge } from '../../../services/judge/ruleBasedJudge.ts';
import { RuleBasedJudgeConfigError } from '../../../services/errors/medistillErrors.ts';
import type { HierarchyScorer } from '../../../services/judge/judge.ts';
import { fixedScorer, mcqItem, openItem, yesNoItem } from './candidates.ts';

const judge = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.8), now: () => new Date('2024-05-02T00:00:00Z') });

describe('createRuleBasedJudge', () => {
  it('accepts a well-grounded cloze item whose answer completes a context sentence', async () => {
    const candidate = openItem();
    const judged = await judge.judge(candidate);
    expect(judged.verdict).toBe('accept');
    expect(judged.rejectReasons).toEqual([]);
    expect(judged.scores.correct.score).toBe(1);
    expect(judged.scores.answerable.score).toBeGreaterThan(0.5);
    expect(judged.scores.grounded.score).toBe(1);
    expect(judged.scores.clear.score).toBe(1);
    expect(judged.voc).toBeNull();
    expect(judged.candidate).toBe(candidate);
    expect(judged.judge).toEqual({ backend: 'rule-based', name: 'rule-based', version: judge.version, promptVersion: 'none', model: null });
    expect(judged.judgedAt).toBe('2024-05-02T00:00:00.000Z');
    for (const s of Object.values(judged.scores)) expect(s.reason.length).toBeGreaterThan(0);
  });

  it('rejects an item whose answer does not occur in the context', async () => {
    const judged = await judge.judge(openItem('Sitagliptin'));
    expect(judged.verdict).toBe('reject');
    expect(judged.scores.correct.score).toBe(0);
    expect(judged.scores.answerable.score).toBe(0);
    expect(judged.rejectReasons).toEqual(expect.arrayContaining(['low_correct', 'low_answerable']));
  });

  it('rejects an item whose question is not in the context', async () => {
    const judged = await judge.judge(openItem('Metformin', '____ cured every patient of pancreatic carcinoma within one afternoon.'));
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toContain('low_grounded');
    expect(judged.rejectReasons).toContain('low_correct');
  });

  it('passes Verification-of-Choice when only the keyed option completes the statement', async () => {
    const judged = await judge.judge(
      mcqItem('Patients in the active arm received ____ daily.', ['insulin', 'metformin', 'buformin', 'phenformin'], 'B'),
    );
    expect(judged.voc?.survivors).toEqual(['B']);
    expect(judged.voc?.passed).toBe(true);
    expect(judged.voc?.options.map((o) => o.supported)).toEqual([false, true, false, false]);
    expect(judged.scores.correct.score).toBe(1);
    expect(judged.verdict).toBe('accept');
  });

  it('rejects with voc_failed a multiple-choice item where two options fit the blank', async () => {
    const judged = await judge.judge(mcqItem('Patients received ____ daily.', ['insulin', 'metformin', 'buformin', 'phenformin'], 'B'));
    expect(judged.voc?.survivors).toEqual(['A', 'B']);
    expect(judged.voc?.passed).toBe(false);
    expect(judged.scores.correct.score).toBe(0.5);
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toContain('voc_failed');
  });

  it('rejects a multiple-choice item keyed to a wrong option', async () => {
    const judged = await judge.judge(
      mcqItem('Patients in the active arm received ____ daily.', ['insulin', 'metformin', 'buformin', 'phenformin'], 'C'),
    );
    expect(judged.scores.correct.score).toBe(0);
    expect(judged.rejectReasons).toEqual(expect.arrayContaining(['low_correct', 'voc_failed']));
  });

  it('judges a free-form open question (no blank) by the context sentence that holds the answer', async () => {
    const item = { ...openItem(), question: 'Which drug lowered glycated hemoglobin compared with placebo?' };
    const judged = await judge.judge(item);
    expect(judged.verdict).toBe('accept');
    expect(judged.scores.correct.score).toBeGreaterThan(0.8);
    const wrong = await judge.judge({ ...item, answer: 'insulin' });
    expect(wrong.scores.correct.score).toBeLessThan(0.6);
    expect(wrong.rejectReasons).toContain('low_correct');
  });

  it('checks a yes/no/maybe answer with the labeller fitted on expert labels', async () => {
    expect((await judge.judge(yesNoItem('yes'))).verdict).toBe('accept');
    const wrong = await judge.judge(yesNoItem('no'));
    expect(wrong.scores.correct.score).toBeLessThan(0.6);
    expect(wrong.scores.correct.reason).toContain('expert-fitted labeller');
    expect(wrong.rejectReasons).toContain('low_correct');
  });

  it('marks a question with a leftover placeholder as unclear', async () => {
    const item = { ...openItem(), question: 'Which {{target_type}} completes the statement: "____ lowered glycated hemoglobin."?' };
    const judged = await judge.judge(item);
    expect(judged.scores.clear.score).toBe(0);
    expect(judged.rejectReasons).toContain('low_clear');
  });

  it('passes the target and the paper descriptors to the hierarchy scorer and records its formula', async () => {
    const calls: [string, readonly string[]][] = [];
    const scorer: HierarchyScorer = (target, paper) => {
      calls.push([target, paper]);
      return { score: 0.42, formula: 'wu-palmer-bma/v1' };
    };
    const judged = await createRuleBasedJudge({ hierarchyScorer: scorer }).judge(openItem());
    expect(calls).toEqual([['D008687', ['D008687', 'D003924', 'D006442']]]);
    expect(judged.scores.hierarchy.score).toBe(0.42);
    expect(judged.hierarchyFormula).toBe('wu-palmer-bma/v1');
  });

  it('changes the verdict when the thresholds change', async () => {
    const lenient = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.4) });
    const strict = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.4), thresholds: { hierarchy: 0.5 } });
    expect((await lenient.judge(openItem())).verdict).toBe('accept');
    const judged = await strict.judge(openItem());
    expect(judged.verdict).toBe('reject');
    expect(judged.rejectReasons).toEqual(['low_hierarchy']);
  });

  it('rejects thresholds outside 0..1 at construction', () => {
    expect(() => createRuleBasedJudge({ hierarchyScorer: fixedScorer(1), thresholds: { grounded: 2 } })).toThrow(RuleBasedJudgeConfigError);
  });
});
