import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatasetWriter } from '../../../services/export/createDatasetWriter.ts';
import { WriterClosedError } from '../../../services/errors/medistillErrors.ts';
import { judgedItem } from './judgedItems.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'medistill-export-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const readJsonl = (name: string): Record<string, unknown>[] =>
  readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createDatasetWriter', () => {
  it('writes accepted items to dataset.jsonl with every exported field', async () => {
    const w = createDatasetWriter({ outDir: dir, meshVersion: 'MeSH 2024' });
    await w.write(judgedItem({ id: 'mcq', type: 'multiple_choice', treeNumbers: ['D02.078.370.141.450', 'C19.246'] }));
    await w.close();
    const [row] = readJsonl('dataset.jsonl');
    expect(row).toMatchObject({
      id: 'mcq',
      question: 'Question mcq?',
      answer: 'metformin',
      answer_key: 'C',
      long_answer: null,
      type: 'multiple_choice',
      options: [
        { label: 'A', text: 'buformin' },
        { label: 'B', text: 'phenformin' },
        { label: 'C', text: 'metformin' },
        { label: 'D', text: 'creatine' },
      ],
      context: 'Patients received metformin daily. Metformin helps.',
      pmid: '100',
      pmid_version: 1,
      mesh_targets: [{ descriptor_ui: 'D008687', name: 'Metformin', tree_numbers: ['D02.078.370.141.450', 'C19.246'], branches: ['C', 'D'] }],
      paper_mesh: ['D008687', 'D003924'],
      scores: { grounded: 0.9, answerable: 0.9, correct: 0.9, clear: 0.9, hierarchy: 0.9 },
      hierarchy_formula: 'wu-palmer-bma/v1',
      voc: { survivors: ['C'], passed: true },
      generator: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', prompt_version: 'none', model: null },
      judge: { backend: 'rule-based', name: 'rule-based', version: '1.0.0', prompt_version: 'none', model: null },
    });
  });

  it('leaves answer_key and voc out of open items', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: 'o' }));
    await w.close();
    const [row] = readJsonl('dataset.jsonl');
    expect(row).not.toHaveProperty('answer_key');
    expect(row).not.toHaveProperty('voc');
    expect(row?.answer).toBe('metformin');
  });

  it('writes rejected items with their reasons to rejected.jsonl', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: 'bad', verdict: 'reject', reasons: ['low_correct', 'voc_failed'], score: 0.1 }));
    const summary = await w.close();
    expect(readJsonl('dataset.jsonl')).toEqual([]);
    expect(readJsonl('rejected.jsonl')).toMatchObject([{ id: 'bad', verdict: 'reject', reject_reasons: ['low_correct', 'voc_failed'] }]);
    expect(summary.rejected).toBe(1);
    expect(summary.rejectionsByReason).toEqual({ low_correct: 1, voc_failed: 1 });
  });

  it('drops exact duplicate questions up to case and spaces, and counts them', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: 'a', question: 'Which drug  lowers HbA1c?' }));
    await w.write(judgedItem({ id: 'b', pmid: '200', question: ' which DRUG lowers hba1c? ' }));
    await w.write(judgedItem({ id: 'c', question: 'Which drug raises HbA1c?' }));
    const summary = await w.close();
    expect(readJsonl('dataset.jsonl').map((r) => r.id)).toEqual(['a', 'c']);
    expect(readJsonl('rejected.jsonl')).toMatchObject([{ id: 'b', reject_reasons: ['duplicate'], duplicate_of: 'a' }]);
    expect(summary.duplicates).toBe(1);
    expect(summary.accepted).toBe(2);
    expect(summary.rejected).toBe(0);
    expect(summary.rejectionsByReason).toEqual({ duplicate: 1 });
  });

  it('writes a card whose counts match the files', async () => {
    const w = createDatasetWriter({ outDir: dir, meshVersion: 'MeSH 2024 (30764 descriptors)' });
    await w.write(judgedItem({ id: '1', type: 'open', treeNumbers: ['C18.452.394.750.149'] }));
    await w.write(judgedItem({ id: '2', type: 'multiple_choice', treeNumbers: ['D02.078.370.141.450'] }));
    await w.write(judgedItem({ id: '3', type: 'yes_no_maybe', treeNumbers: ['C18.452.394.750.149', 'C19.246.300'] }));
    await w.write(judgedItem({ id: '4', verdict: 'reject', reasons: ['low_grounded'] }));
    await w.write(judgedItem({ id: '5', question: 'Question 1?' }));
    const summary = await w.close();
    const card = readFileSync(join(dir, 'card.md'), 'utf8');
    const dataset = readJsonl('dataset.jsonl');
    const rejected = readJsonl('rejected.jsonl');
    expect(summary.accepted).toBe(dataset.length);
    expect(summary.rejected + summary.duplicates).toBe(rejected.length);
    expect(card).toContain(`| accepted | ${dataset.length} |`);
    expect(card).toContain('| rejected by the judge | 1 |');
    expect(card).toContain('| duplicates dropped | 1 |');
    for (const type of ['open', 'multiple_choice', 'yes_no_maybe']) {
      const n = dataset.filter((r) => r.type === type).length;
      expect(card).toMatch(new RegExp(`\\| ${type} \\| ${n} \\|`));
    }
    expect(card).toContain('| C | Diseases | 2 |');
    expect(card).toContain('| D | Chemicals and Drugs | 1 |');
    expect(card).toContain('| low_grounded | 1 |');
    expect(card).toContain('MeSH version: MeSH 2024 (30764 descriptors)');
    expect(summary.files.card).toBe(join(dir, 'card.md'));
  });

  it('keeps the files under a partial name until close, so a crash leaves no finished-looking export', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: '1' }));
    expect(existsSync(join(dir, 'dataset.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'card.md'))).toBe(false);
    await w.close();
    expect(existsSync(join(dir, 'dataset.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'dataset.jsonl.partial'))).toBe(false);
    expect(existsSync(join(dir, 'card.md.partial'))).toBe(false);
  });

  it('removes the items of a deleted paper, whether written before or after the deletion', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: 'gone-1', pmid: '300' }));
    await w.write(judgedItem({ id: 'gone-2', pmid: '300', verdict: 'reject', reasons: ['low_clear'] }));
    await w.write(judgedItem({ id: 'stays', pmid: '301' }));
    w.remove('300');
    await w.write(judgedItem({ id: 'gone-3', pmid: '300' }));
    const summary = await w.close();
    expect(readJsonl('dataset.jsonl').map((r) => r.id)).toEqual(['stays']);
    expect(readJsonl('rejected.jsonl')).toEqual([]);
    expect(summary).toMatchObject({ accepted: 1, rejected: 0, removed: 3 });
    expect(summary.rejectionsByReason).toEqual({});
  });

  it('at close, drops superseded record versions and promotes a duplicate whose original left', async () => {
    const w = createDatasetWriter({ outDir: dir });
    await w.write(judgedItem({ id: 'v1', pmid: '400', version: 1, question: 'Same question?' }));
    await w.write(judgedItem({ id: 'v2', pmid: '400', version: 2, question: 'Same question?' }));
    await w.write(judgedItem({ id: 'other', pmid: '401', question: 'Other question?' }));
    const summary = await w.close((pmid, version) => pmid !== '400' || version === 2);
    expect(readJsonl('dataset.jsonl').map((r) => r.id).sort()).toEqual(['other', 'v2']);
    expect(readJsonl('rejected.jsonl')).toEqual([]);
    expect(summary).toMatchObject({ accepted: 2, duplicates: 0, removed: 1 });
  });

  it('keeps every line under backpressure with many items written concurrently', async () => {
    const w = createDatasetWriter({ outDir: dir });
    const long = 'x'.repeat(2000);
    await Promise.all(Array.from({ length: 3000 }, (_, i) => w.write(judgedItem({ id: String(i), question: `Q ${i} ${long}?` }))));
    const summary = await w.close();
    const rows = readJsonl('dataset.jsonl');
    expect(rows).toHaveLength(3000);
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 3000 }, (_, i) => String(i)));
    expect(summary.accepted).toBe(3000);
    expect(summary.scores.grounded.count).toBe(3000);
  });

  it('refuses writes after close and returns the same summary on a second close', async () => {
    const w = createDatasetWriter({ outDir: dir });
    const first = await w.close();
    await expect(w.write(judgedItem({ id: 'late' }))).rejects.toBeInstanceOf(WriterClosedError);
    expect(await w.close()).toBe(first);
  });
});
