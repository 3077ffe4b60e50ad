import { lastValueFrom } from 'rxjs';
import type { PubmedItem } from '../../model/pubmedRecord.ts';
import type { RejectReason } from '../../model/qaItem.ts';
import { createInstrumentation, type Instrumentation } from '../../instrumentation/instrumentation.ts';
import { boundedMapAsync } from '../../operators/boundedMapAsync.ts';
import type { AnyStageDefinition, StageInput } from '../../stages/stageDefinition.ts';
import { failureReason } from '../failurePolicy.ts';
import type { FailureLog } from './failureLog.ts';
import { RecordLedger, RECORD_OUTCOMES, type RecordOutcome } from './recordLedger.ts';

export interface RunPipelineOptions {
  items: AsyncIterable<PubmedItem>;
  /**
   * The stage definitions (annotate, generate, judge, export, ...), the first taking the parsed
   * entries. A stage's outputs go to every stage whose input topic is its output topic, in list
   * order, as consumer groups subscribe to a topic: judge's go to export and to preferences. The
   * first consumer is the record's main path (its outcome is the record's); the others are side
   * branches whose failures are logged and counted as problems of the record. Sinks are flushed
   * once every input is done.
   */
  stages: readonly AnyStageDefinition[];
  failures: FailureLog;
  /** Stop after this many input entries (records, deletions and unparseable parts). */
  limit?: number;
  /** Records in flight at once. */
  concurrency?: number;
  /** The bus the stages emit on (quality events) and the runtime emits hop and ingest events on. */
  instrumentation?: Instrumentation;
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
  /** Parts of records the stages could not produce, by reason (e.g. an item the generator dropped); the record itself went on. */
  generateFailures: Record<string, number>;
  candidates: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  elapsedMs: number;
}

/** How a record's run through the chain ended: an outcome, or the failure reason of the stage that threw. */
type ChainEnd = { outcome: string } | { failed: string };

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isRecordOutcome = (outcome: string): outcome is RecordOutcome => (RECORD_OUTCOMES as readonly string[]).includes(outcome);

/**
 * The in-process runtime: runs the stage definitions on a stream of parsed PubMed items in one
 * process, with at most `concurrency` records in flight, and accounts for every input entry. It
 * holds no stage rule: what happens to a record (no abstract, no candidates, a tombstone) is the
 * stages' result; the runtime passes outputs on, logs failures and counts outcomes. A record's
 * outcome is the one reported by the last stage before the sink.
 */
export async function runPipeline(options: RunPipelineOptions): Promise<RunResult> {
  const { stages, failures } = options;
  if (stages.length === 0) throw new RangeError('runPipeline needs at least one stage');
  const first = stages[0]!;
  const consumersOf = new Map<string, number[]>();
  stages.forEach((s, i) => consumersOf.set(s.input.topic, [...(consumersOf.get(s.input.topic) ?? []), i]));
  const concurrency = options.concurrency ?? 4;
  const bus = options.instrumentation ?? createInstrumentation();
  const started = Date.now();
  const ledger = new RecordLedger();
  const seen = new Set<string>();
  const abort = new AbortController();
  const tally = {
    entries: 0,
    candidates: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    generateFailures: {} as Record<string, number>,
    rejectedByReason: {} as Partial<Record<RejectReason, number>>,
  };
  let lastSource: string | null = null;

  // What was judged, whichever stage judged it: counted from the instrumentation the stages emit.
  const stopTally = bus.on('quality.judged', (e) => {
    for (const item of e.items) {
      tally.candidates++;
      if (item.verdict === 'accept') tally.accepted++;
      else {
        tally.rejected++;
        for (const r of item.rejectReasons) tally.rejectedByReason[r] = (tally.rejectedByReason[r] ?? 0) + 1;
      }
    }
  });

  const progress = (): void => options.onProgress?.({ entries: tally.entries, accepted: tally.accepted, failed: tally.failed, source: lastSource });

  /**
   * Runs one input through stage `index` and the ones after it; resolves to the record's outcome, or
   * to the failure reason of the stage that threw (logged here).
   */
  async function runFrom(index: number, input: StageInput<unknown>, context: { source: string; pmid: string }): Promise<ChainEnd> {
    const stage = stages[index]!;
    const startedAt = performance.now();
    bus.emit({ type: 'hop.consumed', stage: stage.name, topic: stage.input.topic });
    let result;
    try {
      // The record's own signal, aborted with the run's: concurrent records never share listeners.
      result = await stage.process(input, { signal: AbortSignal.any([abort.signal]), instrumentation: bus });
    } catch (err) {
      const reason = failureReason(err);
      bus.emit({ type: 'hop.dead_lettered', stage: stage.name, reason });
      await failures.add({ reason: stage.failureReason, message: errorMessage(err), source: context.source, pmid: context.pmid });
      return { failed: stage.failureReason };
    }
    bus.emit({ type: 'hop.processed', stage: stage.name, topic: stage.input.topic, seconds: (performance.now() - startedAt) / 1000 });
    for (const problem of result.problems) {
      tally.generateFailures[problem.reason] = (tally.generateFailures[problem.reason] ?? 0) + 1;
      await failures.add({ reason: problem.reason, message: problem.message, source: context.source, pmid: context.pmid });
    }
    const consumers = stage.output === null ? [] : (consumersOf.get(stage.output.topic) ?? []);
    if (stage.output === null || consumers.length === 0) return { outcome: result.outcome };
    for (const _ of result.outputs) bus.emit({ type: 'hop.produced', stage: stage.name, topic: stage.output.topic });
    let end: ChainEnd = { outcome: result.outcome };
    const producedAt = new Date();
    for (const output of result.outputs) {
      for (const [n, next] of consumers.entries()) {
        const downstream = await runFrom(next, { key: output.key, value: output.value, producedAt }, context);
        if (n > 0) {
          // A side branch (preferences beside export): logged where it failed, counted, the record goes on.
          if ('failed' in downstream) tally.generateFailures[downstream.failed] = (tally.generateFailures[downstream.failed] ?? 0) + 1;
          continue;
        }
        // The sink's outcome says what the export did, not what became of the record.
        if ('failed' in downstream) return downstream;
        if (stages[next]!.output !== null) end = downstream;
      }
    }
    return end;
  }

  // Intake runs in input order (one pull at a time), so duplicates and deletions are decided
  // deterministically before the concurrent part starts.
  async function* intake(): AsyncGenerator<{ input: StageInput<unknown>; source: string; version: number | null }> {
    for await (const item of options.items) {
      if (options.limit !== undefined && tally.entries >= options.limit) break;
      tally.entries++;
      lastSource = item.source;
      bus.emit({ type: 'ingest.entry', source: 'files', kind: item.kind === 'error' ? 'failure' : item.kind });
      if (item.kind === 'error') {
        tally.failed++;
        ledger.fail('parse_error');
        bus.emit({ type: 'hop.dead_lettered', stage: 'ingest', reason: 'invalid_input' });
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
        bus.emit({ type: 'hop.produced', stage: 'ingest', topic: first.input.topic });
        ledger.delete(item.pmid);
        progress();
        yield { input: { key: item.pmid, value: null, producedAt: new Date() }, source: item.source, version: null };
        continue;
      }
      const input: StageInput<unknown> = { key: item.pmid, value: item, producedAt: new Date() };
      const key = first.dedupKey(input);
      if (key !== null && seen.has(key)) {
        ledger.duplicate();
        progress();
        continue;
      }
      if (key !== null) seen.add(key);
      bus.emit({ type: 'hop.produced', stage: 'ingest', topic: first.input.topic });
      ledger.admit(item.pmid, item.version);
      yield { input, source: item.source, version: item.version };
    }
  }

  async function processEntry(entry: { input: StageInput<unknown>; source: string; version: number | null }): Promise<void> {
    const { input, source, version } = entry;
    const end = await runFrom(0, input, { source, pmid: input.key });
    // A tombstone is accounted for as a deletion at intake.
    if (version === null) return;
    if ('failed' in end) {
      tally.failed++;
      ledger.settle(input.key, version, 'failed', end.failed);
    } else if (isRecordOutcome(end.outcome)) {
      ledger.settle(input.key, version, end.outcome);
    } else {
      throw new RangeError(`stage outcome "${end.outcome}" of ${input.key} v${version} is not a record outcome`);
    }
    progress();
  }

  try {
    await lastValueFrom(boundedMapAsync(intake(), processEntry, concurrency), { defaultValue: undefined });
    for (const stage of stages) if (stage.flush) await stage.flush();
  } finally {
    abort.abort();
    stopTally();
    await failures.close();
  }
  const totals = ledger.totals();
  return {
    records: totals.records,
    outcomes: totals.outcomes,
    failures: totals.failures,
    generateFailures: tally.generateFailures,
    candidates: tally.candidates,
    accepted: tally.accepted,
    rejected: tally.rejected,
    rejectedByReason: tally.rejectedByReason,
    elapsedMs: Date.now() - started,
  };
}
