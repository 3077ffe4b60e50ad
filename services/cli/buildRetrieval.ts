import type { ServiceConfig } from '../config/serviceConfig.ts';
import { createEmbeddingsClient, type EmbeddingsClient } from '../llm/embeddingsClient.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { openLiteratureIndex, type LiteratureIndex } from '../retrieval/literatureIndex.ts';
import { createRetrievalGrounder, type RetrievalGrounder } from '../retrieval/retrievalGrounding.ts';
import { createRetriever, type Retriever } from '../retrieval/retriever.ts';

/** The literature index of a process and what is built on it. */
export interface RetrievalParts {
  index: LiteratureIndex;
  retriever: Retriever;
  grounder: RetrievalGrounder;
  embeddings: EmbeddingsClient | undefined;
  /** Printable settings, no secrets. */
  settingsLines: string[];
  close(): void;
}

/** Opens the index in `dir` and builds the retriever and the retrieval-grounded scorer from the settings. */
export function buildRetrieval(options: { dir: string; readonly?: boolean; config: ServiceConfig; env: NodeJS.ProcessEnv; vocab: MeshVocabulary; k?: number }): RetrievalParts {
  const { config } = options;
  const embeddings = config.embeddingsBaseUrl
    ? createEmbeddingsClient({
        baseUrl: config.embeddingsBaseUrl,
        apiKey: config.embeddingsApiKey ?? config.llmApiKey ?? options.env.OPENAI_API_KEY ?? 'none',
        model: config.embeddingsModel,
      })
    : undefined;
  const index = openLiteratureIndex({ dir: options.dir, readonly: options.readonly });
  const retriever = createRetriever({ index, embeddings });
  const k = options.k ?? config.retrievalK;
  const grounder = createRetrievalGrounder({ retriever, vocab: options.vocab, k });
  const settingsLines = [
    `index: ${index.count()} abstracts in ${index.path}${options.readonly ? ' (read-only)' : ''}; retrieval ${retriever.mode}, top ${k}`,
    ...(embeddings ? [embeddings.describe()] : []),
  ];
  return { index, retriever, grounder, embeddings, settingsLines, close: () => index.close() };
}
