import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XmlRecordSplitter, type SplitItem, type XmlRecordSplitterOptions } from '../../../services/ingest/xmlRecordSplitter.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/pubmed/${name}`, import.meta.url), 'utf8');

function split(chunks: string[], options?: XmlRecordSplitterOptions): SplitItem[] {
  const splitter = new XmlRecordSplitter(options);
  const items: SplitItem[] = [];
  for (const chunk of chunks) items.push(...splitter.push(chunk));
  items.push(...splitter.end());
  return items;
}

function summary(items: SplitItem[]): string[] {
  return items.map((i) => (i.kind === 'record' ? `${i.name}@${i.position.line}:${i.position.column}:${i.position.offset}:${i.text.length}` : `${i.reason}@${i.position.line}`));
}

describe('XmlRecordSplitter', () => {
  it('finds each top-level record with the line, column and offset of its start tag', () => {
    const text = fixture('articles.xml');
    const items = split([text]);
    const records = items.filter((i) => i.kind === 'record');
    expect(records.map((r) => r.name)).toEqual(['PubmedArticle', 'PubmedArticle', 'PubmedArticle', 'PubmedArticle', 'PubmedArticle', 'DeleteCitation']);
    for (const record of records) {
      expect(text.slice(record.position.offset, record.position.offset + record.text.length)).toBe(record.text);
      const before = text.slice(0, record.position.offset);
      expect(record.position.line).toBe(before.split('\n').length);
      expect(record.position.column).toBe(before.length - before.lastIndexOf('\n'));
      expect(record.text.endsWith(`</${record.name}>`)).toBe(true);
    }
  });

  it('gives the same records whatever the chunk boundaries, down to one character per chunk', () => {
    const text = fixture('articles.xml');
    const whole = summary(split([text]));
    expect(summary(split([...text]))).toEqual(whole);
    for (let cut = 1; cut < text.length; cut += 7) {
      expect(summary(split([text.slice(0, cut), text.slice(cut)]))).toEqual(whole);
    }
  });

  it('reports a record longer than the bound as too-large and resumes at the next record', () => {
    const big = `<PubmedArticle><MedlineCitation><PMID>1</PMID><X>${'y'.repeat(5000)}</X></MedlineCitation></PubmedArticle>`;
    const small = '<PubmedArticle><MedlineCitation><PMID>2</PMID></MedlineCitation></PubmedArticle>';
    const text = `<PubmedArticleSet>\n${big}\n${small}\n</PubmedArticleSet>`;
    const chunks = text.match(/[\s\S]{1,300}/g) ?? [];
    const items = split(chunks, { maxRecordChars: 1000, maxRawChars: 100 });
    expect(items.map((i) => (i.kind === 'record' ? i.text : i.reason))).toEqual(['too-large', small]);
    const problem = items[0];
    expect(problem?.kind === 'problem' && problem.raw.length).toBe(100);
  });

  it('holds no more than about one record plus one chunk while streaming many records', () => {
    const splitter = new XmlRecordSplitter();
    const record = (n: number): string => `<PubmedArticle><MedlineCitation><PMID>${n}</PMID><T>${'w'.repeat(900)}</T></MedlineCitation></PubmedArticle>\n`;
    let peak = 0;
    let count = 0;
    count += splitter.push('<?xml version="1.0"?>\n<PubmedArticleSet>\n').length;
    let pending = '';
    for (let n = 0; n < 5000; n++) {
      pending += record(n);
      if (pending.length >= 4096) {
        count += splitter.push(pending).length;
        peak = Math.max(peak, splitter.bufferedChars);
        pending = '';
      }
    }
    count += splitter.push(`${pending}</PubmedArticleSet>\n`).length;
    count += splitter.end().length;
    expect(count).toBe(5000);
    expect(peak).toBeLessThan(4096 + 1100);
  });

  it('accepts a root MedlineCitation as a single record', () => {
    const items = split([fixture('single-citation.xml')]);
    expect(summary(items)).toEqual([`MedlineCitation@2:1:22:${items[0]?.kind === 'record' ? items[0].text.length : -1}`]);
  });

  it('stops with one not-pubmed problem for plain text or another XML root', () => {
    expect(split([fixture('not-pubmed.txt')]).map((i) => i.kind === 'problem' && i.reason)).toEqual(['not-pubmed']);
    const other = split([fixture('other-root.xml')]);
    expect(other).toHaveLength(1);
    expect(other[0]?.kind === 'problem' && other[0].message).toContain('<eSearchResult>');
    expect(split(['']).map((i) => i.kind === 'problem' && i.message)).toEqual(['the input is empty']);
  });

  it('reports a closing tag or text between records as unexpected and goes on', () => {
    const items = split(['<PubmedArticleSet>\n</Stray>\nloose text\n<DeleteCitation><PMID>5</PMID></DeleteCitation></PubmedArticleSet>']);
    expect(summary(items).map((s) => s.split('@')[0])).toEqual(['unexpected', 'unexpected', 'DeleteCitation']);
  });

  it('reports a file that ends inside a record once, at the record start', () => {
    const items = split([fixture('truncated.xml')]);
    expect(summary(items)).toEqual([expect.stringMatching(/^PubmedArticle@3:1:/), 'unterminated@11']);
  });
});

describe('XmlRecordSplitter on doubled, nested and concatenated sets', () => {
  const article = (pmid: string): string => `<PubmedArticle><MedlineCitation><PMID>${pmid}</PMID></MedlineCitation></PubmedArticle>`;
  const records = (items: SplitItem[]): string[] => items.flatMap((i) => (i.kind === 'record' ? [/<PMID>(\d+)/.exec(i.text)?.[1] ?? i.name] : []));
  const problems = (items: SplitItem[]): string[] => items.flatMap((i) => (i.kind === 'problem' ? [i.reason] : []));

  it('reads the records of a set nested in a set like the others', () => {
    const items = split([`<PubmedArticleSet>${article('1')}<PubmedArticleSet>${article('2')}${article('3')}</PubmedArticleSet>${article('4')}</PubmedArticleSet>`]);
    expect(records(items)).toEqual(['1', '2', '3', '4']);
    expect(problems(items)).toEqual([]);
  });

  it('reads every record of a doubled opening root and reports the missing closing tag once', () => {
    const items = split([`<PubmedArticleSet><PubmedArticleSet>${['1', '2', '3', '4', '5'].map(article).join('')}</PubmedArticleSet>`]);
    expect(records(items)).toEqual(['1', '2', '3', '4', '5']);
    expect(problems(items)).toEqual(['unterminated']);
  });

  it('cuts a record whose closing tag is missing at the next record, so the rest still count', () => {
    const items = split([`<PubmedArticleSet>${article('1')}<PubmedArticlX><PMID>2</PMID>${article('3')}${article('4')}</PubmedArticleSet>`]);
    expect(records(items)).toEqual(['1', '3', '4']);
    expect(items.find((i) => i.kind === 'problem')).toMatchObject({ reason: 'unterminated', name: 'PubmedArticlX', message: '<PubmedArticlX> is not closed before the next record starts' });
  });

  it('cuts a record that grows past the size bound at the next record instead of skipping the rest', () => {
    const items = split([`<PubmedArticleSet>${article('1')}<Broken>${'x'.repeat(300)}`, `${article('2')}${'y'.repeat(300)}`, `${article('3')}</PubmedArticleSet>`], { maxRecordChars: 400 });
    expect(records(items)).toEqual(['1', '2', '3']);
    expect(problems(items)).toEqual(['unterminated', 'unexpected']);
  });
});
