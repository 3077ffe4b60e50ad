import { Counter, Histogram, type Registry } from 'prom-client';
import type { Instrumentation } from '../instrumentation/instrumentation.ts';
import type { AnnotatedRecord, MeshSource } from '../model/annotatedRecord.ts';
import { CRITERIA, ITEM_TYPES, type JudgedItem, type QaCandidate, type RejectReason } from '../model/qaItem.ts';
import { UNPAIRED_REASONS, type RecordPreferences } from '../model/preferencePair.ts';

/** The quality metrics of a stage: feed it what it annotated, generated or judged. */
export interface QualityMetrics {
  annotated(record: AnnotatedRecord): void;
  candidates(items: readonly QaCandidate[]): void;
  judged(items: readonly JudgedItem[]): void;
  preferences(preferences: RecordPreferences): void;
}

const MARGIN_BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1];

const MESH_SOURCES: readonly MeshSource[] = ['nlm', 'dictionary', 'llm', 'neighbours'];
const REJECT_REASONS: readonly RejectReason[] = [...CRITERIA.map((c) => `low_${c}` as const), 'voc_failed', 'judge_error', 'duplicate'];
const TERM_BUCKETS = [0, 1, 2, 3, 5, 8, 13, 20, 30, 50];
const SCORE_BUCKETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** Top-level MeSH branch letters (A..Z) of tree numbers, no duplicates; anything else is dropped so the label set stays fixed. */
function branchesOf(treeNumbers: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const t of treeNumbers) {
    const c = t.charAt(0);
    if (c >= 'A' && c <= 'Z') out.add(c);
  }
  return out;
}

/**
 * Declares the dataset-quality metrics on the registry passed in: MeSH terms per record by source,
 * records by top-level MeSH branch, candidates by item type, judge score distributions per
 * criterion, verdicts by item type and by branch, and reject reasons.
 * Accepted items are the verdict series with outcome="accept".
 */
export function createQualityMetrics(registry: Registry, service: string): QualityMetrics {
  const registers = [registry];
  const termsPerRecord = new Histogram({ name: 'medistill_mesh_terms_per_record', help: 'MeSH terms attached to one record, by source (nlm, dictionary, llm); 0 when a source added none', labelNames: ['service', 'source'], buckets: TERM_BUCKETS, registers });
  const annotatedRecords = new Counter({ name: 'medistill_annotated_records_total', help: 'Records annotated, outcome with_mesh (at least one term) or without_mesh', labelNames: ['service', 'outcome'], registers });
  const recordsByBranch = new Counter({ name: 'medistill_annotated_records_by_branch_total', help: 'Annotated records per top-level MeSH branch they touch (a record counts once in each of its branches)', labelNames: ['service', 'branch'], registers });
  const candidates = new Counter({ name: 'medistill_qa_candidates_total', help: 'Question-answer candidates generated, by item type', labelNames: ['service', 'type'], registers });
  const scores = new Histogram({ name: 'medistill_judge_score', help: 'Judge scores (0..1) per criterion', labelNames: ['service', 'criterion'], buckets: SCORE_BUCKETS, registers });
  const verdicts = new Counter({ name: 'medistill_judge_verdicts_total', help: 'Judged items by item type and verdict (outcome accept or reject)', labelNames: ['service', 'type', 'outcome'], registers });
  const verdictsByBranch = new Counter({ name: 'medistill_judge_verdicts_by_branch_total', help: 'Judged items by the top-level MeSH branch of their target and verdict (an item counts once in each branch)', labelNames: ['service', 'branch', 'outcome'], registers });
  const rejectReasons = new Counter({ name: 'medistill_judge_reject_reasons_total', help: 'Reasons given for rejected items (an item may have several)', labelNames: ['service', 'reason'], registers });

  const pairRecords = new Counter({ name: 'medistill_preference_records_total', help: 'Judged records turned into preference data, outcome pairs (at least one pair) or no_pairs', labelNames: ['service', 'outcome'], registers });
  const pairs = new Counter({ name: 'medistill_preference_pairs_total', help: 'Preference pairs made, by the verdicts of the chosen and the rejected item (accept or reject)', labelNames: ['service', 'chosen', 'rejected'], registers });
  const unpaired = new Counter({ name: 'medistill_preference_unpaired_targets_total', help: 'Targets that gave no pair, by reason (one_generator, below_margin, judge_error)', labelNames: ['service', 'reason'], registers });
  const margins = new Histogram({ name: 'medistill_preference_margin', help: 'Combined-score margin of each preference pair (chosen minus rejected, 0..1)', labelNames: ['service'], buckets: MARGIN_BUCKETS, registers });
  for (const outcome of ['pairs', 'no_pairs']) pairRecords.inc({ service, outcome }, 0);
  for (const reason of UNPAIRED_REASONS) unpaired.inc({ service, reason }, 0);
  for (const chosen of ['accept', 'reject']) for (const rejected of ['accept', 'reject']) pairs.inc({ service, chosen, rejected }, 0);

  for (const type of ITEM_TYPES) {
    candidates.inc({ service, type }, 0);
    for (const outcome of ['accept', 'reject']) verdicts.inc({ service, type, outcome }, 0);
  }
  for (const reason of REJECT_REASONS) rejectReasons.inc({ service, reason }, 0);
  for (const outcome of ['with_mesh', 'without_mesh']) annotatedRecords.inc({ service, outcome }, 0);

  return {
    annotated(record) {
      const perSource = new Map<MeshSource, number>(MESH_SOURCES.map((s) => [s, 0]));
      const branches = new Set<string>();
      for (const term of record.mesh) {
        perSource.set(term.source, (perSource.get(term.source) ?? 0) + 1);
        for (const b of branchesOf(term.treeNumbers)) branches.add(b);
      }
      for (const [source, n] of perSource) termsPerRecord.observe({ service, source }, n);
      annotatedRecords.inc({ service, outcome: record.mesh.length > 0 ? 'with_mesh' : 'without_mesh' });
      for (const branch of branches) recordsByBranch.inc({ service, branch });
    },
    candidates(items) {
      for (const item of items) candidates.inc({ service, type: item.type });
    },
    judged(items) {
      for (const item of items) {
        for (const criterion of CRITERIA) {
          const s = item.scores[criterion]?.score;
          if (typeof s === 'number' && Number.isFinite(s)) scores.observe({ service, criterion }, Math.min(1, Math.max(0, s)));
        }
        const outcome = item.verdict;
        verdicts.inc({ service, type: item.candidate.type, outcome });
        const branches = new Set(item.candidate.target.branches.filter((b) => /^[A-Z]$/.test(b)));
        for (const b of branchesOf(item.candidate.target.treeNumbers)) branches.add(b);
        for (const branch of branches) verdictsByBranch.inc({ service, branch, outcome });
        if (outcome === 'reject') for (const reason of new Set(item.rejectReasons)) rejectReasons.inc({ service, reason });
      }
    },
    preferences(p) {
      pairRecords.inc({ service, outcome: p.outcome });
      for (const pair of p.pairs) {
        pairs.inc({ service, chosen: pair.chosen.verdict, rejected: pair.rejected.verdict });
        margins.observe({ service }, Math.min(1, Math.max(0, pair.margin)));
      }
      for (const u of p.unpaired) unpaired.inc({ service, reason: u.reason });
    },
  };
}

/**
 * Declares the quality metrics and feeds them from the quality.* events on `bus`. Returns the
 * unsubscribe.
 * @example subscribeQualityMetrics(registry, 'judge', bus);
 */
export function subscribeQualityMetrics(registry: Registry, service: string, bus: Instrumentation): () => void {
  const quality = createQualityMetrics(registry, service);
  const stops = [
    bus.on('quality.annotated', (e) => quality.annotated(e.record)),
    bus.on('quality.candidates', (e) => quality.candidates(e.items)),
    bus.on('quality.judged', (e) => quality.judged(e.items)),
    bus.on('quality.preferences', (e) => quality.preferences(e.preferences)),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
