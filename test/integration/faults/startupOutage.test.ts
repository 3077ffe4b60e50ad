import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../../deploy/local/freePort.ts';
import { startLocalStack, type LocalStack } from '../../../deploy/local/localStack.ts';
import { pollUntil } from '../../../deploy/local/pollUntil.ts';
import { TOPICS } from '../../../services/contracts/avroSchemas.ts';
import { startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.ts';
import { readTopic } from '../../support/topicReader.ts';

const SAMPLES = new URL('../../fixtures/pipeline-sample/', import.meta.url).pathname;

let stack: LocalStack;
let work: string;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-startup-outage-'));
  stack = await startLocalStack({});
}, 180_000);

afterAll(async () => {
  for (const s of services) s.kill('SIGKILL');
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe('a service started while the broker is down', () => {
  it('waits within its outage budget instead of exiting, then connects and works once the broker is back', async () => {
    const [metricsPort] = await freePorts(1);
    const env = (extra: Record<string, string>): Record<string, string> => ({
      MEDISTILL_KAFKA_BROKERS: stack.brokers.join(','),
      MEDISTILL_REGISTRY_URL: stack.registryUrl,
      MEDISTILL_METRICS_HOST: '127.0.0.1',
      MEDISTILL_TOPIC_PARTITIONS: '1',
      MEDISTILL_BATCH_MS: '5',
      MEDISTILL_MESH_PATH: join(SAMPLES, 'desc-sample.xml'),
      MEDISTILL_INGEST_STATE_DIR: join(work, 'ingest-state'),
      MEDISTILL_OUTAGE_BUDGET_MS: '90000',
      ...extra,
    });
    await stack.kill('kafka');
    const annotate = startServiceProcess('annotate', ['annotate'], env({ MEDISTILL_METRICS_PORT: String(metricsPort) }), join(work, 'annotate.log'));
    services.push(annotate);
    const log = (): Promise<string> => readFile(annotate.logFile, 'utf8');

    const waiting = await pollUntil(async () => /annotate: cannot reach Kafka at .* failed \(.*\); retrying for up to 90 s/.test(await log()), { timeoutMs: 60_000, intervalMs: 250 });
    expect(waiting.ready, await log()).toBe(true);
    // Still waiting, not exited, several seconds into the outage.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(annotate.child.exitCode, await log()).toBeNull();

    await stack.restart('kafka');
    const ready = await pollUntil(async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.ok === true, { timeoutMs: 90_000, intervalMs: 500 });
    expect(ready.ready, await log()).toBe(true);
    expect(await log()).toMatch(/annotate: Kafka reachable again after \d+\.\d s/);

    // It works: the records of an ingest run come out annotated.
    const ingest = startServiceProcess('ingest', ['ingest'], env({ MEDISTILL_METRICS_PORT: '0', MEDISTILL_INGEST_SOURCE: 'files', MEDISTILL_INGEST_INPUT: join(SAMPLES, 'pubmed', 'pubmed-sample-01.xml') }), join(work, 'ingest.log'));
    services.push(ingest);
    expect(await ingest.exited, await readFile(ingest.logFile, 'utf8')).toBe(0);
    const kafka = new Kafka({ clientId: 'startup-outage-test', brokers: stack.brokers, logLevel: logLevel.NOTHING });
    const records = (await readTopic(kafka, TOPICS.records)).length;
    expect(records).toBeGreaterThan(0);
    const annotated = await pollUntil(async () => (await readTopic(kafka, TOPICS.annotated)).length >= records, { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(annotated.ready, await log()).toBe(true);
    expect(annotate.child.exitCode).toBeNull();
    expect(await log()).not.toMatch(/^\s+at /m);
  }, 300_000);
});
