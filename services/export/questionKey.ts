import { createHash } from 'node:crypto';

/**
 * The de-duplication key of a question: questions equal up to case and white space share it.
 * A short hash rather than the text keeps the set of remembered questions small.
 */
export function questionKey(question: string): string {
  const normalised = question.trim().replace(/\s+/g, ' ').toLowerCase();
  return createHash('sha256').update(normalised).digest('base64url').slice(0, 22);
}
