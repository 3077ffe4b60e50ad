import { lastValueFrom, toArray, defaultIfEmpty } from 'rxjs';
import type { AnnotatedRecord } from '../../model/annotatedRecord.ts';
import type { PubmedArticle, PubmedItem } from '../../model/pubmedRecord.ts';
import type { JudgedItem, RejectReason } from '../../model/qaItem.ts';
import type { Generator } from '../../generate/generator.ts';
import type { Judge } from '../../judge/judge.ts';
import { boundedMapAsync } from '../../operators/boundedMapAsync.ts';
import type { FailureLog } from './failureLog.ts';
import { RecordLedger, type RecordOutcome } from './recordLedger.ts';

/** Where judged items go; `close` receives the rule that decides which record versions survive. */
export interface DatasetSink {
  write(item: JudgedItem): Promise<void> | void;
  close(keep: (pmid: string, version: number) => boolean): Promise<{ accepted: number; duplicatesDropped: number }>;
}

export interface PipelineStages {
  annotate: (record: PubmedArticle) => AnnotatedRecord;
  generator: Generator;
  judge: Judge;
}

export interface RunPipelineOptions {
  items: AsyncIterable<PubmedItem>;
  stages: PipelineStages;
  sink: DatasetSink;
  failures: FailureLog;
  /** Stop after this many input entries (records, deletions and unparseable parts). */
  limit?: number;
  /** Records in flight at once. */
  concurrency?: number;
  /** Candidates of one record judged at once. */
  judgeConcurrency?: number;
  onProgress?: (progress: PipelineProgress) => void;
}

export interface PipelineProgress {
  entries: number;
  accepted: number;
  failed: number;
  /** The source the newest entry came from (file path). */
  source: string | null;
}

export interface RunResult {
  records: number;
  outcomes: Record<RecordOutcome, number>;
  failures: Record<string, number>;
  /** Items the generator could not produce, by reason; the record itself went on. */
  generateFailures: Record<string, number>;
  candidates: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  duplicatesDropped: number;
  /** Accepted items in the final dataset (after duplicates, revisions and deletions). */
  exported: number;
  elapsedMs: number;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs ingest → annotate → generate → judge → export in one process on a stream of parsed PubMed
 * items, with at most `concurrency` records in flight, and accounts for every input entry.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunResult> {
  const { stages, sink, failures } = options;
  const concurrency = options.concurrency ?? 4;
  const judgeConcurrency = options.judgeConcurrency ?? 4;
  const started = Date.now();
  const ledger = new RecordLedger();
  const generateFailures: Record<string, number> = {};
  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  let entries = 0;
  let candidates = 0;
  let accepted = 0;
  let rejected = 0;
  let failedCount = 0;
  let lastSource: string | null = null;

  const progress = (): void =>
    options.onProgress?.({ entries, accepted, failed: failedCount, source: lastSource });

  // Intake runs in input order (one pull at a time), so duplicates and deletions are decided
  // deterministically before the concurrent part starts.
  async function* intake(): AsyncGenerator<PubmedArticle> {
    for await (const item of options.items) {
      if (options.limit !== undefined && entries >= options.limit) break;
      entries++;
      lastSource = item.source;
      if (item.kind === 'error') {
        failedCount++;
        ledger.fail('parse_error');
        await failures.add({
          reason: 'parse_error',
          message: item.message,
          source: item.source,
          pmid: item.pmid,
          position: item.position,
          raw: item.raw,
          truncated: item.truncated,
        });
        progress();
        continue;
      }
      if (item.kind === 'deletion') {
        ledger.delete(item.pmid);
        progress();
        continue;
      }
      if (!ledger.admit(item.pmid, item.version)) {
        progress();
        continue;
      }
      yield item;
    }
  }

  async function processArticle(article: PubmedArticle): Promise<void> {
    const settle = (outcome: RecordOutcome, reason?: string): void => {
      ledger.settle(article.pmid, article.version, outcome, reason);
      if (outcome === 'failed') failedCount++;
      progress();
    };
    const fail = async (reason: string, err: unknown): Promise<void> => {
      await failures.add({ reason, message: errorMessage(err), source: article.source, pmid: article.pmid });
      settle('failed', reason);
    };

    if (article.abstract.length === 0) return settle('no_abstract');

    let annotated: AnnotatedRecord;
    try {
      annotated = stages.annotate(article);
    } catch (err) {
      return fail('annotate_error', err);
    }

    let generated;
    try {
      generated = await stages.generator.generate(annotated);
    } catch (err) {
      return fail('generate_error', err);
    }
    for (const f of generated.failures) {
      generateFailures[f.reason] = (generateFailures[f.reason] ?? 0) + 1;
      await failures.add({ reason: f.reason, message: f.message, source: article.source, pmid: article.pmid });
    }
    if (generated.items.length === 0) return settle('no_candidates');

    let judged: JudgedItem[];
    try {
      judged = await lastValueFrom(
        boundedMapAsync(generated.items, (c) => stages.judge.judge(c), judgeConcurrency).pipe(
          toArray(),
          defaultIfEmpty([] as JudgedItem[]),
        ),
      );
    } catch (err) {
      return fail('judge_error', err);
    }
    let acceptedHere = 0;
    for (const item of judged) {
      candidates++;
      if (item.verdict === 'accept') {
        accepted++;
        acceptedHere++;
      } else {
        rejected++;
        for (const r of item.rejectReasons) rejectedByReason[r] = (rejectedByReason[r] ?? 0) + 1;
      }
      await sink.write(item);
    }
    settle(acceptedHere > 0 ? 'with_items' : 'no_accepted_items');
  }

  await lastValueFrom(
    boundedMapAsync(intake(), processArticle, concurrency),
    { defaultValue: undefined },
  );

  const exported = await sink.close((pmid, version) => ledger.keeps(pmid, version));
  await failures.close();
  const totals = ledger.totals();
  return {
    records: totals.records,
    outcomes: totals.outcomes,
    failures: totals.failures,
    generateFailures,
    candidates,
    accepted,
    rejected,
    rejectedByReason,
    duplicatesDropped: exported.duplicatesDropped,
    exported: exported.accepted,
    elapsedMs: Date.now() - started,
  };
}
