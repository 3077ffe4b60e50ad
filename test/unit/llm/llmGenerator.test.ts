import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmGenerator, LLM_GENERATOR_VERSION } from '../../../services/generate/llmGenerator.ts';
import { GENERATE_PROMPT_VERSION } from '../../../services/generate/generatePrompt.ts';
import { createLlmClient } from '../../../services/llm/llmClient.ts';
import { LlmConfigError } from '../../../services/errors/medistillErrors.ts';
import type { MeshDescriptor } from '../../../services/mesh/meshVocabulary.ts';
import { abstractText } from '../../../services/model/pubmedRecord.ts';
import { invalidJson, replyJson, serverError, startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { fixedTargets, metforminRecord } from './llmFixtures.ts';

const KEY = 'sk-gen-test-0123456789abcdef';
let server: OpenAiTestServer;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterEach(() => server.reset());
afterAll(() => server.close());

function generator(overrides: Partial<Parameters<typeof createLlmGenerator>[0]> = {}) {
  const client = createLlmClient({ baseUrl: server.url, apiKey: KEY, model: 'test-model', minBackoffMs: 1, maxBackoffMs: 5, maxRetries: 1 });
  return createLlmGenerator({
    client,
    itemsPerRecord: 3,
    types: ['open', 'yes_no_maybe', 'multiple_choice'],
    selectTargets: fixedTargets(['D003924', 'D008687', 'D007333']),
    now: () => new Date('2024-05-01T12:00:00Z'),
    ...overrides,
  });
}

const openItem = {
  slot: 1,
  type: 'open',
  targetUi: 'D003924',
  question: 'How long were adults with newly diagnosed type 2 diabetes treated in the metformin trial?',
  answer: '24 weeks',
  explanation: 'The methods state a 24-week treatment period.',
};
const ynmItem = {
  slot: 2,
  type: 'yes_no_maybe',
  targetUi: 'D008687',
  question: 'Does metformin lower glycated haemoglobin in newly diagnosed type 2 diabetes?',
  answer: 'Yes',
  longAnswer: 'Glycated haemoglobin fell by 0.9 points with metformin against 0.1 with placebo.',
};
const mcqItem = {
  slot: 3,
  type: 'multiple_choice',
  targetUi: 'D007333',
  question: 'Which measure fell only with metformin in adults with newly diagnosed type 2 diabetes?',
  options: [
    { label: 'A', text: 'Body weight' },
    { label: 'B', text: 'Insulin resistance' },
    { label: 'C', text: 'Blood pressure' },
    { label: 'D', text: 'LDL cholesterol' },
  ],
  answer: 'b',
  explanation: 'Insulin resistance fell only with metformin.',
};

describe('createLlmGenerator', () => {
  it('builds valid candidates of all three types from one request per record', async () => {
    server.enqueue(replyJson({ items: [openItem, ynmItem, mcqItem] }));
    const record = metforminRecord();
    const result = await generator().generate(record);

    expect(result.failures).toEqual([]);
    expect(result.items.map((i) => i.type)).toEqual(['open', 'yes_no_maybe', 'multiple_choice']);
    expect(server.chatRequests()).toHaveLength(1);
    const [open, ynm, mcq] = result.items;

    expect(open).toMatchObject({ pmid: '90000001', pmidVersion: 1, answer: '24 weeks', longAnswer: openItem.explanation, options: null });
    expect(ynm).toMatchObject({ answer: 'yes', longAnswer: ynmItem.longAnswer });
    expect(mcq).toMatchObject({ answer: 'B', options: mcqItem.options, longAnswer: mcqItem.explanation });
    expect(mcq?.target).toEqual({
      descriptorUi: 'D007333',
      name: 'Insulin Resistance',
      treeNumbers: ['C18.452.394.968.500', 'G07.690.773.984.617'],
      branches: ['C', 'G'],
      source: 'nlm',
    });
    for (const item of result.items) {
      expect(item.id).toMatch(/^[0-9a-f]{24}$/);
      expect(item.context).toBe(abstractText(record.record));
      expect(item.paperMesh).toEqual(['D003924', 'D008687', 'D007333', 'D006801', 'D003920']);
      expect(item.generator).toEqual({
        backend: 'llm',
        name: 'llm:test-model',
        version: LLM_GENERATOR_VERSION,
        promptVersion: GENERATE_PROMPT_VERSION,
        model: 'test-model',
      });
      expect(item.createdAt).toBe('2024-05-01T12:00:00.000Z');
    }
    expect(new Set(result.items.map((i) => i.id)).size).toBe(3);
  });

  it('gives the same ids when the same answer is generated again', async () => {
    server.enqueue(replyJson({ items: [openItem, ynmItem, mcqItem] }), replyJson({ items: [openItem, ynmItem, mcqItem] }));
    const first = await generator().generate(metforminRecord());
    const second = await generator().generate(metforminRecord());
    expect(second.items.map((i) => i.id)).toEqual(first.items.map((i) => i.id));
  });

  it('steers the prompt with the abstract, each target, its tree numbers, category and ancestor names', async () => {
    server.enqueue(replyJson({ items: [openItem, ynmItem, mcqItem] }));
    const names: Record<string, string> = { D001645: 'Biguanides', D006146: 'Guanidines', D044882: 'Glucose Metabolism Disorders' };
    const vocabulary = {
      get: (ui: string): MeshDescriptor | undefined => {
        const name = names[ui];
        return name ? { ui, name, treeNumbers: [], terms: [] } : undefined;
      },
    };
    await generator({ vocabulary }).generate(metforminRecord());
    const prompt = (server.chatRequests()[0]?.body?.messages ?? []).map((m) => m.content).join('\n');

    expect(prompt).toContain('Glycated haemoglobin fell by 0.9 percentage points');
    expect(prompt).toMatch(/1\. type open; target D003924 "Diabetes Mellitus, Type 2" \(tree numbers C18\.452\.394\.750\.149, C19\.246\.300; category Diseases/);
    expect(prompt).toMatch(/2\. type yes_no_maybe; target D008687 "Metformin" .*category Chemicals and Drugs; broader terms: Biguanides > Guanidines/);
    expect(prompt).toMatch(/3\. type multiple_choice; target D007333 .*broader terms: Glucose Metabolism Disorders/);
    // Ancestors that are the record's own terms are named even without a vocabulary.
    server.enqueue(replyJson({ items: [openItem] }));
    await generator({ itemsPerRecord: 1, types: ['open'] }).generate(metforminRecord());
    expect(server.chatRequests()[1]?.body?.messages?.[1]?.content).toContain('broader terms: Diabetes Mellitus');
  });

  it('drops and counts items with an unknown target, a key outside the options, bad labels, a bad shape, duplicates or extras', async () => {
    const items = [
      openItem,
      { ...ynmItem, targetUi: 'D999999' },
      { ...mcqItem, answer: 'E' },
      { ...mcqItem, question: 'Which outcome?', options: mcqItem.options.slice(0, 3) },
      { ...mcqItem, options: [...mcqItem.options].reverse() },
      { ...openItem, question: '' },
      { ...openItem },
      { ...ynmItem, answer: 'probably' },
      mcqItem,
    ];
    server.enqueue(replyJson({ items }));
    const result = await generator({ itemsPerRecord: 8 }).generate(metforminRecord());

    expect(result.items.map((i) => i.question)).toEqual([openItem.question]);
    expect(result.failures.map((f) => f.reason)).toEqual([
      'unknown_target',
      'mcq_key_not_in_options',
      'invalid_item',
      'mcq_bad_options',
      'invalid_item',
      'duplicate_question',
      'invalid_item',
      'excess_item',
    ]);
    expect(result.failures[1]?.message).toMatch(/key E is not among options A,B,C,D/);
    expect(result.failures[0]?.message).toMatch(/D999999 is not one of the record's descriptors/);
  });

  it('counts missing items when the model writes fewer than asked', async () => {
    server.enqueue(replyJson({ items: [openItem] }));
    const result = await generator().generate(metforminRecord());
    expect(result.items).toHaveLength(1);
    expect(result.failures).toEqual([{ reason: 'llm_missing_items', message: 'PMID 90000001: asked for 3 items, got 1' }]);
  });

  it('turns two unusable answers into one llm_bad_output failure instead of throwing', async () => {
    server.enqueue(invalidJson('items: none'), replyJson({ things: [] }));
    const result = await generator().generate(metforminRecord());
    expect(result.items).toEqual([]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.reason).toBe('llm_bad_output');
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('turns an unreachable server into an llm_unavailable failure whose message has no key', async () => {
    server.enqueue(serverError(502), serverError(503));
    const result = await generator().generate(metforminRecord());
    expect(result.items).toEqual([]);
    expect(result.failures[0]?.reason).toBe('llm_unavailable');
    expect(result.failures[0]?.message).toMatch(/LLM unavailable at .* after 2 attempts: 503/);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(server.sentKey(server.chatRequests()[0]!, KEY)).toBe(true);
  });

  it('skips records without an abstract or without targets without calling the LLM', async () => {
    const noAbstract = await generator().generate(metforminRecord({ abstract: [] }));
    expect(noAbstract.failures.map((f) => f.reason)).toEqual(['no_abstract']);
    const noTargets = await generator({ selectTargets: () => [] }).generate(metforminRecord());
    expect(noTargets.failures.map((f) => f.reason)).toEqual(['no_targets']);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it('rejects bad options at construction', () => {
    expect(() => generator({ itemsPerRecord: 0 })).toThrow(LlmConfigError);
    expect(() => generator({ types: [] })).toThrow(/types must be/);
  });
});
