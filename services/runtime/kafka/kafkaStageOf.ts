import { createLineage, type Lineage } from '../../contracts/lineage.ts';
import type { Instrumentation } from '../../instrumentation/instrumentation.ts';
import type { AnyStageDefinition } from '../../stages/stageDefinition.ts';
import type { KafkaStage, StageInput as KafkaInput, StageOutput as KafkaOutput } from './stageRunner.ts';

interface Decoded {
  value: unknown;
  lineage: Lineage | null;
}

/**
 * A stage definition as the Kafka runner executes it: the input's Avro value is mapped to what the
 * stage works on through the input topic's contract, outputs are mapped back through the output
 * topic's contract with the lineage of this service (and of the input they came from). No stage rule
 * lives here: outcomes, tombstones and dedup keys are the definition's.
 */
export function kafkaStageOf(definition: AnyStageDefinition, options: { codeVersion: string; instrumentation: Instrumentation }): KafkaStage {
  // dedupKey and process see the same input object: decode it once.
  const decodedInputs = new WeakMap<KafkaInput, Decoded>();
  const decode = (input: KafkaInput): Decoded => {
    let decoded = decodedInputs.get(input);
    if (decoded === undefined) {
      decoded = input.value === null ? { value: null, lineage: null } : definition.input.fromValue(input.value);
      decodedInputs.set(input, decoded);
    }
    return decoded;
  };
  const stageInput = (input: KafkaInput) => {
    const { value, lineage } = decode(input);
    return { key: input.key, value, producedAt: lineage?.producedAt ?? new Date() };
  };
  const output = definition.output;
  return {
    name: definition.name,
    inputTopic: definition.input.topic,
    outputTopics: output ? [output.topic] : [],
    defaultMaxInFlight: definition.defaultMaxInFlight,
    dedupKey: (input) => definition.dedupKey(stageInput(input)),
    async process(input, signal): Promise<KafkaOutput[]> {
      const upstream = decode(input).lineage;
      const result = await definition.process(stageInput(input), { signal, instrumentation: options.instrumentation });
      if (output === null) return [];
      const lineage = createLineage(definition.name, options.codeVersion);
      return result.outputs.map((o: { key: string; value: unknown }) => ({
        topic: output.topic,
        key: o.key,
        value: o.value === null ? null : output.toValue(o.value, lineage, upstream),
      }));
    },
    flush: definition.flush ? () => definition.flush!() : undefined,
  };
}
