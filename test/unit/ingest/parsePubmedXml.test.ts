import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputReadError } from '../../../services/errors/medistillErrors.ts';
import { parsePubmedXml } from '../../../services/ingest/parsePubmedXml.ts';
import { parseMedlineDate } from '../../../services/ingest/publicationDate.ts';
import type { DeletedCitation, ParseFailure, PubmedArticle, PubmedItem } from '../../../services/model/pubmedRecord.ts';

const fixturePath = (name: string): string => new URL(`../../fixtures/pubmed/${name}`, import.meta.url).pathname;
const fixture = (name: string): string => readFileSync(fixturePath(name), 'utf8');

async function* chunksOf(text: string | Buffer, size: number): AsyncGenerator<string | Buffer> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect(items: AsyncIterable<PubmedItem>): Promise<PubmedItem[]> {
  const out: PubmedItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function parseFixture(name: string, chunkSize = 256): Promise<PubmedItem[]> {
  return collect(parsePubmedXml(chunksOf(fixture(name), chunkSize), name));
}

const articles = (items: PubmedItem[]): PubmedArticle[] => items.filter((i): i is PubmedArticle => i.kind === 'article');
const failures = (items: PubmedItem[]): ParseFailure[] => items.filter((i): i is ParseFailure => i.kind === 'error');

function article(items: PubmedItem[], pmid: string): PubmedArticle {
  const found = articles(items).find((a) => a.pmid === pmid);
  if (found === undefined) throw new Error(`no article ${pmid} in ${items.map((i) => i.kind).join(',')}`);
  return found;
}

describe('parsePubmedXml on a PubmedArticleSet', () => {
  it('reads a structured abstract with labels and NlmCategory, MeSH, chemicals, keywords, ids and PMID Version 2', async () => {
    const items = await parseFixture('articles.xml');
    const a = article(items, '31000001');
    expect(a).toMatchObject({
      kind: 'article',
      recordType: 'PubmedArticle',
      version: 2,
      title: 'Early aspirin after minor stroke: a randomized trial.',
      languages: ['eng'],
      journal: { title: 'The American journal of emergency medicine', isoAbbreviation: 'Am J Emerg Med', issn: '1532-8171' },
      pubDate: { year: 2020, month: 4, day: 7, raw: '2020 Apr 07' },
      publicationTypes: ['Randomized Controlled Trial', 'Journal Article'],
      keywords: ['Antiplatelet therapy', 'Secondary prevention'],
      status: 'MEDLINE',
      source: 'articles.xml',
    });
    expect(a.abstract).toEqual([
      { label: 'BACKGROUND', nlmCategory: 'BACKGROUND', text: 'Aspirin lowers the risk of early recurrent stroke.' },
      { label: 'METHODS', nlmCategory: 'METHODS', text: 'We randomly assigned 412 patients to aspirin or placebo within 24 hours.' },
      { label: 'RESULTS', nlmCategory: 'RESULTS', text: 'Recurrent stroke occurred in 3.1% and 6.8% of patients.' },
      { label: 'CONCLUSIONS', nlmCategory: 'CONCLUSIONS', text: 'Early aspirin halved early recurrence.' },
    ]);
    // The record's own ids, not those of its references; ArticleId doi wins over ELocationID.
    expect(a.articleIds).toEqual({ pubmed: '31000001', pii: 'S0735-6757(19)99999-9', doi: '10.1016/j.ajem.2019.12345', pmc: 'PMC7000001' });
    expect(a.chemicals).toEqual([
      { registryNumber: '0', name: 'Platelet Aggregation Inhibitors', ui: 'D010975' },
      { registryNumber: 'R16CO5Y76E', name: 'Aspirin', ui: 'D001241' },
    ]);
    expect(a.meshHeadings).toEqual([
      {
        descriptorUi: 'D001241', descriptorName: 'Aspirin', majorTopic: false,
        qualifiers: [
          { ui: 'Q000008', name: 'administration & dosage', majorTopic: false },
          { ui: 'Q000627', name: 'therapeutic use', majorTopic: true },
        ],
      },
      { descriptorUi: 'D006801', descriptorName: 'Humans', majorTopic: false, qualifiers: [] },
      { descriptorUi: 'D020521', descriptorName: 'Stroke', majorTopic: true, qualifiers: [{ ui: 'Q000517', name: 'prevention & control', majorTopic: false }] },
    ]);
  });

  it('decodes entities and numeric references and flattens <i>, <sup>, <sub>, <b>, <u> and MathML into plain text', async () => {
    const a = article(await parseFixture('articles.xml'), '31000002');
    expect(a.title).toBe('Capture of CO2 by Escherichia coli at 10-3 M & 37°C.');
    expect(a.abstract).toEqual([
      { label: null, nlmCategory: null, text: 'Yields were <5% when p > 0.05 – "low" \'flux\' μmol. The rate k2 doubled <raw> in all runs.' },
    ]);
    expect(a.articleIds).toEqual({ pubmed: '31000002', doi: '10.1016/j.aca.2021.00001' });
    expect(a.status).toBe('In-Process');
  });

  it('keeps non-ASCII text, falls back to VernacularTitle, gives abstract [] and reads a MedlineDate', async () => {
    const a = article(await parseFixture('articles.xml'), '9000003');
    expect(a.title).toBe('Tratamiento de la diabetes en niños: ¿qué cambió? — 糖尿病');
    expect(a.journal?.title).toBe('Medicina clínica');
    expect(a.abstract).toEqual([]);
    expect(a.languages).toEqual(['spa', 'eng']);
    expect(a.pubDate).toEqual({ year: 1998, month: 12, day: null, raw: '1998 Dec-1999 Jan' });
  });

  it('reads a Season date without inventing a month and ignores OtherAbstract', async () => {
    const a = article(await parseFixture('articles.xml'), '9000004');
    expect(a.pubDate).toEqual({ year: 2000, month: null, day: null, raw: '2000 Spring' });
    expect(a.abstract).toEqual([]);
    expect(a.journal).toEqual({ title: 'Journal of seasonal studies', isoAbbreviation: null, issn: null });
  });

  it('falls back to ArticleDate when PubDate has no year, and defaults the PMID version to 1', async () => {
    const a = article(await parseFixture('articles.xml'), '9000005');
    expect(a.pubDate).toEqual({ year: 2021, month: 6, day: 15, raw: '2021 06 15' });
    expect(a.version).toBe(1);
  });

  it('turns a DeleteCitation with several PMIDs into one deletion each, with versions', async () => {
    const items = await parseFixture('articles.xml');
    const deletions = items.filter((i): i is DeletedCitation => i.kind === 'deletion');
    expect(deletions).toEqual([
      { kind: 'deletion', pmid: '8000001', version: 1, source: 'articles.xml' },
      { kind: 'deletion', pmid: '8000002', version: 2, source: 'articles.xml' },
      { kind: 'deletion', pmid: '8000003', version: 1, source: 'articles.xml' },
    ]);
    expect(items.map((i) => i.kind)).toEqual(['article', 'article', 'article', 'article', 'article', 'deletion', 'deletion', 'deletion']);
  });

  it('reads book records with recordType PubmedBookArticle, chapter title first, then BookTitle', async () => {
    const items = await parseFixture('book.xml');
    expect(articles(items).map((a) => [a.recordType, a.pmid, a.title])).toEqual([
      ['PubmedBookArticle', '20301000', 'Example Syndrome'],
      ['PubmedBookArticle', '20301001', 'A Whole Book Without Chapters'],
    ]);
    const chapter = article(items, '20301000');
    expect(chapter.abstract.map((s) => s.label)).toEqual(['CLINICAL CHARACTERISTICS', 'DIAGNOSIS/TESTING']);
    expect(chapter).toMatchObject({ journal: null, status: null, keywords: ['EXS1'], publicationTypes: ['Review'] });
    expect(chapter.articleIds).toEqual({ bookaccession: 'NBK1000', pubmed: '20301000' });
    expect(chapter.pubDate.year).toBe(1993);
    expect(article(items, '20301001').pubDate).toEqual({ year: 2010, month: 3, day: null, raw: '2010 Mar' });
  });

  it('reads a file whose root is a single MedlineCitation', async () => {
    const items = await parseFixture('single-citation.xml');
    expect(items).toHaveLength(1);
    expect(article(items, '300001')).toMatchObject({ title: 'A file holding one citation.', pubDate: { year: 2001, month: 11, day: 15 } });
  });

  it('decodes UTF-8 correctly when multi-byte characters are split across Buffer chunks', async () => {
    const bytes = readFileSync(fixturePath('articles.xml'));
    const items = await collect(parsePubmedXml(chunksOf(bytes, 3), 'articles.xml'));
    expect(article(items, '9000003').title).toBe('Tratamiento de la diabetes en niños: ¿qué cambió? — 糖尿病');
    expect(items).toHaveLength(8);
  });
});

describe('parsePubmedXml on bad input', () => {
  it('turns each malformed record into a failure with the file, line and PMID, and keeps the records after it', async () => {
    const items = await parseFixture('malformed-middle.xml', 64);
    expect(articles(items).map((a) => a.pmid)).toEqual(['100001', '100006']);
    const bad = failures(items);
    expect(bad.map((f) => [f.source, f.position.line, f.pmid])).toEqual([
      ['malformed-middle.xml', 17, '100002'], // </Abstract> closes <AbstractText>
      ['malformed-middle.xml', 26, '100003'], // unknown entity
      ['malformed-middle.xml', 30, null], // no PMID
      ['malformed-middle.xml', 37, '100005'], // closing tags lost before the next record
    ]);
    expect(bad[0]?.message).toContain('closing tag </Abstract> does not match <AbstractText> opened at line 17, column 9');
    expect(bad[0]?.position.column).toBe(39);
    expect(bad[1]?.message).toContain('unknown entity &unknown;');
    expect(bad[2]?.message).toContain('has no PMID');
    expect(bad[3]?.message).toContain('not closed before the next record starts');
    const text = fixture('malformed-middle.xml');
    for (const f of bad) {
      expect(f.raw.startsWith('<PubmedArticle>')).toBe(true);
      expect(text.includes(f.raw)).toBe(true);
    }
    expect(text.slice(bad[1]?.position.offset).startsWith('&unknown;')).toBe(true);
    expect(bad[2]?.raw).toContain('A record without a PMID.');
    expect(bad.every((f) => !f.truncated)).toBe(true);
  });

  it('reports a truncated file once, at the unterminated last record, after the complete ones', async () => {
    const items = await parseFixture('truncated.xml');
    expect(items.map((i) => i.kind)).toEqual(['article', 'error']);
    const [failure] = failures(items);
    expect(failure).toMatchObject({ source: 'truncated.xml', pmid: '200002', position: { line: 11, column: 1 } });
    expect(failure?.message).toContain('input ends inside <PubmedArticle>');
  });

  it('yields exactly one "not PubMed XML" failure naming the file for plain text and for another XML root', async () => {
    for (const name of ['not-pubmed.txt', 'other-root.xml']) {
      const items = await parseFixture(name, 16);
      expect(items).toHaveLength(1);
      expect(items[0]?.kind).toBe('error');
      expect((items[0] as ParseFailure).message).toMatch(new RegExp(`^not PubMed XML: ${name.replace('.', '\\.')}: `));
    }
  });

  it('stops reading a non-PubMed input early and releases it', async () => {
    let pulled = 0;
    let released = false;
    async function* endless(): AsyncGenerator<string> {
      try {
        for (;;) {
          pulled++;
          yield 'plain text, forever. ';
        }
      } finally {
        released = true;
      }
    }
    const items = await collect(parsePubmedXml(endless(), 'endless'));
    expect(items).toHaveLength(1);
    expect(pulled).toBe(1);
    expect(released).toBe(true);
  });

  it('cuts the raw text of a huge bad record at 64 KiB and marks it truncated', async () => {
    const body = 'x'.repeat(100_000);
    const xml = `<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>7</PMID><A>${body}</B></MedlineCitation></PubmedArticle></PubmedArticleSet>`;
    const [failure] = failures(await collect(parsePubmedXml(chunksOf(xml, 8192), 'big.xml')));
    expect(failure?.truncated).toBe(true);
    expect(failure?.raw.length).toBe(64 * 1024);
    expect(failure?.pmid).toBe('7');
  });

  it('wraps an error of the chunk source in InputReadError with the position reached', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield '<PubmedArticleSet>\n<PubmedArticle>\n';
      throw new Error('connection reset');
    }
    const run = collect(parsePubmedXml(broken(), 'net'));
    await expect(run).rejects.toBeInstanceOf(InputReadError);
    await expect(run).rejects.toMatchObject({ message: 'cannot read net: connection reset', position: { line: 3, column: 1 } });
  });
});

describe('parsePubmedXml streaming', () => {
  it('parses 20,000 generated records from a chunk generator without building the file as one string', async () => {
    const total = 20_000;
    async function* generated(): AsyncGenerator<string> {
      yield '<?xml version="1.0"?>\n<PubmedArticleSet>\n';
      let batch = '';
      for (let n = 1; n <= total; n++) {
        batch +=
          `<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">${n}</PMID><Article><ArticleTitle>Title ${n}</ArticleTitle>` +
          `<Abstract><AbstractText Label="RESULTS">Result ${n} &amp; more.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n`;
        if (batch.length > 16_000) {
          // Cut the batch at an arbitrary point so records straddle chunks.
          const cut = Math.floor(batch.length / 3);
          yield batch.slice(0, cut);
          yield batch.slice(cut);
          batch = '';
        }
      }
      yield `${batch}</PubmedArticleSet>\n`;
    }
    let count = 0;
    let last: PubmedArticle | null = null;
    for await (const item of parsePubmedXml(generated(), 'generated')) {
      if (item.kind !== 'article') throw new Error(`unexpected ${item.kind}: ${JSON.stringify(item).slice(0, 200)}`);
      count++;
      if (item.pmid !== String(count)) throw new Error(`record ${count} has pmid ${item.pmid}`);
      last = item;
    }
    expect(count).toBe(total);
    expect(last?.abstract).toEqual([{ label: 'RESULTS', nlmCategory: null, text: `Result ${total} & more.` }]);
  });
});

describe('parseMedlineDate', () => {
  it.each([
    ['1998 Dec-1999 Jan', 1998, 12, null],
    ['2000 Spring', 2000, null, null],
    ['1999 Jul-Aug', 1999, 7, null],
    ['2001 Nov 15-28', 2001, 11, 15],
    ['1947-1948', 1947, null, null],
    ['Winter 1985', 1985, null, null],
    ['undated', null, null, null],
  ])('reads %j as year %j, month %j, day %j', (raw, year, month, day) => {
    expect(parseMedlineDate(raw)).toEqual({ year, month, day, raw });
  });
});
