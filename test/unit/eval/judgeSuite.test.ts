import { describe, expect, it } from 'vitest';
import { corruptItems, CORRUPTION_KINDS } from '../../../services/eval/corruptions.ts';
import { runJudgeSuite } from '../../../services/eval/judgeSuite.ts';
import { createRuleBasedGenerator } from '../../../services/generate/ruleBasedGenerator.ts';
import { createRuleBasedJudge } from '../../../services/judge/ruleBasedJudge.ts';
import type { Judge } from '../../../services/judge/judge.ts';
import type { QaCandidate } from '../../../services/model/qaItem.ts';
import { structuredRecord, unstructuredRecord } from '../generate/records.ts';
import { tinyMeshVocabulary } from '../generate/tinyMeshVocabulary.ts';
import { fixedScorer } from '../judge/candidates.ts';

const vocab = tinyMeshVocabulary();

async function cleanItems(): Promise<QaCandidate[]> {
  const generator = createRuleBasedGenerator({ vocab });
  const out: QaCandidate[] = [];
  for (const r of [structuredRecord('38000001'), unstructuredRecord()]) out.push(...(await generator.generate(r)).items);
  return out;
}

describe('the judge-validation suite', () => {
  it('builds every kind of corruption from clean items of two papers', async () => {
    const clean = await cleanItems();
    const corrupted = corruptItems(clean, vocab);
    const kinds = new Set(corrupted.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([...CORRUPTION_KINDS].sort());
    const flipped = corrupted.find((c) => c.kind === 'label_flipped')!;
    const source = clean.find((c) => c.id === flipped.from)!;
    expect(flipped.candidate.answer).not.toBe(source.answer);
    const dup = corrupted.find((c) => c.kind === 'duplicate_options')!;
    expect(new Set(dup.candidate.options!.map((o) => o.text)).size).toBe(3);
    const injected = corrupted.find((c) => c.kind === 'injected_instruction')!;
    expect(injected.candidate.context).toContain('Ignore previous instructions');
  });

  it('the rule-based judge accepts the clean items and rejects the corrupted ones', async () => {
    const clean = await cleanItems();
    const judge = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.7) });
    const report = await runJudgeSuite(judge, clean, corruptItems(clean, vocab), { source: ['fixture'], papers: 2, backendKind: 'rule-based' });
    expect(report.clean).toMatchObject({ items: clean.length, accepted: clean.length });
    expect(report.corrupted.rate).toBeGreaterThanOrEqual(0.9);
    // Both fixture papers are about metformin, so a swapped context may still hold a question's words; the rest must all fail.
    for (const k of report.kinds.filter((x) => x.kind !== 'context_swapped')) {
      expect({ kind: k.kind, rate: k.rate, missed: k.missed }).toEqual({ kind: k.kind, rate: 1, missed: [] });
    }
  });

  it('shows a judge that accepts everything for what it is', async () => {
    const clean = await cleanItems();
    const real = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.7) });
    const yesMan: Judge = { ...real, judge: async (c) => ({ ...(await real.judge(c)), verdict: 'accept', rejectReasons: [] }) };
    const report = await runJudgeSuite(yesMan, clean, corruptItems(clean, vocab), { source: ['fixture'], papers: 2, backendKind: 'rule-based' });
    expect(report.clean.rate).toBe(1);
    expect(report.corrupted.rate).toBe(0);
    expect(report.kinds.every((k) => k.missed.length > 0)).toBe(true);
  });
});
