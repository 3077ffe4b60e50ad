import { beforeAll, describe, expect, it } from 'vitest';
import { createAnnotateContext, type AnnotateContext } from '../../../services/annotate/annotateContext.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import type { RecordCandidates, RecordJudgement } from '../../../services/contracts/topicMessages.ts';
import { LlmUnavailableError, MedistillError } from '../../../services/errors/medistillErrors.ts';
import type { Generator } from '../../../services/generate/generator.ts';
import { createInstrumentation } from '../../../services/instrumentation/instrumentation.ts';
import type { InstrumentationEvent } from '../../../services/instrumentation/instrumentationEvents.ts';
import type { Judge } from '../../../services/judge/judge.ts';
import { loadMeshVocabulary } from '../../../services/mesh/loadMeshVocabulary.ts';
import { createAnnotateStage } from '../../../services/stages/annotateStage.ts';
import { createExportStage, type ExportEntry, type ExportTarget } from '../../../services/stages/exportStage.ts';
import { createGenerateStage } from '../../../services/stages/generateStage.ts';
import { createJudgeStage } from '../../../services/stages/judgeStage.ts';
import type { AnyStageDefinition, StageCallContext } from '../../../services/stages/stageDefinition.ts';
import { kafkaStageOf } from '../../../services/runtime/kafka/kafkaStageOf.ts';
import { DESC_FIXTURE } from '../mesh/fixtureVocabulary.ts';
import { annotatedRecord, candidate, judged, meshTerm } from '../metrics/qualityFixtures.ts';
import { testArticle } from '../../support/testArticle.ts';

const bus = createInstrumentation();
const events: InstrumentationEvent[] = [];
bus.on('*', (e) => events.push(e));
const context: StageCallContext = { signal: new AbortController().signal, instrumentation: bus };
const at = new Date('2025-01-02T03:04:05Z');

let annotateCtx: AnnotateContext;
beforeAll(async () => {
  annotateCtx = createAnnotateContext(await loadMeshVocabulary(DESC_FIXTURE));
});

const generatorOf = (items: RecordCandidates['items'], failures: RecordCandidates['failures'] = [], version = '1'): Generator => ({
  name: 'g',
  version,
  promptVersion: 'p1',
  generate: async () => ({ items, failures }),
});
const judgeOf = (verdict: 'accept' | 'reject'): Judge => ({ name: 'j', version: '1', promptVersion: 'p1', judge: async (c) => judged(c, verdict) });

describe('annotate stage', () => {
  it('annotates a record, even one without an abstract, and reports it on the bus', async () => {
    events.length = 0;
    const stage = createAnnotateStage({ ctx: annotateCtx });
    const article = testArticle({ pmid: '5', title: 'Heart failure in Spain' });
    const result = await stage.process({ key: '5', value: article, producedAt: at }, context);
    expect(result.outcome).toBe('annotated');
    expect(result.outputs).toHaveLength(1);
    expect(result.outputs[0]!.value!.mesh.map((t) => t.descriptorUi)).toEqual(['D006333', 'D013030']);
    expect(events.map((e) => e.type)).toEqual(['quality.annotated']);
  });

  it('passes a tombstone on and keys redeliveries by PMID and version', async () => {
    const stage = createAnnotateStage({ ctx: annotateCtx });
    expect(await stage.process({ key: '5', value: null, producedAt: at }, context)).toEqual({ outcome: 'deleted', outputs: [{ key: '5', value: null }], problems: [] });
    expect(stage.dedupKey({ key: '5', value: testArticle({ pmid: '5', version: 3 }), producedAt: at })).toBe('5@3');
    expect(stage.dedupKey({ key: '5', value: null, producedAt: at })).toBeNull();
  });
});

describe('generate stage', () => {
  const withAbstract = annotatedRecord('100', [meshTerm('D008687', 'nlm', ['D02.078'])]);
  const noAbstract = { ...withAbstract, record: { ...withAbstract.record, abstract: [] } };

  it('gives a record without an abstract no items and the outcome no_abstract, without calling the generator', async () => {
    const stage = createGenerateStage({ generator: { ...generatorOf([]), generate: () => Promise.reject(new Error('must not be called')) } });
    const result = await stage.process({ key: '100', value: noAbstract, producedAt: at }, context);
    expect(result.outcome).toBe('no_abstract');
    expect(result.outputs[0]!.value).toMatchObject({ pmid: '100', pmidVersion: 1, outcome: 'no_abstract', items: [], failures: [] });
  });

  it('carries the items and the per-item failures, and says no_candidates when none is left', async () => {
    const failure = { reason: 'llm_bad_output', message: 'not JSON' };
    const some = await createGenerateStage({ generator: generatorOf([candidate('a', 'open', ['D02'])], [failure]) }).process({ key: '100', value: withAbstract, producedAt: at }, context);
    expect(some.outcome).toBe('candidates');
    expect(some.problems).toEqual([failure]);
    expect(some.outputs[0]!.value!.items.map((i) => i.id)).toEqual(['a']);
    const none = await createGenerateStage({ generator: generatorOf([], [failure]) }).process({ key: '100', value: withAbstract, producedAt: at }, context);
    expect(none.outcome).toBe('no_candidates');
    expect(none.outputs[0]!.value!.failures).toEqual([failure]);
  });

  it('generates a record version again for a new generator version, not for a redelivery', () => {
    const input = { key: '100', value: withAbstract, producedAt: at };
    const v1 = createGenerateStage({ generator: generatorOf([]) });
    const v2 = createGenerateStage({ generator: generatorOf([], [], '2') });
    expect(v1.dedupKey(input)).toBe(v1.dedupKey({ ...input, producedAt: new Date() }));
    expect(v1.dedupKey(input)).not.toBe(v2.dedupKey(input));
  });
});

describe('judge stage', () => {
  const candidates = (items: RecordCandidates['items'], outcome: RecordCandidates['outcome'] = 'candidates'): RecordCandidates => ({
    pmid: '100',
    pmidVersion: 1,
    outcome,
    items,
    failures: [],
    meshVersion: 'm',
  });

  it('judges every candidate and says whether one was accepted', async () => {
    const items = [candidate('a', 'open', ['D02']), candidate('b', 'yes_no_maybe', ['D02'])];
    const accepted = await createJudgeStage({ judge: judgeOf('accept') }).process({ key: '100', value: candidates(items), producedAt: at }, context);
    expect(accepted.outcome).toBe('with_items');
    expect(accepted.outputs[0]!.value!.items.map((i) => [i.candidate.id, i.verdict])).toEqual([
      ['a', 'accept'],
      ['b', 'accept'],
    ]);
    const rejected = await createJudgeStage({ judge: judgeOf('reject') }).process({ key: '100', value: candidates(items), producedAt: at }, context);
    expect(rejected.outcome).toBe('no_accepted_items');
  });

  it('keeps the outcome generate gave a record without candidates', async () => {
    const stage = createJudgeStage({ judge: judgeOf('accept') });
    expect((await stage.process({ key: '1', value: candidates([], 'no_abstract'), producedAt: at }, context)).outcome).toBe('no_abstract');
    expect((await stage.process({ key: '1', value: candidates([], 'no_candidates'), producedAt: at }, context)).outcome).toBe('no_candidates');
  });

  it('judges a regeneration again (new item ids) but not a redelivery', () => {
    const stage = createJudgeStage({ judge: judgeOf('accept') });
    const first = stage.dedupKey({ key: '1', value: candidates([candidate('a', 'open', [])]), producedAt: at });
    expect(stage.dedupKey({ key: '1', value: candidates([candidate('a', 'open', [])]), producedAt: new Date() })).toBe(first);
    expect(stage.dedupKey({ key: '1', value: candidates([candidate('z', 'open', [])]), producedAt: at })).not.toBe(first);
  });
});

describe('export stage', () => {
  function recordingTarget(): ExportTarget & { applied: ExportEntry[]; deleted: string[]; checkpoints: number } {
    const t = {
      applied: [] as ExportEntry[],
      deleted: [] as string[],
      checkpoints: 0,
      dirty: false,
      apply(e: ExportEntry) {
        t.applied.push(e);
        t.dirty = true;
        return e.pmidVersion > 1;
      },
      delete(pmid: string) {
        t.deleted.push(pmid);
        t.dirty = true;
      },
      async checkpoint() {
        t.checkpoints++;
        t.dirty = false;
      },
    };
    return t;
  }
  const judgement = (version: number): RecordJudgement => ({ pmid: '9', pmidVersion: version, outcome: 'candidates', items: [], failures: [], meshVersion: 'm' });

  it('applies a judgement with the time it was produced, deletes on a tombstone, and checkpoints only when something changed', async () => {
    const target = recordingTarget();
    const stage = createExportStage({ target });
    expect(stage.output).toBeNull();
    await stage.flush!();
    expect(target.checkpoints).toBe(0);
    expect((await stage.process({ key: '9', value: judgement(1), producedAt: at }, context)).outcome).toBe('stale');
    expect((await stage.process({ key: '9', value: judgement(2), producedAt: at }, context)).outcome).toBe('applied');
    expect(target.applied.map((e) => [e.pmidVersion, e.producedAt])).toEqual([
      [1, at.getTime()],
      [2, at.getTime()],
    ]);
    expect((await stage.process({ key: '9', value: null, producedAt: at }, context)).outcome).toBe('deleted');
    expect(target.deleted).toEqual(['9']);
    await stage.flush!();
    await stage.flush!();
    expect(target.checkpoints).toBe(1);
  });
});

describe('every stage definition', () => {
  const all = (): AnyStageDefinition[] => [
    createAnnotateStage({ ctx: annotateCtx }),
    createGenerateStage({ generator: generatorOf([]) }),
    createJudgeStage({ judge: judgeOf('accept') }),
    createExportStage({ target: { apply: () => true, delete: () => undefined, dirty: false, checkpoint: async () => undefined } }),
  ];

  it('chains: each stage reads the topic the one before writes, and declares its errors in the hierarchy', () => {
    const stages = all();
    expect(stages.map((s) => s.input.topic)).toEqual([TOPICS.records, TOPICS.annotated, TOPICS.candidates, TOPICS.judged]);
    for (let i = 1; i < stages.length; i++) expect(stages[i - 1]!.output?.topic).toBe(stages[i]!.input.topic);
    for (const s of stages) for (const E of s.errors) expect(E.prototype).toBeInstanceOf(MedistillError);
    expect(createGenerateStage({ generator: generatorOf([]) }).errors.some((E) => new LlmUnavailableError('x', { attempts: 1, lastStatus: 503 }) instanceof E)).toBe(true);
  });
});

describe('kafkaStageOf', () => {
  it('maps the Avro value in and out through the topic contracts, with this service\'s lineage and the ingest lineage inside', async () => {
    const stage = kafkaStageOf(createAnnotateStage({ ctx: annotateCtx }), { codeVersion: 'test-1', instrumentation: bus });
    expect(stage).toMatchObject({ name: 'annotate', inputTopic: TOPICS.records, outputTopics: [TOPICS.annotated] });
    const article = testArticle({ pmid: '5', version: 2, title: 'Heart failure in Spain' });
    const ingestLineage = createLineage('ingest', 'test-0', at);
    const value = createAnnotateStage({ ctx: annotateCtx }).input.toValue(article, ingestLineage, null);
    const input = { key: '5', value, topic: TOPICS.records, partition: 0, offset: '7' };
    expect(stage.dedupKey!(input)).toBe('5@2');
    const [out] = await stage.process(input, new AbortController().signal);
    expect(out).toMatchObject({ topic: TOPICS.annotated, key: '5' });
    const message = out!.value as { lineage: { service: string; codeVersion: string }; record: { lineage: { service: string; producedAt: Date } }; mesh: { descriptorUi: string }[] };
    expect(message.lineage).toMatchObject({ service: 'annotate', codeVersion: 'test-1' });
    expect(message.record.lineage).toMatchObject({ service: 'ingest', producedAt: at });
    expect(message.mesh.map((t) => t.descriptorUi)).toEqual(['D006333', 'D013030']);
    expect(await stage.process({ ...input, value: null }, new AbortController().signal)).toEqual([{ topic: TOPICS.annotated, key: '5', value: null }]);
  });

  it('gives a sink no outputs and its flush', async () => {
    let checkpoints = 0;
    const stage = kafkaStageOf(createExportStage({ target: { apply: () => true, delete: () => undefined, dirty: true, checkpoint: async () => void checkpoints++ } }), { codeVersion: 't', instrumentation: bus });
    expect(stage.outputTopics).toEqual([]);
    await stage.flush!();
    expect(checkpoints).toBe(1);
  });
});
