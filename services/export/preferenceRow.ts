import type { PreferencePair, PreferenceSide } from '../model/preferencePair.ts';
import type { ProvenanceRow } from './datasetRow.ts';

/** What the dataset says about one side of a pair besides its text. */
export interface PreferenceSideMetadata {
  item_id: string;
  type: string;
  generator: ProvenanceRow;
  scores: Record<string, number>;
  score_reasons: Record<string, string>;
  combined: number;
  verdict: 'accept' | 'reject';
  reject_reasons: string[];
}

/**
 * One line of a preference file (`data/preferences-*.jsonl`): `prompt`, `chosen` and `rejected` as
 * TRL's DPOTrainer reads them (plain strings, the standard preference format), and everything else
 * under `metadata` (drop that one column for a trainer that refuses extra ones).
 */
export interface PreferenceRow {
  prompt: string;
  chosen: string;
  rejected: string;
  metadata: {
    id: string;
    pmid: string;
    pmid_version: number;
    target: { descriptor_ui: string; name: string; tree_numbers: string[] };
    margin: number;
    scoring: string;
    reasons: string[];
    chosen: PreferenceSideMetadata;
    rejected: PreferenceSideMetadata;
  };
}

function sideMetadata(s: PreferenceSide): PreferenceSideMetadata {
  return {
    item_id: s.itemId,
    type: s.type,
    generator: { backend: s.generator.backend, name: s.generator.name, version: s.generator.version, prompt_version: s.generator.promptVersion, model: s.generator.model, cached: s.generator.cached === true },
    scores: Object.fromEntries(Object.entries(s.scores).map(([k, v]) => [k, v.score])),
    score_reasons: Object.fromEntries(Object.entries(s.scores).map(([k, v]) => [k, v.reason])),
    combined: s.combined,
    verdict: s.verdict,
    reject_reasons: [...s.rejectReasons],
  };
}

/** The dataset line of a pair. */
export function toPreferenceRow(pair: PreferencePair, scoring: string): PreferenceRow {
  return {
    prompt: pair.prompt,
    chosen: pair.chosen.text,
    rejected: pair.rejected.text,
    metadata: {
      id: pair.id,
      pmid: pair.pmid,
      pmid_version: pair.pmidVersion,
      target: { descriptor_ui: pair.target.descriptorUi, name: pair.target.name, tree_numbers: [...pair.target.treeNumbers] },
      margin: pair.margin,
      scoring,
      reasons: [...pair.reasons],
      chosen: sideMetadata(pair.chosen),
      rejected: sideMetadata(pair.rejected),
    },
  };
}
