import { z } from 'zod';
import { createMeshMatcher, type MeshMatcher, type MeshMatcherOptions } from '../mesh/meshMatcher.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { AnnotateConfigError } from './annotateErrors.ts';

/** Options of the annotate stage, with defaults. */
export const annotateOptionsSchema = z.object({
  /** At most this many predicted (dictionary) terms per record; NLM headings are never cut. */
  maxTerms: z.number().int().min(1).max(200).default(12),
  /** Predicted terms scoring below this are dropped (0..1); see scoreDictionaryTerm. */
  minScore: z.number().min(0).max(1).default(0.4),
  /**
   * Predicted descriptors that sit only in these top-level branches are dropped. Default V
   * (Publication Characteristics): "review", "news" or "paper" in an abstract are not its topic.
   */
  excludeBranches: z.array(z.string().regex(/^[A-Z]$/, 'a branch is one capital letter, A..Z')).max(26).default(['V']),
  checkTags: z.boolean().default(false),
  generalTerms: z.enum(['drop', 'keep']).default('keep'),
});
export type AnnotateOptions = z.infer<typeof annotateOptionsSchema>;

/** Everything annotateRecord needs, built once per process: the vocabulary, its matcher and the options. */
export interface AnnotateContext {
  vocab: MeshVocabulary;
  matcher: MeshMatcher;
  /** Missing fields take the schema defaults. */
  options?: Partial<AnnotateOptions>;
}

/** Validates the options and builds the matcher; bad options fail here with a message saying how to fix them. */
export function createAnnotateContext(
  vocab: MeshVocabulary,
  options: Partial<AnnotateOptions> = {},
  matcherOptions: MeshMatcherOptions = {},
): AnnotateContext & { options: AnnotateOptions } {
  const parsed = annotateOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new AnnotateConfigError(`invalid annotate options: ${issues}`);
  }
  return { vocab, matcher: createMeshMatcher(vocab, matcherOptions), options: parsed.data };
}
