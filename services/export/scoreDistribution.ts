/** Summary of one criterion's scores over the written items. */
export interface ScoreDistribution {
  count: number;
  min: number | null;
  p25: number | null;
  median: number | null;
  p75: number | null;
  max: number | null;
  /** Counts in ten equal bins over 0..1 ([0,0.1), ..., [0.9,1.0]). */
  histogram: number[];
}

/** Fine bins for percentiles: memory stays fixed whatever the dataset size, at a resolution of 0.001. */
const FINE_BINS = 1000;
export const HISTOGRAM_BINS = 10;

/** The accumulator's state in a form that can be saved and merged: non-empty fine bins by index. */
export interface ScoreBins {
  count: number;
  min: number | null;
  max: number | null;
  bins: Record<string, number>;
}

/** Accumulates 0..1 scores in fixed bins; percentiles are bin midpoints, min and max are exact. */
export interface ScoreAccumulator {
  add(score: number): void;
  summary(): ScoreDistribution;
  /** The fine bins, for saving a part of the dataset's statistics. */
  toBins(): ScoreBins;
  /** Adds bins saved by `toBins`, so parts summarised apart merge into exact totals. */
  addBins(bins: ScoreBins): void;
}

/** A new, empty accumulator. */
export function createScoreAccumulator(): ScoreAccumulator {
  const bins = new Uint32Array(FINE_BINS);
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  const binOf = (x: number) => Math.min(FINE_BINS - 1, Math.floor(x * FINE_BINS));
  const quantile = (q: number): number => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (let i = 0; i < FINE_BINS; i++) {
      seen += bins[i]!;
      if (seen >= rank) return Math.min(max, Math.max(min, (i + 0.5) / FINE_BINS));
    }
    return max;
  };
  return {
    add(score) {
      const x = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
      bins[binOf(x)]!++;
      count++;
      if (x < min) min = x;
      if (x > max) max = x;
    },
    toBins() {
      const sparse: Record<string, number> = {};
      for (let i = 0; i < FINE_BINS; i++) if (bins[i]) sparse[i] = bins[i]!;
      return { count, min: count ? min : null, max: count ? max : null, bins: sparse };
    },
    addBins(other) {
      for (const [i, n] of Object.entries(other.bins)) bins[Number(i)]! += n;
      count += other.count;
      if (other.min !== null && other.min < min) min = other.min;
      if (other.max !== null && other.max > max) max = other.max;
    },
    summary() {
      const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
      for (let i = 0; i < FINE_BINS; i++) histogram[Math.floor((i * HISTOGRAM_BINS) / FINE_BINS)]! += bins[i]!;
      if (count === 0) return { count, min: null, p25: null, median: null, p75: null, max: null, histogram };
      return { count, min, p25: quantile(0.25), median: quantile(0.5), p75: quantile(0.75), max, histogram };
    },
  };
}
