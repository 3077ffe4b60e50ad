import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../../services/runtime/inprocess/runPipeline.ts';
import type { AnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { createAnnotateStage } from '../../../services/stages/annotateStage.ts';
import { createGenerateStage } from '../../../services/stages/generateStage.ts';
import { createJudgeStage } from '../../../services/stages/judgeStage.ts';
import { createExportStage, type ExportEntry, type ExportTarget } from '../../../services/stages/exportStage.ts';
import { createPreferencesStage } from '../../../services/stages/preferencesStage.ts';
import { createPreferencesExportStage } from '../../../services/stages/preferencesExportStage.ts';
import type { PreferencesEntry } from '../../../services/export/paperEntry.ts';
import type { AnyStageDefinition } from '../../../services/stages/stageDefinition.ts';
import { createMemoryFailureLog } from '../../../services/runtime/inprocess/failureLog.ts';
import type { PubmedArticle, PubmedItem } from '../../../services/model/pubmedRecord.ts';
import type { AnnotatedRecord } from '../../../services/model/annotatedRecord.ts';
import type { JudgedItem, QaCandidate } from '../../../services/model/qaItem.ts';
import type { Generator } from '../../../services/generate/generator.ts';
import type { Judge } from '../../../services/judge/judge.ts';
import { testArticle } from '../../support/testArticle.ts';

function article(pmid: string, opts: { version?: number; abstract?: string } = {}): PubmedArticle {
  return testArticle({
    pmid,
    version: opts.version ?? 1,
    title: `T${pmid}`,
    abstract: opts.abstract === '' ? [] : [{ label: null, nlmCategory: null, text: opts.abstract ?? `abstract of ${pmid}` }],
    articleIds: {},
    publicationTypes: [],
    status: null,
    source: 'mem.xml',
  });
}

const provenance = { backend: 'rule-based' as const, name: 'test', version: '1', promptVersion: 'none', model: null };

/** Generates one candidate per word "Q" in the abstract; "FAIL" makes it throw. */
const generator: Generator = {
  name: 'test', version: '1', promptVersion: 'none',
  async generate(rec: AnnotatedRecord) {
    const text = rec.record.abstract.map((s) => s.text).join(' ');
    if (text.includes('FAIL')) throw new Error(`generator broke on ${rec.record.pmid}`);
    const n = text.split(' ').filter((w) => w === 'Q' || w === 'R').length;
    const items: QaCandidate[] = Array.from({ length: n }, (_, i) => ({
      id: `${rec.record.pmid}-${rec.record.version}-${i}`, pmid: rec.record.pmid, pmidVersion: rec.record.version, type: 'open',
      question: `q${i} ${text}`, answer: text.split(' ').filter((w) => w === 'Q' || w === 'R')[i] ?? '', longAnswer: null, options: null, context: text,
      target: { descriptorUi: 'D1', name: 'x', treeNumbers: [], branches: [], source: 'nlm' }, paperMesh: [], generator: provenance, createdAt: '',
    }));
    return { items, failures: text.includes('DROP') ? [{ reason: 'llm_bad_output', message: 'bad json' }] : [] };
  },
};

/** Accepts items whose answer is "Q", rejects "R". */
const judge: Judge = {
  name: 'test', version: '1', promptVersion: 'none',
  async judge(candidate) {
    const ok = candidate.answer === 'Q';
    const s = { score: ok ? 1 : 0, reason: '' };
    return {
      candidate, scores: { grounded: s, answerable: s, correct: s, clear: s, hierarchy: s, retrieval: s }, hierarchyFormula: 'x', voc: null,
      verdict: ok ? 'accept' : 'reject', rejectReasons: ok ? [] : ['low_grounded'], judge: provenance, judgedAt: '', retrievedPmids: [],
    };
  },
};

/** The export's rule kept in memory: newest version per paper, deletions for good. */
function memoryTarget(): ExportTarget & { kept(): JudgedItem[]; checkpoints: number } {
  const papers = new Map<string, ExportEntry>();
  const deleted = new Set<string>();
  let dirty = false;
  const target = {
    checkpoints: 0,
    apply(e: ExportEntry) {
      const held = papers.get(e.pmid);
      if (deleted.has(e.pmid) || (held && held.pmidVersion >= e.pmidVersion)) return false;
      papers.set(e.pmid, e);
      dirty = true;
      return true;
    },
    delete(pmid: string) {
      deleted.add(pmid);
      papers.delete(pmid);
      dirty = true;
    },
    get dirty() {
      return dirty;
    },
    async checkpoint() {
      target.checkpoints++;
      dirty = false;
    },
    kept: () => [...papers.values()].flatMap((p) => p.items.filter((i) => i.verdict === 'accept')),
  };
  return target;
}

async function* items(list: PubmedItem[]) {
  for (const i of list) yield i;
}

/** The real annotate stage on a context whose annotation the test does not look at. */
const annotateStage = (): AnyStageDefinition => {
  const stage = createAnnotateStage({ ctx: {} as AnnotateContext });
  return {
    ...stage,
    process: async (input, context) =>
      input.value === null
        ? stage.process(input, context)
        : { outcome: 'annotated', problems: [], outputs: [{ key: input.key, value: { record: input.value, mesh: [], meshVersion: 'test', annotator: { name: 't', version: '1' } } satisfies AnnotatedRecord }] },
  };
};
const chain = (target: ExportTarget): AnyStageDefinition[] => [
  annotateStage(),
  createGenerateStage({ generator }),
  createJudgeStage({ judge }),
  createExportStage({ target }),
];

describe('runPipeline', () => {
  it('accounts for every input entry, whatever happened to it', async () => {
    const failures = createMemoryFailureLog();
    const target = memoryTarget();
    const input: PubmedItem[] = [
      article('1', { abstract: 'Q Q' }),
      article('2', { abstract: 'R' }),
      article('3', { abstract: 'nothing here' }),
      article('4', { abstract: '' }),
      article('5', { abstract: 'FAIL' }),
      { kind: 'error', source: 'mem.xml', position: { line: 9, column: 1, offset: 100 }, pmid: '6', message: 'mismatched tag', raw: '<x>', truncated: false },
      article('7', { abstract: 'Q DROP' }),
      article('7', { abstract: 'Q DROP' }),
      article('8', { abstract: 'Q' }),
      article('8', { version: 2, abstract: 'Q Q Q' }),
      article('9', { abstract: 'Q' }),
      { kind: 'deletion', pmid: '9', version: 1, source: 'mem.xml' },
    ];
    const result = await runPipeline({ items: items(input), stages: chain(target), failures, concurrency: 3 });
    expect(result.records).toBe(input.length);
    expect(result.outcomes).toEqual({
      with_items: 3, // 1, 7, 8v2
      no_accepted_items: 1, // 2
      no_candidates: 1, // 3
      no_abstract: 1, // 4
      failed: 2, // 5 generate error, 6 parse error
      duplicate: 1, // second 7
      superseded: 1, // 8v1
      withdrawn: 1, // 9
      deleted: 1,
    });
    expect(result.failures).toEqual({ generate_error: 1, parse_error: 1 });
    expect(result.generateFailures).toEqual({ llm_bad_output: 1 });
    expect(result.accepted).toBe(2 + 1 + 1 + 3 + 1);
    expect(result.rejectedByReason).toEqual({ low_grounded: 1 });
    // 8v1 and 9 leave the dataset: 1 (2 items) + 7 (1) + 8v2 (3); the sink is flushed once, at the end.
    expect(target.kept().map((k) => k.candidate.pmid).sort()).toEqual(['1', '1', '7', '8', '8', '8']);
    expect(target.checkpoints).toBe(1);
    expect(failures.entries.map((f) => f.reason).sort()).toEqual(['generate_error', 'llm_bad_output', 'parse_error']);
    expect(failures.entries.find((f) => f.reason === 'parse_error')).toMatchObject({ raw: '<x>', position: { line: 9 } });
  });

  it('stops after --limit entries', async () => {
    const input = Array.from({ length: 10 }, (_, i) => article(String(i + 1), { abstract: 'Q' }));
    const result = await runPipeline({ items: items(input), stages: chain(memoryTarget()), failures: createMemoryFailureLog(), limit: 4 });
    expect(result.records).toBe(4);
    expect(result.outcomes.with_items).toBe(4);
  });

  it('hands judge\'s outputs to export and to preferences (routing by topic); a side branch that fails is counted, the record keeps its outcome', async () => {
    const target = memoryTarget();
    const kept: PreferencesEntry[] = [];
    const pairsTarget = {
      applyPreferences: (e: PreferencesEntry) => (kept.push(e), true),
      delete: () => undefined,
      dirty: false,
      checkpoint: async () => undefined,
    };
    // Two generators for one target: the test generator's items, and a copy of each from a second generator, worse by 0.5.
    const two: Generator = {
      ...generator,
      async generate(rec) {
        const { items, failures } = await generator.generate(rec);
        return { items: [...items, ...items.map((i) => ({ ...i, id: `${i.id}-b`, answer: 'R', generator: { ...i.generator, name: 'second' } }))], failures };
      },
    };
    const failingPreferences = createPreferencesStage();
    const stages: AnyStageDefinition[] = [
      annotateStage(),
      createGenerateStage({ generator: two }),
      createJudgeStage({ judge }),
      createExportStage({ target }),
      {
        ...failingPreferences,
        process: async (input, context) => {
          if (input.key === '2') throw new Error('preferences broke on 2');
          return failingPreferences.process(input, context);
        },
      },
      createPreferencesExportStage({ target: pairsTarget }),
    ];
    const failures = createMemoryFailureLog();
    const result = await runPipeline({ items: items([article('1', { abstract: 'Q' }), article('2', { abstract: 'Q' })]), stages, failures });
    expect(result.outcomes.with_items).toBe(2);
    expect(result.outcomes.failed).toBe(0);
    expect(result.generateFailures).toEqual({ preferences_error: 1 });
    expect(failures.entries.map((f) => [f.reason, f.pmid])).toEqual([['preferences_error', '2']]);
    expect(target.kept().map((k) => k.candidate.pmid).sort()).toEqual(['1', '2']);
    expect(kept.map((e) => [e.pmid, e.preferences.pairs.map((p) => [p.chosen.itemId, p.rejected.itemId])])).toEqual([['1', [['1-1-0', '1-1-0-b']]]]);
  });
});
