import { GeneratorConfigError } from '../errors/medistillErrors.ts';
import { PROMPT_STYLES, type PromptStyle } from './generatePrompt.ts';

/** The rule-based strategies: cloze and conclusion items, or questions on each target's finding. */
export const RULE_BASED_STRATEGIES = ['cloze', 'findings'] as const;
export type RuleBasedStrategy = (typeof RULE_BASED_STRATEGIES)[number];

/** One generator configuration named by `--generators` / MEDISTILL_GENERATORS. */
export type GeneratorSpec =
  | { kind: 'rule-based'; strategy: RuleBasedStrategy }
  /** An LLM generator: model and endpoint default to the configured ones (MEDISTILL_LLM_*). */
  | { kind: 'llm'; model: string | null; baseUrl: string | null; prompt: PromptStyle };

export const GENERATORS_SYNTAX = `a comma-separated list of one or two generators, each
  rule-based[:cloze|:findings]                   a rule-based strategy (default cloze)
  llm[:<model>][@<base URL>][#standard|#hierarchy]  an LLM generator (default: the configured model and endpoint, standard prompt)
e.g. rule-based,rule-based:findings  or  llm:gpt-4o-mini,llm:llama3.1@http://localhost:11434/v1#hierarchy`;

/** The generators used when none are named: two LLM prompts with an LLM configured, else the two rule-based strategies. */
export function defaultGeneratorSpecs(llm: boolean): string {
  return llm ? 'llm,llm#hierarchy' : 'rule-based:cloze,rule-based:findings';
}

/**
 * Parses a generator list ("rule-based,rule-based:findings", "llm:gpt-4o-mini,llm#hierarchy"): one
 * or two configurations, which must differ.
 * @example parseGeneratorSpecs('llm:qwen2.5@http://localhost:8000/v1,llm#hierarchy')
 */
export function parseGeneratorSpecs(text: string): GeneratorSpec[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) {
    throw new GeneratorConfigError(`generators: expected one or two, got "${text}"; ${GENERATORS_SYNTAX}`);
  }
  const specs = parts.map(parseOne);
  if (specs.length === 2 && JSON.stringify(specs[0]) === JSON.stringify(specs[1])) {
    throw new GeneratorConfigError(`generators: "${text}" names the same generator twice; give two models, endpoints, prompts or strategies`);
  }
  return specs;
}

function parseOne(part: string): GeneratorSpec {
  if (part === 'rule-based' || part.startsWith('rule-based:')) {
    const strategy = part === 'rule-based' ? 'cloze' : part.slice('rule-based:'.length);
    if (!(RULE_BASED_STRATEGIES as readonly string[]).includes(strategy)) {
      throw new GeneratorConfigError(`generators: unknown rule-based strategy "${strategy}" (known: ${RULE_BASED_STRATEGIES.join(', ')})`);
    }
    return { kind: 'rule-based', strategy: strategy as RuleBasedStrategy };
  }
  if (part === 'llm' || part.startsWith('llm:') || part.startsWith('llm#') || part.startsWith('llm@')) {
    let rest = part.slice(3);
    let prompt: PromptStyle = 'standard';
    const hash = rest.lastIndexOf('#');
    if (hash >= 0) {
      const style = rest.slice(hash + 1);
      if (!(PROMPT_STYLES as readonly string[]).includes(style)) {
        throw new GeneratorConfigError(`generators: unknown prompt "${style}" in "${part}" (known: ${PROMPT_STYLES.join(', ')})`);
      }
      prompt = style as PromptStyle;
      rest = rest.slice(0, hash);
    }
    let baseUrl: string | null = null;
    const at = rest.indexOf('@');
    if (at >= 0) {
      baseUrl = rest.slice(at + 1);
      rest = rest.slice(0, at);
      if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) throw new GeneratorConfigError(`generators: "${baseUrl}" in "${part}" is not an http(s) URL`);
    }
    let model: string | null = null;
    if (rest.startsWith(':')) {
      model = rest.slice(1);
      if (model === '') throw new GeneratorConfigError(`generators: empty model name in "${part}"`);
    } else if (rest !== '') {
      throw new GeneratorConfigError(`generators: cannot read "${part}"; ${GENERATORS_SYNTAX}`);
    }
    return { kind: 'llm', model, baseUrl, prompt };
  }
  throw new GeneratorConfigError(`generators: unknown generator "${part}"; ${GENERATORS_SYNTAX}`);
}
