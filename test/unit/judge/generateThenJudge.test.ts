import { describe, expect, it } from 'vitest';
import { createRuleBasedGenerator } from '../../../services/generate/ruleBasedGenerator.ts';
import { createRuleBasedJudge } from '../../../services/judge/ruleBasedJudge.ts';
import { structuredRecord, unstructuredRecord } from '../generate/records.ts';
import { tinyMeshVocabulary } from '../generate/tinyMeshVocabulary.ts';
import { fixedScorer } from './candidates.ts';

describe('rule-based generator followed by the rule-based judge', () => {
  it('accepts every item the generator builds from well-formed abstracts', async () => {
    const generator = createRuleBasedGenerator({ vocab: tinyMeshVocabulary() });
    const judge = createRuleBasedJudge({ hierarchyScorer: fixedScorer(0.7) });
    for (const record of [structuredRecord(), unstructuredRecord()]) {
      const { items } = await generator.generate(record);
      expect(items.length).toBe(3);
      for (const item of items) {
        const judged = await judge.judge(item);
        expect({ type: item.type, reasons: judged.rejectReasons }).toEqual({ type: item.type, reasons: [] });
        if (item.type === 'multiple_choice') expect(judged.voc?.passed).toBe(true);
      }
    }
  });
});
