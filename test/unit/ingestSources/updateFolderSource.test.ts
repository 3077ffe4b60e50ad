import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalSource } from '../../../services/ingest/sources/localSource.ts';
import type { FileSourceItem } from '../../../services/ingest/sources/sourceItem.ts';
import { DONE_FILE_NAME, createUpdateFolderSource, type UpdateFolderSourceOptions } from '../../../services/ingest/sources/updateFolderSource.ts';
import { pubmedArticleSetXml, type TestArticle } from './pubmedArticleXml.ts';

function articles(...pmids: string[]): TestArticle[] {
  return pmids.map((pmid) => ({ pmid, entryDate: '2025-01-15' }));
}

function label(entry: FileSourceItem): string {
  const item = entry.item;
  const id = item.kind === 'error' ? `error(${item.message})` : item.kind === 'deletion' ? `-${item.pmid}` : item.pmid;
  return `${basename(entry.file)}:${id}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('update-folder source', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-folder-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<UpdateFolderSourceOptions> = {}): UpdateFolderSourceOptions {
    return { folder: dir, pollIntervalMs: 40, watch: false, ...overrides };
  }

  async function drain(source: AsyncIterable<FileSourceItem>): Promise<string[]> {
    const out: string[] = [];
    for await (const entry of source) {
      out.push(label(entry));
      entry.ack();
    }
    return out;
  }

  it('reads files in name order, plain and gzipped, with their deletions, and ignores other files', async () => {
    await writeFile(join(dir, 'pubmed25n0002.xml'), pubmedArticleSetXml(articles('20', '21')));
    await writeFile(join(dir, 'pubmed25n0001.xml.gz'), gzipSync(pubmedArticleSetXml(articles('10'))));
    await writeFile(join(dir, 'pubmed25n0003.xml'), pubmedArticleSetXml(articles('30'), ['7']));
    await writeFile(join(dir, 'README.txt'), 'not a PubMed file');

    const source = createUpdateFolderSource(options());
    const seen = await drain(source);
    await source.flush();

    expect(seen).toEqual(['pubmed25n0001.xml.gz:10', 'pubmed25n0002.xml:20', 'pubmed25n0002.xml:21', 'pubmed25n0003.xml:30', 'pubmed25n0003.xml:-7']);
    expect(source.doneFiles()).toEqual(['pubmed25n0001.xml.gz', 'pubmed25n0002.xml', 'pubmed25n0003.xml']);
    const state = JSON.parse(await readFile(join(dir, DONE_FILE_NAME), 'utf8'));
    expect(state.entries['update-folder'].done).toEqual(['pubmed25n0001.xml.gz', 'pubmed25n0002.xml', 'pubmed25n0003.xml']);
  });

  it('picks up a file dropped into the folder while watching', async () => {
    await writeFile(join(dir, 'pubmed25n0001.xml'), pubmedArticleSetXml(articles('1')));
    const controller = new AbortController();
    const source = createUpdateFolderSource(options({ watch: true, signal: controller.signal }));
    const seen: string[] = [];
    for await (const entry of source) {
      seen.push(label(entry));
      entry.ack();
      if (seen.length === 1) {
        await sleep(100);
        await writeFile(join(dir, 'pubmed25n0002.xml'), pubmedArticleSetXml(articles('2', '3')));
      }
      if (seen.length === 3) controller.abort();
    }
    await source.flush();
    expect(seen).toEqual(['pubmed25n0001.xml:1', 'pubmed25n0002.xml:2', 'pubmed25n0002.xml:3']);
    expect(source.doneFiles()).toEqual(['pubmed25n0001.xml', 'pubmed25n0002.xml']);
  });

  it('skips the files marked done after a restart and reads only the new ones', async () => {
    await writeFile(join(dir, 'pubmed25n0001.xml'), pubmedArticleSetXml(articles('1')));
    await writeFile(join(dir, 'pubmed25n0002.xml'), pubmedArticleSetXml(articles('2')));
    const first = createUpdateFolderSource(options());
    expect(await drain(first)).toEqual(['pubmed25n0001.xml:1', 'pubmed25n0002.xml:2']);
    await first.flush();

    await writeFile(join(dir, 'pubmed25n0003.xml'), pubmedArticleSetXml(articles('3')));
    const second = createUpdateFolderSource(options());
    expect(await drain(second)).toEqual(['pubmed25n0003.xml:3']);
    await second.flush();
    expect(second.doneFiles()).toEqual(['pubmed25n0001.xml', 'pubmed25n0002.xml', 'pubmed25n0003.xml']);
  });

  it('does not mark a file done until every one of its records is acknowledged', async () => {
    await writeFile(join(dir, 'pubmed25n0001.xml'), pubmedArticleSetXml(articles('1', '2', '3')));
    const source = createUpdateFolderSource(options());
    const held: FileSourceItem[] = [];
    for await (const entry of source) {
      if (entry.item.kind === 'article' && entry.item.pmid === '3') held.push(entry);
      else entry.ack();
    }
    await source.flush();
    expect(source.doneFiles()).toEqual([]);

    // A restart now reads the whole file again: nothing of it was marked done.
    const restarted = createUpdateFolderSource(options());
    expect(await drain(restarted)).toEqual(['pubmed25n0001.xml:1', 'pubmed25n0001.xml:2', 'pubmed25n0001.xml:3']);

    held[0]?.ack();
    await source.flush();
    expect(source.doneFiles()).toEqual(['pubmed25n0001.xml']);
  });

  it('waits for a file that is still being written and takes it whole once it stops growing', async () => {
    const full = pubmedArticleSetXml(articles('1', '2', '3', '4'));
    const path = join(dir, 'pubmed25n0009.xml');
    const pieces = Array.from({ length: 12 }, (_, i) => full.slice(Math.floor((i * full.length) / 12), Math.floor(((i + 1) * full.length) / 12)));
    await writeFile(path, pieces[0] ?? '');
    const controller = new AbortController();
    const source = createUpdateFolderSource(options({ watch: true, pollIntervalMs: 60, signal: controller.signal }));
    const seen: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (const piece of pieces.slice(1)) {
        await sleep(25);
        await appendFile(path, piece);
      }
      writing = false;
    })();
    const seenWhileWriting: string[] = [];
    for await (const entry of source) {
      seen.push(label(entry));
      if (writing) seenWhileWriting.push(label(entry));
      entry.ack();
      if (seen.length === 4) controller.abort();
    }
    await writer;
    expect(seenWhileWriting).toEqual([]);
    expect(seen).toEqual(['pubmed25n0009.xml:1', 'pubmed25n0009.xml:2', 'pubmed25n0009.xml:3', 'pubmed25n0009.xml:4']);
  });
});

describe('local source', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-source-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a folder file by file and reports each file done once its items are acknowledged', async () => {
    await writeFile(join(dir, 'b.xml'), pubmedArticleSetXml(articles('2')));
    await writeFile(join(dir, 'a.xml.gz'), gzipSync(pubmedArticleSetXml(articles('1', '11'))));
    const doneCalls: string[] = [];
    const source = createLocalSource(dir, { onFileDone: (file) => doneCalls.push(basename(file)) });
    const entries: FileSourceItem[] = [];
    for await (const entry of source) entries.push(entry);

    expect(entries.map(label)).toEqual(['a.xml.gz:1', 'a.xml.gz:11', 'b.xml:2']);
    expect(doneCalls).toEqual([]);
    entries[2]?.ack();
    expect(doneCalls).toEqual(['b.xml']);
    entries[0]?.ack();
    entries[1]?.ack();
    entries[1]?.ack();
    expect(doneCalls).toEqual(['b.xml', 'a.xml.gz']);
  });

  it('reports inputs that match nothing before any item', async () => {
    const source = createLocalSource(join(dir, 'missing.xml'));
    await expect(source[Symbol.asyncIterator]().next()).rejects.toThrow(/input not found/);
  });
});
