import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

/** One document of a (possibly multi-document) YAML file, as plain data. */
export interface YamlDocument {
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  data: unknown;
}

/**
 * Parses every document of a YAML file the way Compose and kubectl read it (YAML 1.1 `<<` merge
 * keys resolved); a syntax error or a duplicate key fails with the file's name and position.
 */
export function parseYamlDocuments(file: string, text: string): YamlDocument[] {
  const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: YamlDocument[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    // An empty document (a trailing `---`, a file of comments) is no resource.
    if (data !== null && data !== undefined) out.push({ file, index: out.length, data });
  }
  return out;
}

/** Reads and parses every document of a YAML file. */
export async function readYamlDocuments(file: string): Promise<YamlDocument[]> {
  return parseYamlDocuments(file, await readFile(file, 'utf8'));
}
