import { z } from 'zod';
import { createMeshMatcher, type MeshMatcher, type MeshMatcherOptions } from '../mesh/meshMatcher.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { AnnotateConfigError } from '../errors/medistillErrors.ts';

/** Options of the annotate stage, with defaults. */
export const annotateOptionsSchema = z.object({
  /**
   * At most this many predicted topical terms per record; inferred check tags come on top, and NLM
   * headings are never cut. 12: indexers give about 13 headings per record, 4 or 5 of them check tags;
   * on real abstracts (bench/meshQuality.ts) micro-F1 is flat from 8 to 20 and 12 keeps recall.
   */
  maxTerms: z.number().int().min(1).max(200).default(12),
  /**
   * Predicted terms scoring below this are dropped (0..1); see scoreDictionaryTerm. 0.45 lets one
   * mention of a multi-word term through and stops one mention of a single word. On real abstracts
   * it was the best value, though only by about 0.006 micro-F1 over 0.4 (121 records): the reason to
   * prefer it is that phrase/word rule. Above 0.45 the check tags (CHECK_TAG_SCORE, 0.45) go too.
   */
  minScore: z.number().min(0).max(1).default(0.45),
  /** Added to the score of a descriptor found as a term of several words; 0 scores as before it existed. */
  phraseBonus: z.number().min(0).max(0.5).default(0.1),
  /**
   * Predicted descriptors that sit only in these top-level branches are dropped. Default V
   * (Publication Characteristics): "review", "news" or "paper" in an abstract are not its topic.
   */
  excludeBranches: z.array(z.string().regex(/^[A-Z]$/, 'a branch is one capital letter, A..Z')).max(26).default(['V']),
  /**
   * Infer check tags (Humans, Animals, Male, Female, age groups, Mice, Rats) from cue words such as
   * "patients", "women" or "aged 45-64 years" (see inferCheckTags.ts). false: those descriptors come
   * from text matches only, as before.
   */
  checkTags: z.boolean().default(true),
  /**
   * 'drop' leaves out over-general descriptors named only by everyday words ("treatment" ->
   * Therapeutics, "cells" -> Cells; see overGeneralDescriptors.ts); 'keep' predicts them like any other.
   */
  generalTerms: z.enum(['drop', 'keep']).default('drop'),
});
export type AnnotateOptions = z.infer<typeof annotateOptionsSchema>;

/** The defaults of every annotate option, as the schema declares them. */
export const ANNOTATE_DEFAULTS: Readonly<AnnotateOptions> = Object.freeze(annotateOptionsSchema.parse({}));

/** Everything annotateRecord needs, built once per process: the vocabulary, its matcher and the options. */
export interface AnnotateContext {
  vocab: MeshVocabulary;
  matcher: MeshMatcher;
  /** Validated options, every field set (createAnnotateContext fills the schema defaults). */
  options: AnnotateOptions;
}

/** Validates the options and builds the matcher; bad options fail here with a message saying how to fix them. */
export function createAnnotateContext(
  vocab: MeshVocabulary,
  options: Partial<AnnotateOptions> = {},
  matcherOptions: MeshMatcherOptions = {},
): AnnotateContext {
  const parsed = annotateOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new AnnotateConfigError(`invalid annotate options: ${issues}`);
  }
  return { vocab, matcher: createMeshMatcher(vocab, matcherOptions), options: parsed.data };
}
