import { dlqTopic } from '../../contracts/avroSchemas.ts';
import { redactUrlCredentials } from '../../config/urlCredentials.ts';
import { toDeadLetterValue } from '../../contracts/deadLetterMapping.ts';
import { createLineage } from '../../contracts/lineage.ts';
import type { DeadLetterMessage } from '../../contracts/topicMessages.ts';

const MAX_MESSAGE = 2000;

/**
 * Builds the dead letter of a message a stage could not process: the original bytes, where they
 * came from, and why — in the value and, for tools that only read headers, in headers too.
 */
export function deadLetterFor(input: {
  stage: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  error: unknown;
  codeVersion: string;
}): { topic: string; value: DeadLetterMessage; headers: Record<string, string> } {
  const err = input.error;
  const errorClass = err instanceof Error ? err.name : typeof err;
  const raw = redactUrlCredentials(err instanceof Error ? err.message : String(err));
  const errorMessage = raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE - 3)}...` : raw;
  const value = toDeadLetterValue(
    { originalTopic: input.topic, partition: input.partition, offset: input.offset, key: input.key, value: input.value, stage: input.stage, errorClass, errorMessage },
    createLineage(input.stage, input.codeVersion),
  );
  return {
    topic: dlqTopic(input.topic),
    value,
    headers: {
      'medistill.original.topic': input.topic,
      'medistill.original.partition': String(input.partition),
      'medistill.original.offset': input.offset,
      'medistill.stage': input.stage,
      'medistill.error.class': errorClass,
      'medistill.error.message': errorMessage,
    },
  };
}
