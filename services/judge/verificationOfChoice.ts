import { lastValueFrom, toArray } from 'rxjs';
import type { LlmClient } from '../llm/llmClient.ts';
import type { OptionVerdict, QaCandidate, VerificationOfChoice } from '../model/qaItem.ts';
import { boundedMapAsync } from '../operators/boundedMapAsync.ts';
import { buildVocMessages, VOC_PROMPT_VERSION, vocAnswerSchema } from './judgePrompt.ts';

/** Options of verifyChoices. */
export interface VerifyChoicesOptions {
  /** Most option requests in flight for one item (default 3). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Verification-of-Choice: one request per option, in which the model argues for that option and
 * checks the argument against the context. The item passes only when the keyed option is the one
 * and only survivor. A failed request rejects the whole verification (the caller decides what that means).
 *
 * @example
 * const voc = await verifyChoices(client, candidate, { concurrency: 3 });
 * voc.passed // true when only the key survived
 */
export async function verifyChoices(
  client: LlmClient,
  candidate: QaCandidate,
  options: VerifyChoicesOptions = {},
): Promise<VerificationOfChoice> {
  const choices = candidate.options ?? [];
  const concurrency = options.concurrency ?? 3;
  const verdicts = await lastValueFrom(
    boundedMapAsync(
      choices,
      async (choice): Promise<OptionVerdict> => {
        const { value } = await client.chatJson(buildVocMessages(candidate, choice.label), vocAnswerSchema, {
          purpose: 'voc',
          promptVersion: VOC_PROMPT_VERSION,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return { label: choice.label, argument: value.argument, supported: value.supported };
      },
      concurrency,
    ).pipe(toArray()),
  );
  // Completion order is arbitrary; report options in label order.
  verdicts.sort((a, b) => a.label.localeCompare(b.label));
  const survivors = verdicts.filter((v) => v.supported).map((v) => v.label);
  return { options: verdicts, survivors, passed: survivors.length === 1 && survivors[0] === candidate.answer };
}
