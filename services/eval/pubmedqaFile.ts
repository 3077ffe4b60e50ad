import { readFile } from 'node:fs/promises';
import { EvalInputError, EvalItemError } from '../errors/medistillErrors.ts';

export type PubmedqaLabel = 'yes' | 'no' | 'maybe';
export const PUBMEDQA_LABELS: readonly PubmedqaLabel[] = ['yes', 'no', 'maybe'];

/** One PQA-L item as the evaluation uses it: PubMedQA's fields, renamed, with the expert label when known. */
export interface PubmedqaItem {
  /** The key of the item in the file: the PMID. */
  id: string;
  question: string;
  /** The abstract without its conclusion, one entry per labelled section. */
  contexts: string[];
  labels: string[];
  /** The conclusion: given to the model only in the reasoning-free setting. */
  longAnswer: string;
  meshes: string[];
  year: string | null;
  /** The expert label: `final_decision`, or the ground-truth file's entry; null when unknown. */
  gold: PubmedqaLabel | null;
}

/** What a file held: the usable items, and one error per item that could not be used. */
export interface PubmedqaFile {
  items: PubmedqaItem[];
  failures: EvalItemError[];
}

/**
 * Reads a PQA-L file as published (`ori_pqal.json`, `test_set.json`: one object keyed by PMID, each
 * with QUESTION, CONTEXTS, LABELS, LONG_ANSWER and, in the labelled files, final_decision), and the
 * test split's ground-truth file (`{ "<pmid>": "yes" | "no" | "maybe" }`) when given. A file that is
 * not that layout is refused whole; an item with missing or malformed fields is a counted failure.
 * @example const { items, failures } = await readPubmedqaFile('ori_pqal.json');
 */
export async function readPubmedqaFile(path: string, groundTruthPath?: string): Promise<PubmedqaFile> {
  const raw = await readJson(path);
  const truth = groundTruthPath === undefined ? null : parseGroundTruth(await readJson(groundTruthPath), groundTruthPath);
  return parsePubmedqa(raw, path, truth);
}

/** The parsing half of readPubmedqaFile, for values already in memory. */
export function parsePubmedqa(raw: unknown, source: string, truth: ReadonlyMap<string, PubmedqaLabel> | null = null): PubmedqaFile {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EvalInputError(`${source} is not in PubMedQA's layout: expected one JSON object keyed by PMID, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new EvalInputError(`${source} holds no items`);
  const looksRight = entries.some(([, v]) => v !== null && typeof v === 'object' && 'QUESTION' in v);
  if (!looksRight) {
    throw new EvalInputError(`${source} is not in PubMedQA's layout: no item has a QUESTION field (expected {"<pmid>": {"QUESTION", "CONTEXTS", "LONG_ANSWER", "final_decision", ...}})`);
  }
  const items: PubmedqaItem[] = [];
  const failures: EvalItemError[] = [];
  for (const [id, value] of entries) {
    try {
      items.push(parseItem(id, value, truth));
    } catch (error) {
      if (!(error instanceof EvalItemError)) throw error;
      failures.push(error);
    }
  }
  return { items, failures };
}

function parseItem(id: string, value: unknown, truth: ReadonlyMap<string, PubmedqaLabel> | null): PubmedqaItem {
  if (value === null || typeof value !== 'object') throw new EvalItemError(id, 'is not an object');
  const v = value as Record<string, unknown>;
  const question = v.QUESTION;
  if (typeof question !== 'string' || !question.trim()) throw new EvalItemError(id, 'QUESTION is missing or empty');
  const contexts = v.CONTEXTS;
  if (!Array.isArray(contexts) || contexts.length === 0 || !contexts.every((c) => typeof c === 'string')) {
    throw new EvalItemError(id, 'CONTEXTS must be a non-empty list of strings');
  }
  const longAnswer = v.LONG_ANSWER;
  if (typeof longAnswer !== 'string') throw new EvalItemError(id, 'LONG_ANSWER is missing');
  let gold: PubmedqaLabel | null = null;
  const decision = truth ? truth.get(id) : v.final_decision;
  if (decision !== undefined) {
    if (!isLabel(decision)) throw new EvalItemError(id, `final_decision must be yes, no or maybe, got ${JSON.stringify(decision)}`);
    gold = decision;
  }
  const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  return {
    id,
    question: question.trim(),
    contexts: contexts as string[],
    labels: strings(v.LABELS),
    longAnswer,
    meshes: strings(v.MESHES),
    year: typeof v.YEAR === 'string' ? v.YEAR : null,
    gold,
  };
}

function parseGroundTruth(raw: unknown, source: string): Map<string, PubmedqaLabel> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new EvalInputError(`${source} is not a PubMedQA ground-truth file: expected {"<pmid>": "yes" | "no" | "maybe"}`);
  }
  const out = new Map<string, PubmedqaLabel>();
  for (const [id, label] of Object.entries(raw as Record<string, unknown>)) {
    if (!isLabel(label)) throw new EvalInputError(`${source}: the label of ${id} must be yes, no or maybe, got ${JSON.stringify(label)}`);
    out.set(id, label);
  }
  return out;
}

function isLabel(x: unknown): x is PubmedqaLabel {
  return x === 'yes' || x === 'no' || x === 'maybe';
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EvalInputError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EvalInputError(`${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
