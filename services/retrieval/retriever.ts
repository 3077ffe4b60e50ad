import type { EmbeddingsClient } from '../llm/embeddingsClient.ts';
import { EmbeddingsError } from '../errors/medistillErrors.ts';
import type { LiteratureIndex, RetrievedDocument, SearchOutcome } from './literatureIndex.ts';

/** How a retrieval ended: the search outcome, or `embeddings_failed` when the dense half fell back to lexical. */
export type RetrievalOutcome = SearchOutcome | 'embeddings_failed';
export const RETRIEVAL_OUTCOMES: readonly RetrievalOutcome[] = ['hits', 'no_hits', 'empty_index', 'no_query_terms', 'embeddings_failed'];

export interface Retrieval {
  outcome: RetrievalOutcome;
  /** Best first. */
  documents: RetrievedDocument[];
  /** lexical (BM25), or hybrid (BM25 and dense vectors fused by reciprocal rank). */
  mode: 'lexical' | 'hybrid';
}

/** Finds the documents of the literature index that best answer a text. */
export interface Retriever {
  readonly mode: 'lexical' | 'hybrid';
  retrieve(text: string, options: { k: number; excludePmid?: string; signal?: AbortSignal }): Promise<Retrieval>;
}

export interface RetrieverOptions {
  index: LiteratureIndex;
  /** With an embeddings client, ranking is hybrid: BM25 and cosine fused by reciprocal rank. */
  embeddings?: EmbeddingsClient;
  /** Candidates each ranking contributes to the fusion, as a multiple of k (default 4). */
  fusionDepth?: number;
}

/** Reciprocal-rank-fusion constant (Cormack et al. 2009): damps the weight of the very top ranks. */
const RRF_K = 60;

/**
 * A retriever over the literature index: BM25 alone, or hybrid when an embeddings endpoint is
 * configured. A failing embeddings endpoint does not fail the retrieval: the lexical ranking is
 * returned with outcome `embeddings_failed`, so the caller can count it.
 */
export function createRetriever(options: RetrieverOptions): Retriever {
  const { index, embeddings } = options;
  const depth = options.fusionDepth ?? 4;
  return {
    mode: embeddings ? 'hybrid' : 'lexical',
    async retrieve(text, { k, excludePmid, signal }) {
      if (!embeddings) {
        const lexical = index.search(text, { k, excludePmid });
        return { ...lexical, mode: 'lexical' };
      }
      const wide = Math.min(100, k * depth);
      const lexical = index.search(text, { k: wide, excludePmid });
      if (lexical.outcome === 'empty_index') return { ...lexical, mode: 'hybrid' };
      let vector: Float32Array | undefined;
      try {
        [vector] = await embeddings.embed([text], signal);
      } catch (err) {
        if (!(err instanceof EmbeddingsError)) throw err;
        return { outcome: 'embeddings_failed', documents: lexical.documents.slice(0, k), mode: 'hybrid' };
      }
      const dense = index.searchVector(vector as Float32Array, embeddings.model, { k: wide, excludePmid });
      const fused = fuse([lexical.documents, dense.documents], k);
      return { outcome: fused.length > 0 ? 'hits' : lexical.outcome === 'no_query_terms' && dense.outcome !== 'hits' ? 'no_query_terms' : 'no_hits', documents: fused, mode: 'hybrid' };
    },
  };
}

/** Reciprocal rank fusion of several rankings: each document scores the sum of 1/(RRF_K + rank). */
export function fuse(rankings: readonly (readonly RetrievedDocument[])[], k: number): RetrievedDocument[] {
  const byPmid = new Map<string, RetrievedDocument>();
  for (const ranking of rankings) {
    ranking.forEach((doc, i) => {
      const add = 1 / (RRF_K + i + 1);
      const seen = byPmid.get(doc.pmid);
      byPmid.set(doc.pmid, seen ? { ...seen, score: seen.score + add } : { ...doc, score: add });
    });
  }
  return [...byPmid.values()].sort((a, b) => b.score - a.score || a.pmid.localeCompare(b.pmid)).slice(0, k);
}
