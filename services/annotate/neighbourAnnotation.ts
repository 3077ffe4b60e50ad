import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import { createAnnotateContext } from './annotateContext.ts';
import { annotateRecord } from './annotateRecord.ts';
import type { NeighbourAnnotation, NeighbourSearch } from './neighbourMesh.ts';

/**
 * What annotate needs to add MeSH from neighbours, in either runtime: the index to search, and the
 * dictionary's matches of a record at any score (the weak mentions neighbours may confirm).
 * @example createAnnotateStage({ ctx, neighbours: createNeighbourAnnotation(retrieval.index, vocab) });
 */
export function createNeighbourAnnotation(search: NeighbourSearch, vocab: MeshVocabulary): NeighbourAnnotation {
  const reach = createAnnotateContext(vocab, { minScore: 0, maxTerms: 200, generalTerms: 'keep' });
  return { search, vocab, textCandidates: (r: PubmedArticle) => annotateRecord(r, reach).mesh };
}
