import type { QaCandidate } from '../model/qaItem.ts';

/**
 * The prompt both generators of a pair answer, as a DPO trainer sees it: the target descriptor with
 * its place in MeSH, and the abstract. Written from the candidate, so it is the same for every
 * candidate of the target whichever generator wrote it.
 */
export function preferencePrompt(c: Pick<QaCandidate, 'target' | 'context'>): string {
  const tree = c.target.treeNumbers.length > 0 ? `; tree numbers ${c.target.treeNumbers.join(', ')}` : '';
  return [
    `Write a question-answer item about the MeSH descriptor "${c.target.name}" (${c.target.descriptorUi}${tree}), answerable from this abstract alone.`,
    '',
    'Abstract:',
    c.context,
  ].join('\n');
}

/** A candidate written out as a response: question, options, answer, explanation. */
export function preferenceResponse(c: Pick<QaCandidate, 'type' | 'question' | 'options' | 'answer' | 'longAnswer'>): string {
  const lines = [`Question: ${c.question}`];
  if (c.options && c.options.length > 0) lines.push(...c.options.map((o) => `${o.label}. ${o.text}`));
  lines.push(`Answer: ${c.answer}`);
  if (c.longAnswer && c.longAnswer !== c.answer) lines.push(`${c.type === 'yes_no_maybe' ? 'Long answer' : 'Explanation'}: ${c.longAnswer}`);
  return lines.join('\n');
}
