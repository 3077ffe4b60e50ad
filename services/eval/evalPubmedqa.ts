import { lastValueFrom, toArray } from 'rxjs';
import { LlmAbortedError, LlmError } from '../errors/medistillErrors.ts';
import type { LlmClient } from '../llm/llmClient.ts';
import { boundedMapAsync } from '../operators/boundedMapAsync.ts';
import { classificationReport, type ClassificationReport } from './classificationReport.ts';
import type { LabelSetting } from './labellerFeatures.ts';
import { labelWithLlm, PUBMEDQA_PROMPT_VERSION } from './llmYesNoLabeller.ts';
import { PUBMEDQA_LABELS, type PubmedqaFile, type PubmedqaLabel } from './pubmedqaFile.ts';
import type { YesNoLabeller } from './yesNoLabeller.ts';

/** Who labels: the offline labeller, or a model behind an OpenAI-compatible endpoint. */
export type PubmedqaBackend = { kind: 'offline'; labeller: YesNoLabeller } | { kind: 'llm'; client: LlmClient; model: string };

/** One item's outcome, kept in the JSON report. */
export interface PubmedqaPrediction {
  id: string;
  gold: PubmedqaLabel | null;
  predicted: PubmedqaLabel | null;
  /** Why no prediction: the error class and message. */
  error?: string;
  vocDecidedBy?: 'voc' | 'direct';
}

/** The JSON report of `medistill eval pubmedqa`. */
export interface PubmedqaReport {
  kind: 'pubmedqa';
  source: string;
  setting: LabelSetting;
  backend: { kind: 'offline' | 'llm'; name: string; version: string };
  voc: boolean;
  /** Items in the file, items with a usable layout, items with a gold label and a prediction. */
  counts: { inFile: number; usable: number; invalid: number; failed: number; unlabelled: number; scored: number };
  /** Items the offline labeller was fitted on: their figures are training figures, not an estimate. */
  seenInFitting: number;
  metrics: ClassificationReport<PubmedqaLabel>;
  /** Anchors to read the figures against. */
  majorityBaseline: { label: PubmedqaLabel; accuracy: number } | null;
  invalidItems: string[];
  vocDecidedBy?: { voc: number; direct: number };
  predictions: PubmedqaPrediction[];
  startedAt: string;
  finishedAt: string;
}

/** Settings of evalPubmedqa. */
export interface EvalPubmedqaOptions {
  setting: LabelSetting;
  backend: PubmedqaBackend;
  voc?: boolean;
  /** LLM requests in flight (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  now?: () => Date;
  /** Called after each item, for progress. */
  onItem?: (done: number, total: number) => void;
}

/**
 * Labels every usable item of a PQA-L file in one setting and compares with the expert labels. An item
 * the backend fails on (an endpoint that answers garbage, an unreachable server) is counted, not
 * fatal: the report says how many items were scored.
 */
export async function evalPubmedqa(file: PubmedqaFile, source: string, options: EvalPubmedqaOptions): Promise<PubmedqaReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const { backend, setting } = options;
  const voc = options.voc ?? false;
  let done = 0;
  const predictions = await lastValueFrom(
    boundedMapAsync(
      file.items,
      async (item): Promise<PubmedqaPrediction> => {
        const base = { id: item.id, gold: item.gold };
        try {
          if (backend.kind === 'offline') return { ...base, predicted: backend.labeller.label(item, setting).label };
          const r = await labelWithLlm(backend.client, item, setting, { voc, ...(options.signal ? { signal: options.signal } : {}) });
          return { ...base, predicted: r.label, ...(r.voc ? { vocDecidedBy: r.voc.decidedBy } : {}) };
        } catch (error) {
          if (options.signal?.aborted || error instanceof LlmAbortedError || !(error instanceof LlmError)) throw error;
          return { ...base, predicted: null, error: `${error.name}: ${error.message}` };
        } finally {
          options.onItem?.(++done, file.items.length);
        }
      },
      backend.kind === 'offline' ? 1 : (options.concurrency ?? 4),
      { ordered: true },
    ).pipe(toArray()),
  );
  const pairs = predictions.flatMap((p) => (p.gold && p.predicted ? [[p.gold, p.predicted] as const] : []));
  const golds = predictions.flatMap((p) => (p.gold ? [p.gold] : []));
  const majority = PUBMEDQA_LABELS.map((l) => [l, golds.filter((g) => g === l).length] as const).sort((a, b) => b[1] - a[1])[0]!;
  const fitted = backend.kind === 'offline' ? backend.labeller.fittedIds : new Set<string>();
  const report: PubmedqaReport = {
    kind: 'pubmedqa',
    source,
    setting,
    backend:
      backend.kind === 'offline'
        ? { kind: 'offline', name: 'offline-labeller', version: backend.labeller.version }
        : { kind: 'llm', name: `llm:${backend.model}`, version: PUBMEDQA_PROMPT_VERSION },
    voc: backend.kind === 'llm' && voc,
    counts: {
      inFile: file.items.length + file.failures.length,
      usable: file.items.length,
      invalid: file.failures.length,
      failed: predictions.filter((p) => p.predicted === null).length,
      unlabelled: predictions.filter((p) => p.gold === null).length,
      scored: pairs.length,
    },
    seenInFitting: file.items.filter((i) => fitted.has(i.id)).length,
    metrics: classificationReport(PUBMEDQA_LABELS, pairs),
    majorityBaseline: golds.length === 0 ? null : { label: majority[0], accuracy: majority[1] / golds.length },
    invalidItems: file.failures.map((f) => f.message),
    predictions,
    startedAt,
    finishedAt: now().toISOString(),
  };
  if (report.voc) {
    report.vocDecidedBy = {
      voc: predictions.filter((p) => p.vocDecidedBy === 'voc').length,
      direct: predictions.filter((p) => p.vocDecidedBy === 'direct').length,
    };
  }
  return report;
}
