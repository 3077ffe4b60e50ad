import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexStorageError } from '../../../services/errors/medistillErrors.ts';
import { indexedDocumentOf } from '../../../services/retrieval/indexedDocument.ts';
import { INDEX_FILE, openLiteratureIndex, type IndexedDocument, type LiteratureIndex } from '../../../services/retrieval/literatureIndex.ts';
import { queryTerms } from '../../../services/retrieval/queryTerms.ts';
import { annotatedCorpus } from './retrievalCorpus.ts';

let dir: string;
let index: LiteratureIndex;
let docs: IndexedDocument[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-index-'));
  index = openLiteratureIndex({ dir });
  docs = (await annotatedCorpus()).records.map((r) => indexedDocumentOf(r)!);
  index.upsertMany(docs.map((doc) => ({ doc })));
});

afterEach(async () => {
  index.close();
  await rm(dir, { recursive: true, force: true });
});

const doc = (pmid: string): IndexedDocument => docs.find((d) => d.pmid === pmid)!;

describe('literature index', () => {
  it('holds every abstract of the corpus with its MeSH descriptors, year and language', () => {
    expect(index.count()).toBe(10);
    const asthma = index.get('41000001')!;
    expect(asthma.meshUis).toEqual(expect.arrayContaining(['D001249', 'D005938']));
    expect(asthma.year).toBe(2021);
    expect(index.get('41000010')!.language).toBe('ger');
  });

  it('ranks a paper first for a question built from its own title, and excludes it when asked', () => {
    for (const d of docs) {
      const found = index.search(`What did the study "${d.title}" show?`, { k: 3 });
      expect(found.outcome).toBe('hits');
      expect(found.documents[0]!.pmid, d.title).toBe(d.pmid);
      const excluded = index.search(`What did the study "${d.title}" show?`, { k: 3, excludePmid: d.pmid });
      expect(excluded.documents.map((x) => x.pmid)).not.toContain(d.pmid);
    }
  });

  it('ranks by BM25: topical papers above a paper that mentions the term once, best score first', () => {
    const found = index.search('Do inhaled corticosteroids prevent asthma exacerbations?', { k: 10 });
    const pmids = found.documents.map((d) => d.pmid);
    expect(pmids[0]).toBe('41000001');
    expect(pmids.indexOf('41000002')).toBeGreaterThan(-1);
    expect(pmids).not.toContain('41000009');
    const scores = found.documents.map((d) => d.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores[0]).toBeGreaterThan(scores[scores.length - 1]!);
  });

  it('stems words (Porter): "infarctions" finds papers about myocardial infarction', () => {
    const pmids = index.search('myocardial infarctions', { k: 5 }).documents.map((d) => d.pmid);
    expect(pmids.slice(0, 2).sort()).toEqual(['41000006', '41000007']);
  });

  it('a revision replaces the text and descriptors; an older version is ignored; the same version again changes nothing', () => {
    const old = doc('41000009');
    expect(index.upsert({ ...old, version: 2, title: 'Malaria chemoprevention in pregnancy.', abstract: 'Intermittent preventive treatment reduced malaria.', meshUis: ['D007239'] })).toBe('replaced');
    expect(index.search('pulmonary tuberculosis drug resistance', { k: 5 }).documents.map((d) => d.pmid)).not.toContain('41000009');
    expect(index.search('malaria chemoprevention', { k: 5 }).documents[0]!.pmid).toBe('41000009');
    expect(index.get('41000009')!.meshUis).toEqual(['D007239']);
    expect(index.upsert(old)).toBe('stale');
    expect(index.get('41000009')!.version).toBe(2);
    expect(index.upsert(index.get('41000009')!)).toBe('unchanged');
    expect(index.count()).toBe(10);
  });

  it('a DeleteCitation removes the paper from the text index and the table', () => {
    expect(index.remove('41000008')).toBe('deleted');
    expect(index.remove('41000008')).toBe('absent');
    expect(index.get('41000008')).toBeNull();
    expect(index.search('amyloid beta Alzheimer', { k: 5 }).documents.map((d) => d.pmid)).not.toContain('41000008');
    expect(index.count()).toBe(9);
  });

  it('survives a restart: reopened, it holds the same papers and re-indexing them writes nothing', () => {
    index.checkpoint();
    index.close();
    index = openLiteratureIndex({ dir });
    expect(index.count()).toBe(10);
    expect(index.upsertMany(docs.map((d) => ({ doc: d })))).toEqual(docs.map(() => 'unchanged'));
    expect(index.search('metformin type 2 diabetes', { k: 1 }).documents[0]!.pmid).toBe('41000004');
  });

  it('indexes an abstract in another language and finds it by its own words', () => {
    expect(index.search('Kortikosteroide Kindesalter', { k: 3 }).documents[0]!.pmid).toBe('41000010');
  });

  it('says why nothing came back: empty index, no content words, no match', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'medistill-index-empty-'));
    const empty = openLiteratureIndex({ dir: emptyDir });
    try {
      expect(empty.search('asthma in children')).toEqual({ outcome: 'empty_index', documents: [] });
    } finally {
      empty.close();
      await rm(emptyDir, { recursive: true, force: true });
    }
    expect(index.search('What is the one that was?')).toEqual({ outcome: 'no_query_terms', documents: [] });
    expect(index.search('"quantum" OR chromodynamics NEAR(gluon)')).toEqual({ outcome: 'no_hits', documents: [] });
  });

  it('keeps query words from being read as FTS operators', () => {
    expect(queryTerms('asthma AND NOT "children" OR NEAR(x) *')).toEqual(['asthma', 'children', 'near']);
    expect(index.search('asthma AND NOT children').outcome).toBe('hits');
  });

  it('dense search returns the nearest stored vectors of the model, excluding a PMID', () => {
    const v = (xs: number[]) => Float32Array.from(xs);
    index.upsert(doc('41000001'), { model: 'm', vector: v([1, 0, 0]) });
    index.upsert(doc('41000004'), { model: 'm', vector: v([0, 1, 0]) });
    index.upsert(doc('41000006'), { model: 'm', vector: v([0.7, 0.7, 0]) });
    expect(index.vectorCount('m')).toBe(3);
    expect(index.searchVector(v([1, 0.1, 0]), 'm', { k: 2 }).documents.map((d) => d.pmid)).toEqual(['41000001', '41000006']);
    expect(index.searchVector(v([1, 0.1, 0]), 'm', { k: 2, excludePmid: '41000001' }).documents.map((d) => d.pmid)).toEqual(['41000006', '41000004']);
    expect(index.searchVector(v([1, 0, 0]), 'other-model').outcome).toBe('no_hits');
  });

  it('a read-only opening refuses writes with a clear error; a folder of another layout is refused', async () => {
    index.checkpoint();
    const reader = openLiteratureIndex({ dir, readonly: true });
    try {
      expect(reader.count()).toBe(10);
      expect(() => reader.remove('41000001')).toThrow(/read-only/);
    } finally {
      reader.close();
    }
    const bad = await mkdtemp(join(tmpdir(), 'medistill-index-bad-'));
    await writeFile(join(bad, INDEX_FILE), 'this is not a database, just text long enough to fill a page header.');
    try {
      expect(() => openLiteratureIndex({ dir: bad })).toThrow(IndexStorageError);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('refuses k outside 1..100', () => {
    expect(() => index.search('asthma', { k: 0 })).toThrow(RangeError);
    expect(() => index.search('asthma', { k: 101 })).toThrow(RangeError);
  });
});
