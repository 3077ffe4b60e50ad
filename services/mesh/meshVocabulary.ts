/** One entry term of a descriptor. */
export interface MeshTermEntry {
  text: string;
  /** The descriptor's preferred name (record-preferred term). */
  recordPreferred: boolean;
  /** Preferred term of its concept. */
  conceptPreferred: boolean;
  /** Belongs to the descriptor's preferred concept. */
  preferredConcept: boolean;
}

export interface MeshDescriptor {
  ui: string;
  name: string;
  treeNumbers: string[];
  terms: MeshTermEntry[];
}

/** Names of MeSH's top-level categories, by tree-number letter. */
export const MESH_BRANCHES: Readonly<Record<string, string>> = {
  A: 'Anatomy',
  B: 'Organisms',
  C: 'Diseases',
  D: 'Chemicals and Drugs',
  E: 'Analytical, Diagnostic and Therapeutic Techniques, and Equipment',
  F: 'Psychiatry and Psychology',
  G: 'Phenomena and Processes',
  H: 'Disciplines and Occupations',
  I: 'Anthropology, Education, Sociology, and Social Phenomena',
  J: 'Technology, Industry, and Agriculture',
  K: 'Humanities',
  L: 'Information Science',
  M: 'Named Groups',
  N: 'Health Care',
  V: 'Publication Characteristics',
  Z: 'Geographicals',
};

/** The MeSH descriptor vocabulary with its tree hierarchy (poly-hierarchy: a descriptor may sit at several places). */
export interface MeshVocabulary {
  /** e.g. "desc2024.xml (30764 descriptors)". */
  readonly version: string;
  readonly size: number;
  get(ui: string): MeshDescriptor | undefined;
  /** Descriptor at a tree number, e.g. "C14.280" -> Heart Diseases. */
  byTreeNumber(treeNumber: string): MeshDescriptor | undefined;
  /** Direct parents over all of the descriptor's tree numbers (UIs, no duplicates). */
  parents(ui: string): string[];
  /** All ancestors over all tree numbers, nearest first, no duplicates, the descriptor itself excluded. */
  ancestors(ui: string): string[];
  /** Direct children (UIs). */
  children(ui: string): string[];
  /** Other children of the descriptor's parents (UIs), for distractors. */
  siblings(ui: string): string[];
  /** Smallest depth over the tree numbers: a top-level heading such as "C14" has depth 1. */
  depth(ui: string): number;
  /** Top-level branch letters (A..Z) of the tree numbers, sorted, no duplicates. */
  branches(ui: string): string[];
  /** Iterate every descriptor. */
  descriptors(): IterableIterator<MeshDescriptor>;
}
