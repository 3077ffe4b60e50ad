import { ProgrammingError } from '../errors/medistillErrors.ts';
import { CRITERIA } from '../model/qaItem.ts';

/**
 * The column types of an exported table, declared once. The same declaration writes the JSONL lines
 * (every field present, in order, floats always with a decimal point), builds the Parquet schema and
 * fills the card's `dataset_info.features`, so a reader never has to infer a type from the values: a
 * score of exactly 1 is still a float64, and an absent optional field is a typed null.
 */
export type Feature =
  | { kind: 'string' | 'int64' | 'float64' | 'bool'; nullable?: boolean }
  | { kind: 'list'; of: Feature; nullable?: boolean }
  | { kind: 'struct'; fields: readonly FeatureField[]; nullable?: boolean };

/** A named column or struct field. */
export interface FeatureField {
  name: string;
  type: Feature;
}

const string = (nullable = false): Feature => ({ kind: 'string', nullable });
const int64 = (nullable = false): Feature => ({ kind: 'int64', nullable });
const float64 = (): Feature => ({ kind: 'float64' });
const bool = (nullable = false): Feature => ({ kind: 'bool', nullable });
const list = (of: Feature, nullable = false): Feature => ({ kind: 'list', of, nullable });
const struct = (fields: Record<string, Feature>, nullable = false): Feature => ({ kind: 'struct', fields: Object.entries(fields).map(([name, type]) => ({ name, type })), nullable });
const fields = (f: Record<string, Feature>): FeatureField[] => Object.entries(f).map(([name, type]) => ({ name, type }));

const PROVENANCE = struct({ backend: string(), name: string(), version: string(), prompt_version: string(), model: string(true), cached: bool() });

const ITEM_COLUMNS: Record<string, Feature> = {
  id: string(),
  question: string(),
  answer: string(),
  long_answer: string(true),
  type: string(),
  options: list(struct({ label: string(), text: string() }), true),
  answer_key: string(true),
  context: string(),
  pmid: string(),
  pmid_version: int64(),
  mesh_targets: list(struct({ descriptor_ui: string(), name: string(), tree_numbers: list(string()), branches: list(string()), source: string() })),
  paper_mesh: list(string()),
  retrieved_pmids: list(string()),
  scores: struct(Object.fromEntries(CRITERIA.map((c) => [c, float64()]))),
  score_reasons: struct(Object.fromEntries(CRITERIA.map((c) => [c, string()]))),
  hierarchy_formula: string(),
  voc: struct({ options: list(struct({ label: string(), argument: string(), supported: bool() })), survivors: list(string()), passed: bool() }, true),
  generator: PROVENANCE,
  judge: PROVENANCE,
  created_at: string(),
  judged_at: string(),
};

/** Columns of an accepted item (`data/accepted-*`): one row of `DatasetRow`. */
export const ACCEPTED_FEATURES: readonly FeatureField[] = fields(ITEM_COLUMNS);

/** Columns of a rejected item or dropped duplicate (`data/rejected-*`): the item plus why it left. */
export const REJECTED_FEATURES: readonly FeatureField[] = fields({
  ...ITEM_COLUMNS,
  verdict: string(),
  reject_reasons: list(string()),
  duplicate_of: string(true),
});

const PREFERENCE_SIDE = struct({
  item_id: string(),
  type: string(),
  generator: PROVENANCE,
  scores: struct(Object.fromEntries(CRITERIA.map((c) => [c, float64()]))),
  score_reasons: struct(Object.fromEntries(CRITERIA.map((c) => [c, string()]))),
  combined: float64(),
  verdict: string(),
  reject_reasons: list(string()),
});

/**
 * Columns of a preference pair (`data/preferences-*`): `prompt`, `chosen`, `rejected` as TRL's
 * DPOTrainer reads them, everything else under `metadata`.
 */
export const PREFERENCE_FEATURES: readonly FeatureField[] = fields({
  prompt: string(),
  chosen: string(),
  rejected: string(),
  metadata: struct({
    id: string(),
    pmid: string(),
    pmid_version: int64(),
    target: struct({ descriptor_ui: string(), name: string(), tree_numbers: list(string()) }),
    margin: float64(),
    scoring: string(),
    reasons: list(string()),
    chosen: PREFERENCE_SIDE,
    rejected: PREFERENCE_SIDE,
  }),
});

/** Columns of `failures.jsonl`: every input part a run could not process, with its position and raw text. */
export const FAILURE_FEATURES: readonly FeatureField[] = fields({
  reason: string(),
  message: string(),
  source: string(true),
  pmid: string(true),
  position: struct({ line: int64(), column: int64(), offset: int64() }, true),
  raw: string(true),
  truncated: bool(true),
});

/**
 * One JSON line of `value` under `columns`: fields in declaration order, absent nullable ones as
 * null, unknown ones left out, floats with a decimal point. A value that does not fit its type is
 * a bug in the code that built the row, so it throws ProgrammingError naming the field.
 * @example encodeJsonRow(ACCEPTED_FEATURES, toDatasetRow(item)) // '{"id":"…",…,"scores":{"grounded":1.0,…}}'
 */
export function encodeJsonRow(columns: readonly FeatureField[], value: object): string {
  return encodeStruct(columns, value as Record<string, unknown>, '');
}

function encodeStruct(columns: readonly FeatureField[], value: Record<string, unknown>, path: string): string {
  let out = '{';
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    if (i > 0) out += ',';
    out += `${JSON.stringify(c.name)}:${encodeValue(c.type, value[c.name], path ? `${path}.${c.name}` : c.name)}`;
  }
  return `${out}}`;
}

function encodeValue(type: Feature, value: unknown, path: string): string {
  if (value === null || value === undefined) {
    if (type.nullable) return 'null';
    throw new ProgrammingError(`exported field ${path} is ${value === null ? 'null' : 'missing'} but its type is not nullable`);
  }
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') break;
      return JSON.stringify(value);
    case 'int64':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) break;
      return String(value);
    case 'float64':
      if (typeof value !== 'number' || !Number.isFinite(value)) break;
      return Number.isInteger(value) && Math.abs(value) < 1e15 ? value.toFixed(1) : String(value);
    case 'bool':
      if (typeof value !== 'boolean') break;
      return value ? 'true' : 'false';
    case 'list':
      if (!Array.isArray(value)) break;
      return `[${value.map((v, i) => encodeValue(type.of, v, `${path}[${i}]`)).join(',')}]`;
    case 'struct':
      if (typeof value !== 'object' || Array.isArray(value)) break;
      return encodeStruct(type.fields, value as Record<string, unknown>, path);
  }
  throw new ProgrammingError(`exported field ${path} is not a ${type.kind}: ${JSON.stringify(value)?.slice(0, 80)}`);
}

/**
 * The features in the layout of a Hugging Face card's `dataset_info.features` (what
 * `datasets.Features._from_yaml_list` reads): `dtype` for scalars, `struct` for records, `list`
 * for lists.
 */
export function huggingFaceFeatures(columns: readonly FeatureField[]): Record<string, unknown>[] {
  return columns.map((c) => ({ name: c.name, ...huggingFaceType(c.type) }));
}

function huggingFaceType(type: Feature): Record<string, unknown> {
  switch (type.kind) {
    case 'list': {
      const inner = huggingFaceType(type.of);
      return { list: 'dtype' in inner ? inner.dtype : inner.struct };
    }
    case 'struct':
      return { struct: huggingFaceFeatures(type.fields) };
    default:
      return { dtype: type.kind };
  }
}
