import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../services/ingest/globPattern.ts';
import { InputNotFoundError } from '../../../services/errors/medistillErrors.ts';
import { readPubmedInputs, resolveInputFiles } from '../../../services/ingest/readPubmedInputs.ts';
import type { PubmedItem } from '../../../services/model/pubmedRecord.ts';

const fixtures = new URL('../../fixtures/pubmed/', import.meta.url).pathname;
const folder = join(fixtures, 'folder');

async function collect(items: AsyncIterable<PubmedItem>): Promise<PubmedItem[]> {
  const out: PubmedItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const pmids = (items: PubmedItem[]): string[] => items.flatMap((i) => (i.kind === 'error' ? [] : [i.pmid]));

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'medistill-ingest-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('readPubmedInputs', () => {
  it('reads a .xml.gz file by its gzip magic bytes', async () => {
    const gz = join(scratch, 'articles.xml.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(fixtures, 'articles.xml'))));
    const items = await collect(readPubmedInputs(gz, { readChunkBytes: 512 }));
    expect(pmids(items)).toEqual(['31000001', '31000002', '9000003', '9000004', '9000005', '8000001', '8000002', '8000003']);
    expect(items.every((i) => i.source === gz)).toBe(true);
  });

  it('reads gzip content whatever the file is called, and plain XML named .gz as plain', async () => {
    const disguised = join(scratch, 'disguised.xml');
    const plainGz = join(scratch, 'plain.xml.gz');
    writeFileSync(disguised, gzipSync(readFileSync(join(fixtures, 'book.xml'))));
    writeFileSync(plainGz, readFileSync(join(fixtures, 'single-citation.xml')));
    expect(pmids(await collect(readPubmedInputs([disguised, plainGz])))).toEqual(['20301000', '20301001', '300001']);
  });

  it('turns a corrupt gzip file into a failure for that file and still reads the next one', async () => {
    const whole = gzipSync(readFileSync(join(fixtures, 'articles.xml')));
    const corrupt = join(scratch, 'corrupt.xml.gz');
    writeFileSync(corrupt, whole.subarray(0, Math.floor(whole.length / 2)));
    const next = join(fixtures, 'single-citation.xml');
    const items = await collect(readPubmedInputs([corrupt, next], { readChunkBytes: 256 }));
    const failures = items.filter((i) => i.kind === 'error');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ source: corrupt, message: expect.stringMatching(/^cannot read .*corrupt\.xml\.gz: /) });
    expect(items.at(-1)).toMatchObject({ kind: 'article', pmid: '300001', source: next });
  });

  it('reads a folder recursively in name order, taking only .xml and .xml.gz files', async () => {
    const items = await collect(readPubmedInputs(folder));
    expect(pmids(items)).toEqual(['400003', '400001', '400002']);
    expect(items.map((i) => i.source)).toEqual([join(folder, 'nested/part3.xml'), join(folder, 'part1.xml'), join(folder, 'part2.xml')]);
  });

  it('expands * and ** glob patterns', async () => {
    expect(await resolveInputFiles(`${folder}/*.xml`)).toEqual([join(folder, 'part1.xml'), join(folder, 'part2.xml')]);
    expect(await resolveInputFiles(`${folder}/**/part?.xml`)).toEqual([join(folder, 'nested/part3.xml'), join(folder, 'part1.xml'), join(folder, 'part2.xml')]);
    expect(pmids(await collect(readPubmedInputs(`${fixtures}**/nested/*.xml`)))).toEqual(['400003']);
  });

  it('lists each file once when inputs overlap', async () => {
    const files = await resolveInputFiles([join(folder, 'part2.xml'), folder]);
    expect(files).toEqual([join(folder, 'part2.xml'), join(folder, 'nested/part3.xml'), join(folder, 'part1.xml')]);
  });

  it('throws InputNotFoundError with a one-line message for a missing path or an empty glob, before any record', async () => {
    const missing = join(scratch, 'no-such-file.xml');
    await expect(resolveInputFiles([folder, missing])).rejects.toThrow(new InputNotFoundError(missing).message);
    await expect(resolveInputFiles(`${folder}/*.json`)).rejects.toBeInstanceOf(InputNotFoundError);
    const reader = readPubmedInputs([join(folder, 'part1.xml'), missing]);
    await expect(reader.next()).rejects.toMatchObject({ name: 'InputNotFoundError', message: `input not found: ${missing}`, retriable: false });
  });
});

describe('globToRegExp', () => {
  it.each([
    ['*.xml', 'a.xml', true],
    ['*.xml', 'd/a.xml', false],
    ['**/*.xml', 'a.xml', true],
    ['**/*.xml', 'd/e/a.xml', true],
    ['d/**/a.xml', 'd/a.xml', true],
    ['d/**', 'd/e/f', true],
    ['a?.xml.gz', 'a1.xml.gz', true],
    ['a?.xml.gz', 'a12.xml.gz', false],
    ['(x)+.xml', '(x)+.xml', true],
  ])('%j against %j gives %j', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });
});
