export type YesNoMaybe = 'yes' | 'no' | 'maybe';

/** Phrases that state an absent effect or association: the study's answer is "no". */
const NEGATION_CUES: readonly RegExp[] = [
  /\b(?:did|does|do|was|were|is|are|could|can|has|have|had|may|might|will|would|should)(?: not|n't)\b/i,
  /\bno (?:statistically )?significant\b/i,
  /\bnot (?:statistically )?significant(?:ly)?\b/i,
  /\bno (?:clear |clinically )?(?:association|difference|differences|effect|effects|benefit|evidence|improvement|impact|relationship|correlation|change)\b/i,
  /\bnot (?:associated|related|correlated|effective|superior|beneficial|improve|reduce|increase|affect)\w*\b/i,
  /\bfailed to\b/i,
  /\b(?:neither|unrelated|ineffective)\b/i,
];

/** Phrases that leave the question open: the study's answer is "maybe". */
const HEDGE_CUES: readonly RegExp[] = [
  /\b(?:may|might|could|possibly|perhaps)\b/i,
  /\b(?:unclear|uncertain|inconclusive|controversial|remains? to be)\b/i,
  /\b(?:further|more|additional|larger|future) (?:\w+ )?(?:studies|study|research|trials|investigation|investigations|data|evidence)\b/i,
  /\b(?:warranted|limited evidence|insufficient evidence)\b/i,
];

/** Which cue decided the answer, for the judge's and the reader's benefit. */
export interface CueAnalysis {
  answer: YesNoMaybe;
  cues: string[];
}

/**
 * Reads a conclusion the way PubMedQA annotators would at first glance: an explicit negation answers
 * "no", hedging answers "maybe", and a plain statement answers "yes". Negation wins over hedging
 * ("may not" is a no), because it names the direction of the finding.
 * @example analyseConclusion('Metformin did not reduce mortality.').answer // 'no'
 */
export function analyseConclusion(text: string): CueAnalysis {
  const negations = matchesOf(NEGATION_CUES, text);
  if (negations.length > 0) return { answer: 'no', cues: negations };
  const hedges = matchesOf(HEDGE_CUES, text);
  if (hedges.length > 0) return { answer: 'maybe', cues: hedges };
  return { answer: 'yes', cues: [] };
}

function matchesOf(patterns: readonly RegExp[], text: string): string[] {
  const found: string[] = [];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) found.push(m[0].toLowerCase());
  }
  return found;
}
