import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { foldedWords } from '../mesh/wordScanner.ts';
import type { MeshTerm } from '../model/annotatedRecord.ts';
import { abstractText, type PubmedArticle } from '../model/pubmedRecord.ts';

/** The part of the literature index neighbours need: ranked documents with their descriptors. */
export interface NeighbourSearch {
  search(text: string, options: { k: number; excludePmid?: string; maxTerms?: number }): { outcome?: string; documents: readonly { pmid: string; score: number; meshUis: readonly string[] }[] };
}

export interface NeighbourOptions {
  /** Nearest indexed papers consulted (default 10). */
  k: number;
  /** Least weighted vote (0..1) for a descriptor to be proposed on the neighbours' word alone (default 0.5). */
  minVote: number;
  /**
   * Least vote that confirms a descriptor the text names but the dictionary scored below its
   * threshold (a single passing mention): neighbours about the same subject make it likely (default 0.1).
   */
  supportVote: number;
  /**
   * Least vote that confirms a descriptor one of whose entry terms of two or more words has all its
   * words in the title or abstract, in any order ("proteins of the bacterial wall" for Bacterial
   * Proteins): the dictionary finds terms only as phrases (default 0.15; 1 turns it off).
   */
  wordsVote: number;
  /** Most descriptors added from neighbours (default 12). */
  maxAdded: number;
  /** Words of title and abstract the neighbour query keeps (default 64). */
  queryTerms: number;
  /**
   * How a neighbour's vote is weighted: `relative`, its BM25 score over the best one's, discounted by
   * rank (1/log2(rank + 1)); `minmax`, its BM25 score normalised between the k-th and the best
   * neighbour's (the last one weighs nothing, so a flat list of weak matches votes little).
   */
  weighting: NeighbourWeighting;
}

export const NEIGHBOUR_WEIGHTINGS = ['relative', 'minmax'] as const;
export type NeighbourWeighting = (typeof NEIGHBOUR_WEIGHTINGS)[number];

/**
 * Chosen on the development half of the real samples (bench/meshNeighbours.ts prints the grid and
 * reports them on the other half): see bench/RESULTS.md.
 */
export const NEIGHBOUR_DEFAULTS: Readonly<NeighbourOptions> = Object.freeze({
  k: 20, minVote: 0.35, supportVote: 0.1, wordsVote: 0.15, maxAdded: 12, queryTerms: 128, weighting: 'minmax' as NeighbourWeighting,
});

/** Words that join the words of a term ("Neoplasms of the Breast"): not required in the text. */
const JOINING_WORDS = new Set(['of', 'and', 'the', 'in', 'for', 'to', 'a', 'an', 'with', 'on', 'by', 'or', 'as', 'at', 'from']);

const contentWords = (text: string): string[] => foldedWords(text).filter((w) => !JOINING_WORDS.has(w));

/**
 * Whether one entry term of the descriptor with two or more content words has every one of them
 * among `textWords` (the folded words of a text, see wordScanner.ts), in any order.
 */
export function termWordsInText(ui: string, vocab: MeshVocabulary, textWords: ReadonlySet<string>): boolean {
  for (const term of vocab.get(ui)?.terms ?? []) {
    const words = contentWords(term.text);
    if (words.length >= 2 && words.every((w) => textWords.has(w))) return true;
  }
  return false;
}

/** Each neighbour's weight (0..1) from its BM25 score and rank, as `weighting` says. */
export function neighbourWeights(scores: readonly number[], weighting: NeighbourWeighting): number[] {
  if (scores.length === 0) return [];
  const best = Math.max(scores[0]!, 0);
  if (weighting === 'minmax') {
    const last = Math.max(scores[scores.length - 1]!, 0);
    // One neighbour, or all equally close: each counts fully.
    if (best - last <= 0) return scores.map(() => 1);
    return scores.map((s) => Math.max(s - last, 0) / (best - last));
  }
  const top = best > 0 ? best : 1;
  return scores.map((s, i) => Math.max(s, 0) / top / Math.log2(i + 2));
}

/**
 * MeSH from neighbours, as NLM's MTI uses PubMed Related Citations: the paper's title and abstract
 * retrieve the nearest indexed papers (BM25), and each descriptor those papers carry gets a vote
 * weighted by the neighbour's score and rank (`weighting`); the vote, a share of the total weight
 * (0..1), is the term's score. Descriptors at or above `minVote`
 * are returned with source `neighbours`, strongest first (at most `maxAdded`).
 */
export function predictFromNeighbours(record: PubmedArticle, search: NeighbourSearch, vocab: MeshVocabulary, options: Partial<NeighbourOptions> = {}): MeshTerm[] {
  const { k, minVote, maxAdded, queryTerms, weighting } = { ...NEIGHBOUR_DEFAULTS, ...options };
  const text = `${record.title}\n${abstractText(record)}`;
  const { documents } = search.search(text, { k, excludePmid: record.pmid, maxTerms: queryTerms });
  if (documents.length === 0) return [];
  const weights = neighbourWeights(documents.map((d) => d.score), weighting);
  const votes = new Map<string, number>();
  let total = 0;
  documents.forEach((doc, i) => {
    const w = weights[i]!;
    total += w;
    for (const ui of new Set(doc.meshUis)) votes.set(ui, (votes.get(ui) ?? 0) + w);
  });
  if (total === 0) return [];
  return [...votes.entries()]
    .map(([ui, v]) => ({ ui, vote: Math.round((v / total) * 1000) / 1000 }))
    .filter((x) => x.vote >= minVote && vocab.get(x.ui) !== undefined)
    .sort((a, b) => b.vote - a.vote || a.ui.localeCompare(b.ui))
    .slice(0, maxAdded)
    .map(({ ui, vote }) => {
      const d = vocab.get(ui)!;
      return { descriptorUi: ui, name: d.name, source: 'neighbours', score: vote, majorTopic: false, treeNumbers: d.treeNumbers.slice(), ancestors: vocab.ancestors(ui) };
    });
}

/**
 * Merges the dictionary's predictions with the neighbours' votes (as returned by
 * predictFromNeighbours with `minVote` = the least of the thresholds): a descriptor the dictionary
 * kept stays as it is, with the higher of its score and its vote; one the neighbours vote for at
 * `minVote` or more is added with source `neighbours`; one the text names below the dictionary's
 * threshold (`textCandidates`: matches at any score) is added with source `neighbours` when its vote
 * reaches `supportVote`; one whose term's words the text holds out of order (`wordMatched`, see
 * termWordsInText) when its vote reaches `wordsVote`.
 */
export function mergeNeighbourTerms(
  predicted: readonly MeshTerm[],
  neighbours: readonly MeshTerm[],
  options: { textCandidates?: readonly MeshTerm[]; wordMatched?: (ui: string) => boolean; minVote?: number; supportVote?: number; wordsVote?: number } = {},
): MeshTerm[] {
  const minVote = options.minVote ?? NEIGHBOUR_DEFAULTS.minVote;
  const supportVote = options.supportVote ?? NEIGHBOUR_DEFAULTS.supportVote;
  const wordsVote = options.wordsVote ?? NEIGHBOUR_DEFAULTS.wordsVote;
  const named = new Set((options.textCandidates ?? []).map((t) => t.descriptorUi));
  const byUi = new Map(predicted.map((t) => [t.descriptorUi, { ...t }]));
  for (const n of neighbours) {
    const held = byUi.get(n.descriptorUi);
    if (held) held.score = Math.max(held.score, n.score);
    else if (
      n.score >= minVote ||
      (n.score >= supportVote && named.has(n.descriptorUi)) ||
      (n.score >= wordsVote && options.wordMatched?.(n.descriptorUi) === true)
    )
      byUi.set(n.descriptorUi, n);
  }
  return [...byUi.values()];
}

/** What annotate needs to add MeSH from neighbours: the index, and the text's matches at any score. */
export interface NeighbourAnnotation {
  search: NeighbourSearch;
  vocab: MeshVocabulary;
  /** Dictionary matches of a record at any score (an annotate context with minScore 0). */
  textCandidates(record: PubmedArticle): readonly MeshTerm[];
  options?: Partial<NeighbourOptions>;
}

/**
 * The MeSH terms of a record without NLM headings, with the neighbours' merged in; a record NLM
 * indexed keeps its headings as they are.
 */
export function withNeighbourMesh(record: PubmedArticle, mesh: readonly MeshTerm[], nb: NeighbourAnnotation): MeshTerm[] {
  if (record.meshHeadings.length > 0) return [...mesh];
  const o = { ...NEIGHBOUR_DEFAULTS, ...nb.options };
  const votes = predictFromNeighbours(record, nb.search, nb.vocab, { ...o, minVote: Math.min(o.supportVote, o.wordsVote, o.minVote), maxAdded: 100 });
  let textWords: Set<string> | undefined;
  const wordMatched = (ui: string): boolean => termWordsInText(ui, nb.vocab, (textWords ??= new Set(foldedWords(`${record.title}\n${abstractText(record)}`))));
  const merged = mergeNeighbourTerms(mesh, votes, { textCandidates: nb.textCandidates(record), wordMatched, minVote: o.minVote, supportVote: o.supportVote, wordsVote: o.wordsVote });
  // At most maxAdded new terms, strongest first.
  const added = merged.filter((t) => t.source === 'neighbours').sort((a, b) => b.score - a.score).slice(0, o.maxAdded);
  const keep = new Set(added.map((t) => t.descriptorUi));
  return merged.filter((t) => t.source !== 'neighbours' || keep.has(t.descriptorUi));
}
