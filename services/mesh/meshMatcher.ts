import { MeshConfigError } from '../errors/medistillErrors.ts';
import type { MeshVocabulary } from './meshVocabulary.ts';
import { foldedWords, foldWord, scanWords } from './wordScanner.ts';

/**
 * Dictionary matcher over every entry term of every descriptor.
 *
 * Terms and text are cut into words and folded the same way (see wordScanner.ts: case, hyphens and
 * punctuation, possessives, simple plurals). Terms live in a word-level trie stored as an
 * open-addressing hash table of (node, word id) edges in typed arrays: about 25 bytes per edge,
 * no object per node, and one integer hash probe per word of text. Text is scanned left to right
 * and at each word the longest term starting there wins; the scan resumes after it (leftmost-longest,
 * non-overlapping), so "myocardial infarction" never also yields "infarction".
 *
 * Which terms are indexed:
 * - a single-word term shorter than `minWordLength` (3) characters is skipped ("T", "II");
 * - a single-word term on the stop-list is skipped: common English words that happen to be entry
 *   terms ("who" -> World Health Organization, "lead" -> Lead, "back" -> Back, "aged" -> Aged).
 *
 * Ambiguity policy, decided once at build time, per folded surface form shared by several descriptors:
 * 1. keep the one descriptor for which the form is the record-preferred term (its name);
 * 2. else keep the one descriptor for which the form belongs to the preferred concept;
 * 3. else the form is ambiguous: it still claims its words (a shorter term inside it must not match
 *    instead), but yields no match, and `stats.ambiguousDropped` counts it.
 */

/** Whether the matched form is the descriptor's preferred name or another entry term. */
export type MeshMatchKind = 'preferred' | 'entry';

/** One term found in a text. */
export interface MeshMatch {
  descriptorUi: string;
  /** The text as written, `text.slice(start, end)`. */
  surface: string;
  start: number;
  end: number;
  kind: MeshMatchKind;
}

/** Matcher options, all optional. */
export interface MeshMatcherOptions {
  /** Single-word terms shorter than this are not indexed. Default 3. */
  minWordLength?: number;
  /** Replaces the default stop-list of common English words (compared after folding). */
  stopWords?: Iterable<string>;
}

/** Counts from building the matcher and from matching. */
export interface MeshMatcherStats {
  /** Distinct folded surface forms in the trie. */
  forms: number;
  /** Forms that resolve to exactly one descriptor. */
  resolvedForms: number;
  /** Forms shared by several descriptors that the policy could not settle. */
  ambiguousForms: number;
  skippedShort: number;
  skippedStopWord: number;
  trieNodes: number;
  buildMs: number;
  /** Matches of ambiguous forms dropped so far by `match`. */
  ambiguousDropped: number;
}

/** A built dictionary matcher. */
export interface MeshMatcher {
  /** Leftmost-longest, non-overlapping matches in text order. */
  match(text: string): MeshMatch[];
  readonly stats: Readonly<MeshMatcherStats>;
}

/** Common English words that are also MeSH entry terms; matching them in prose is almost always wrong. */
export const DEFAULT_STOP_WORDS: readonly string[] = [
  'who', 'will', 'may', 'can', 'all', 'was', 'set', 'aim', 'use', 'act', 'lead', 'led', 'aged', 'back', 'time',
  'role', 'rest', 'face', 'hand', 'work', 'play', 'form', 'needs', 'power', 'report', 'method', 'light', 'cold',
  'sound', 'order', 'state', 'support', 'range', 'spring', 'fall', 'mass', 'plan', 'cope',
];

const NO_PAYLOAD = -1;
const AMBIGUOUS = -2;
const EMPTY = -1;
const ROOT = 0;
const MAX_LOAD = 0.5;

/** Builds the matcher from every entry term of every descriptor; a few seconds at most for full MeSH. */
export function createMeshMatcher(vocab: MeshVocabulary, options: MeshMatcherOptions = {}): MeshMatcher {
  const t0 = performance.now();
  const minWordLength = options.minWordLength ?? 3;
  if (!Number.isInteger(minWordLength) || minWordLength < 1) {
    throw new MeshConfigError(`minWordLength must be a positive integer, got ${String(options.minWordLength)}`);
  }
  const stop = new Set<string>();
  for (const w of options.stopWords ?? DEFAULT_STOP_WORDS) for (const f of foldedWords(w)) stop.add(f);

  const wordIds = new Map<string, number>();
  const uis: string[] = [];

  // Edge table: (node, word) -> child node.
  let capacity = 1 << 16;
  let mask = capacity - 1;
  let edgeNode = new Int32Array(capacity).fill(EMPTY);
  let edgeWord = new Int32Array(capacity);
  let edgeChild = new Int32Array(capacity);
  let edges = 0;
  let nodeCount = 1;

  // Multiplicative hashing alone leaves the low bits (the ones the mask keeps) poorly mixed; the shifts fix that.
  const slot = (node: number, word: number): number => {
    let h = Math.imul(node, 0x9e3779b1) ^ Math.imul(word + 1, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & mask;
  };

  const grow = (): void => {
    const oldNode = edgeNode;
    const oldWord = edgeWord;
    const oldChild = edgeChild;
    capacity *= 2;
    mask = capacity - 1;
    edgeNode = new Int32Array(capacity).fill(EMPTY);
    edgeWord = new Int32Array(capacity);
    edgeChild = new Int32Array(capacity);
    for (let i = 0; i < oldNode.length; i++) {
      const n = oldNode[i] as number;
      if (n === EMPTY) continue;
      const w = oldWord[i] as number;
      let s = slot(n, w);
      while (edgeNode[s] !== EMPTY) s = (s + 1) & mask;
      edgeNode[s] = n;
      edgeWord[s] = w;
      edgeChild[s] = oldChild[i] as number;
    }
  };

  const childOrCreate = (node: number, word: number): number => {
    let s = slot(node, word);
    while (edgeNode[s] !== EMPTY) {
      if (edgeNode[s] === node && edgeWord[s] === word) return edgeChild[s] as number;
      s = (s + 1) & mask;
    }
    const child = nodeCount++;
    edgeNode[s] = node;
    edgeWord[s] = word;
    edgeChild[s] = child;
    if (++edges > capacity * MAX_LOAD) grow();
    return child;
  };

  // Candidates per terminal node, as linked lists in parallel arrays (no object per term).
  const nodeHead: number[] = [EMPTY];
  const candDesc: number[] = [];
  const candFlags: number[] = [];
  const candNext: number[] = [];
  const RECORD_PREFERRED = 1;
  const PREFERRED_CONCEPT = 2;
  let skippedShort = 0;
  let skippedStopWord = 0;

  for (const d of vocab.descriptors()) {
    const di = uis.length;
    uis.push(d.ui);
    for (const term of d.terms) {
      const words = foldedWords(term.text);
      if (words.length === 0) continue;
      if (words.length === 1) {
        const w = words[0] as string;
        if (w.length < minWordLength) {
          skippedShort++;
          continue;
        }
        if (stop.has(w)) {
          skippedStopWord++;
          continue;
        }
      }
      let node = ROOT;
      for (const w of words) {
        let id = wordIds.get(w);
        if (id === undefined) wordIds.set(w, (id = wordIds.size));
        node = childOrCreate(node, id);
      }
      while (nodeHead.length < nodeCount) nodeHead.push(EMPTY);
      const flags = (term.recordPreferred ? RECORD_PREFERRED : 0) | (term.preferredConcept ? PREFERRED_CONCEPT : 0);
      // The same descriptor often lists several spellings that fold alike ("Tumor", "Tumors"): merge them.
      let c = nodeHead[node] as number;
      while (c !== EMPTY && candDesc[c] !== di) c = candNext[c] as number;
      if (c !== EMPTY) candFlags[c] = (candFlags[c] as number) | flags;
      else {
        candDesc.push(di);
        candFlags.push(flags);
        candNext.push(nodeHead[node] as number);
        nodeHead[node] = candDesc.length - 1;
      }
    }
  }

  // Settle every form once: payload = (descriptor index << 1) | preferred-name bit, or a marker.
  const payload = new Int32Array(nodeCount).fill(NO_PAYLOAD);
  let forms = 0;
  let resolvedForms = 0;
  let ambiguousForms = 0;
  const pickOne = (head: number, bit: number): number => {
    let found = EMPTY;
    for (let c = head; c !== EMPTY; c = candNext[c] as number) {
      if (((candFlags[c] as number) & bit) === 0) continue;
      if (found !== EMPTY) return EMPTY;
      found = c;
    }
    return found;
  };
  for (let node = 0; node < nodeCount; node++) {
    const head = nodeHead[node] ?? EMPTY;
    if (head === EMPTY) continue;
    forms++;
    let chosen = candNext[head] === EMPTY ? head : pickOne(head, RECORD_PREFERRED);
    if (chosen === EMPTY) chosen = pickOne(head, PREFERRED_CONCEPT);
    if (chosen === EMPTY) {
      payload[node] = AMBIGUOUS;
      ambiguousForms++;
      continue;
    }
    resolvedForms++;
    payload[node] = ((candDesc[chosen] as number) << 1) | ((candFlags[chosen] as number) & RECORD_PREFERRED);
  }

  const stats: MeshMatcherStats = {
    forms,
    resolvedForms,
    ambiguousForms,
    skippedShort,
    skippedStopWord,
    trieNodes: nodeCount,
    buildMs: 0,
    ambiguousDropped: 0,
  };

  const child = (node: number, word: number): number => {
    let s = slot(node, word);
    while (true) {
      const n = edgeNode[s] as number;
      if (n === EMPTY) return EMPTY;
      if (n === node && edgeWord[s] === word) return edgeChild[s] as number;
      s = (s + 1) & mask;
    }
  };

  // Per-call word buffers, reused across calls and grown on demand (a matcher is used by one caller at a time).
  let starts = new Int32Array(1024);
  let ends = new Int32Array(1024);
  let ids = new Int32Array(1024);

  const match = (text: string): MeshMatch[] => {
    const lower = text.toLowerCase();
    const sameLength = lower.length === text.length;
    let count = 0;
    scanWords(text, (s, e) => {
      if (count === ids.length) {
        const grownStarts = new Int32Array(count * 2);
        grownStarts.set(starts);
        starts = grownStarts;
        const grownEnds = new Int32Array(count * 2);
        grownEnds.set(ends);
        ends = grownEnds;
        const grownIds = new Int32Array(count * 2);
        grownIds.set(ids);
        ids = grownIds;
      }
      const w = foldWord(sameLength ? lower.slice(s, e) : text.slice(s, e).toLowerCase());
      starts[count] = s;
      ends[count] = e;
      ids[count] = wordIds.get(w) ?? EMPTY;
      count++;
    });

    const out: MeshMatch[] = [];
    let i = 0;
    while (i < count) {
      let node = ROOT;
      let bestEnd = -1;
      let bestPayload = NO_PAYLOAD;
      for (let j = i; j < count; j++) {
        const w = ids[j] as number;
        if (w === EMPTY) break;
        node = child(node, w);
        if (node === EMPTY) break;
        const p = payload[node] as number;
        if (p !== NO_PAYLOAD) {
          bestEnd = j;
          bestPayload = p;
        }
      }
      if (bestEnd < 0) {
        i++;
        continue;
      }
      if (bestPayload === AMBIGUOUS) stats.ambiguousDropped++;
      else {
        const start = starts[i] as number;
        const end = ends[bestEnd] as number;
        out.push({
          descriptorUi: uis[bestPayload >> 1] as string,
          surface: text.slice(start, end),
          start,
          end,
          kind: (bestPayload & 1) === 1 ? 'preferred' : 'entry',
        });
      }
      i = bestEnd + 1;
    }
    return out;
  };

  stats.buildMs = performance.now() - t0;
  return { match, stats };
}
