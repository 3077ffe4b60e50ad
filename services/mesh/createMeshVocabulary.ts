import { MeshConfigError } from '../errors/medistillErrors.ts';
import type { MeshDescriptor, MeshVocabulary } from './meshVocabulary.ts';
import { parentTreeNumber, treeNumberDepth } from './treeNumber.ts';

/**
 * Builds the in-memory vocabulary: a UI index, a tree-number index and a child index.
 * Duplicate UIs or tree numbers throw, because either would make the hierarchy ambiguous.
 */
export function createMeshVocabulary(descriptors: Iterable<MeshDescriptor>, version: string): MeshVocabulary {
  const byUi = new Map<string, MeshDescriptor>();
  const byTree = new Map<string, MeshDescriptor>();
  for (const d of descriptors) {
    if (byUi.has(d.ui)) throw new MeshConfigError(`duplicate MeSH descriptor UI ${d.ui}`);
    byUi.set(d.ui, d);
    for (const tn of d.treeNumbers) {
      const other = byTree.get(tn);
      if (other) throw new MeshConfigError(`tree number ${tn} is claimed by both ${other.ui} and ${d.ui}`);
      byTree.set(tn, d);
    }
  }

  const childrenOf = new Map<string, string[]>();
  for (const d of byUi.values()) {
    for (const tn of d.treeNumbers) {
      const ptn = parentTreeNumber(tn);
      const parent = ptn === null ? undefined : byTree.get(ptn);
      if (!parent) continue;
      let list = childrenOf.get(parent.ui);
      if (!list) childrenOf.set(parent.ui, (list = []));
      if (!list.includes(d.ui)) list.push(d.ui);
    }
  }

  // Ancestors are asked for once per term per record in the annotate stage, so they are memoised;
  // the cache is bounded by the vocabulary size.
  const ancestorCache = new Map<string, string[]>();

  const parents = (ui: string): string[] => {
    const d = byUi.get(ui);
    if (!d) return [];
    const out: string[] = [];
    for (const tn of d.treeNumbers) {
      const ptn = parentTreeNumber(tn);
      const p = ptn === null ? undefined : byTree.get(ptn);
      if (p && p.ui !== ui && !out.includes(p.ui)) out.push(p.ui);
    }
    return out;
  };

  const ancestors = (ui: string): string[] => {
    const cached = ancestorCache.get(ui);
    if (cached) return cached.slice();
    const d = byUi.get(ui);
    if (!d) return [];
    const seen = new Set<string>([ui]);
    const out: string[] = [];
    // Walk every tree number upwards in lock-step so that, across the poly-hierarchy,
    // an ancestor one level up always comes before one two levels up.
    let frontier = d.treeNumbers.slice();
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const tn of frontier) {
        const ptn = parentTreeNumber(tn);
        if (ptn === null) continue;
        next.push(ptn);
        const p = byTree.get(ptn);
        if (p && !seen.has(p.ui)) {
          seen.add(p.ui);
          out.push(p.ui);
        }
      }
      frontier = next;
    }
    ancestorCache.set(ui, out);
    return out.slice();
  };

  const children = (ui: string): string[] => (childrenOf.get(ui) ?? []).slice();

  const siblings = (ui: string): string[] => {
    const out: string[] = [];
    for (const p of parents(ui)) {
      for (const c of childrenOf.get(p) ?? []) if (c !== ui && !out.includes(c)) out.push(c);
    }
    return out;
  };

  const depth = (ui: string): number => {
    const d = byUi.get(ui);
    if (!d || d.treeNumbers.length === 0) return 0;
    let min = Infinity;
    for (const tn of d.treeNumbers) min = Math.min(min, treeNumberDepth(tn));
    return min;
  };

  const branches = (ui: string): string[] => {
    const d = byUi.get(ui);
    if (!d) return [];
    const set = new Set<string>();
    for (const tn of d.treeNumbers) if (tn.length > 0) set.add(tn[0] as string);
    return [...set].sort();
  };

  return {
    version,
    size: byUi.size,
    get: (ui) => byUi.get(ui),
    byTreeNumber: (tn) => byTree.get(tn),
    parents,
    ancestors,
    children,
    siblings,
    depth,
    branches,
    descriptors: () => byUi.values(),
  };
}
