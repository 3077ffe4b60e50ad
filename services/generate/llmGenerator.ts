import type { LlmClient } from '../llm/llmClient.ts';
import { LlmAbortedError, LlmBadOutputError, LlmCacheMissError, LlmConfigError, LlmError } from '../errors/medistillErrors.ts';
import { MESH_BRANCHES, type MeshVocabulary } from '../mesh/meshVocabulary.ts';
import type { AnnotatedRecord, MeshTerm } from '../model/annotatedRecord.ts';
import { abstractText } from '../model/pubmedRecord.ts';
import { qaId } from '../model/qaId.ts';
import { ITEM_TYPES, type ItemType, type MeshTarget, type Provenance, type QaCandidate } from '../model/qaItem.ts';
import {
  buildGenerateMessages,
  PROMPT_VERSIONS,
  type PromptStyle,
  generateAnswerSchema,
  generatedItemSchema,
  type GeneratedItem,
  type GenerateSlot,
} from './generatePrompt.ts';
import type { GenerateRequest, GenerateResult, Generator } from './generator.ts';
import { branchesOf } from './meshBranches.ts';
import { requestedTargets, selectTargets as defaultSelectTargets } from './selectTargets.ts';

/** Code version of the LLM generator: bump when the way items are built from answers changes. */
export const LLM_GENERATOR_VERSION = '1.0.0';

/** Settings of the LLM generator. */
export interface LlmGeneratorOptions {
  client: LlmClient;
  /** Model name recorded in provenance (defaults to the client's). */
  model?: string;
  /** Items asked for per record (1..20, default 3). */
  itemsPerRecord?: number;
  /** Item types, cycled over the slots (default all three). */
  types?: readonly ItemType[];
  /** Chooses target descriptors spread over MeSH branches (default: selectTargets). */
  selectTargets?: (record: AnnotatedRecord, max: number) => MeshTerm[];
  /** When given, ancestors are named in the prompt; without it only ancestors that are also the record's terms are. */
  vocabulary?: Pick<MeshVocabulary, 'get'>;
  /** Longest abstract sent to the model, in characters (default 12 000); the item's context stays whole. */
  maxAbstractChars?: number;
  /** Most ancestor names given per target (default 4). */
  maxAncestorNames?: number;
  /** Which prompt to write items with (default `standard`); the style's prompt version is in every item's provenance. */
  promptStyle?: PromptStyle;
  /** Clock for createdAt. */
  now?: () => Date;
}

/**
 * A Generator that asks an LLM for items grounded in each record's abstract and steered by its MeSH
 * descriptors. One request per record: the abstract, the largest part of the prompt, is sent once
 * instead of once per target, which divides prompt tokens and requests (the scarce quantities under
 * RPM/TPM limits) by the number of items, and lets the model avoid asking the same thing twice.
 * A bad item is dropped and counted on its own; only an unusable answer costs the whole record.
 *
 * @example
 * const gen = createLlmGenerator({ client, itemsPerRecord: 3 });
 * const { items, failures } = await gen.generate(annotated);
 */
export function createLlmGenerator(options: LlmGeneratorOptions): Generator {
  const itemsPerRecord = options.itemsPerRecord ?? 3;
  const types = options.types ?? ITEM_TYPES;
  const maxAbstractChars = options.maxAbstractChars ?? 12_000;
  const maxAncestorNames = options.maxAncestorNames ?? 4;
  const model = options.model ?? options.client.model;
  if (!Number.isInteger(itemsPerRecord) || itemsPerRecord < 1 || itemsPerRecord > 20) {
    throw new LlmConfigError(`itemsPerRecord must be a whole number from 1 to 20, got ${itemsPerRecord}`);
  }
  if (types.length === 0 || types.some((t) => !ITEM_TYPES.includes(t))) {
    throw new LlmConfigError(`types must be a non-empty list of ${ITEM_TYPES.join(', ')}`);
  }
  if (!Number.isInteger(maxAbstractChars) || maxAbstractChars < 200) {
    throw new LlmConfigError(`maxAbstractChars must be a whole number of at least 200, got ${maxAbstractChars}`);
  }
  if (model.trim() === '') throw new LlmConfigError('model must be a non-empty model name');
  const selectTargets = options.selectTargets ?? defaultSelectTargets;
  const now = options.now ?? (() => new Date());
  const name = `llm:${model}`;
  const promptStyle = options.promptStyle ?? 'standard';
  const promptVersion = PROMPT_VERSIONS[promptStyle];
  if (promptVersion === undefined) throw new LlmConfigError(`promptStyle must be one of ${Object.keys(PROMPT_VERSIONS).join(', ')}, got "${promptStyle}"`);
  // The id changes with the prompt version so that regenerating with a new prompt yields new items.
  const idVersion = `${name}/${LLM_GENERATOR_VERSION}/${promptVersion}`;

  async function generate(record: AnnotatedRecord, signal?: AbortSignal, request?: GenerateRequest): Promise<GenerateResult> {
    const article = record.record;
    const context = abstractText(article);
    if (context.trim() === '') return { items: [], failures: [{ reason: 'no_abstract', message: `PMID ${article.pmid} has no abstract` }] };
    // Asked for given targets, it writes one item for each of them.
    const targets = request?.targets ? requestedTargets(record, request.targets).slice(0, itemsPerRecord) : selectTargets(record, itemsPerRecord);
    if (targets.length === 0) {
      return { items: [], failures: [{ reason: 'no_targets', message: `PMID ${article.pmid} has no usable MeSH target` }] };
    }
    const slots = planSlots(record, targets, types, request?.targets ? targets.length : itemsPerRecord, options.vocabulary, maxAncestorNames);
    const messages = buildGenerateMessages({
      pmid: article.pmid,
      title: article.title,
      abstract: context.length > maxAbstractChars ? `${context.slice(0, maxAbstractChars)} [...]` : context,
      slots,
    }, promptStyle);

    let answer: { items: unknown[] };
    let reportedModel: string;
    let cached: boolean;
    try {
      const result = await options.client.chatJson(messages, generateAnswerSchema, {
        purpose: 'generate',
        promptVersion,
        ...(signal ? { signal } : {}),
      });
      answer = result.value;
      reportedModel = result.model;
      cached = result.cached === true;
    } catch (error) {
      // Shutdown and programming errors must surface; every other LLM failure is this record's failure.
      if (error instanceof LlmAbortedError || !(error instanceof LlmError)) throw error;
      const reason = error instanceof LlmBadOutputError ? 'llm_bad_output' : error instanceof LlmCacheMissError ? 'llm_cache_miss' : 'llm_unavailable';
      return { items: [], failures: [{ reason, message: `PMID ${article.pmid}: ${error.message}` }] };
    }

    const provenance: Provenance = {
      backend: 'llm',
      name,
      version: LLM_GENERATOR_VERSION,
      promptVersion,
      model: reportedModel,
      ...(cached ? { cached: true } : {}),
    };
    const termsByUi = new Map(record.mesh.map((t) => [t.descriptorUi, t] as const));
    const paperMesh = [...termsByUi.keys()];
    const createdAt = now().toISOString();
    const items: QaCandidate[] = [];
    const failures: GenerateResult['failures'] = [];
    const seen = new Set<string>();

    answer.items.forEach((raw, index) => {
      const where = `PMID ${article.pmid} item ${index + 1}`;
      if (index >= itemsPerRecord) {
        failures.push({ reason: 'excess_item', message: `${where}: more items than the ${itemsPerRecord} asked for` });
        return;
      }
      const parsed = generatedItemSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue?.path.map(String).join('.') || '(item)';
        failures.push({ reason: 'invalid_item', message: `${where}: ${path}: ${issue?.message ?? 'invalid'}` });
        return;
      }
      const item = parsed.data;
      const term = termsByUi.get(item.targetUi);
      if (!term) {
        failures.push({ reason: 'unknown_target', message: `${where}: target ${item.targetUi} is not one of the record's descriptors` });
        return;
      }
      if (!types.includes(item.type)) {
        failures.push({ reason: 'unexpected_type', message: `${where}: type ${item.type} was not asked for` });
        return;
      }
      const problem = item.type === 'multiple_choice' ? checkChoices(item) : null;
      if (problem) {
        failures.push({ reason: problem.reason, message: `${where}: ${problem.message}` });
        return;
      }
      const id = qaId(article.pmid, idVersion, item.question);
      if (seen.has(id)) {
        failures.push({ reason: 'duplicate_question', message: `${where}: the same question was written twice` });
        return;
      }
      seen.add(id);
      items.push({
        id,
        pmid: article.pmid,
        pmidVersion: article.version,
        ...itemFields(item),
        context,
        target: toTarget(term),
        paperMesh,
        generator: provenance,
        createdAt,
      });
    });
    const received = Math.min(answer.items.length, itemsPerRecord);
    if (received < slots.length) {
      failures.push({
        reason: 'llm_missing_items',
        message: `PMID ${article.pmid}: asked for ${slots.length} items, got ${received}`,
      });
    }
    return { items, failures };
  }

  return { name, version: LLM_GENERATOR_VERSION, promptVersion, generate };
}

/** Slot i gets target i mod targets and type i mod types, so targets and types both spread evenly. */
function planSlots(
  record: AnnotatedRecord,
  targets: MeshTerm[],
  types: readonly ItemType[],
  count: number,
  vocabulary: Pick<MeshVocabulary, 'get'> | undefined,
  maxAncestorNames: number,
): GenerateSlot[] {
  const names = new Map(record.mesh.map((t) => [t.descriptorUi, t.name] as const));
  const ancestorName = (ui: string): string | undefined => vocabulary?.get(ui)?.name ?? names.get(ui);
  const slots: GenerateSlot[] = [];
  for (let i = 0; i < count; i++) {
    const term = targets[i % targets.length]!;
    const type = types[i % types.length]!;
    slots.push({
      slot: i + 1,
      type,
      target: {
        descriptorUi: term.descriptorUi,
        name: term.name,
        treeNumbers: term.treeNumbers,
        branchNames: branchesOf(term.treeNumbers).map((b) => MESH_BRANCHES[b] ?? b),
        ancestorNames: term.ancestors
          .map(ancestorName)
          .filter((n): n is string => n !== undefined)
          .slice(0, maxAncestorNames),
      },
    });
  }
  return slots;
}

/** A multiple-choice item is usable only with labels A, B, C, D(, E) in order, distinct texts, and a key among them. */
function checkChoices(item: Extract<GeneratedItem, { type: 'multiple_choice' }>): { reason: string; message: string } | null {
  const labels = item.options.map((o) => o.label);
  if (labels.join('') !== 'ABCDE'.slice(0, labels.length)) {
    return { reason: 'mcq_bad_options', message: `option labels ${labels.join(',')} are not A, B, C, D(, E) in order` };
  }
  const texts = new Set(item.options.map((o) => o.text.toLowerCase()));
  if (texts.size !== item.options.length) return { reason: 'mcq_bad_options', message: 'two options have the same text' };
  if (!(labels as string[]).includes(item.answer)) {
    return { reason: 'mcq_key_not_in_options', message: `key ${item.answer} is not among options ${labels.join(',')}` };
  }
  return null;
}

function itemFields(item: GeneratedItem): Pick<QaCandidate, 'type' | 'question' | 'answer' | 'longAnswer' | 'options'> {
  switch (item.type) {
    case 'open':
      return { type: 'open', question: item.question, answer: item.answer, longAnswer: item.explanation, options: null };
    case 'yes_no_maybe':
      return { type: 'yes_no_maybe', question: item.question, answer: item.answer, longAnswer: item.longAnswer, options: null };
    case 'multiple_choice':
      return {
        type: 'multiple_choice',
        question: item.question,
        answer: item.answer,
        longAnswer: item.explanation,
        options: item.options.map((o) => ({ label: o.label, text: o.text })),
      };
  }
}

function toTarget(term: MeshTerm): MeshTarget {
  return {
    descriptorUi: term.descriptorUi,
    name: term.name,
    treeNumbers: term.treeNumbers,
    branches: branchesOf(term.treeNumbers),
    source: term.source,
  };
}
