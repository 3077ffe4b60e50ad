import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AVRO_SCHEMAS } from './avroSchemas.ts';
import { ContractConfigError } from '../errors/medistillErrors.ts';
import { pipelineSubjects } from './topicSubjects.ts';

/** schemas/ at the repository root. */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

// Attributes in the order a reader expects (name first, long lists last); others follow alphabetically.
const KEY_ORDER = ['name', 'namespace', 'type', 'logicalType', 'doc', 'aliases', 'order', 'symbols', 'items', 'values', 'size', 'default', 'fields'];
const rank = (key: string): number => {
  const i = KEY_ORDER.indexOf(key);
  return i === -1 ? KEY_ORDER.length : i;
};

function withStableKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withStableKeys);
  if (node === null || typeof node !== 'object') return node;
  const keys = Object.keys(node).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, withStableKeys((node as Record<string, unknown>)[k])]));
}

/** A schema as file text: pretty JSON with a stable key order, so the same schema always gives the same bytes. */
export function renderSchemaFile(schema: unknown): string {
  return `${JSON.stringify(withStableKeys(schema), null, 2)}\n`;
}

/** The file name of a schema under schemas/. */
export function schemaFileName(schemaName: string): string {
  return `${schemaName}.avsc`;
}

/** What schemas/ must hold: file name to text, for every schema of AVRO_SCHEMAS. */
export function generatedSchemaFiles(): Map<string, string> {
  return new Map(Object.entries(AVRO_SCHEMAS).map(([name, schema]) => [schemaFileName(name), renderSchemaFile(schema)]));
}

/** Writes every generated schema file into `dir`; returns the paths written. */
export async function writeSchemaFiles(dir: string = SCHEMAS_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of generatedSchemaFiles()) {
    const path = join(dir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}

/** One released version of a subject's schema, as kept in schemas/history/<subject>/v<N>.avsc. */
export interface HistoryVersion {
  version: number;
  path: string;
  text: string;
}

/** The folder holding a subject's released versions. */
export function historyDir(subject: string, dir: string = SCHEMAS_DIR): string {
  return join(dir, 'history', subject);
}

/** The released versions of a subject, oldest first; they must be v1..vN with none missing. */
export async function readSchemaHistory(subject: string, dir: string = SCHEMAS_DIR): Promise<HistoryVersion[]> {
  const folder = historyDir(subject, dir);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const versions: HistoryVersion[] = [];
  for (const name of names) {
    const match = /^v([1-9][0-9]*)\.avsc$/.exec(name);
    if (!match) throw new ContractConfigError(`${join(folder, name)}: history files are named v<N>.avsc`);
    const path = join(folder, name);
    versions.push({ version: Number(match[1]), path, text: await readFile(path, 'utf8') });
  }
  versions.sort((a, b) => a.version - b.version);
  versions.forEach((v, i) => {
    if (v.version !== i + 1) throw new ContractConfigError(`${folder}: v${i + 1}.avsc is missing; released versions are never deleted`);
  });
  return versions;
}

/**
 * Releases the current schemas: for each subject whose generated schema differs from its latest
 * history version (or that has none), writes the next `v<N>.avsc`. Returns the paths written.
 */
export async function releaseSchemaHistory(dir: string = SCHEMAS_DIR): Promise<string[]> {
  const written: string[] = [];
  for (const { subject, schema } of pipelineSubjects()) {
    const history = await readSchemaHistory(subject, dir);
    const text = renderSchemaFile(schema);
    if (history.at(-1)?.text === text) continue;
    const path = join(historyDir(subject, dir), `v${history.length + 1}.avsc`);
    await mkdir(historyDir(subject, dir), { recursive: true });
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}
