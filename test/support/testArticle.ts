import type { PubmedArticle } from '../../services/model/pubmedRecord.ts';

/** A minimal PubMed article for tests: the given fields over plain defaults (pubmed id follows the PMID). */
export function testArticle(over: Partial<PubmedArticle> = {}): PubmedArticle {
  const pmid = over.pmid ?? '100';
  return {
    kind: 'article',
    recordType: 'PubmedArticle',
    pmid,
    version: 1,
    title: '',
    abstract: [],
    languages: ['eng'],
    journal: null,
    pubDate: { year: 2024, month: null, day: null, raw: '2024' },
    articleIds: { pubmed: pmid },
    publicationTypes: ['Journal Article'],
    keywords: [],
    chemicals: [],
    meshHeadings: [],
    status: 'MEDLINE',
    source: 'test',
    ...over,
  };
}
