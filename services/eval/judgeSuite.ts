import { lastValueFrom, toArray } from 'rxjs';
import type { Judge } from '../judge/judge.ts';
import type { JudgedItem, QaCandidate } from '../model/qaItem.ts';
import { boundedMapAsync } from '../operators/boundedMapAsync.ts';
import { CORRUPTION_KINDS, type CorruptedItem, type CorruptionKind } from './corruptions.ts';

/** How the judge did on one kind of corrupted item. */
export interface KindFigures {
  kind: CorruptionKind;
  items: number;
  rejected: number;
  /** rejected / items (0 when there are none). */
  rate: number;
  /** The same by the maker of the clean item (generator name, or pubmedqa-expert). */
  bySource: Record<string, { items: number; rejected: number }>;
  /** A few corrupted items the judge accepted, to read. */
  missed: Array<{ id: string; change: string }>;
}

/** The JSON report of `medistill eval judge`. */
export interface JudgeSuiteReport {
  kind: 'judge-validation';
  source: string[];
  backend: { kind: 'rule-based' | 'llm'; name: string; version: string; promptVersion: string };
  papers: number;
  /** Clean items and the share accepted: the judge must say yes to sound items too. */
  clean: { items: number; accepted: number; rate: number; byType: Record<string, { items: number; accepted: number }>; bySource: Record<string, { items: number; accepted: number }>; rejectedFor: Record<string, number>; wronglyRejected: Array<{ id: string; reasons: string[] }> };
  kinds: KindFigures[];
  /** All corrupted items together. */
  corrupted: { items: number; rejected: number; rate: number };
  /** Items whose judging failed (judge_error): counted as rejections, and named here. */
  judgeErrors: number;
  /** PubMedQA's expert-labelled items among the clean ones (null when none were given). */
  pubmedqa: { file: string; items: number; skipped: number; labeller: string } | null;
  startedAt: string;
  finishedAt: string;
}

const MISSED_SHOWN = 5;

/**
 * Judges clean items and their corrupted copies and reports, per corruption kind, the share rejected,
 * and the share of clean items accepted.
 */
export async function runJudgeSuite(
  judge: Judge,
  clean: readonly QaCandidate[],
  corrupted: readonly CorruptedItem[],
  options: {
    source: string[];
    papers: number;
    backendKind: 'rule-based' | 'llm';
    concurrency?: number;
    now?: () => Date;
    signal?: AbortSignal;
    /** The judge of a given item, when not `judge` (e.g. one whose labeller never saw it). */
    judgeFor?: (candidate: QaCandidate) => Judge | undefined;
    /** Expert-labelled PubMedQA items among the clean ones, and how they were judged. */
    pubmedqa?: JudgeSuiteReport['pubmedqa'];
  },
): Promise<JudgeSuiteReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const all: Array<{ candidate: QaCandidate; corrupted: CorruptedItem | null }> = [...clean.map((c) => ({ candidate: c, corrupted: null })), ...corrupted.map((c) => ({ candidate: c.candidate, corrupted: c }))];
  const judged = await lastValueFrom(
    boundedMapAsync(all, async (x): Promise<JudgedItem> => (options.judgeFor?.(x.candidate) ?? judge).judge(x.candidate, options.signal), options.concurrency ?? 4, { ordered: true }).pipe(toArray()),
  );
  const cleanJudged = judged.slice(0, clean.length);
  const byType: Record<string, { items: number; accepted: number }> = {};
  const bySource: Record<string, { items: number; accepted: number }> = {};
  const rejectedFor: Record<string, number> = {};
  for (const j of cleanJudged) {
    const t = (byType[j.candidate.type] ??= { items: 0, accepted: 0 });
    const s = (bySource[j.candidate.generator.name] ??= { items: 0, accepted: 0 });
    t.items++;
    s.items++;
    if (j.verdict === 'accept') {
      t.accepted++;
      s.accepted++;
    }
    else for (const r of j.rejectReasons) rejectedFor[r] = (rejectedFor[r] ?? 0) + 1;
  }
  const accepted = cleanJudged.filter((j) => j.verdict === 'accept').length;
  const kinds: KindFigures[] = CORRUPTION_KINDS.map((kind) => {
    const mine = judged.flatMap((j, i) => (all[i]!.corrupted?.kind === kind ? [{ j, c: all[i]!.corrupted! }] : []));
    const rejected = mine.filter((m) => m.j.verdict === 'reject').length;
    const bySource: Record<string, { items: number; rejected: number }> = {};
    for (const m of mine) {
      const s = (bySource[m.c.candidate.generator.name] ??= { items: 0, rejected: 0 });
      s.items++;
      if (m.j.verdict === 'reject') s.rejected++;
    }
    return {
      kind,
      items: mine.length,
      rejected,
      rate: mine.length === 0 ? 0 : rejected / mine.length,
      bySource,
      missed: mine.filter((m) => m.j.verdict === 'accept').slice(0, MISSED_SHOWN).map((m) => ({ id: m.c.candidate.id, change: m.c.change })),
    };
  });
  const corruptedRejected = kinds.reduce((s, k) => s + k.rejected, 0);
  return {
    kind: 'judge-validation',
    source: options.source,
    backend: { kind: options.backendKind, name: judge.name, version: judge.version, promptVersion: judge.promptVersion },
    papers: options.papers,
    clean: {
      items: clean.length,
      accepted,
      rate: clean.length === 0 ? 0 : accepted / clean.length,
      byType,
      bySource,
      rejectedFor,
      wronglyRejected: cleanJudged.filter((j) => j.verdict === 'reject').slice(0, MISSED_SHOWN).map((j) => ({ id: j.candidate.id, reasons: j.rejectReasons })),
    },
    kinds,
    corrupted: { items: corrupted.length, rejected: corruptedRejected, rate: corrupted.length === 0 ? 0 : corruptedRejected / corrupted.length },
    judgeErrors: judged.filter((j) => j.rejectReasons.includes('judge_error')).length,
    pubmedqa: options.pubmedqa ?? null,
    startedAt,
    finishedAt: now().toISOString(),
  };
}
