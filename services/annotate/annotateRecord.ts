import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { AnnotateContext } from './annotateContext.ts';

/** Name and version written into every annotated record; bump the version when scores or choices change. */
export const ANNOTATOR = { name: 'medistill-annotate', version: '1' } as const;

const DEFAULT_MAX_TERMS = 12;
const DEFAULT_MIN_SCORE = 0.4;
const DEFAULT_EXCLUDED_BRANCHES: readonly string[] = ['V'];
const NLM_MAJOR_SCORE = 1;
const NLM_MINOR_SCORE = 0.9;
const MAX_SURFACE_FORMS = 8;

/** What the matcher saw of one descriptor in a record. */
export interface DictionaryEvidence {
  /** Occurrences in title and abstract. */
  count: number;
  inTitle: boolean;
  /** The preferred name (not only a synonym) was found at least once. */
  preferred: boolean;
}

/**
 * Confidence of a predicted descriptor, 0..1: 0.35 for one mention, +0.15 per further mention up to
 * four, +0.15 when the title mentions it, +0.05 when its preferred name was used. A single passing
 * mention of a synonym (0.35) stays under the default minScore (0.4); a repeated or titled one passes.
 */
export function scoreDictionaryTerm(e: DictionaryEvidence): number {
  const s = 0.35 + 0.15 * Math.min(Math.max(e.count - 1, 0), 3) + (e.inTitle ? 0.15 : 0) + (e.preferred ? 0.05 : 0);
  return Math.min(1, Math.round(s * 1000) / 1000);
}

/**
 * Attaches MeSH descriptors to a record. NLM-indexed headings are used as they are when present
 * (score 1 for a major topic, 0.9 otherwise); otherwise descriptors are predicted from the title and
 * abstract with the dictionary matcher. Every term carries its tree numbers and ancestors.
 */
export function annotateRecord(record: PubmedArticle, ctx: AnnotateContext): AnnotatedRecord {
  const mesh = record.meshHeadings.length > 0 ? fromHeadings(record, ctx.vocab) : fromText(record, ctx);
  return { record, mesh, meshVersion: ctx.vocab.version, annotator: { ...ANNOTATOR } };
}

function fromHeadings(record: PubmedArticle, vocab: MeshVocabulary): MeshTerm[] {
  const byUi = new Map<string, MeshTerm>();
  for (const h of record.meshHeadings) {
    // A starred qualifier makes the descriptor/qualifier pair a major topic, hence the descriptor too.
    const major = h.majorTopic || h.qualifiers.some((q) => q.majorTopic);
    const seen = byUi.get(h.descriptorUi);
    if (seen) {
      if (major && !seen.majorTopic) Object.assign(seen, { majorTopic: true, score: NLM_MAJOR_SCORE });
      continue;
    }
    const d = vocab.get(h.descriptorUi);
    byUi.set(h.descriptorUi, {
      descriptorUi: h.descriptorUi,
      name: h.descriptorName || d?.name || h.descriptorUi,
      source: 'nlm',
      score: major ? NLM_MAJOR_SCORE : NLM_MINOR_SCORE,
      majorTopic: major,
      // A heading newer than the loaded vocabulary is kept, just without a place in the tree.
      treeNumbers: d ? d.treeNumbers.slice() : [],
      ancestors: d ? vocab.ancestors(h.descriptorUi) : [],
    });
  }
  return [...byUi.values()];
}

interface Tally extends DictionaryEvidence {
  ui: string;
  firstSeen: number;
  surfaces: string[];
}

function fromText(record: PubmedArticle, ctx: AnnotateContext): MeshTerm[] {
  const maxTerms = ctx.options?.maxTerms ?? DEFAULT_MAX_TERMS;
  const minScore = ctx.options?.minScore ?? DEFAULT_MIN_SCORE;
  const tallies = new Map<string, Tally>();
  let order = 0;
  const add = (text: string, inTitle: boolean): void => {
    if (text.length === 0) return;
    for (const m of ctx.matcher.match(text)) {
      let t = tallies.get(m.descriptorUi);
      if (!t) {
        t = { ui: m.descriptorUi, count: 0, inTitle: false, preferred: false, firstSeen: order++, surfaces: [] };
        tallies.set(m.descriptorUi, t);
      }
      t.count++;
      t.inTitle ||= inTitle;
      t.preferred ||= m.kind === 'preferred';
      if (t.surfaces.length < MAX_SURFACE_FORMS && !t.surfaces.includes(m.surface)) t.surfaces.push(m.surface);
    }
  };
  add(record.title, true);
  // Section labels (BACKGROUND, METHODS) are layout, not content: match the section texts only.
  for (const section of record.abstract) add(section.text, false);

  const excluded = ctx.options?.excludeBranches ?? DEFAULT_EXCLUDED_BRANCHES;
  const scored: { t: Tally; score: number }[] = [];
  for (const t of tallies.values()) {
    if (excluded.length > 0) {
      const branches = ctx.vocab.branches(t.ui);
      if (branches.length > 0 && branches.every((b) => excluded.includes(b))) continue;
    }
    const score = scoreDictionaryTerm(t);
    if (score >= minScore) scored.push({ t, score });
  }
  scored.sort((a, b) => b.score - a.score || b.t.count - a.t.count || a.t.firstSeen - b.t.firstSeen);

  const out: MeshTerm[] = [];
  for (const { t, score } of scored.slice(0, maxTerms)) {
    const d = ctx.vocab.get(t.ui);
    out.push({
      descriptorUi: t.ui,
      name: d?.name ?? t.ui,
      source: 'dictionary',
      score,
      // Indexers mark what a paper is about; a descriptor named in the title is the best proxy we have.
      majorTopic: t.inTitle,
      treeNumbers: d ? d.treeNumbers.slice() : [],
      ancestors: ctx.vocab.ancestors(t.ui),
      matches: t.surfaces,
    });
  }
  return out;
}
