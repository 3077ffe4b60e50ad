/** Top-level branch letters (A..Z) of tree numbers, sorted, no duplicates. */
export function branchesOf(treeNumbers: readonly string[]): string[] {
  return [...new Set(treeNumbers.map((t) => t.charAt(0)).filter((c) => /^[A-Z]$/.test(c)))].sort();
}

/** The branch of the first tree number: the place a descriptor is counted under when it has several. */
export function primaryBranch(treeNumbers: readonly string[]): string | null {
  const c = treeNumbers[0]?.charAt(0);
  return c && /^[A-Z]$/.test(c) ? c : null;
}
