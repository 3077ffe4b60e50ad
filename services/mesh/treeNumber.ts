/** Parent tree number of a tree number ("C14.280.647" -> "C14.280"); null for a top-level heading such as "C14". */
export function parentTreeNumber(treeNumber: string): string | null {
  const dot = treeNumber.lastIndexOf('.');
  return dot < 0 ? null : treeNumber.slice(0, dot);
}

/** Number of levels in a tree number: "C14" is 1, "C14.280" is 2. */
export function treeNumberDepth(treeNumber: string): number {
  if (treeNumber.length === 0) return 0;
  let depth = 1;
  for (let i = 0; i < treeNumber.length; i++) if (treeNumber.charCodeAt(i) === 46 /* . */) depth++;
  return depth;
}

/** Number of leading levels two tree numbers share: "C14.280.647" and "C14.280.238" share 2. */
export function commonTreeDepth(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let shared = 0;
  let i = 0;
  for (; i < n; i++) {
    const ca = a.charCodeAt(i);
    if (ca !== b.charCodeAt(i)) return shared;
    if (ca === 46) shared++;
  }
  // Walked off the end of the shorter one: the last level counts only when it ends on a boundary
  // in the longer one too (so "C14.28" is not a prefix level of "C14.280").
  const aEnds = i === a.length || a.charCodeAt(i) === 46;
  const bEnds = i === b.length || b.charCodeAt(i) === 46;
  return n > 0 && aEnds && bEnds ? shared + 1 : shared;
}
