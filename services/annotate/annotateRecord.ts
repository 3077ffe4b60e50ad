import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import type { PubmedArticle } from '../model/pubmedRecord.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { scanWords } from '../mesh/wordScanner.ts';
import { ANNOTATE_DEFAULTS, type AnnotateContext } from './annotateContext.ts';
import { CHECK_TAG_UIS, inferCheckTags } from './inferCheckTags.ts';
import { isOverGeneral } from './overGeneralDescriptors.ts';

/** Name and version written into every annotated record; bump the version when scores or choices change. */
export const ANNOTATOR = { name: 'medistill-annotate', version: '2' } as const;

/**
 * Score of a check tag inferred from a cue word: below a repeated or titled text match (0.5 and up),
 * since the tag is implied rather than named, yet above the default minScore, because the cue rules are
 * right far more often than a single passing mention of a term.
 */
export const CHECK_TAG_SCORE = 0.45;
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
  /** A term of several words was found at least once ("heart attack", not only "infarction"). */
  multiWord?: boolean;
}

/**
 * Confidence of a predicted descriptor, 0..1: 0.35 for one mention, +0.15 per further mention up to
 * four, +0.15 when the title mentions it, +0.05 when its preferred name was used, +`phraseBonus`
 * (default 0.1) when a term of several words was found. A phrase is a deliberate choice of the writer
 * ("chest pain", "heart attack"), while a lone word ("plasma", "safety", "growth") is often said in
 * passing: on real abstracts a single mention of a multi-word term was right about as often as a
 * repeated single word, and a single mention of a single word seldom. So with the default minScore
 * (0.45) one mention of a phrase is enough (0.45), one mention of a single word is not (0.35, or 0.4
 * for a preferred name), and a repeated or titled word is (0.5).
 */
export function scoreDictionaryTerm(e: DictionaryEvidence, phraseBonus = ANNOTATE_DEFAULTS.phraseBonus): number {
  const s =
    0.35 +
    0.15 * Math.min(Math.max(e.count - 1, 0), 3) +
    (e.inTitle ? 0.15 : 0) +
    (e.preferred ? 0.05 : 0) +
    (e.multiWord === true ? phraseBonus : 0);
  return Math.min(1, Math.round(s * 1000) / 1000);
}

/**
 * Attaches MeSH descriptors to a record. NLM-indexed headings are used as they are when present
 * (score 1 for a major topic, 0.9 otherwise); otherwise descriptors are predicted from the title and
 * abstract: dictionary matches scored by scoreDictionaryTerm, less over-general headings
 * (overGeneralDescriptors.ts), plus the check tags their cue words imply (inferCheckTags.ts), all with
 * source 'dictionary'. Every term carries its tree numbers and ancestors.
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
  multiWord: boolean;
  firstSeen: number;
  surfaces: string[];
}

function wordCount(surface: string): number {
  let n = 0;
  scanWords(surface, () => n++);
  return n;
}

function fromText(record: PubmedArticle, ctx: AnnotateContext): MeshTerm[] {
  const { maxTerms, minScore, phraseBonus, checkTags } = ctx.options;
  const dropGeneral = ctx.options.generalTerms === 'drop';
  const tallies = new Map<string, Tally>();
  let order = 0;
  const add = (text: string, inTitle: boolean): void => {
    if (text.length === 0) return;
    for (const m of ctx.matcher.match(text)) {
      let t = tallies.get(m.descriptorUi);
      if (!t) {
        t = { ui: m.descriptorUi, count: 0, inTitle: false, preferred: false, multiWord: false, firstSeen: order++, surfaces: [] };
        tallies.set(m.descriptorUi, t);
      }
      t.count++;
      t.inTitle ||= inTitle;
      t.preferred ||= m.kind === 'preferred';
      if (!t.surfaces.includes(m.surface)) {
        t.multiWord ||= wordCount(m.surface) > 1;
        if (t.surfaces.length < MAX_SURFACE_FORMS) t.surfaces.push(m.surface);
      }
    }
  };
  add(record.title, true);
  // Section labels (BACKGROUND, METHODS) are layout, not content: match the section texts only.
  for (const section of record.abstract) add(section.text, false);

  const excluded = ctx.options.excludeBranches;
  const isExcluded = (ui: string): boolean => {
    if (excluded.length === 0) return false;
    const branches = ctx.vocab.branches(ui);
    return branches.length > 0 && branches.every((b) => excluded.includes(b));
  };
  const scored: { t: Tally; score: number }[] = [];
  for (const t of tallies.values()) {
    if (isExcluded(t.ui)) continue;
    // With check tags on, the cue rules alone decide those descriptors: "adult rats" is not Adult.
    if (checkTags && CHECK_TAG_UIS.has(t.ui)) continue;
    if (dropGeneral && isOverGeneral(t.ui, t.multiWord, ctx.vocab)) continue;
    const score = scoreDictionaryTerm(t, phraseBonus);
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
  if (checkTags && CHECK_TAG_SCORE >= minScore) out.push(...checkTagTerms(record, ctx, tallies, isExcluded, phraseBonus));
  return out;
}

/**
 * Check tags as predicted terms, after the topical ones and outside maxTerms (indexers add them on top
 * of the topics). A tag the text also names ("humans") keeps the better of the two scores.
 */
function checkTagTerms(
  record: PubmedArticle,
  ctx: AnnotateContext,
  tallies: ReadonlyMap<string, Tally>,
  isExcluded: (ui: string) => boolean,
  phraseBonus: number,
): MeshTerm[] {
  const texts = [record.title, ...record.abstract.map((s) => s.text)];
  const out: MeshTerm[] = [];
  for (const hit of inferCheckTags(texts, (ui) => ctx.vocab.get(ui) !== undefined)) {
    if (isExcluded(hit.ui)) continue;
    const d = ctx.vocab.get(hit.ui);
    const t = tallies.get(hit.ui);
    const matches = t ? t.surfaces.slice() : [];
    if (!matches.includes(hit.cue)) matches.push(hit.cue);
    out.push({
      descriptorUi: hit.ui,
      name: d?.name ?? hit.ui,
      source: 'dictionary',
      score: Math.max(CHECK_TAG_SCORE, t ? scoreDictionaryTerm(t, phraseBonus) : 0),
      // Indexers never make a check tag a major topic.
      majorTopic: false,
      treeNumbers: d ? d.treeNumbers.slice() : [],
      ancestors: ctx.vocab.ancestors(hit.ui),
      matches,
    });
  }
  return out;
}
