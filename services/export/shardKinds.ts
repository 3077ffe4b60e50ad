import { ProgrammingError } from '../errors/medistillErrors.ts';
import { ACCEPTED_FEATURES, PREFERENCE_FEATURES, REJECTED_FEATURES, type FeatureField } from './datasetFeatures.ts';

/**
 * A kind of row the export store writes into every shard: each kind gets its own files
 * (`data/<name>-NNNNN.parquet` and `.jsonl`), its own column types and its own configuration in the
 * card, so `load_dataset(<folder>, "<config>")` reads it. A new kind of row is one more entry here.
 */
export interface ShardKind {
  name: string;
  /** Configuration name in the card; `default` is what `load_dataset(<folder>)` reads. */
  config: string;
  features: readonly FeatureField[];
  /** One line for the card. */
  description: string;
}

export const SHARD_KINDS = [
  { name: 'accepted', config: 'default', features: ACCEPTED_FEATURES, description: 'accepted question-answer items' },
  { name: 'rejected', config: 'rejected', features: REJECTED_FEATURES, description: 'items the judge rejected and dropped duplicates, with their reasons' },
  // Rows of this kind come from the preference pairs the store keeps per paper (DPO prompt/chosen/rejected).
  { name: 'preferences', config: 'preferences', features: PREFERENCE_FEATURES, description: 'preference pairs of two items for one target: prompt, chosen, rejected' },
] as const satisfies readonly ShardKind[];

export type ShardKindName = (typeof SHARD_KINDS)[number]['name'];

/** The kind named `name`. */
export function shardKind(name: string): ShardKind {
  const kind = SHARD_KINDS.find((k) => k.name === name);
  if (!kind) throw new ProgrammingError(`no shard kind "${name}"`);
  return kind;
}
