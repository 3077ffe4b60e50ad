import { map, type OperatorFunction } from 'rxjs';
import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import type { AnnotateContext } from './annotateContext.ts';
import { annotateRecord } from './annotateRecord.ts';

/**
 * The annotate stage as an operator: one annotated record per article, in order.
 * Annotation is synchronous and CPU-bound, so no concurrency or buffering is involved.
 *
 * @example
 * const ctx = createAnnotateContext(await loadMeshVocabulary('desc2024.xml'));
 * articles$.pipe(annotate(ctx)).subscribe((r) => console.log(r.record.pmid, r.mesh.length));
 */
export function annotate(ctx: AnnotateContext): OperatorFunction<PubmedArticle, AnnotatedRecord> {
  return map((record) => annotateRecord(record, ctx));
}
