import { CRITERIA } from '../../services/model/qaItem.ts';
import { buildDashboard } from './dashboardBuilder.ts';
import type { Dashboard } from './dashboardModel.ts';
import { heatmap, row, stat, timeseries, type SizedPanel } from './panels.ts';

const SVC = 'service=~"$service"';
const RATE = '$__rate_interval';

function scoreHeatmap(criterion: string): SizedPanel {
  return heatmap({
    title: `Judge scores: ${criterion}`,
    unit: 'short',
    width: criterion === 'hierarchy' ? 24 : 12,
    queries: [{ expr: `sum by (le) (increase(medistill_judge_score_bucket{${SVC}, criterion="${criterion}"}[${RATE}]))`, legend: '{{le}}' }],
  });
}

/** "Dataset quality": accepted items, acceptance by item type and MeSH branch, scores, MeSH coverage and sources. */
export function datasetQualityDashboard(): Dashboard {
  return buildDashboard({
    uid: 'medistill-dataset-quality',
    title: 'medistill / Dataset quality',
    description: 'What the pipeline accepts and why: acceptance by item type and MeSH branch, judge score distributions, MeSH coverage and term sources.',
    tags: ['medistill', 'quality', 'mesh'],
    variables: [
      { name: 'service', label: 'Service', description: 'Services that judge (judge, or run for the in-process pipeline)', labelValues: 'label_values(medistill_judge_verdicts_total, service)' },
    ],
    panels: [
      row('Accepted items'),
      timeseries({
        title: 'Accepted items per hour by item type',
        unit: 'short',
        queries: [{ expr: `sum by (type) (increase(medistill_judge_verdicts_total{${SVC}, outcome="accept"}[1h]))`, legend: '{{type}}' }],
      }),
      stat({
        title: 'Acceptance rate (last hour)',
        unit: 'percentunit',
        decimals: 1,
        queries: [{ expr: `sum(increase(medistill_judge_verdicts_total{${SVC}, outcome="accept"}[1h])) / sum(increase(medistill_judge_verdicts_total{${SVC}}[1h]))` }],
      }),
      stat({
        title: 'Candidates generated (last hour)',
        unit: 'short',
        queries: [{ expr: `sum(increase(medistill_qa_candidates_total{${SVC}}[1h]))` }],
      }),
      timeseries({
        title: 'Acceptance rate by item type',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: `sum by (type) (rate(medistill_judge_verdicts_total{${SVC}, outcome="accept"}[${RATE}])) / sum by (type) (rate(medistill_judge_verdicts_total{${SVC}}[${RATE}]))`,
            legend: '{{type}}',
          },
        ],
      }),
      timeseries({
        title: 'Acceptance rate by MeSH branch',
        description: 'Top-level MeSH branch of the item\'s target descriptor (A anatomy, C diseases, D chemicals and drugs, ...).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: `sum by (branch) (rate(medistill_judge_verdicts_by_branch_total{${SVC}, outcome="accept"}[${RATE}])) / sum by (branch) (rate(medistill_judge_verdicts_by_branch_total{${SVC}}[${RATE}]))`,
            legend: '{{branch}}',
          },
        ],
      }),
      timeseries({
        title: 'Accepted items per hour by MeSH branch',
        unit: 'short',
        queries: [{ expr: `sum by (branch) (increase(medistill_judge_verdicts_by_branch_total{${SVC}, outcome="accept"}[1h]))`, legend: '{{branch}}' }],
      }),
      timeseries({
        title: 'Reject reasons per second',
        unit: 'ops',
        queries: [{ expr: `sum by (reason) (rate(medistill_judge_reject_reasons_total{${SVC}}[${RATE}]))`, legend: '{{reason}}' }],
      }),

      row('Judge scores'),
      timeseries({
        title: 'Median judge score by criterion',
        unit: 'short',
        min: 0,
        max: 1,
        queries: [{ expr: `histogram_quantile(0.5, sum by (criterion, le) (rate(medistill_judge_score_bucket{${SVC}}[${RATE}])))`, legend: '{{criterion}}' }],
      }),
      timeseries({
        title: 'Candidates per second by item type',
        unit: 'ops',
        queries: [{ expr: `sum by (type) (rate(medistill_qa_candidates_total{${SVC}}[${RATE}]))`, legend: '{{type}}' }],
      }),
      ...CRITERIA.map(scoreHeatmap),

      // Pairs are made by one service (preferences, or run in process): summed over services, whichever is selected above.
      row('Preference pairs (DPO)'),
      stat({
        title: 'Preference pairs (last hour)',
        description: 'Pairs of two generators\' candidates for one target whose combined judge scores differ by at least the margin.',
        unit: 'short',
        queries: [{ expr: 'sum(increase(medistill_preference_pairs_total[1h]))' }],
      }),
      stat({
        title: 'Judged records with at least one pair (last hour)',
        unit: 'percentunit',
        decimals: 1,
        queries: [{ expr: 'sum(increase(medistill_preference_records_total{outcome="pairs"}[1h])) / sum(increase(medistill_preference_records_total[1h]))' }],
      }),
      timeseries({
        title: 'Pairs per hour by verdicts (chosen / rejected)',
        description: 'accept / reject: the judge already told the two apart; accept / accept: both usable, one better.',
        unit: 'short',
        queries: [{ expr: 'sum by (chosen, rejected) (increase(medistill_preference_pairs_total[1h]))', legend: '{{chosen}} / {{rejected}}' }],
      }),
      timeseries({
        title: 'Targets without a pair per second, by reason',
        unit: 'ops',
        queries: [{ expr: `sum by (reason) (rate(medistill_preference_unpaired_targets_total[${RATE}]))`, legend: '{{reason}}' }],
      }),
      heatmap({
        title: 'Preference margin (chosen minus rejected combined score)',
        unit: 'short',
        queries: [{ expr: `sum by (le) (increase(medistill_preference_margin_bucket[${RATE}]))`, legend: '{{le}}' }],
      }),
      timeseries({
        title: 'Median preference margin',
        unit: 'short',
        min: 0,
        max: 1,
        queries: [{ expr: `histogram_quantile(0.5, sum by (le) (rate(medistill_preference_margin_bucket[${RATE}])))`, legend: 'median' }],
      }),

      row('MeSH coverage and sources'),
      stat({
        title: 'Records with MeSH terms (last hour)',
        unit: 'percentunit',
        decimals: 1,
        queries: [{ expr: `sum(increase(medistill_annotated_records_total{${SVC}, outcome="with_mesh"}[1h])) / sum(increase(medistill_annotated_records_total{${SVC}}[1h]))` }],
      }),
      stat({
        title: 'MeSH terms per record (mean, last hour)',
        unit: 'short',
        decimals: 1,
        queries: [{ expr: `sum(increase(medistill_mesh_terms_per_record_sum{${SVC}}[1h])) / sum(increase(medistill_mesh_terms_per_record_count{${SVC}, source="nlm"}[1h]))` }],
      }),
      stat({
        title: 'Article sources (last hour)',
        unit: 'short',
        width: 12,
        queries: [{ expr: `sum by (source) (increase(medistill_ingest_records_total{${SVC}, type="article"}[1h]))`, legend: '{{source}}' }],
      }),
      timeseries({
        title: 'Source mix of MeSH terms',
        description: 'Share of attached terms by where they came from: NLM indexing, the dictionary matcher, or the LLM reranker.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          {
            expr: `sum by (source) (rate(medistill_mesh_terms_per_record_sum{${SVC}}[${RATE}])) / ignoring (source) group_left sum(rate(medistill_mesh_terms_per_record_sum{${SVC}}[${RATE}]))`,
            legend: '{{source}}',
          },
        ],
      }),
      timeseries({
        title: 'Records per second by MeSH branch',
        unit: 'ops',
        queries: [{ expr: `sum by (branch) (rate(medistill_annotated_records_by_branch_total{${SVC}}[${RATE}]))`, legend: '{{branch}}' }],
      }),
      heatmap({
        title: 'MeSH terms per record (NLM)',
        unit: 'short',
        queries: [{ expr: `sum by (le) (increase(medistill_mesh_terms_per_record_bucket{${SVC}, source="nlm"}[${RATE}]))`, legend: '{{le}}' }],
      }),
      heatmap({
        title: 'MeSH terms per record (dictionary)',
        unit: 'short',
        queries: [{ expr: `sum by (le) (increase(medistill_mesh_terms_per_record_bucket{${SVC}, source="dictionary"}[${RATE}]))`, legend: '{{le}}' }],
      }),

      row('Literature index and retrieval'),
      stat({
        title: 'Abstracts in the literature index',
        unit: 'short',
        queries: [{ expr: `max(medistill_index_documents{${SVC}})` }],
      }),
      stat({
        title: 'Questions that retrieved documents (last hour)',
        unit: 'percentunit',
        decimals: 1,
        queries: [{ expr: `sum(increase(medistill_retrieval_queries_total{${SVC}, outcome="hits"}[1h])) / sum(increase(medistill_retrieval_queries_total{${SVC}}[1h]))` }],
      }),
      timeseries({
        title: 'Retrievals per second by outcome',
        description: 'hits; no_hits; empty_index; no_query_terms (a question without content words); embeddings_failed (dense half failed, lexical ranking used).',
        unit: 'ops',
        queries: [{ expr: `sum by (outcome) (rate(medistill_retrieval_queries_total{${SVC}}[${RATE}]))`, legend: '{{outcome}}' }],
      }),
      timeseries({
        title: 'Retrieval latency (p50, p99)',
        unit: 's',
        queries: [
          { expr: `histogram_quantile(0.5, sum by (le) (rate(medistill_retrieval_query_seconds_bucket{${SVC}}[${RATE}])))`, legend: 'p50' },
          { expr: `histogram_quantile(0.99, sum by (le) (rate(medistill_retrieval_query_seconds_bucket{${SVC}}[${RATE}])))`, legend: 'p99' },
        ],
      }),
      timeseries({
        title: 'Index writes per second by outcome',
        unit: 'ops',
        queries: [{ expr: `sum by (outcome) (rate(medistill_index_writes_total{${SVC}}[${RATE}]))`, legend: '{{outcome}}' }],
      }),
      // Set by `medistill eval` (service "eval"): a prompt or model change that weakens the judge shows here.
      row('Judge and labeller evaluations (medistill eval)'),
      timeseries({
        title: 'PubMedQA accuracy and macro-F1',
        description: 'Agreement with PubMedQA expert labels of the last evaluation, by setting and backend (anchors: majority 55.2%, single human 78.0% reasoning-required).',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [
          { expr: 'max by (setting, backend) (medistill_eval_accuracy{benchmark="pubmedqa"})', legend: 'accuracy {{setting}} {{backend}}' },
          { expr: 'max by (setting, backend) (medistill_eval_macro_f1{benchmark="pubmedqa"})', legend: 'macro-F1 {{setting}} {{backend}}' },
        ],
      }),
      timeseries({
        title: 'Judge validation: share rejected by corruption kind',
        description: 'Each corruption kind should be near 100%; "clean" (clean items wrongly rejected) near 0%.',
        unit: 'percentunit',
        min: 0,
        max: 1,
        queries: [{ expr: 'max by (backend, kind) (medistill_eval_judge_rejection_rate)', legend: '{{backend}} {{kind}}' }],
      }),
    ],
  });
}
