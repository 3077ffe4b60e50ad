import { describe, expect, it } from 'vitest';
import { createRuleBasedGenerator } from '../../../services/generate/ruleBasedGenerator.ts';
import { RuleBasedGeneratorConfigError } from '../../../services/errors/medistillErrors.ts';
import { BLANK } from '../../../services/generate/clozeQuestion.ts';
import { abstractText } from '../../../services/model/pubmedRecord.ts';
import { qaId } from '../../../services/model/qaId.ts';
import type { QaCandidate } from '../../../services/model/qaItem.ts';
import { annotated, article, recordWithoutAbstract, structuredRecord, term, unstructuredRecord } from './records.ts';
import { tinyMeshVocabulary } from './tinyMeshVocabulary.ts';

const vocab = tinyMeshVocabulary();
const fixedClock = () => new Date('2024-05-01T00:00:00Z');
const generator = createRuleBasedGenerator({ vocab, now: fixedClock });
const byType = (items: QaCandidate[], type: QaCandidate['type']) => items.filter((i) => i.type === type);

describe('createRuleBasedGenerator on a structured abstract', () => {
  it('yields one item of each type, marked as rule-based, with the abstract as context (without its conclusion for yes/no/maybe)', async () => {
    const record = structuredRecord();
    const { items, failures } = await generator.generate(record);
    expect(failures).toEqual([]);
    expect(items.map((i) => i.type).sort()).toEqual(['multiple_choice', 'open', 'yes_no_maybe']);
    for (const item of items) {
      expect(item.generator).toEqual({ backend: 'rule-based', name: 'rule-based', version: generator.version, promptVersion: 'none', model: null });
      if (item.type === 'yes_no_maybe') {
        expect(item.context).not.toContain('Metformin improves glycaemic control');
        expect(item.context).toContain('We randomised 412 adults');
      } else {
        expect(item.context).toBe(abstractText(record.record));
      }
      expect(item.paperMesh).toEqual(record.mesh.map((m) => m.descriptorUi));
      expect(item.id).toBe(qaId(record.record.pmid, generator.version, item.question));
      expect(item.pmid).toBe('38000001');
      expect(item.createdAt).toBe('2024-05-01T00:00:00.000Z');
    }
  });

  it('answers the yes/no/maybe item from the CONCLUSIONS section', async () => {
    const { items } = await generator.generate(structuredRecord());
    const [ynm] = byType(items, 'yes_no_maybe');
    expect(ynm?.answer).toBe('yes');
    expect(ynm?.longAnswer).toBe('Metformin improves glycaemic control in adults with type 2 diabetes.');
    expect(ynm?.question).toBe('Does metformin improve glycaemic control in older adults?');
    expect(ynm?.target.descriptorUi).toBe('D003924');
  });

  it('builds a cloze whose answer is the blanked surface form and names the MeSH branch', async () => {
    const { items } = await generator.generate(structuredRecord());
    const [open] = byType(items, 'open');
    expect(open?.target.descriptorUi).toBe('D008687');
    expect(open?.answer).toBe('Metformin');
    expect(open?.question).toContain('(MeSH: Chemicals and Drugs)');
    expect(open?.question).toContain(`"${BLANK} is the usual first-line drug`);
    expect(open?.question).not.toMatch(/metformin/i);
    expect(open?.longAnswer).toBe(open?.question.match(/"(.*)"/)?.[1]?.replace(BLANK, 'Metformin'));
  });

  it('keys the multiple-choice item to the target and draws distractors from its MeSH siblings', async () => {
    const { items } = await generator.generate(structuredRecord());
    const [mcq] = byType(items, 'multiple_choice');
    expect(mcq?.target.descriptorUi).toBe('D003924');
    expect(mcq?.target.branches).toEqual(['C']);
    expect(mcq?.options?.map((o) => o.label)).toEqual(['A', 'B', 'C', 'D']);
    const key = mcq?.options?.find((o) => o.label === mcq.answer);
    expect(key?.text).toBe('Type 2 diabetes');
    const siblingTexts = ['Type 1 diabetes mellitus', 'Gestational diabetes', 'Prediabetic state', 'Experimental diabetes mellitus'];
    const distractors = mcq!.options!.filter((o) => o.label !== mcq!.answer).map((o) => o.text);
    expect(distractors).toHaveLength(3);
    for (const d of distractors) expect(siblingTexts).toContain(d);
    expect(mcq?.question).toContain('(MeSH: Diseases)');
  });
});

describe('createRuleBasedGenerator answers a title that states or denies a finding from the title', () => {
  it('asks a denied finding without its "not" and answers "no", whatever the conclusion reads', async () => {
    const record = structuredRecord();
    const denied = { ...record, record: { ...record.record, title: 'Metformin does not improve glycaemic control in older adults.' } };
    const [ynm] = byType((await generator.generate(denied)).items, 'yes_no_maybe');
    expect(ynm?.question).toBe('Does metformin improve glycaemic control in older adults?');
    expect(ynm?.answer).toBe('no');
    expect(ynm?.longAnswer).toBe('Metformin improves glycaemic control in adults with type 2 diabetes.');
  });
});

describe('createRuleBasedGenerator on an unstructured abstract', () => {
  it('uses the question title as the question and the last sentence as the long answer', async () => {
    const { items } = await generator.generate(unstructuredRecord());
    const [ynm] = byType(items, 'yes_no_maybe');
    expect(ynm?.question).toBe('Does metformin reduce mortality in patients with heart failure?');
    expect(ynm?.answer).toBe('no');
    expect(ynm?.longAnswer).toBe('Compared with other agents, metformin did not reduce all-cause mortality in this cohort.');
  });

  it('falls back to cousins and the same heading for distractors, never offering a descriptor in the sentence', async () => {
    const { items } = await generator.generate(unstructuredRecord());
    const [mcq] = byType(items, 'multiple_choice');
    expect(mcq?.target.descriptorUi).toBe('D008687');
    const texts = mcq!.options!.map((o) => o.text);
    expect(texts).toContain('metformin');
    expect(texts.filter((t) => ['buformin', 'phenformin'].includes(t))).toHaveLength(2);
    expect(texts.some((t) => ['cimetidine', 'creatine'].includes(t))).toBe(true);
  });

  it('makes an open item when a target has no usable distractors', async () => {
    const { items } = await generator.generate(unstructuredRecord());
    const [open] = byType(items, 'open');
    expect(open?.target.descriptorUi).toBe('D006973');
    expect(open?.answer).toBe('high blood pressure');
    expect(open?.question).toContain('(MeSH: Diseases)');
  });

  it('builds no yes/no/maybe item when the title neither asks a question nor states a finding', async () => {
    const record = annotated(
      article('38000010', 'Metformin in older adults.', [
        { label: null, nlmCategory: null, text: 'We reviewed 12 trials of metformin in older adults. Mortality was recorded in each. Metformin may lower mortality, but further studies are needed.' },
      ]),
      [term('D008687', { major: true })],
    );
    const { items } = await generator.generate(record);
    expect(items.length).toBeGreaterThan(0);
    expect(byType(items, 'yes_no_maybe')).toEqual([]);
  });
});

describe('createRuleBasedGenerator edge cases', () => {
  it('produces no item for a record without an abstract', async () => {
    expect(await generator.generate(recordWithoutAbstract())).toEqual({ items: [], failures: [] });
  });

  it('produces no item when the only descriptors are check tags', async () => {
    const record = structuredRecord();
    record.mesh = record.mesh.filter((m) => ['D006801', 'D008297', 'D005260'].includes(m.descriptorUi));
    expect((await generator.generate(record)).items).toEqual([]);
  });

  it('is deterministic and spreads answer keys over A to D', async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const pmid = String(39000000 + i);
      const a = await generator.generate(structuredRecord(pmid));
      const b = await generator.generate(structuredRecord(pmid));
      expect(a).toEqual(b);
      const mcq = byType(a.items, 'multiple_choice')[0];
      if (mcq) keys.add(mcq.answer);
    }
    expect(keys.size).toBeGreaterThanOrEqual(3);
  });

  it('caps the number of items per record', async () => {
    const one = createRuleBasedGenerator({ vocab, itemsPerRecord: 1 });
    expect((await one.generate(structuredRecord())).items).toHaveLength(1);
  });

  it('rejects a bad itemsPerRecord at construction', () => {
    expect(() => createRuleBasedGenerator({ vocab, itemsPerRecord: 0 })).toThrow(RuleBasedGeneratorConfigError);
  });

  it('stops when the signal is already aborted', async () => {
    await expect(generator.generate(structuredRecord(), AbortSignal.abort())).rejects.toThrow();
  });
});
