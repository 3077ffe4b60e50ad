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
  const generatorClient = createLlmClient(settings.generator);
  const judgeClient = settings.judge.model === settings.generator.model ? generatorClient : createLlmClient(settings.judge);
  return {
    generator: createLlmGenerator({ client: generatorClient, itemsPerRecord }),
    judge: createLlmJudge({ client: judgeClient, hierarchyScorer, thresholds }),
    settingsLines: describeLlmSettings(settings),
  };
}
