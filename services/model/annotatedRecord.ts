import type { PubmedArticle } from './pubmedRecord.ts';

/** neighbours: descriptors of the nearest indexed papers in the literature index (as NLM's MTI uses related citations). */
export type MeshSource = 'nlm' | 'dictionary' | 'llm' | 'neighbours';

/** A MeSH descriptor attached to a record, with where it came from and how sure we are. */
export interface MeshTerm {
  descriptorUi: string;
  name: string;
  source: MeshSource;
  /** 0..1; NLM headings score 1 (0.9 for non-major topics). */
  score: number;
  majorTopic: boolean;
  treeNumbers: string[];
  /** Ancestor descriptor UIs implied by the tree numbers, nearest first, no duplicates. */
  ancestors: string[];
  /** For dictionary matches: the surface forms found in the text. */
  matches?: string[];
}

export interface AnnotatedRecord {
  record: PubmedArticle;
  mesh: MeshTerm[];
  /** Version string of the MeSH vocabulary (for example "MeSH 2024" or a file hash). */
  meshVersion: string;
  annotator: { name: string; version: string };
}
