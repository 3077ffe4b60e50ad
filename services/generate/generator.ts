import type { AnnotatedRecord } from '../model/annotatedRecord.ts';
import type { QaCandidate } from '../model/qaItem.ts';

/** Result of generating for one record: items, plus counted per-record problems (never thrown away silently). */
export interface GenerateResult {
  items: QaCandidate[];
  /** Items that could not be produced, with a short machine-readable reason (e.g. "llm_bad_output"). */
  failures: { reason: string; message: string }[];
}

/** A candidate generator backend (rule-based or LLM). */
export interface Generator {
  readonly name: string;
  readonly version: string;
  readonly promptVersion: string;
  generate(record: AnnotatedRecord, signal?: AbortSignal): Promise<GenerateResult>;
}
