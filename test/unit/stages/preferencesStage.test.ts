import { describe, expect, it } from 'vitest';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import { QA_JUDGED } from '../../../services/contracts/topicContracts.ts';
import type { RecordJudgement } from '../../../services/contracts/topicMessages.ts';
import { PreferenceConfigError, PreferenceInputError } from '../../../services/errors/medistillErrors.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import type { InstrumentationEvent } from '../../../services/instrumentation/instrumentationEvents.ts';
import type { PreferencesEntry } from '../../../services/export/paperEntry.ts';
import { kafkaStageOf } from '../../../services/runtime/kafka/kafkaStageOf.ts';
import { createPreferencesStage } from '../../../services/stages/preferencesStage.ts';
import { createPreferencesExportStage } from '../../../services/stages/preferencesExportStage.ts';
import type { StageCallContext } from '../../../services/stages/stageDefinition.ts';
import { failureReason } from '../../../services/runtime/failurePolicy.ts';
import { candidate, judged } from '../metrics/qualityFixtures.ts';

const bus = createInstrumentation();
const events: InstrumentationEvent[] = [];
bus.on('*', (e) => events.push(e));
const context: StageCallContext = { signal: new AbortController().signal, instrumentation: bus };
const at = new Date('2025-01-02T03:04:05Z');

function judgement(scoreB: number): RecordJudgement {
  const a = candidate('a', 'open', ['C14.1']);
  const b = { ...candidate('b', 'open', ['C14.1']), generator: { ...a.generator, name: 'second' } };
  return {
    pmid: '100',
    pmidVersion: 1,
    outcome: 'candidates',
    items: [judged(a, 'accept'), judged(b, 'reject', ['low_correct'], { correct: scoreB })],
    failures: [],
    meshVersion: 'MeSH fixture',
  };
}

describe('preferences stage', () => {
  it('turns a judgement into one message of pairs, reports it on the bus, and passes a tombstone on', async () => {
    events.length = 0;
    const stage = createPreferencesStage({ margin: 0.1 });
    expect(stage).toMatchObject({ name: 'preferences', input: { topic: TOPICS.judged }, output: { topic: TOPICS.preferences } });
    const result = await stage.process({ key: '100', value: judgement(0), producedAt: at }, context);
    expect(result.outcome).toBe('pairs');
    expect(result.outputs).toHaveLength(1);
    expect(result.outputs[0]!.value!.pairs.map((p) => [p.chosen.itemId, p.rejected.itemId])).toEqual([['a', 'b']]);
    expect(events.map((e) => e.type)).toEqual(['quality.preferences']);
    const none = await stage.process({ key: '100', value: judgement(0.8), producedAt: at }, context);
    expect(none.outcome).toBe('no_pairs');
    expect(none.outputs[0]!.value).toMatchObject({ pairs: [], unpaired: [{ targetUi: 'D008687', reason: 'below_margin' }] });
    expect(await stage.process({ key: '100', value: null, producedAt: at }, context)).toMatchObject({ outcome: 'deleted', outputs: [{ key: '100', value: null }] });
  });

  it('drops a redelivered judgement but not a regenerated one, and refuses a bad margin at construction', () => {
    const stage = createPreferencesStage();
    const j = judgement(0);
    const key = stage.dedupKey({ key: '100', value: j, producedAt: at });
    expect(stage.dedupKey({ key: '100', value: judgement(0), producedAt: at })).toBe(key);
    const regen = { ...j, items: j.items.map((i) => ({ ...i, judgedAt: '2026-01-01T00:00:00.000Z' })) };
    expect(stage.dedupKey({ key: '100', value: regen, producedAt: at })).not.toBe(key);
    expect(stage.dedupKey({ key: '100', value: null, producedAt: at })).toBeNull();
    expect(() => createPreferencesStage({ margin: -0.1 })).toThrow(PreferenceConfigError);
  });

  it('throws an error the runtime dead-letters for a judgement it cannot read', async () => {
    const stage = createPreferencesStage();
    const bad = judgement(0);
    bad.items[1]!.scores.clear.score = 7;
    const err = await stage.process({ key: '100', value: bad, producedAt: at }, context).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreferenceInputError);
    expect(stage.errors).toContain(PreferenceInputError);
    expect(failureReason(err)).toBe('invalid_input');
  });

  it('runs under the Kafka adapter: the judged Avro value in, the preferences value out with this service\'s lineage', async () => {
    const stage = kafkaStageOf(createPreferencesStage(), { codeVersion: 'test-1', instrumentation: bus });
    expect(stage).toMatchObject({ name: 'preferences', inputTopic: TOPICS.judged, outputTopics: [TOPICS.preferences] });
    const value = QA_JUDGED.toValue(judgement(0), createLineage('judge', 'test-0', at), null);
    const [out] = await stage.process({ key: '100', value, topic: TOPICS.judged, partition: 0, offset: '3' }, new AbortController().signal);
    expect(out).toMatchObject({ topic: TOPICS.preferences, key: '100', value: { pmid: '100', outcome: 'pairs', lineage: { service: 'preferences', codeVersion: 'test-1' } } });
  });
});

describe('export-preferences stage', () => {
  it('hands the newest pairs to the store with their production time, deletes on a tombstone and checkpoints in flush', async () => {
    const applied: PreferencesEntry[] = [];
    const deleted: string[] = [];
    let checkpoints = 0;
    const stage = createPreferencesExportStage({
      target: { applyPreferences: (e) => (applied.push(e), applied.length === 1), delete: (p) => void deleted.push(p), dirty: true, checkpoint: async () => void checkpoints++ },
    });
    const prefs = (await createPreferencesStage().process({ key: '100', value: judgement(0), producedAt: at }, context)).outputs[0]!.value!;
    expect((await stage.process({ key: '100', value: prefs, producedAt: at }, context)).outcome).toBe('applied');
    expect((await stage.process({ key: '100', value: prefs, producedAt: at }, context)).outcome).toBe('stale');
    expect(applied[0]).toMatchObject({ pmid: '100', pmidVersion: 1, producedAt: at.getTime() });
    expect((await stage.process({ key: '100', value: null, producedAt: at }, context)).outcome).toBe('deleted');
    expect(deleted).toEqual(['100']);
    await stage.flush!();
    expect(checkpoints).toBe(1);
  });
});
