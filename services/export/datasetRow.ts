import type { Criterion, ItemType, JudgedItem, OptionLabel, Provenance, RejectReason } from '../model/qaItem.ts';
import { CRITERIA } from '../model/qaItem.ts';

/** Provenance as written in the dataset (snake_case, like every exported field). */
export interface ProvenanceRow {
  backend: Provenance['backend'];
  name: string;
  version: string;
  prompt_version: string;
  model: string | null;
  /** True when the LLM answer behind it came from the response cache (no request was paid for). */
  cached: boolean;
}

/** One line of an accepted-item file (`data/accepted-*.jsonl`). */
export interface DatasetRow {
  id: string;
  question: string;
  /** The answer text (for multiple choice: the keyed option's text). */
  answer: string;
  long_answer: string | null;
  type: ItemType;
  options: { label: OptionLabel; text: string }[] | null;
  /** The keyed option's label; multiple choice only. */
  answer_key?: OptionLabel;
  context: string;
  pmid: string;
  pmid_version: number;
  mesh_targets: { descriptor_ui: string; name: string; tree_numbers: string[]; branches: string[]; source: string }[];
  paper_mesh: string[];
  scores: Record<Criterion, number>;
  score_reasons: Record<Criterion, string>;
  hierarchy_formula: string;
  /** Documents the question retrieved from the literature index, best first: the item's supporting context. */
  retrieved_pmids: string[];
  voc?: {
    options: { label: OptionLabel; argument: string; supported: boolean }[];
    survivors: OptionLabel[];
    passed: boolean;
  };
  generator: ProvenanceRow;
  judge: ProvenanceRow;
  created_at: string;
  judged_at: string;
}

/** One line of a rejected-item file (`data/rejected-*.jsonl`): the row plus why it left the dataset. */
export interface RejectedRow extends DatasetRow {
  verdict: 'accept' | 'reject';
  reject_reasons: RejectReason[];
  /** For duplicates: the id of the accepted item with the same question. */
  duplicate_of?: string;
}

/** The exported form of a judged item. */
export function toDatasetRow(item: JudgedItem): DatasetRow {
  const c = item.candidate;
  const key = c.type === 'multiple_choice' ? c.options?.find((o) => o.label === c.answer) : undefined;
  const scores = {} as Record<Criterion, number>;
  const reasons = {} as Record<Criterion, string>;
  for (const k of CRITERIA) {
    scores[k] = item.scores[k].score;
    reasons[k] = item.scores[k].reason;
  }
  const row: DatasetRow = {
    id: c.id,
    question: c.question,
    answer: key ? key.text : c.answer,
    long_answer: c.longAnswer,
    type: c.type,
    options: c.options ? c.options.map((o) => ({ label: o.label, text: o.text })) : null,
    context: c.context,
    pmid: c.pmid,
    pmid_version: c.pmidVersion,
    mesh_targets: [
      {
        descriptor_ui: c.target.descriptorUi,
        name: c.target.name,
        tree_numbers: c.target.treeNumbers,
        branches: c.target.branches,
        source: c.target.source,
      },
    ],
    paper_mesh: c.paperMesh,
    // Judgements stored before retrieval existed carry none.
    retrieved_pmids: [...(item.retrievedPmids ?? [])],
    scores,
    score_reasons: reasons,
    hierarchy_formula: item.hierarchyFormula,
    generator: provenanceRow(c.generator),
    judge: provenanceRow(item.judge),
    created_at: c.createdAt,
    judged_at: item.judgedAt,
  };
  if (c.type === 'multiple_choice') row.answer_key = c.answer as OptionLabel;
  if (item.voc) {
    row.voc = {
      options: item.voc.options.map((o) => ({ label: o.label, argument: o.argument, supported: o.supported })),
      survivors: [...item.voc.survivors],
      passed: item.voc.passed,
    };
  }
  return row;
}

/** The rejected-row form of an item, with its reasons (an accepted duplicate gets reason "duplicate"). */
export function toRejectedRow(item: JudgedItem, duplicateOf?: string): RejectedRow {
  const row: RejectedRow = {
    ...toDatasetRow(item),
    verdict: item.verdict,
    reject_reasons: duplicateOf !== undefined ? ['duplicate'] : [...item.rejectReasons],
  };
  if (duplicateOf !== undefined) row.duplicate_of = duplicateOf;
  return row;
}

function provenanceRow(p: Provenance): ProvenanceRow {
  return { backend: p.backend, name: p.name, version: p.version, prompt_version: p.promptVersion, model: p.model, cached: p.cached === true };
}
