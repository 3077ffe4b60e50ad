/**
 * Text addressed to a model rather than to a reader: an instruction to drop earlier instructions, a
 * role assignment, an order to give a fixed answer. Scientific abstracts do not talk to their reader
 * this way, so a passage holding one is not a sound ground for an item, whatever else it says.
 */
const INSTRUCTION_PATTERNS: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget|override|bypass)\b[^.]{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|your|the)\b[^.]{0,30}\b(?:instructions?|prompts?|rules|directions|guidelines|context)\b/i,
  /\b(?:you are|act as|pretend to be|you must act as)\s+(?:an?\s+)?(?:ai|assistant|language model|chatbot|grader|judge|reviewer)\b/i,
  /\b(?:always |only |just )?(?:answer|respond|reply|output|say|return|score|rate|mark)\s+(?:with\s+)?(?:only\s+)?["'“]?(?:yes|no|true|accept(?:ed)?|1(?:\.0)?|correct)["'”]?\s*(?:to|for|regardless|no matter|whatever|and nothing)\b/i,
  /\b(?:system prompt|new instructions?|developer mode|jailbreak)\b/i,
];

/** The first instruction-like phrase in a text, or null. */
export function findInjectedInstruction(text: string): string | null {
  for (const p of INSTRUCTION_PATTERNS) {
    const m = p.exec(text);
    if (m) return m[0];
  }
  return null;
}
