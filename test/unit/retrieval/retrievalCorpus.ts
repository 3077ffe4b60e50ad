import { join } from 'node:path';
import { createAnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { annotateRecord } from '../../../services/annotate/annotateRecord.ts';
import { readPubmedInputs } from '../../../services/ingest/readPubmedInputs.ts';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import type { MeshVocabulary } from '../../../services/mesh/meshVocabulary.ts';
import type { AnnotatedRecord } from '../../../services/model/annotatedRecord.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const CORPUS = join(ROOT, 'test/fixtures/pubmed/retrieval-corpus.xml');
export const MESH = join(ROOT, 'test/fixtures/mesh/retrieval-mesh.xml');

/** The retrieval fixture parsed and annotated the way the pipeline does it, with the bundled MeSH subset. */
export async function annotatedCorpus(): Promise<{ vocab: MeshVocabulary; records: AnnotatedRecord[] }> {
  const vocab = await loadMeshVocabulary(MESH);
  const ctx = createAnnotateContext(vocab);
  const records: AnnotatedRecord[] = [];
  for await (const item of readPubmedInputs([CORPUS])) {
    if (item.kind !== 'article') throw new Error(`fixture entry is not an article: ${item.kind}`);
    records.push(annotateRecord(item, ctx));
  }
  return { vocab, records };
}
