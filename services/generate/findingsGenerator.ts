import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import { abstractText, type AbstractSection } from '../model/pubmedRecord.ts';
import { qaId } from '../model/qaId.ts';
import type { MeshTarget, Provenance, QaCandidate } from '../model/qaItem.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { RuleBasedGeneratorConfigError } from '../errors/medistillErrors.ts';
import type { GenerateRequest, GenerateResult, Generator } from './generator.ts';
import { branchesOf } from './meshBranches.ts';
import { requestedTargets, selectTargets } from './selectTargets.ts';
import { splitSentences } from './splitSentences.ts';
import { findForm, surfaceFormsOf } from './surfaceForms.ts';

/** Code version of the findings strategy; part of every item id, so bump it when output changes. */
export const FINDINGS_GENERATOR_VERSION = '1.0.0';
export const FINDINGS_GENERATOR_NAME = 'rule-based:findings';

const MIN_SENTENCE_CHARS = 30;
const MAX_SENTENCE_CHARS = 400;

/** Sections in the order a finding is looked for: what a study found says more than why it was done. */
type SectionKind = 'results' | 'conclusions' | 'methods' | 'background' | 'other';
const SECTION_ORDER: readonly SectionKind[] = ['results', 'conclusions', 'other', 'methods', 'background'];

/** The question asked of a target, by the kind of section its sentence comes from. */
const QUESTIONS: Readonly<Record<SectionKind, (topic: string) => string>> = {
  results: (t) => `What result was observed for ${t}?`,
  conclusions: (t) => `What was concluded about ${t}?`,
  methods: (t) => `How was ${t} used or assessed in the study?`,
  background: (t) => `What is stated about ${t} as background to the study?`,
  other: (t) => `What is reported about ${t}?`,
};

export interface FindingsGeneratorOptions {
  vocab: MeshVocabulary;
  /** Most items per record (default 3). */
  itemsPerRecord?: number;
  /** Clock for `createdAt` (default: the system clock). */
  now?: () => Date;
}

/**
 * A second rule-based strategy, unlike the cloze one: for each target it finds the sentence that
 * reports on it (results first, then conclusions, other sections, methods, background) and asks an
 * open question about the target whose answer is that sentence, worded by the kind of section
 * ("What result was observed for X?"). Cloze items test recall of a term; these test recall of a
 * finding. Paired with the cloze strategy, every offline run yields two candidates per target.
 * @example const gen = createFindingsGenerator({ vocab }); const { items } = await gen.generate(record, undefined, { targets: ['D003924'] });
 */
export function createFindingsGenerator(options: FindingsGeneratorOptions): Generator {
  const itemsPerRecord = options.itemsPerRecord ?? 3;
  if (!Number.isInteger(itemsPerRecord) || itemsPerRecord < 1 || itemsPerRecord > 100) {
    throw new RuleBasedGeneratorConfigError(`itemsPerRecord must be an integer from 1 to 100, got ${itemsPerRecord}`);
  }
  const now = options.now ?? (() => new Date());
  const version = FINDINGS_GENERATOR_VERSION;
  const provenance: Provenance = { backend: 'rule-based', name: FINDINGS_GENERATOR_NAME, version, promptVersion: 'none', model: null };
  const { vocab } = options;

  return {
    name: FINDINGS_GENERATOR_NAME,
    version,
    promptVersion: 'none',
    async generate(record: AnnotatedRecord, signal?: AbortSignal, request?: GenerateRequest): Promise<GenerateResult> {
      signal?.throwIfAborted();
      const article = record.record;
      const sentences = rankedSentences(article.abstract);
      if (sentences.length === 0) return { items: [], failures: [] };
      const targets = request?.targets ? requestedTargets(record, request.targets) : selectTargets(record, Math.max(8, itemsPerRecord * 3));
      const context = abstractText(article);
      const paperMesh = [...new Set(record.mesh.map((m) => m.descriptorUi))];
      const createdAt = now().toISOString();
      const items: QaCandidate[] = [];
      const used = new Set<string>();
      for (const target of targets) {
        if (items.length >= itemsPerRecord) break;
        const forms = surfaceFormsOf(target, vocab);
        if (forms.length === 0) continue;
        const found = sentences.find((s) => !used.has(s.text) && findForm(s.text, forms) !== null);
        if (!found) continue;
        used.add(found.text);
        const topic = findForm(found.text, forms)!.text;
        const question = QUESTIONS[found.kind](topic);
        items.push({
          id: qaId(article.pmid, `${FINDINGS_GENERATOR_NAME}/${version}`, `${target.descriptorUi} ${question}`),
          pmid: article.pmid,
          pmidVersion: article.version,
          type: 'open',
          question,
          answer: found.text,
          longAnswer: found.text,
          options: null,
          context,
          target: toTarget(target),
          paperMesh,
          generator: provenance,
          createdAt,
        });
      }
      return { items, failures: [] };
    },
  };
}

interface RankedSentence {
  text: string;
  kind: SectionKind;
}

/** The abstract's usable sentences, those of the sections that report findings first. */
function rankedSentences(sections: readonly AbstractSection[]): RankedSentence[] {
  const all: RankedSentence[] = [];
  for (const section of sections) {
    const kind = sectionKind(section);
    for (const text of splitSentences(section.text)) {
      const t = text.trim();
      if (t.length >= MIN_SENTENCE_CHARS && t.length <= MAX_SENTENCE_CHARS) all.push({ text: t, kind });
    }
  }
  return SECTION_ORDER.flatMap((k) => all.filter((s) => s.kind === k));
}

function sectionKind(section: AbstractSection): SectionKind {
  const tag = `${section.nlmCategory ?? ''} ${section.label ?? ''}`.toUpperCase();
  if (/RESULT|FINDING/.test(tag)) return 'results';
  if (/CONCLUSION|INTERPRETATION/.test(tag)) return 'conclusions';
  if (/METHOD|DESIGN|SETTING|PATIENTS|PARTICIPANTS|INTERVENTION|MEASURE/.test(tag)) return 'methods';
  if (/BACKGROUND|INTRODUCTION|OBJECTIVE|PURPOSE|AIM|CONTEXT/.test(tag)) return 'background';
  return 'other';
}

function toTarget(t: MeshTerm): MeshTarget {
  return { descriptorUi: t.descriptorUi, name: t.name, treeNumbers: [...t.treeNumbers], branches: branchesOf(t.treeNumbers), source: t.source };
}
