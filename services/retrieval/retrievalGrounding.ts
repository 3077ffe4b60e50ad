import { setSimilarity, setFormulaId, type SimilarityFormula } from '../mesh/meshSimilarity.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { RetrievalOutcome, Retriever } from './retriever.ts';

/** What retrieval says about one question: its score, why, and the documents it found (its supporting context). */
export interface RetrievalSupport {
  /** 0..1: MeSH-hierarchy similarity of the retrieved documents to the source paper. */
  score: number;
  reason: string;
  /** PMIDs of the retrieved documents, best first. */
  pmids: string[];
  formula: string;
  outcome: RetrievalOutcome;
}

/** Scores a question by where the documents it retrieves sit in MeSH, relative to the paper it was written from. */
export type RetrievalGrounder = (input: { question: string; pmid: string; paperMesh: readonly string[] }, signal?: AbortSignal) => Promise<RetrievalSupport>;

export interface RetrievalGrounderOptions {
  retriever: Retriever;
  vocab: MeshVocabulary;
  /** Documents retrieved per question (default 5). */
  k?: number;
  formula?: SimilarityFormula;
}

/** Version of the aggregation below; bump it when a score for the same inputs can change. */
const AGGREGATION_VERSION = 'v1';

/**
 * KAILIN's knowledge-hierarchy evaluation: retrieve the top k documents for the question (never the
 * source paper), and score the best-match-average MeSH similarity between the source paper's
 * descriptors and each document's, averaged with discounted-gain weights 1/log2(rank + 1) so the
 * top documents count most. A question that leads back to the paper's region of MeSH scores high;
 * one that retrieves papers from elsewhere in the tree scores low. No documents: 0, with the reason.
 * @example const ground = createRetrievalGrounder({ retriever, vocab }); const s = await ground({ question, pmid, paperMesh });
 */
export function createRetrievalGrounder(options: RetrievalGrounderOptions): RetrievalGrounder {
  const k = options.k ?? 5;
  const formulaName = options.formula ?? 'wu-palmer';
  const formula = `retrieved-top${k}-dcg(${setFormulaId(formulaName)})/${AGGREGATION_VERSION}`;
  return async ({ question, pmid, paperMesh }, signal) => {
    const query = question.replace(/\(MeSH:[^)]*\)/g, ' ');
    const found = await options.retriever.retrieve(query, { k, excludePmid: pmid, signal });
    const pmids = found.documents.map((d) => d.pmid);
    if (found.documents.length === 0) {
      const why: Record<string, string> = {
        empty_index: 'the literature index is empty',
        no_query_terms: 'the question has no content words to search for',
        no_hits: 'no indexed document matches the question',
        embeddings_failed: 'the embeddings endpoint failed and no document matched lexically',
        hits: '',
      };
      return { score: 0, reason: `no documents retrieved: ${why[found.outcome] ?? found.outcome}`, pmids, formula, outcome: found.outcome };
    }
    if (paperMesh.length === 0) return { score: 0, reason: `${pmids.length} documents retrieved, but the paper has no MeSH descriptors to compare`, pmids, formula, outcome: found.outcome };
    let sum = 0;
    let weights = 0;
    const parts: string[] = [];
    found.documents.forEach((doc, i) => {
      const w = 1 / Math.log2(i + 2);
      const s = setSimilarity(options.vocab, paperMesh, doc.meshUis, formulaName).score;
      sum += w * s;
      weights += w;
      parts.push(`${doc.pmid} ${s.toFixed(2)}`);
    });
    const score = sum / weights;
    const fallback = found.outcome === 'embeddings_failed' ? ' (embeddings failed: lexical ranking only)' : '';
    return { score, reason: `${formula} over ${pmids.length} retrieved documents (${parts.join(', ')})${fallback}`, pmids, formula, outcome: found.outcome };
  };
}
