import { describe, expect, it } from 'vitest';
import { corruptItems, CORRUPTION_KINDS } from '../../../services/eval/corruptions.ts';
import { runJudgeSuite } from '../../../services/eval/judgeSuite.ts';
import { createRuleBasedGenerator } from '../../../services/generate/ruleBasedGenerator.ts';
import { createRuleBasedJudge } from '../../../services/judge/ruleBasedJudge.ts';
import type { Judge } from '../../../services/judge/judge.ts';
import type { QaCandidate } from '../../../services/model/qaItem.ts';
import { readPubmedqaFile } from '../../../services/eval/pubmedqaFile.ts';
import { crossFittedLabellers, PUBMEDQA_EXPERT, pubmedqaCleanItems } from '../../../services/eval/pubmedqaJudgeItems.ts';
import { fitYesNoLabeller, LABELLER_FIT } from '../../../services/eval/fitYesNoLabeller.ts';
import { createYesNoLabeller } from '../../../services/eval/yesNoLabeller.ts';
import type { MeshDescriptor, MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
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

describe('expert-labelled PubMedQA items in the suite', () => {
  const PQAL = new URL('../../fixtures/pubmedqa/pqal_fixture.json', import.meta.url).pathname;
  const humans: MeshDescriptor = { ui: 'D006801', name: 'Humans', treeNumbers: ['B01.050.150.900.649.313.988.400.112.400.400'], terms: [] };
  const withHumans: MeshVocabulary = { ...vocab, get: (ui) => (ui === humans.ui ? humans : vocab.get(ui)), descriptors: function* () { yield* vocab.descriptors(); yield humans; } };

  it('become clean yes/no/maybe items answered as the experts decided, each flipped', async () => {
    const { items } = await readPubmedqaFile(PQAL);
    const { candidates, skipped } = pubmedqaCleanItems([...items, { ...items[0]!, id: '1', meshes: ['No Such Heading'] }], withHumans, '2026-01-01T00:00:00Z');
    expect(skipped).toBe(1);
    expect(candidates.map((c) => c.answer)).toEqual(items.map((i) => i.gold));
    expect(candidates[0]).toMatchObject({ type: 'yes_no_maybe', pmid: items[0]!.id, longAnswer: items[0]!.longAnswer, target: { descriptorUi: 'D006801' } });
    const flips = corruptItems(candidates, withHumans).filter((c) => c.kind === 'label_flipped');
    expect(flips).toHaveLength(items.length);
    expect(flips.every((f) => f.candidate.answer !== candidates.find((c) => c.id === f.from)!.answer && f.candidate.generator.name === PUBMEDQA_EXPERT)).toBe(true);
  });

  it('are read by a labeller that never saw them when the given one was fitted on them', async () => {
    const { items } = await readPubmedqaFile(PQAL);
    const fit = { ...LABELLER_FIT, l2Grid: [0.01] };
    const seenAll = createYesNoLabeller(fitYesNoLabeller(items, 'fixture', fit));
    const byId = crossFittedLabellers(items, seenAll, 4);
    for (const item of items) {
      const l = byId.get(item.id)!;
      expect(l).not.toBe(seenAll);
      expect(l.fittedIds.has(item.id)).toBe(false);
      expect(l.fittedIds.size).toBe(6);
    }
    // Fitted on the first fold only (items 0 and 4): the other folds keep it, that fold is refitted.
    const partlySeen = createYesNoLabeller(fitYesNoLabeller([items[0]!, items[4]!], 'fixture', fit));
    const partly = crossFittedLabellers(items, partlySeen, 4);
    expect(items.map((i) => partly.get(i.id) === partlySeen)).toEqual([false, true, true, true, false, true, true, true]);
  });
});
