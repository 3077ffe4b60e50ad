/** A sparse feature vector: feature name → value. */
export type Features = ReadonlyMap<string, number>;

/** A fitted multinomial logistic regression over named features: one weight per class and feature. */
export interface SoftmaxModel<L extends string> {
  classes: readonly L[];
  bias: number[];
  weights: Record<string, number[]>;
}

/** Settings of fitSoftmax. */
export interface FitOptions {
  /** L2 penalty per item (default 0.01). */
  l2?: number;
  /** Full-batch gradient steps (default 300). */
  iterations?: number;
  /** Step size of Adagrad (default 0.5). */
  learningRate?: number;
  /** Features seen in fewer training items are dropped (default 2). */
  minCount?: number;
}

/** Class probabilities of one feature vector. */
export function predictProba<L extends string>(model: SoftmaxModel<L>, x: Features): number[] {
  const z = [...model.bias];
  for (const [name, value] of x) {
    const w = model.weights[name];
    if (!w) continue;
    for (let k = 0; k < z.length; k++) z[k]! += w[k]! * value;
  }
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * Fits a multinomial logistic regression by full-batch Adagrad with an L2 penalty; deterministic
 * (no random initialisation, no shuffling), so the same items give the same model.
 * @example const model = fitSoftmax(['yes', 'no'], xs, ys, { l2: 0.01 });
 */
export function fitSoftmax<L extends string>(classes: readonly L[], xs: readonly Features[], ys: readonly L[], options: FitOptions = {}): SoftmaxModel<L> {
  const l2 = options.l2 ?? 0.01;
  const iterations = options.iterations ?? 300;
  const lr = options.learningRate ?? 0.5;
  const minCount = options.minCount ?? 2;
  const K = classes.length;
  const counts = new Map<string, number>();
  for (const x of xs) for (const name of x.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const names = [...counts].filter(([, c]) => c >= minCount).map(([n]) => n).sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const rows = xs.map((x) => [...x].flatMap(([n, v]) => (index.has(n) ? [[index.get(n)!, v] as const] : [])));
  const y = ys.map((l) => classes.indexOf(l));
  const W = new Float64Array(names.length * K);
  const b = new Float64Array(K);
  const gW = new Float64Array(names.length * K);
  const gB = new Float64Array(K);
  const hW = new Float64Array(names.length * K).fill(1e-8);
  const hB = new Float64Array(K).fill(1e-8);
  const n = Math.max(1, rows.length);
  const z = new Float64Array(K);
  for (let it = 0; it < iterations; it++) {
    gW.fill(0);
    gB.fill(0);
    rows.forEach((row, i) => {
      for (let k = 0; k < K; k++) z[k] = b[k]!;
      for (const [j, v] of row) for (let k = 0; k < K; k++) z[k]! += W[j * K + k]! * v;
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k]! - max);
      for (let k = 0; k < K; k++) {
        const d = z[k]! / sum - (k === y[i] ? 1 : 0);
        gB[k]! += d / n;
        for (const [j, v] of row) gW[j * K + k]! += (d * v) / n;
      }
    });
    for (let j = 0; j < W.length; j++) {
      const g = gW[j]! + l2 * W[j]!;
      hW[j]! += g * g;
      W[j]! -= (lr * g) / Math.sqrt(hW[j]!);
    }
    for (let k = 0; k < K; k++) {
      hB[k]! += gB[k]! * gB[k]!;
      b[k]! -= (lr * gB[k]!) / Math.sqrt(hB[k]!);
    }
  }
  const weights: Record<string, number[]> = {};
  names.forEach((name, j) => {
    const w = Array.from(W.subarray(j * K, j * K + K), (v) => Math.round(v * 1e4) / 1e4);
    if (w.some((v) => v !== 0)) weights[name] = w;
  });
  return { classes, bias: Array.from(b, (v) => Math.round(v * 1e4) / 1e4), weights };
}
