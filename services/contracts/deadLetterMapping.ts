import { copyLineage, type Lineage } from './lineage.ts';
import { SCHEMA_VERSION, type DeadLetter, type DeadLetterMessage } from './topicMessages.ts';

const copyBytes = (bytes: Buffer | null): Buffer | null => (bytes === null ? null : Buffer.from(bytes));

/** The `<topic>.dlq` value of a dead letter; the raw key and value bytes are copied, not shared. */
export function toDeadLetterValue(deadLetter: DeadLetter, lineage: Lineage): DeadLetterMessage {
  return {
    schemaVersion: SCHEMA_VERSION,
    originalTopic: deadLetter.originalTopic,
    partition: deadLetter.partition,
    offset: deadLetter.offset,
    key: copyBytes(deadLetter.key),
    value: copyBytes(deadLetter.value),
    stage: deadLetter.stage,
    errorClass: deadLetter.errorClass,
    errorMessage: deadLetter.errorMessage,
    lineage: copyLineage(lineage),
  };
}

/** The dead letter carried by a `<topic>.dlq` value (for replay tools and inspection). */
export function fromDeadLetterValue(value: DeadLetterMessage): DeadLetter {
  return {
    originalTopic: value.originalTopic,
    partition: value.partition,
    offset: value.offset,
    key: copyBytes(value.key),
    value: copyBytes(value.value),
    stage: value.stage,
    errorClass: value.errorClass,
    errorMessage: value.errorMessage,
  };
}
