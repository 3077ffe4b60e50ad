import { buildDashboard } from './dashboardBuilder.ts';
import type { Dashboard } from './dashboardModel.ts';
import { heatmap, row, stat, timeseries } from './panels.ts';

const SVC = 'service=~"$service"';
const HOP = `service=~"$service", topic=~"$topic"`;
const RATE = '$__rate_interval';

/** p50/p95/p99 queries of a histogram, grouped by `by` (plus le). */
function percentiles(histogram: string, selector: string, by: string, legend: string): { expr: string; legend: string }[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket{${selector}}[${RATE}])))`,
    legend: `p${Math.round(q * 100)} ${legend}`,
  }));
}

/** "Pipeline health": throughput per hop, backlog, latency, dead letters, LLM traffic and limits, ingest. */
export function pipelineHealthDashboard(): Dashboard {
  return buildDashboard({
    uid: 'medistill-pipeline-health',
    title: 'medistill / Pipeline health',
    description: 'Throughput, backlog, latency and failures of every hop, LLM traffic and limits, and ingestion.',
    tags: ['medistill', 'kafka', 'llm'],
    variables: [
      { name: 'service', label: 'Service', description: 'medistill services (run is the in-process pipeline)', labelValues: 'label_values(medistill_records_consumed_total, service)' },
      { name: 'topic', label: 'Topic', description: 'Topics the selected services read or write', labelValues: 'label_values(medistill_records_consumed_total{service=~"$service"}, topic)' },
    ],
    panels: [
      row('Throughput'),
      timeseries({
        title: 'Records consumed per second',
        description: 'Records taken in from each topic, by service.',
        unit: 'ops',
        queries: [{ expr: `sum by (service, topic) (rate(medistill_records_consumed_total{${HOP}}[${RATE}]))`, legend: '{{service}} ← {{topic}}' }],
      }),
      timeseries({
        title: 'Records produced per second',
        description: 'Records written to each topic and acknowledged by the broker.',
        unit: 'ops',
        queries: [{ expr: `sum by (service, topic) (rate(medistill_records_produced_total{${HOP}}[${RATE}]))`, legend: '{{service}} → {{topic}}' }],
      }),
      stat({ title: 'Records in flight', unit: 'short', queries: [{ expr: `sum(medistill_records_in_flight{${SVC}})` }] }),
      stat({ title: 'Paused consumers', description: 'Services whose consumer is paused by backpressure.', unit: 'short', queries: [{ expr: `sum(medistill_consumer_paused{${SVC}})` }] }),
      stat({ title: 'Articles ingested (last hour)', unit: 'short', queries: [{ expr: `sum(increase(medistill_ingest_records_total{${SVC}, type="article"}[1h]))` }] }),
      stat({ title: 'Offset commits per second', unit: 'ops', queries: [{ expr: `sum(rate(medistill_commits_total{${SVC}}[${RATE}]))` }] }),

      row('Backlog'),
      timeseries({
        title: 'Consumer lag',
        description: 'Records between each group\'s committed offset and the end of the partition, summed over partitions.',
        unit: 'short',
        queries: [{ expr: `sum by (service, topic) (medistill_consumer_lag{${HOP}})`, legend: '{{service}} ← {{topic}}' }],
      }),
      timeseries({
        title: 'Fetched batch size',
        unit: 'short',
        queries: [{ expr: `histogram_quantile(0.5, sum by (service, le) (rate(medistill_batch_size_bucket{${SVC}}[${RATE}])))`, legend: 'p50 {{service}}' }],
      }),

      row('Latency'),
      timeseries({
        title: 'Processing time per record',
        description: 'From taking a record in to its outputs being acknowledged (or dead-lettered).',
        unit: 's',
        queries: percentiles('medistill_processing_duration_seconds', HOP, 'service, topic', '{{service}} ← {{topic}}'),
      }),
      heatmap({
        title: 'Processing time distribution',
        unit: 's',
        queries: [{ expr: `sum by (le) (increase(medistill_processing_duration_seconds_bucket{${HOP}}[${RATE}]))`, legend: '{{le}}' }],
      }),

      row('Failures'),
      timeseries({
        title: 'Dead letters per second by reason',
        unit: 'ops',
        queries: [{ expr: `sum by (service, reason) (rate(medistill_dead_letters_total{${SVC}}[${RATE}]))`, legend: '{{service}} {{reason}}' }],
      }),
      timeseries({
        title: 'Retries and dropped duplicates per second',
        unit: 'ops',
        queries: [
          { expr: `sum by (service, reason) (rate(medistill_retries_total{${SVC}}[${RATE}]))`, legend: 'retry {{service}} {{reason}}' },
          { expr: `sum by (service) (rate(medistill_duplicates_dropped_total{${SVC}}[${RATE}]))`, legend: 'duplicate {{service}}' },
        ],
      }),

      row('LLM'),
      timeseries({
        title: 'LLM requests per second by status',
        unit: 'reqps',
        queries: [{ expr: `sum by (service, status, outcome) (rate(medistill_llm_requests_total{${SVC}}[${RATE}]))`, legend: '{{service}} {{status}} {{outcome}}' }],
      }),
      timeseries({
        title: 'LLM 429 responses per second',
        description: 'Requests the provider refused for its rate limit; retried after Retry-After.',
        unit: 'reqps',
        queries: [{ expr: `sum by (service) (rate(medistill_llm_requests_total{${SVC}, status="429"}[${RATE}]))`, legend: '{{service}}' }],
      }),
      timeseries({
        title: 'LLM tokens per second',
        unit: 'short',
        queries: [{ expr: `sum by (service, type) (rate(medistill_llm_tokens_total{${SVC}}[${RATE}]))`, legend: '{{service}} {{type}}' }],
      }),
      timeseries({
        title: 'LLM request latency',
        unit: 's',
        queries: percentiles('medistill_llm_request_duration_seconds', SVC, 'service', '{{service}}'),
      }),
      timeseries({
        title: 'LLM concurrency limit',
        description: 'The adaptive (AIMD) limit of concurrent requests: halves on 429/503, grows back on success.',
        unit: 'short',
        queries: [{ expr: `max by (service) (medistill_llm_concurrency_limit{${SVC}})`, legend: '{{service}}' }],
      }),
      timeseries({
        title: 'Time waiting on the rate limit',
        description: 'Seconds spent waiting for rate-limit tokens per second of wall time (1 = one call always waiting).',
        unit: 'short',
        queries: [
          { expr: `sum by (service) (rate(medistill_llm_rate_limit_wait_seconds_sum{${SVC}}[${RATE}]))`, legend: 'rate limit {{service}}' },
          { expr: `sum by (service) (rate(medistill_llm_concurrency_wait_seconds_sum{${SVC}}[${RATE}]))`, legend: 'concurrency slot {{service}}' },
        ],
      }),
      timeseries({
        title: 'LLM retries and bad answers per second',
        unit: 'ops',
        queries: [
          { expr: `sum by (service, reason) (rate(medistill_llm_retries_total{${SVC}}[${RATE}]))`, legend: 'retry {{service}} {{reason}}' },
          { expr: `sum by (service, outcome) (rate(medistill_llm_output_problems_total{${SVC}}[${RATE}]))`, legend: 'answer {{service}} {{outcome}}' },
        ],
      }),
      stat({
        title: 'Estimated LLM cost (last 24 hours)',
        description: 'Tokens times MEDISTILL_LLM_PRICE_PER_1K_INPUT / _OUTPUT; 0 when no price is set.',
        unit: 'currencyUSD',
        decimals: 2,
        width: 12,
        queries: [{ expr: `sum(increase(medistill_llm_estimated_cost_total{${SVC}}[24h]))` }],
      }),
      stat({
        title: 'Saved by the LLM response cache (last 24 hours)',
        description: 'Cache hits times what the original calls cost, at MEDISTILL_LLM_PRICE_PER_1K_INPUT / _OUTPUT; 0 when no price is set.',
        unit: 'currencyUSD',
        decimals: 2,
        width: 12,
        queries: [{ expr: `sum(increase(medistill_llm_cache_saved_cost_total{${SVC}}[24h]))` }],
      }),
      timeseries({
        title: 'LLM response cache lookups per second',
        description: 'Hits answer without a request; corrupt entries and store errors fall back to the model.',
        unit: 'ops',
        queries: [{ expr: `sum by (service, purpose, outcome) (rate(medistill_llm_cache_lookups_total{${SVC}}[${RATE}]))`, legend: '{{service}} {{purpose}} {{outcome}}' }],
      }),
      timeseries({
        title: 'LLM response cache hit ratio',
        unit: 'percentunit',
        queries: [
          {
            expr: `sum by (service) (rate(medistill_llm_cache_lookups_total{${SVC}, outcome="hit"}[${RATE}])) / sum by (service) (rate(medistill_llm_cache_lookups_total{${SVC}}[${RATE}]))`,
            legend: '{{service}}',
          },
        ],
      }),
      timeseries({
        title: 'Tokens saved and cache bytes per second',
        description: 'Tokens not spent thanks to hits (input and output), and bytes read from and written to the cache.',
        unit: 'short',
        queries: [
          { expr: `sum by (service, type) (rate(medistill_llm_cache_saved_tokens_total{${SVC}}[${RATE}]))`, legend: 'saved {{service}} {{type}} tokens' },
          { expr: `sum by (service, direction) (rate(medistill_llm_cache_bytes_total{${SVC}}[${RATE}]))`, legend: 'bytes {{service}} {{direction}}' },
        ],
      }),

      row('LLM endpoints and batches'),
      timeseries({
        title: 'LLM requests per second by endpoint',
        description: 'Requests to each endpoint of MEDISTILL_LLM_ENDPOINTS, by mode (online, batch) and outcome.',
        unit: 'reqps',
        queries: [{ expr: `sum by (endpoint, mode, outcome) (rate(medistill_llm_endpoint_requests_total{${SVC}}[${RATE}]))`, legend: '{{endpoint}} {{mode}} {{outcome}}' }],
      }),
      timeseries({
        title: 'Endpoint up and failovers',
        description: 'Whether each endpoint takes calls (0 while its circuit breaker keeps it out), and calls moved away from it per second, by reason.',
        unit: 'short',
        queries: [
          { expr: `min by (endpoint) (medistill_llm_endpoint_up{${SVC}})`, legend: 'up {{endpoint}}' },
          { expr: `sum by (endpoint, reason) (rate(medistill_llm_failovers_total{${SVC}}[${RATE}]))`, legend: 'failover {{endpoint}} {{reason}}' },
        ],
      }),
      timeseries({
        title: 'Estimated LLM cost per hour by endpoint and mode',
        description: 'At each endpoint\'s prices: the Batch API price where the price table gives one.',
        unit: 'currencyUSD',
        queries: [{ expr: `sum by (endpoint, mode) (increase(medistill_llm_endpoint_cost_total{${SVC}}[1h]))`, legend: '{{endpoint}} {{mode}}' }],
      }),
      timeseries({
        title: 'Batches and batch lines',
        description: 'Batch API batches by status (submitted, completed, failed, expired, cancelled) and result lines by outcome (ok, error, unmatched, undecodable, missing, resubmitted), per hour.',
        unit: 'short',
        queries: [
          { expr: `sum by (status) (increase(medistill_llm_batches_total{${SVC}}[1h]))`, legend: 'batches {{status}}' },
          { expr: `sum by (outcome) (increase(medistill_llm_batch_lines_total{${SVC}}[1h]))`, legend: 'lines {{outcome}}' },
        ],
      }),

      row('Ingest'),
      timeseries({
        title: 'Entries ingested per second',
        unit: 'ops',
        queries: [{ expr: `sum by (service, source, type) (rate(medistill_ingest_records_total{${SVC}}[${RATE}]))`, legend: '{{service}} {{source}} {{type}}' }],
      }),
      timeseries({
        title: 'E-utilities requests and errors per second',
        unit: 'reqps',
        queries: [
          { expr: `sum by (type, status) (rate(medistill_eutils_requests_total{${SVC}}[${RATE}]))`, legend: '{{type}} {{status}}' },
          { expr: `sum by (type, reason) (rate(medistill_eutils_errors_total{${SVC}}[${RATE}]))`, legend: 'error {{type}} {{reason}}' },
        ],
      }),
      stat({
        title: 'Newest entry date ingested',
        description: 'PubMed entry date of the newest window taken in from E-utilities.',
        unit: 'dateTimeFromNow',
        queries: [{ expr: `max(medistill_ingest_newest_entry_date_seconds{${SVC}} > 0) * 1000` }],
      }),
    ],
  });
}
