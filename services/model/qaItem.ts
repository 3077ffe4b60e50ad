import type { MeshSource } from './annotatedRecord.ts';

export type ItemType = 'open' | 'yes_no_maybe' | 'multiple_choice';
export const ITEM_TYPES: readonly ItemType[] = ['open', 'yes_no_maybe', 'multiple_choice'];

export type OptionLabel = 'A' | 'B' | 'C' | 'D' | 'E';

export interface QaOption {
  label: OptionLabel;
  text: string;
}

/** The MeSH descriptor an item is about. */
export interface MeshTarget {
  descriptorUi: string;
  name: string;
  treeNumbers: string[];
  /** Top-level branch letters (A..Z) of the tree numbers. */
  branches: string[];
  source: MeshSource;
}

export interface Provenance {
  backend: 'rule-based' | 'llm';
  /** Component name, e.g. "rule-based" or "llm:<model>". */
  name: string;
  /** Code version of the component. */
  version: string;
  promptVersion: string;
  model: string | null;
  /** True when the LLM answer behind it came from the response cache (no request was paid for). */
  cached?: boolean;
}

/** A candidate question-answer item, before judging. */
export interface QaCandidate {
  /** Deterministic id: hash of pmid, generator version and question. */
  id: string;
  pmid: string;
  pmidVersion: number;
  type: ItemType;
  question: string;
  /** Short answer: the text for open items, yes/no/maybe, or the keyed option's label for MCQ. */
  answer: string;
  /** Explanation or PubMedQA-style long answer. */
  longAnswer: string | null;
  options: QaOption[] | null;
  /** The passage the item is grounded in (the abstract, first version). */
  context: string;
  target: MeshTarget;
  /** All MeSH descriptors of the paper, for hierarchy alignment. */
  paperMesh: string[];
  generator: Provenance;
  createdAt: string;
}

/**
 * hierarchy: the item's target descriptor against the paper's descriptors; retrieval: the MeSH of the
 * documents the question retrieves from the literature index against the paper's (KAILIN's evaluation).
 */
export type Criterion = 'grounded' | 'answerable' | 'correct' | 'clear' | 'hierarchy' | 'retrieval';
export const CRITERIA: readonly Criterion[] = ['grounded', 'answerable', 'correct', 'clear', 'hierarchy', 'retrieval'];

/** The retrieval-grounded score of a question and the documents behind it, handed to a judge. */
export interface RetrievalEvidence {
  score: number;
  reason: string;
  /** PMIDs retrieved for the question, best first. */
  pmids: string[];
}

/** The retrieval criterion when no literature index is configured. */
export const RETRIEVAL_OFF: CriterionScore = { score: 0, reason: 'retrieval off: no literature index configured' };

export interface CriterionScore {
  /** 0..1 */
  score: number;
  reason: string;
}

/** Verification-of-Choice for one option. */
export interface OptionVerdict {
  label: OptionLabel;
  argument: string;
  supported: boolean;
}

export interface VerificationOfChoice {
  options: OptionVerdict[];
  survivors: OptionLabel[];
  /** True when the keyed option alone survived. */
  passed: boolean;
}

export type RejectReason = `low_${Criterion}` | 'voc_failed' | 'judge_error' | 'duplicate';

export interface JudgedItem {
  candidate: QaCandidate;
  scores: Record<Criterion, CriterionScore>;
  /** Id of the similarity formula behind the hierarchy score, e.g. "wu-palmer-bma/v1". */
  hierarchyFormula: string;
  voc: VerificationOfChoice | null;
  verdict: 'accept' | 'reject';
  rejectReasons: RejectReason[];
  judge: Provenance;
  judgedAt: string;
  /** The documents retrieved for the question (its supporting context), best first; empty when retrieval is off. */
  retrievedPmids: string[];
}
