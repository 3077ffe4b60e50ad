import { CRITERIA, ITEM_TYPES, type Criterion, type ItemType } from '../model/qaItem.ts';
import type { DatasetRow, ProvenanceRow, RejectedRow } from './datasetRow.ts';
import type { PreferenceRow } from './preferenceRow.ts';
import { createScoreAccumulator, type ScoreAccumulator, type ScoreBins, type ScoreDistribution } from './scoreDistribution.ts';

/** Distinct generator or judge versions tracked; more would mean a bug upstream, so they are folded into one row. */
const MAX_PROVENANCES = 200;

/** A generator or judge that produced items, with how many of them were accepted. */
export interface ProvenanceUsage extends Omit<ProvenanceRow, 'cached'> {
  accepted: number;
  total: number;
}

/** Items whose generation or judgement came from the LLM response cache: accepted ones, and all items. */
export interface CacheUsage {
  generated: { accepted: number; total: number };
  judged: { accepted: number; total: number };
}

/** Everything the dataset card reports. */
export interface DatasetStats {
  accepted: number;
  /** Items the judge rejected (duplicates and removed items not included). */
  rejected: number;
  duplicates: number;
  /** Items dropped because their paper was deleted from PubMed or superseded by a newer version. */
  removed: number;
  byType: Record<ItemType, number>;
  /** Accepted items per top-level branch letter; an item whose target sits in two branches counts in both. */
  byBranch: Record<string, number>;
  /** Judge rejections and duplicates by reason; an item with two reasons counts under each. */
  rejectionsByReason: Record<string, number>;
  /** Scores of accepted items. */
  scores: Record<Criterion, ScoreDistribution>;
  generators: ProvenanceUsage[];
  judges: ProvenanceUsage[];
  /** Items that came from the LLM response cache. */
  cache: CacheUsage;
  meshVersion: string | null;
  preferences: PreferenceStats;
}

/** The preference pairs (DPO rows) of the dataset. */
export interface PreferenceStats {
  pairs: number;
  /** Pairs by the verdicts of chosen and rejected, e.g. "accept/reject". */
  byVerdicts: Record<string, number>;
  /** Pairs won by each generator (name/version/prompt version of the chosen side). */
  wins: Record<string, number>;
  margins: ScoreDistribution;
}

/** Saved form of PreferenceStats. */
export interface PreferenceParts {
  pairs: number;
  byVerdicts: Record<string, number>;
  wins: Record<string, number>;
  margins: ScoreBins;
}

/** Distinct generator identities counted in `wins`; more fold into "other". */
const MAX_WINNERS = 50;

/** The statistics of a part of the dataset, in a form that can be saved and merged exactly. */
export interface StatsParts {
  accepted: number;
  rejected: number;
  duplicates: number;
  removed: number;
  byType: Record<ItemType, number>;
  byBranch: Record<string, number>;
  rejectionsByReason: Record<string, number>;
  scores: Record<Criterion, ScoreBins>;
  generators: ProvenanceUsage[];
  judges: ProvenanceUsage[];
  /** Absent in statistics saved before the response cache existed. */
  cache?: CacheUsage;
  /** Absent in statistics saved before pairs existed. */
  preferences?: PreferenceParts;
}

/** Collects dataset statistics row by row, in bounded memory. */
export interface StatsAccumulator {
  addAccepted(row: DatasetRow): void;
  addRejected(row: RejectedRow): void;
  addRemoved(n: number): void;
  addPreference(row: PreferenceRow): void;
  snapshot(): DatasetStats;
  /** The counts so far, for saving beside the part of the dataset they describe. */
  toParts(): StatsParts;
  /** Adds counts saved by `toParts`: merging the parts of every shard gives the whole dataset's statistics. */
  addParts(parts: StatsParts): void;
}

/** A new, empty accumulator. */
export function createStatsAccumulator(meshVersion: string | null): StatsAccumulator {
  let accepted = 0;
  let rejected = 0;
  let duplicates = 0;
  let removed = 0;
  const byType = Object.fromEntries(ITEM_TYPES.map((t) => [t, 0])) as Record<ItemType, number>;
  const byBranch = new Map<string, number>();
  const reasons = new Map<string, number>();
  const scores = Object.fromEntries(CRITERIA.map((c) => [c, createScoreAccumulator()])) as Record<Criterion, ScoreAccumulator>;
  const generators = new Map<string, ProvenanceUsage>();
  const judges = new Map<string, ProvenanceUsage>();
  const cache: CacheUsage = { generated: { accepted: 0, total: 0 }, judged: { accepted: 0, total: 0 } };
  const countCached = (row: DatasetRow, isAccepted: boolean) => {
    for (const [p, c] of [[row.generator, cache.generated], [row.judge, cache.judged]] as const) {
      if (!p.cached) continue;
      c.total++;
      if (isAccepted) c.accepted++;
    }
  };
  const copyCache = (): CacheUsage => ({ generated: { ...cache.generated }, judged: { ...cache.judged } });
  let pairs = 0;
  const byVerdicts = new Map<string, number>();
  const wins = new Map<string, number>();
  const margins = createScoreAccumulator();

  const use = (map: Map<string, ProvenanceUsage>, p: Omit<ProvenanceRow, 'cached'>, isAccepted: boolean, n = { accepted: isAccepted ? 1 : 0, total: 1 }) => {
    let key = JSON.stringify([p.backend, p.name, p.version, p.prompt_version, p.model]);
    let entry = map.get(key);
    if (!entry && map.size >= MAX_PROVENANCES) {
      key = 'other';
      entry = map.get(key);
      p = { backend: p.backend, name: 'other', version: '*', prompt_version: '*', model: null };
    }
    if (!entry) {
      entry = { backend: p.backend, name: p.name, version: p.version, prompt_version: p.prompt_version, model: p.model, accepted: 0, total: 0 };
      map.set(key, entry);
    }
    entry.total += n.total;
    entry.accepted += n.accepted;
  };
  const addCounts = (map: Map<string, number>, counts: Record<string, number>) => {
    for (const [k, n] of Object.entries(counts)) map.set(k, (map.get(k) ?? 0) + n);
  };
  const usageRows = (m: Map<string, ProvenanceUsage>) => [...m.values()].map((u) => ({ ...u }));

  return {
    addAccepted(row) {
      accepted++;
      byType[row.type]++;
      const branches = new Set(row.mesh_targets.flatMap((t) => t.branches));
      for (const b of branches) byBranch.set(b, (byBranch.get(b) ?? 0) + 1);
      for (const c of CRITERIA) scores[c].add(row.scores[c]);
      use(generators, row.generator, true);
      use(judges, row.judge, true);
      countCached(row, true);
    },
    addRejected(row) {
      if (row.reject_reasons.includes('duplicate')) duplicates++;
      else rejected++;
      for (const r of row.reject_reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      use(generators, row.generator, false);
      use(judges, row.judge, false);
      countCached(row, false);
    },
    addRemoved(n) {
      removed += n;
    },
    addPreference(row) {
      pairs++;
      const v = `${row.metadata.chosen.verdict}/${row.metadata.rejected.verdict}`;
      byVerdicts.set(v, (byVerdicts.get(v) ?? 0) + 1);
      const g = row.metadata.chosen.generator;
      let winner = `${g.name}/${g.version}/${g.prompt_version}`;
      if (!wins.has(winner) && wins.size >= MAX_WINNERS) winner = 'other';
      wins.set(winner, (wins.get(winner) ?? 0) + 1);
      margins.add(row.metadata.margin);
    },
    toParts() {
      return {
        accepted,
        rejected,
        duplicates,
        removed,
        byType: { ...byType },
        byBranch: Object.fromEntries(byBranch),
        rejectionsByReason: Object.fromEntries(reasons),
        scores: Object.fromEntries(CRITERIA.map((c) => [c, scores[c].toBins()])) as Record<Criterion, ScoreBins>,
        generators: usageRows(generators),
        judges: usageRows(judges),
        cache: copyCache(),
        preferences: { pairs, byVerdicts: Object.fromEntries(byVerdicts), wins: Object.fromEntries(wins), margins: margins.toBins() },
      };
    },
    addParts(parts) {
      accepted += parts.accepted;
      rejected += parts.rejected;
      duplicates += parts.duplicates;
      removed += parts.removed;
      for (const t of ITEM_TYPES) byType[t] += parts.byType[t] ?? 0;
      addCounts(byBranch, parts.byBranch);
      addCounts(reasons, parts.rejectionsByReason);
      for (const c of CRITERIA) scores[c].addBins(parts.scores[c]);
      for (const g of parts.generators) use(generators, g, false, g);
      for (const j of parts.judges) use(judges, j, false, j);
      for (const k of ['generated', 'judged'] as const) {
        cache[k].accepted += parts.cache?.[k].accepted ?? 0;
        cache[k].total += parts.cache?.[k].total ?? 0;
      }
      if (parts.preferences) {
        pairs += parts.preferences.pairs;
        addCounts(byVerdicts, parts.preferences.byVerdicts);
        addCounts(wins, parts.preferences.wins);
        margins.addBins(parts.preferences.margins);
      }
    },
    snapshot() {
      const sortedEntries = (m: Map<string, number>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
      const usage = (m: Map<string, ProvenanceUsage>) =>
        usageRows(m).sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
      return {
        accepted,
        rejected,
        duplicates,
        removed,
        byType: { ...byType },
        byBranch: sortedEntries(byBranch),
        rejectionsByReason: sortedEntries(reasons),
        scores: Object.fromEntries(CRITERIA.map((c) => [c, scores[c].summary()])) as Record<Criterion, ScoreDistribution>,
        generators: usage(generators),
        judges: usage(judges),
        cache: copyCache(),
        meshVersion,
        preferences: { pairs, byVerdicts: sortedEntries(byVerdicts), wins: sortedEntries(wins), margins: margins.summary() },
      };
    },
  };
}
