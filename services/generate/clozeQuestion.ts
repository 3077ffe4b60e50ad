import { MESH_BRANCHES } from '../mesh/meshVocabulary.ts';

/** The blank in a cloze statement. */
export const BLANK = '____';

/** What to call the missing term, by MeSH branch, so the question says what kind of answer it wants. */
const BRANCH_NOUNS: Readonly<Record<string, string>> = {
  A: 'anatomical structure',
  B: 'organism',
  C: 'disease',
  D: 'chemical or drug',
  E: 'technique or procedure',
  F: 'psychological concept',
  G: 'phenomenon or process',
  H: 'discipline or occupation',
  I: 'social concept',
  J: 'technology',
  K: 'humanities topic',
  L: 'information science concept',
  M: 'population group',
  N: 'health care concept',
  V: 'publication characteristic',
  Z: 'geographic location',
};

/** A cloze statement split at its single blank. */
export interface ParsedCloze {
  statement: string;
  before: string;
  after: string;
}

/**
 * The question text of a cloze item: asks for the term (naming its MeSH branch) that completes
 * the sentence with the term blanked out.
 * @example clozeQuestion('C', 'Patients with ____ received metformin.', 'open')
 * // 'Which disease (MeSH: Diseases) completes the statement: "Patients with ____ received metformin."?'
 */
export function clozeQuestion(branch: string | null, statement: string, type: 'open' | 'multiple_choice'): string {
  const noun = (branch && BRANCH_NOUNS[branch]) ?? 'term';
  const branchName = branch ? MESH_BRANCHES[branch] : undefined;
  const kind = branchName ? `${noun} (MeSH: ${branchName})` : noun;
  const verb = type === 'multiple_choice' ? 'Which of the following is the' : 'Which';
  const lead = type === 'multiple_choice' ? `${verb} ${kind} that best completes` : `${verb} ${kind} completes`;
  return `${lead} the statement: "${statement}"?`;
}

/**
 * Finds the cloze statement in a question: the quoted text after "statement:" when present, else the
 * whole question; null unless it holds exactly one blank.
 */
export function parseCloze(question: string): ParsedCloze | null {
  const marker = question.indexOf(': "');
  const close = question.lastIndexOf('"');
  const statement =
    marker >= 0 && close > marker + 2 ? question.slice(marker + 3, close) : question.replace(/\?\s*$/, '');
  const first = statement.indexOf(BLANK);
  if (first < 0 || statement.indexOf(BLANK, first + BLANK.length) >= 0) return null;
  if (/_{5,}/.test(statement)) return null;
  return { statement, before: statement.slice(0, first), after: statement.slice(first + BLANK.length) };
}

/** The statement with the blank filled. */
export function fillCloze(cloze: ParsedCloze, text: string): string {
  return `${cloze.before}${text}${cloze.after}`;
}
