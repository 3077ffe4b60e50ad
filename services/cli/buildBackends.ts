import type { Generator } from '../generate/generator.ts';
import type { HierarchyScorer, Judge } from '../judge/judge.ts';
import type { Thresholds } from '../judge/verdict.ts';
import type { MeshVocabulary } from '../mesh/meshVocabulary.ts';
import { createRuleBasedGenerator } from '../generate/ruleBasedGenerator.ts';
import { createRuleBasedJudge } from '../judge/ruleBasedJudge.ts';
import { createLlmClient } from '../llm/llmClient.ts';
import { createLlmGenerator } from '../generate/llmGenerator.ts';
import { createLlmJudge } from '../judge/llmJudge.ts';
import { describeLlmSettings, llmConfigured, llmSettingsFrom } from '../config/llmSettings.ts';
import type { ServiceConfig } from '../config/serviceConfig.ts';
import type { LlmEventListener } from '../llm/llmEvents.ts';
import type { LlmCallGate } from '../llm/llmCallGate.ts';
import { gateLlmClient } from '../llm/gatedLlmClient.ts';

export const BACKEND_CHOICES = ['auto', 'rule-based', 'llm'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface Backends {
  generator: Generator;
  judge: Judge;
  /** Settings to print at start-up, secrets redacted. */
  settingsLines: string[];
}

/** Chooses the generator and judge: LLM ones when an LLM server is configured (or asked for), else rule-based. */
export function buildBackends(options: {
  choice: BackendChoice;
  config: ServiceConfig;
  env: NodeJS.ProcessEnv;
  vocab: MeshVocabulary;
  hierarchyScorer: HierarchyScorer;
  thresholds: Thresholds;
  itemsPerRecord: number;
  /** Services: LLM events for metrics, and the rate-limit and concurrency gate every call goes through. */
  llm?: { onEvent?: LlmEventListener; gate?: LlmCallGate };
}): Backends {
  const { choice, config, env, vocab, hierarchyScorer, thresholds, itemsPerRecord } = options;
  const useLlm = choice === 'llm' || (choice === 'auto' && llmConfigured(config));
  if (!useLlm) {
    return {
      generator: createRuleBasedGenerator({ vocab, itemsPerRecord }),
      judge: createRuleBasedJudge({ hierarchyScorer, thresholds }),
      settingsLines: ['no LLM configured: rule-based generator and judge (items are marked generator: rule-based)'],
    };
  }
  const settings = llmSettingsFrom(config, env);
  const build = (c: typeof settings.generator) => {
    const client = createLlmClient(c, { onEvent: options.llm?.onEvent });
    return options.llm?.gate ? gateLlmClient(client, options.llm.gate, c.maxTokens) : client;
  };
  const generatorClient = build(settings.generator);
  const judgeClient = settings.judge.model === settings.generator.model ? generatorClient : build(settings.judge);
  return {
    generator: createLlmGenerator({ client: generatorClient, itemsPerRecord, vocabulary: vocab }),
    judge: createLlmJudge({ client: judgeClient, hierarchyScorer, thresholds }),
    settingsLines: describeLlmSettings(settings),
  };
}
