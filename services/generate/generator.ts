import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { QaCandidate } from '../model/qaItem.ts';

/** Result of generating for one record: items, plus counted per-record problems (never thrown away silently). */
export interface GenerateResult {
  items: QaCandidate[];
  /** Items that could not be produced, with a short machine-readable reason (e.g. "llm_bad_output"). */
  failures: { reason: string; message: string }[];
}

/** What a caller may ask of one generation besides the record. */
export interface GenerateRequest {
  /**
   * Descriptor UIs to write for, in order (at most one item each), instead of the generator's own
   * choice: the second of two generators writes for the targets the first chose, so each target
   * gets a candidate from both.
   */
  targets?: readonly string[];
}

/** A candidate generator backend (rule-based or LLM). */
export interface Generator {
  readonly name: string;
  readonly version: string;
  readonly promptVersion: string;
  generate(record: AnnotatedRecord, signal?: AbortSignal, request?: GenerateRequest): Promise<GenerateResult>;
}
