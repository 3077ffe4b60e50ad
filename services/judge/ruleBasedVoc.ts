import { fillCloze, parseCloze } from '../generate/clozeQuestion.ts';
import type { OptionVerdict, QaCandidate, VerificationOfChoice } from '../model/qaItem.ts';
import type { ContextIndex } from './contextIndex.ts';

/**
 * Verification-of-Choice without a model: every option is checked against the context on its own.
 * For a cloze, an option survives when filling the blank with it gives a sentence of the context;
 * otherwise when the option occurs in the context sentence closest to the question (the evidence).
 * The item passes only when the keyed option alone survives. Null for items without options.
 */
export function verifyChoicesByRules(candidate: QaCandidate, ctx: ContextIndex): VerificationOfChoice | null {
  if (candidate.type !== 'multiple_choice' || !candidate.options) return null;
  const cloze = parseCloze(candidate.question);
  const evidence = cloze ? null : ctx.bestSentence(candidate.question);
  const options: OptionVerdict[] = candidate.options.map((o) => {
    if (cloze) {
      const supported = ctx.containsPassage(fillCloze(cloze, o.text));
      return {
        label: o.label,
        supported,
        argument: `filling the blank with "${o.text}" gives ${supported ? 'a sentence of the context' : 'no sentence of the context'}`,
      };
    }
    const supported = evidence !== null && evidence.share > 0 && ctx.containsPhrase(o.text, evidence.sentence);
    return {
      label: o.label,
      supported,
      argument: evidence
        ? `"${o.text}" ${supported ? 'occurs' : 'does not occur'} in the evidence sentence "${evidence.sentence}"`
        : 'no evidence sentence in the context',
    };
  });
  const survivors = options.filter((o) => o.supported).map((o) => o.label);
  return { options, survivors, passed: survivors.length === 1 && survivors[0] === candidate.answer };
}
