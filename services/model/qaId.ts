import { createHash } from 'node:crypto';

/** Deterministic item id: the same pmid, generator version and question always give the same id. */
export function qaId(pmid: string, generatorVersion: string, question: string): string {
  const normalized = question.trim().replace(/\s+/g, ' ').toLowerCase();
  return createHash('sha256').update(`${pmid}\u0000${generatorVersion}\u0000${normalized}`).digest('hex').slice(0, 24);
}
