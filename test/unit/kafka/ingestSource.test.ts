import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../services/errors/medistillErrors.ts';
import type { PubmedItem } from '../../../services/model/pubmedRecord.ts';
import { ingestEntryKind, ingestSourceItem } from '../../../services/stages/ingestSource.ts';
import { readPubmedInputs } from '../../../services/ingest/readPubmedInputs.ts';
import { SAMPLE_INPUT } from '../../../deploy/local/startPipeline.ts';

describe('ingestSourceItem', () => {
  it('maps an article to its record keyed by PMID with a pmid@version dedup key', async () => {
    let article: PubmedItem | undefined;
    for await (const item of readPubmedInputs(SAMPLE_INPUT)) if (item.kind === 'article') (article ??= item);
    if (article?.kind !== 'article') throw new Error('the sample has no article');
    const out = ingestSourceItem(article, { codeVersion: '1.0.0', now: new Date('2024-01-01T00:00:00Z') });
    expect(out).toMatchObject({ kind: 'record', topic: 'pubmed.records.v1', key: article.pmid, dedupKey: `${article.pmid}@${article.version}` });
    if (out.kind === 'record') expect(out.value.lineage).toEqual({ service: 'ingest', codeVersion: '1.0.0', producedAt: new Date('2024-01-01T00:00:00Z') });
    expect(ingestEntryKind(article)).toBe('article');
  });

  it('maps a deletion to a tombstone and a parse failure to a dead letter with its raw text and position', () => {
    expect(ingestSourceItem({ kind: 'deletion', pmid: '123', version: 1, source: 'f.xml' }, { codeVersion: 'v' })).toEqual({ kind: 'tombstone', topic: 'pubmed.records.v1', key: '123', value: null });
    const failure: PubmedItem = { kind: 'error', source: 'f.xml', position: { line: 3, column: 5, offset: 99 }, pmid: null, message: 'unclosed tag', raw: '<PubmedArticle>', truncated: false };
    const out = ingestSourceItem(failure, { codeVersion: 'v' });
    expect(out).toMatchObject({ kind: 'dead_letter', topic: 'pubmed.records.v1', key: null, raw: '<PubmedArticle>', source: 'f.xml', position: '99' });
    if (out.kind === 'dead_letter') {
      expect(out.error).toBeInstanceOf(InvalidInputError);
      expect(out.error.message).toBe('f.xml:3:5: unclosed tag');
    }
    expect(ingestEntryKind(failure)).toBe('failure');
  });
});
