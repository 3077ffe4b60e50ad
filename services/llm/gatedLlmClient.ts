import type { LlmCallGate } from './llmCallGate.ts';
import { requestSignal } from './requestSignal.ts';
import type { ChatJsonResult, LlmClient, LlmMessage } from './llmClient.ts';

/** Rough token estimate of a request: prompt characters / 4, plus the completion budget. */
export function estimateTokens(messages: readonly LlmMessage[], maxCompletionTokens: number): number {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  return Math.ceil(chars / 4) + maxCompletionTokens;
}

/**
 * Puts every call of a client through the rate limit (requests and tokens per minute) and the
 * adaptive concurrency limit; the real token count corrects the estimate afterwards.
 */
export function gateLlmClient(client: LlmClient, gate: LlmCallGate, maxCompletionTokens: number): LlmClient {
  return {
    model: client.model,
    baseUrl: client.baseUrl,
    describe: () => client.describe(),
    chatJson(messages, schema, options) {
      const signal = requestSignal(options?.signal);
      const own = signal === undefined ? options : { ...options, signal };
      return gate({
        estimatedTokens: estimateTokens(messages, maxCompletionTokens),
        call: () => client.chatJson(messages, schema, own),
        tokensUsed: (r: ChatJsonResult<unknown>) => r.usage.promptTokens + r.usage.completionTokens,
        signal,
      });
    },
  };
}
