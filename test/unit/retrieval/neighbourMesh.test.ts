import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { annotateRecord } from '../../../services/annotate/annotateRecord.ts';
import { mergeNeighbourTerms, neighbourWeights, predictFromNeighbours, termWordsInText, withNeighbourMesh } from '../../../services/annotate/neighbourMesh.ts';
import { foldedWords } from '../../../services/mesh/wordScanner.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import type { AnnotatedRecord, MeshTerm } from '../../../services/model/annotatedRecord.ts';
import type { PubmedArticle } from '../../../services/model/pubmedRecord.ts';
import { indexedDocumentOf } from '../../../services/retrieval/indexedDocument.ts';
import { openLiteratureIndex, type LiteratureIndex } from '../../../services/retrieval/literatureIndex.ts';
import { createAnnotateStage } from '../../../services/stages/annotateStage.ts';
import { createInstrumentation, NO_INSTRUMENTATION } from '../../../services/instrumentation/instrumentation.ts';
import { createNeighbourAnnotation } from '../../../services/annotate/neighbourAnnotation.ts';
import { annotatedCorpus } from './retrievalCorpus.ts';

let dir: string;
let index: LiteratureIndex;
let vocab: MeshVocabulary;
let records: AnnotatedRecord[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-neighbours-'));
  ({ vocab, records } = await annotatedCorpus());
  index = openLiteratureIndex({ dir });
  index.upsertMany(records.map((r) => ({ doc: indexedDocumentOf(r)! })));
});

afterAll(async () => {
  index.close();
  await rm(dir, { recursive: true, force: true });
});

const record = (pmid: string) => records.find((r) => r.record.pmid === pmid)!.record;

describe('MeSH from neighbours', () => {
  it('votes the descriptors of the nearest papers, never its own (its PMID is excluded)', () => {
    const unindexed = { ...record('41000002'), meshHeadings: [] };
    // Three other asthma papers are among its ten neighbours: Asthma gathers their votes.
    const terms = predictFromNeighbours(unindexed, index, vocab, { minVote: 0.2 });
    const uis = terms.map((t) => t.descriptorUi);
    const asthma = terms.find((t) => t.descriptorUi === 'D001249')!;
    expect(asthma).toMatchObject({ source: 'neighbours', majorTopic: false });
    expect(asthma.treeNumbers).toContain('C08.127.108');
    expect([...terms].sort((a, b) => b.score - a.score)).toEqual(terms);
    // Its own headings that no neighbour carries cannot appear.
    expect(uis).not.toContain('D012130');
    expect(uis).not.toContain('D018927');
    for (const t of terms) expect(t.score).toBeGreaterThanOrEqual(0.2);
    expect(predictFromNeighbours(unindexed, index, vocab, { minVote: 0.9 })).toEqual([]);
  });

  it('merge keeps dictionary terms, adds strong votes, and confirms weak text matches only with support', () => {
    const t = (ui: string, source: MeshTerm['source'], score: number): MeshTerm => ({ descriptorUi: ui, name: ui, source, score, majorTopic: false, treeNumbers: [], ancestors: [] });
    const merged = mergeNeighbourTerms(
      [t('D1', 'dictionary', 0.5)],
      [t('D1', 'neighbours', 0.8), t('D2', 'neighbours', 0.6), t('D3', 'neighbours', 0.2), t('D4', 'neighbours', 0.2)],
      { textCandidates: [t('D3', 'dictionary', 0.35)], minVote: 0.5, supportVote: 0.1 },
    );
    expect(merged.map((m) => [m.descriptorUi, m.source, m.score])).toEqual([
      ['D1', 'dictionary', 0.8],
      ['D2', 'neighbours', 0.6],
      ['D3', 'neighbours', 0.2],
    ]);
  });

  it('a term of several words counts as in the text when all its words are there, in any order; a one-word term never does', () => {
    const words = (text: string) => new Set(foldedWords(text));
    // Administration, Inhalation (D000280); Adrenal Cortex Hormones (D000305), also "Corticosteroids".
    expect(termWordsInText('D000280', vocab, words('Budesonide administration was by inhalation.'))).toBe(true);
    expect(termWordsInText('D000280', vocab, words('Inhalation of smoke.'))).toBe(false);
    expect(termWordsInText('D000305', vocab, words('Hormones made by the cortex of the adrenal gland.'))).toBe(true);
    expect(termWordsInText('D000305', vocab, words('Corticosteroids were given.'))).toBe(false);
    expect(termWordsInText('D999999', vocab, words('anything at all'))).toBe(false);
  });

  it('merge confirms a descriptor whose term words the text holds at wordsVote, and not below it', () => {
    const t = (ui: string, source: MeshTerm['source'], score: number): MeshTerm => ({ descriptorUi: ui, name: ui, source, score, majorTopic: false, treeNumbers: [], ancestors: [] });
    const merged = mergeNeighbourTerms([], [t('D5', 'neighbours', 0.2), t('D6', 'neighbours', 0.12), t('D7', 'neighbours', 0.2)], {
      wordMatched: (ui) => ui !== 'D7', minVote: 0.35, supportVote: 0.1, wordsVote: 0.15,
    });
    expect(merged.map((m) => m.descriptorUi)).toEqual(['D5']);
  });

  it('an unindexed record gets a neighbour descriptor whose term words it holds out of order, only with that rule on', () => {
    const ctx = createAnnotateContext(vocab);
    const reach = createAnnotateContext(vocab, { minScore: 0, maxTerms: 200, generalTerms: 'keep' });
    const base = record('41000002');
    // Administration, Inhalation gets a vote of about 0.24 here: below minVote, above wordsVote.
    const unindexed: PubmedArticle = { ...base, meshHeadings: [], abstract: [...base.abstract, { label: null, nlmCategory: null, text: 'Every administration of the drug was by inhalation.' }] };
    const nb = (options: { wordsVote?: number }) => ({ search: index, vocab, textCandidates: (r: PubmedArticle) => annotateRecord(r, reach).mesh, options });
    const mesh = annotateRecord(unindexed, ctx).mesh;
    expect(mesh.map((m) => m.descriptorUi)).not.toContain('D000280');
    const on = withNeighbourMesh(unindexed, mesh, nb({}));
    expect(on.find((m) => m.descriptorUi === 'D000280')).toMatchObject({ source: 'neighbours' });
    expect(withNeighbourMesh(unindexed, mesh, nb({ wordsVote: 1 })).map((m) => m.descriptorUi)).not.toContain('D000280');
    // Without the words in its text the same record does not get it either.
    expect(withNeighbourMesh({ ...base, meshHeadings: [] }, annotateRecord({ ...base, meshHeadings: [] }, ctx).mesh, nb({})).map((m) => m.descriptorUi)).not.toContain('D000280');
  });

  it('the annotate stage adds neighbour terms to an unindexed record and leaves NLM-indexed records alone', async () => {
    const ctx = createAnnotateContext(vocab);
    const reach = createAnnotateContext(vocab, { minScore: 0, maxTerms: 200, generalTerms: 'keep' });
    const nb = { search: index, vocab, textCandidates: (r: typeof records[0]['record']) => annotateRecord(r, reach).mesh };
    const stage = createAnnotateStage({ ctx, neighbours: nb });
    const context = { signal: new AbortController().signal, instrumentation: NO_INSTRUMENTATION };
    const unindexed = { ...record('41000005'), meshHeadings: [] };
    const out = (await stage.process({ key: unindexed.pmid, value: unindexed, producedAt: new Date() }, context)).outputs[0]!.value!;
    const plain = annotateRecord(unindexed, ctx).mesh.map((m) => m.descriptorUi);
    const fromNeighbours = out.mesh.filter((m) => m.source === 'neighbours').map((m) => m.descriptorUi);
    expect(fromNeighbours.length).toBeGreaterThan(0);
    expect(fromNeighbours.some((ui) => ['D003924', 'D008687', 'D007004'].includes(ui))).toBe(true);
    for (const ui of plain) expect(out.mesh.map((m) => m.descriptorUi)).toContain(ui);
    const indexed = record('41000001');
    expect(withNeighbourMesh(indexed, annotateRecord(indexed, ctx).mesh, nb).every((m) => m.source === 'nlm')).toBe(true);
  });

  it('the stage counts each neighbour query by outcome (an empty index too) and queries nothing for a record NLM indexed', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'medistill-neighbours-empty-'));
    const empty = openLiteratureIndex({ dir: emptyDir });
    try {
      const ctx = createAnnotateContext(vocab);
      const events: { stage: string; outcome: string }[] = [];
      const bus = createInstrumentation();
      bus.on('retrieval.query', (e) => void events.push({ stage: e.stage, outcome: e.outcome }));
      const context = { signal: new AbortController().signal, instrumentation: bus };
      const run = async (search: LiteratureIndex, r: AnnotatedRecord['record']) =>
        (await createAnnotateStage({ ctx, neighbours: createNeighbourAnnotation(search, vocab) }).process({ key: r.pmid, value: r, producedAt: new Date() }, context)).outputs[0]!.value!;
      await run(index, record('41000001'));
      expect(events).toEqual([]);
      await run(index, { ...record('41000005'), meshHeadings: [] });
      const cold = await run(empty, { ...record('41000005'), meshHeadings: [] });
      expect(events).toEqual([{ stage: 'annotate', outcome: 'hits' }, { stage: 'annotate', outcome: 'empty_index' }]);
      // Nothing to vote with: the dictionary's terms alone, nothing lost.
      expect(cold.mesh.map((m) => m.descriptorUi)).toEqual(annotateRecord({ ...record('41000005'), meshHeadings: [] }, ctx).mesh.map((m) => m.descriptorUi));
    } finally {
      empty.close();
      await rm(emptyDir, { recursive: true, force: true });
    }
  });

  it('weighs neighbours by BM25 score relative to the best, discounted by rank, or min-max normalised over the k', () => {
    expect(neighbourWeights([8, 4, 2], 'relative')).toEqual([1, 0.5 / Math.log2(3), 0.25 / 2]);
    expect(neighbourWeights([8, 4, 2], 'minmax')).toEqual([1, 1 / 3, 0]);
    // One neighbour, or a flat list: each counts fully; no score below zero counts against.
    expect(neighbourWeights([5], 'minmax')).toEqual([1]);
    expect(neighbourWeights([3, 3], 'minmax')).toEqual([1, 1]);
    expect(neighbourWeights([2, -1], 'relative')).toEqual([1, 0]);
    expect(neighbourWeights([], 'minmax')).toEqual([]);
  });

  it('an empty index proposes nothing', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'medistill-neighbours-empty-'));
    const empty = openLiteratureIndex({ dir: emptyDir });
    try {
      expect(predictFromNeighbours({ ...record('41000002'), meshHeadings: [] }, empty, vocab)).toEqual([]);
    } finally {
      empty.close();
      await rm(emptyDir, { recursive: true, force: true });
    }
  });
});
