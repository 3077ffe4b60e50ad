import { describe, expect, it } from 'vitest';
import { createRuleBasedGenerator } from '../../../services/generate/ruleBasedGenerator.ts';
import { createFindingsGenerator, FINDINGS_GENERATOR_NAME } from '../../../services/generate/findingsGenerator.ts';
import { createGeneratorPair } from '../../../services/generate/generatorPair.ts';
import { defaultGeneratorSpecs, parseGeneratorSpecs } from '../../../services/generate/generatorSpec.ts';
import { GeneratorConfigError } from '../../../services/errors/medistillErrors.ts';
import type { Generator } from '../../../services/generate/generator.ts';
import { structuredRecord } from './records.ts';
import { tinyMeshVocabulary } from './tinyMeshVocabulary.ts';

const vocab = tinyMeshVocabulary();
const now = () => new Date('2024-05-01T00:00:00Z');

describe('the findings strategy (second rule-based generator)', () => {
  it('asks about each target the finding its results sentence reports, answered by that sentence', async () => {
    const gen = createFindingsGenerator({ vocab, now });
    const record = structuredRecord();
    const { items, failures } = await gen.generate(record);
    expect(failures).toEqual([]);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.type).toBe('open');
      expect(item.generator.name).toBe(FINDINGS_GENERATOR_NAME);
      expect(item.context).toContain(item.answer);
      expect(item.question).toMatch(/\?$/);
      expect(item.question).not.toContain('____');
    }
    // A results sentence comes first when the target appears there.
    expect(items.some((i) => i.question.startsWith('What result was observed for'))).toBe(true);
  });

  it('writes one item per requested target, in the order given, and nothing for a target it cannot find', async () => {
    const gen = createFindingsGenerator({ vocab, now });
    const record = structuredRecord();
    const all = await gen.generate(record);
    const uis = all.items.map((i) => i.target.descriptorUi);
    const asked = [...uis].reverse().concat(['D999999']);
    const { items } = await gen.generate(record, undefined, { targets: asked });
    expect(items.map((i) => i.target.descriptorUi)).toEqual([...uis].reverse());
  });
});

describe('two generators per target', () => {
  it('the second writes for the targets of the first, so every target of the first has a candidate from each', async () => {
    const first = createRuleBasedGenerator({ vocab, now });
    const second = createFindingsGenerator({ vocab, now });
    const pair = createGeneratorPair(first, second);
    const { items } = await pair.generate(structuredRecord());
    const firstTargets = new Set(items.filter((i) => i.generator.name === 'rule-based').map((i) => i.target.descriptorUi));
    const secondTargets = new Set(items.filter((i) => i.generator.name === FINDINGS_GENERATOR_NAME).map((i) => i.target.descriptorUi));
    expect(firstTargets.size).toBeGreaterThan(0);
    expect([...secondTargets].every((t) => firstTargets.has(t))).toBe(true);
    expect(secondTargets.size).toBeGreaterThan(0);
    expect(pair.name).toBe(`rule-based+${FINDINGS_GENERATOR_NAME}`);
    expect(pair.version).toBe(`${first.version}+${second.version}`);
  });

  it('passes the first generator\'s targets on and keeps both generators\' failures', async () => {
    const asked: (readonly string[] | undefined)[] = [];
    const fake = (name: string, targets: string[]): Generator => ({
      name,
      version: '1',
      promptVersion: 'p',
      async generate(record, _signal, request) {
        asked.push(request?.targets);
        const c = (await createFindingsGenerator({ vocab, now }).generate(record)).items[0]!;
        return { items: targets.map((t) => ({ ...c, id: `${name}-${t}`, target: { ...c.target, descriptorUi: t } })), failures: [{ reason: `${name}_failed`, message: 'x' }] };
      },
    });
    const pair = createGeneratorPair(fake('a', ['D1', 'D2', 'D1']), fake('b', []));
    const result = await pair.generate(structuredRecord());
    expect(asked).toEqual([undefined, ['D1', 'D2']]);
    expect(result.failures.map((f) => f.reason)).toEqual(['a_failed', 'b_failed']);
  });

  it('refuses two generators that cannot be told apart', () => {
    const g = createRuleBasedGenerator({ vocab });
    expect(() => createGeneratorPair(g, createRuleBasedGenerator({ vocab }))).toThrow(GeneratorConfigError);
  });
});

describe('--generators', () => {
  it('reads rule-based strategies and LLM models, endpoints and prompts', () => {
    expect(parseGeneratorSpecs('rule-based,rule-based:findings')).toEqual([
      { kind: 'rule-based', strategy: 'cloze' },
      { kind: 'rule-based', strategy: 'findings' },
    ]);
    expect(parseGeneratorSpecs('llm:llama3:8b@http://127.0.0.1:11434/v1#hierarchy,llm')).toEqual([
      { kind: 'llm', model: 'llama3:8b', baseUrl: 'http://127.0.0.1:11434/v1', prompt: 'hierarchy' },
      { kind: 'llm', model: null, baseUrl: null, prompt: 'standard' },
    ]);
    expect(parseGeneratorSpecs('llm#hierarchy')).toEqual([{ kind: 'llm', model: null, baseUrl: null, prompt: 'hierarchy' }]);
  });

  it('defaults to two LLM prompts with an LLM and to the two rule-based strategies without', () => {
    expect(parseGeneratorSpecs(defaultGeneratorSpecs(true)).map((s) => s.kind)).toEqual(['llm', 'llm']);
    expect(parseGeneratorSpecs(defaultGeneratorSpecs(false))).toEqual([
      { kind: 'rule-based', strategy: 'cloze' },
      { kind: 'rule-based', strategy: 'findings' },
    ]);
  });

  it.each([
    ['', /one or two/],
    ['rule-based,rule-based:findings,llm', /one or two/],
    ['rule-based,rule-based:cloze', /same generator twice/],
    ['rule-based:magic', /unknown rule-based strategy "magic"/],
    ['llm#fancy', /unknown prompt "fancy"/],
    ['llm:m@ftp://x', /not an http\(s\) URL/],
    ['gpt4', /unknown generator "gpt4"/],
  ])('refuses %j with a message saying what is wrong', (text, message) => {
    expect(() => parseGeneratorSpecs(text)).toThrow(GeneratorConfigError);
    expect(() => parseGeneratorSpecs(text)).toThrow(message);
  });
});
