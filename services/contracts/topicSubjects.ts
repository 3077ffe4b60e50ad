import { AVRO_SCHEMAS, TOPICS, dlqTopic } from './avroSchemas.ts';
import { ContractConfigError } from '../errors/medistillErrors.ts';

/** Key of the dead-letter schema in AVRO_SCHEMAS (and its file name under schemas/). */
export const DEAD_LETTER_SCHEMA = 'dead-letter';

/** The registry subject of a topic's values (Confluent TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Which schema of AVRO_SCHEMAS a topic's values follow: its own, or the dead-letter schema for `<topic>.dlq`. */
export function schemaNameOfTopic(topic: string): string {
  const pipelineTopics: readonly string[] = Object.values(TOPICS);
  if (pipelineTopics.includes(topic)) return topic;
  if (pipelineTopics.some((t) => dlqTopic(t) === topic)) return DEAD_LETTER_SCHEMA;
  throw new ContractConfigError(
    `topic "${topic}" has no value schema; known topics: ${pipelineTopics.flatMap((t) => [t, dlqTopic(t)]).join(', ')}`,
  );
}

/** One registry subject and the schema it holds. */
export interface SubjectSchema {
  topic: string;
  subject: string;
  schemaName: string;
  schema: Record<string, unknown>;
}

/** Every subject of the pipeline: each topic's values and each dead-letter topic's values, in flow order. */
export function pipelineSubjects(): SubjectSchema[] {
  return Object.values(TOPICS).flatMap((topic) =>
    [topic, dlqTopic(topic)].map((t) => {
      const schemaName = schemaNameOfTopic(t);
      return { topic: t, subject: valueSubject(t), schemaName, schema: AVRO_SCHEMAS[schemaName] as Record<string, unknown> };
    }),
  );
}
