import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { QaCandidate } from '../model/qaItem.ts';
import { fitYesNoLabeller } from './fitYesNoLabeller.ts';
import type { PubmedqaItem, PubmedqaLabel } from './pubmedqaFile.ts';
import { createYesNoLabeller, type YesNoLabeller } from './yesNoLabeller.ts';

/** The maker named on expert-labelled items. */
export const PUBMEDQA_EXPERT = 'pubmedqa-expert';

/** What PubMedQA's expert-labelled items gave the judge-validation suite. */
export interface PubmedqaCleanItems {
  candidates: QaCandidate[];
  /** Items without an expert label or without a MeSH heading the vocabulary knows. */
  skipped: number;
}

/**
 * PubMedQA's expert-labelled items as clean yes/no/maybe items: the question, the abstract without
 * its conclusion as context, the conclusion as long answer, and the experts' decision as answer, so
 * the label is known from evidence independent of any generator. The target is the paper's MeSH
 * heading named in the question (else its first), resolved by name in the vocabulary.
 */
export function pubmedqaCleanItems(items: readonly PubmedqaItem[], vocab: MeshVocabulary, createdAt: string): PubmedqaCleanItems {
  const byName = new Map<string, string>();
  for (const d of vocab.descriptors()) byName.set(d.name.toLowerCase(), d.ui);
  const candidates: QaCandidate[] = [];
  let skipped = 0;
  for (const item of items) {
    const uis = [...new Set(item.meshes.flatMap((m) => byName.get(m.toLowerCase()) ?? []))];
    if (item.gold === null || uis.length === 0) {
      skipped++;
      continue;
    }
    const q = item.question.toLowerCase();
    const ui = uis.find((u) => q.includes(vocab.get(u)!.name.toLowerCase())) ?? uis[0]!;
    const d = vocab.get(ui)!;
    candidates.push({
      id: `pubmedqa:${item.id}`,
      pmid: item.id,
      pmidVersion: 1,
      type: 'yes_no_maybe',
      question: item.question,
      answer: item.gold,
      longAnswer: item.longAnswer,
      options: null,
      context: item.contexts.join('\n'),
      target: { descriptorUi: ui, name: d.name, treeNumbers: [...d.treeNumbers], branches: [...new Set(d.treeNumbers.map((t) => t.charAt(0)))].sort(), source: 'nlm' },
      paperMesh: uis,
      generator: { backend: 'rule-based', name: PUBMEDQA_EXPERT, version: 'PQA-L', promptVersion: 'none', model: null },
      createdAt,
    });
  }
  return { candidates, skipped };
}

/**
 * Labellers for judging expert-labelled items without having seen them: items the given labeller
 * was fitted on are read by a labeller refitted (same procedure) on the other folds only (item i of
 * the labelled ones in fold i mod k); items it never saw keep it. Returns labeller by item id.
 */
export function crossFittedLabellers(items: readonly PubmedqaItem[], labeller: YesNoLabeller, folds = 10): Map<string, YesNoLabeller> {
  const labelled = items.filter((i): i is PubmedqaItem & { gold: PubmedqaLabel } => i.gold !== null);
  const seen = labelled.filter((i) => labeller.fittedIds.has(i.id));
  const out = new Map<string, YesNoLabeller>(labelled.map((i) => [i.id, labeller]));
  if (seen.length === 0) return out;
  const k = Math.min(folds, labelled.length);
  for (let f = 0; f < k; f++) {
    const held = labelled.filter((_, i) => i % k === f);
    if (!held.some((i) => labeller.fittedIds.has(i.id))) continue;
    const train = labelled.filter((_, i) => i % k !== f);
    const fold = createYesNoLabeller(fitYesNoLabeller(train, `cross-fit fold ${f + 1}/${k}`));
    for (const i of held) out.set(i.id, fold);
  }
  return out;
}
