import { GeneratorConfigError } from '../errors/medistillErrors.ts';
import type { GenerateRequest, GenerateResult, Generator } from './generator.ts';

/** The identity of a generator as items carry it: name, code version and prompt version. */
export function generatorIdentity(g: Pick<Generator, 'name' | 'version' | 'promptVersion'>): string {
  return `${g.name}/${g.version}/${g.promptVersion}`;
}

/**
 * Two generators run as one, so that each chosen target gets a candidate from both: the first
 * writes for the targets it chooses, the second for the targets of the first's items (or its own
 * choice when the first wrote none). Both sets of candidates go on to the judge; the preferences
 * stage pairs them by target. The pair's name and versions join the two, so replacing either
 * generator regenerates the record. The two must differ (name, version or prompt), or their
 * candidates could not be told apart.
 * @example const gen = createGeneratorPair(createRuleBasedGenerator({ vocab }), createFindingsGenerator({ vocab }));
 */
export function createGeneratorPair(first: Generator, second: Generator): Generator {
  if (generatorIdentity(first) === generatorIdentity(second)) {
    throw new GeneratorConfigError(`the two generators are the same (${generatorIdentity(first)}): give two models, endpoints or prompts`);
  }
  return {
    name: `${first.name}+${second.name}`,
    version: `${first.version}+${second.version}`,
    promptVersion: `${first.promptVersion}+${second.promptVersion}`,
    async generate(record, signal, request?: GenerateRequest): Promise<GenerateResult> {
      const a = await first.generate(record, signal, request);
      const targets = [...new Set(a.items.map((i) => i.target.descriptorUi))];
      const b = await second.generate(record, signal, targets.length > 0 ? { targets } : request);
      return { items: [...a.items, ...b.items], failures: [...a.failures, ...b.failures] };
    },
  };
}
