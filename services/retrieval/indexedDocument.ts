import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import { abstractText } from '../model/pubmedRecord.ts';
import type { IndexedDocument } from './literatureIndex.ts';

/**
 * What the literature index keeps of an annotated record, or null when it has no abstract. Its
 * descriptors are the NLM headings or the dictionary and LLM predictions; descriptors that were
 * themselves taken from neighbours are left out, so predictions never feed on one another.
 */
export function indexedDocumentOf(annotated: AnnotatedRecord): IndexedDocument | null {
  const { record } = annotated;
  const abstract = abstractText(record).trim();
  if (abstract === '') return null;
  return {
    pmid: record.pmid,
    version: record.version,
    title: record.title,
    abstract,
    meshUis: [...new Set(annotated.mesh.filter((m) => m.source !== 'neighbours').map((m) => m.descriptorUi))],
    year: record.pubDate.year,
    language: record.languages[0] ?? null,
  };
}
