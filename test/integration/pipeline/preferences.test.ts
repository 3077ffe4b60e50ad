import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { createAvroCodec, type AvroCodec } from '../../../services/contracts/avroCodec.ts';
import { TOPICS, dlqTopic } from '../../../services/contracts/avroSchemas.ts';
import { createLineage } from '../../../services/contracts/lineage.ts';
import { QA_JUDGED } from '../../../services/contracts/topicContracts.ts';
import type { DeadLetterMessage, RecordJudgementMessage, RecordPreferencesMessage } from '../../../services/contracts/topicMessages.ts';
import { readExportRows } from '../../../services/export/readExportRows.ts';
import type { PreferenceRow } from '../../../services/export/preferenceRow.ts';
import { createServiceHarness, type ServiceHarness } from '../../support/serviceHarness.ts';
import { readTopic } from '../../support/topicReader.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer.ts';
import { simulatedModel } from '../../support/simulatedModel.ts';
import { candidate, judged } from '../../unit/metrics/qualityFixtures.ts';

const SAMPLES = new URL('../../fixtures/pipeline-sample/pubmed/', import.meta.url).pathname;
const MESH = new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

let stack: LocalStack;
let work: string;
let kafka: Kafka;
let codec: AvroCodec;
let llm: OpenAiTestServer;
let h: ServiceHarness;

/** The newest message of each key of a topic, decoded (null for a tombstone). */
async function latest<T>(topic: string): Promise<Map<string, T | null>> {
  const out = new Map<string, T | null>();
  for (const m of await readTopic(kafka, topic)) out.set(m.key ?? '', m.value === null ? null : ((await codec.decode(m.value)) as T));
  return out;
}

const pairs = (): Promise<PreferenceRow[]> => readExportRows(join(work, 'export'), 'preferences');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-preferences-'));
  stack = await startLocalStack({});
  h = createServiceHarness({ stack, work, env: { MEDISTILL_MESH_PATH: MESH } });
  kafka = new Kafka({ clientId: 'preferences-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
  codec = createAvroCodec({ registryUrl: stack.registryUrl });
  llm = await startOpenAiTestServer({ responder: simulatedModel() });
}, 300_000);

afterAll(async () => {
  h?.killAll('SIGKILL');
  await llm?.close();
  await stack?.stop();
  if (process.env.MEDISTILL_KEEP_TEST_LOGS) process.stderr.write(`service logs kept in ${work}\n`);
  else await rm(work, { recursive: true, force: true });
}, 60_000);

describe('preference pairs through the Kafka services', () => {
  it('the preferences service turns every judged record into one qa.preferences.v1 message, and the export writes the pairs beside the items', async () => {
    for (const name of ['annotate', 'generate', 'judge', 'preferences', 'export']) h.start(name, [name]);
    await h.ingest(SAMPLES);

    await h.waitFor('a preferences message for every judged record', async () => {
      const judgedNow = await latest<RecordJudgementMessage>(TOPICS.judged);
      const prefs = await latest<RecordPreferencesMessage>(TOPICS.preferences);
      return judgedNow.size > 20 && [...judgedNow].every(([k, v]) => prefs.has(k) && (v === null ? prefs.get(k) === null : prefs.get(k)?.pmidVersion === v.pmidVersion));
    });
    const prefs = await latest<RecordPreferencesMessage>(TOPICS.preferences);
    const made = [...prefs.values()].reduce((n, p) => n + (p?.pairs.length ?? 0), 0);
    expect(made).toBeGreaterThan(10);
    expect(prefs.get('39990036')).toBeNull();

    await h.waitFor('the export to hold the pairs', async () => (await pairs()).length === made);
    const rows = await pairs();
    expect(new Set(rows.map((r) => r.metadata.id)).size).toBe(rows.length);
    const items = new Map([...(await readExportRows(join(work, 'export'), 'accepted')), ...(await readExportRows(join(work, 'export'), 'rejected'))].map((r) => [r.id, r]));
    for (const r of rows) {
      expect(typeof r.prompt).toBe('string');
      expect(items.get(r.metadata.chosen.item_id)).toMatchObject({ pmid: r.metadata.pmid, pmid_version: r.metadata.pmid_version });
      expect(items.get(r.metadata.rejected.item_id)).toMatchObject({ pmid: r.metadata.pmid, pmid_version: r.metadata.pmid_version });
    }
    expect(rows.some((r) => r.metadata.pmid === '39990036')).toBe(false);
    expect(rows.filter((r) => r.metadata.pmid === '39990013').every((r) => r.metadata.pmid_version === 2)).toBe(true);
  }, 300_000);

  it('a message the preferences service cannot use goes to qa.judged.v1.dlq with its reason, and the service goes on', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const poison = Buffer.from('not Avro at all');
    const bad = candidate('bad-1', 'open', ['C14.1']);
    bad.pmid = '77000001';
    const value = QA_JUDGED.toValue(
      { pmid: '77000001', pmidVersion: 1, outcome: 'candidates', items: [judged(bad, 'accept', [], { grounded: 1.5 })], failures: [], meshVersion: 'MeSH fixture' },
      createLineage('judge', 'test'),
      null,
    );
    await codec.registerAll([TOPICS.judged]);
    await producer.send({
      topic: TOPICS.judged,
      messages: [
        { key: 'poison-p', value: poison },
        { key: '77000001', value: await codec.encode(TOPICS.judged, value) },
      ],
    });
    await producer.disconnect();
    const fromPreferences = async (): Promise<(DeadLetterMessage & { headers: Record<string, string> })[]> => {
      const out = [];
      for (const m of await readTopic(kafka, dlqTopic(TOPICS.judged))) {
        const d = { ...((await codec.decode(m.value!)) as DeadLetterMessage), headers: m.headers };
        if (d.stage === 'preferences') out.push(d);
      }
      return out;
    };
    await h.waitFor('both dead letters from the preferences service', async () => (await fromPreferences()).length >= 2);
    const dlq = await fromPreferences();
    expect(dlq.find((d) => d.key?.toString('utf8') === 'poison-p')).toMatchObject({ errorClass: 'ContractError', originalTopic: TOPICS.judged });
    const invalid = dlq.find((d) => d.key?.toString('utf8') === '77000001');
    expect(invalid).toMatchObject({ errorClass: 'PreferenceInputError' });
    expect(invalid?.errorMessage).toMatch(/score grounded = 1.5 is not a number from 0 to 1/);
    expect(h.get('preferences').child.exitCode).toBeNull();
  }, 120_000);

  it('a replay with a new generator regenerates the pairs, and the export keeps one set per paper, none stale', async () => {
    const before = await pairs();
    expect(before.every((r) => r.metadata.chosen.generator.backend === 'rule-based')).toBe(true);
    h.start('replay', ['replay', '--topic', TOPICS.annotated, '--from', 'earliest', '--group', 'replay-generators-2'], {
      MEDISTILL_LLM_BASE_URL: llm.url,
      MEDISTILL_LLM_API_KEY: 'test-key',
      MEDISTILL_LLM_MODEL: 'sim-1',
      MEDISTILL_GENERATORS: 'llm,rule-based:findings',
    });
    const regenerated = (r: PreferenceRow): boolean => [r.metadata.chosen, r.metadata.rejected].some((s) => s.generator.name === 'llm:sim-1');
    await h.waitFor('the export to hold only regenerated pairs', async () => {
      const rows = await pairs();
      return rows.length > 5 && rows.every(regenerated);
    }, 180_000);
    const rows = await pairs();
    expect(new Set(rows.map((r) => r.metadata.id)).size).toBe(rows.length);
    for (const r of rows) expect(new Set([r.metadata.chosen.generator.name, r.metadata.rejected.generator.name])).toEqual(new Set(['llm:sim-1', 'rule-based:findings']));
    // One set per paper: a paper's pairs all come from its newest judgement.
    const versions = new Map<string, Set<number>>();
    for (const r of rows) versions.set(r.metadata.pmid, (versions.get(r.metadata.pmid) ?? new Set()).add(r.metadata.pmid_version));
    expect([...versions.values()].every((v) => v.size === 1)).toBe(true);
    for (const s of h.current().filter((x) => x.child.exitCode === null && x.child.signalCode === null)) s.kill('SIGTERM');
    for (const s of h.current()) expect(await s.exited).toBe(0);
  }, 300_000);
});
