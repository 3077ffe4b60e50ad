import type { AnyStageDefinition, StageDefinition } from './stageDefinition.ts';

/**
 * A stage whose outputs also feed a sink on the same topic, for the in-process runtime's single
 * chain: annotate's records go on to generate and, beside that, into the literature index. The
 * sink runs before the outputs move on, so a record is indexed before its candidates are judged.
 * In the Kafka runtime the sink is a service of its own on the same topic. A failing sink fails
 * the input, as it would be dead-lettered there.
 */
export function withSideSink<I, O, Outcome extends string>(stage: StageDefinition<I, O, Outcome>, sink: AnyStageDefinition): StageDefinition<I, O, Outcome> {
  if (sink.output !== null) throw new TypeError(`withSideSink: ${sink.name} is not a sink`);
  if (stage.output === null || stage.output.topic !== sink.input.topic) {
    throw new TypeError(`withSideSink: ${sink.name} reads ${sink.input.topic}, not what ${stage.name} writes`);
  }
  return {
    ...stage,
    errors: [...stage.errors, ...sink.errors],
    async process(input, context) {
      const result = await stage.process(input, context);
      const producedAt = new Date();
      for (const output of result.outputs) await sink.process({ key: output.key, value: output.value, producedAt }, context);
      return result;
    },
    async flush() {
      await stage.flush?.();
      await sink.flush?.();
    },
  };
}
