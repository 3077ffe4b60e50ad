import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/runCli.ts';
import { serverError, startOpenAiTestServer, type OpenAiTestServer } from '../support/openaiTestServer.ts';
import { simulatedModel } from '../support/simulatedModel.ts';
import { readExportRows } from '../../services/export/readExportRows.ts';

const SAMPLES = new URL('../fixtures/pipeline-sample/', import.meta.url).pathname;
const INPUT = join(SAMPLES, 'pubmed/pubmed-sample-01.xml');
const MESH = join(SAMPLES, 'desc-sample.xml');
const ABORT_LISTENER_WATCH = new URL('../support/abortListenerWatch.mjs', import.meta.url).href;
const KEY_A = 'sk-e2e-endpoint-a-41f0c2d9e8';
const KEY_B = 'sk-e2e-endpoint-b-93ab7c61d2';

let work: string;
let a: OpenAiTestServer;
let b: OpenAiTestServer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-e2e-scale-'));
  a = await startOpenAiTestServer({ responder: simulatedModel(), batchProcessDelayMs: 5 });
  b = await startOpenAiTestServer({ responder: simulatedModel() });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await rm(work, { recursive: true, force: true });
});

function endpoints(extra: Record<string, unknown>[] = [{}, {}]): string {
  return JSON.stringify([
    { name: 'east', baseUrl: a.url, apiKeyEnv: 'E2E_KEY_A', rpm: 6000, tpm: 10_000_000, pricePer1kInput: 0.2, pricePer1kOutput: 0.8, batchPricePer1kInput: 0.1, batchPricePer1kOutput: 0.4, ...extra[0] },
    { name: 'west', baseUrl: b.url, apiKeyEnv: 'E2E_KEY_B', rpm: 6000, tpm: 10_000_000, ...extra[1] },
  ]);
}

const baseEnv = { E2E_KEY_A: KEY_A, E2E_KEY_B: KEY_B, MEDISTILL_LLM_MODEL: 'sim-1' };

describe('medistill run with several endpoints and in batch mode', () => {
  let onlineAccepted = 0;

  it('spreads the calls over two endpoints, each with its own key, and never prints a key', async () => {
    a.reset();
    b.reset();
    const out = join(work, 'two');
    const res = await runCli(['run', '--input', INPUT, '--mesh', MESH, '--out', out], { ...baseEnv, MEDISTILL_LLM_ENDPOINTS: endpoints() });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout + res.stderr).not.toContain(KEY_A);
    expect(res.stdout + res.stderr).not.toContain(KEY_B);
    expect(res.stderr).toContain('key=$E2E_KEY_A');
    const rows = await readExportRows(out, 'accepted');
    onlineAccepted = rows.length;
    expect(onlineAccepted).toBeGreaterThan(0);
    expect(a.chatRequests().length).toBeGreaterThan(0);
    expect(b.chatRequests().length).toBeGreaterThan(0);
    expect(a.chatRequests().every((r) => a.sentKey(r, KEY_A))).toBe(true);
    expect(b.chatRequests().every((r) => b.sentKey(r, KEY_B))).toBe(true);
  });

  it('moves every call to the other endpoint when one fails, and loses no item', async () => {
    a.reset();
    b.reset();
    b.setResponder(() => serverError(503));
    try {
      const out = join(work, 'failover');
      const res = await runCli(['run', '--input', INPUT, '--mesh', MESH, '--out', out], { ...baseEnv, MEDISTILL_LLM_ENDPOINTS: endpoints() });
      expect(res.code, res.stderr).toBe(0);
      expect((await readExportRows(out, 'accepted')).length).toBe(onlineAccepted);
      expect(b.chatRequests().length).toBeGreaterThan(0);
    } finally {
      b.setResponder(simulatedModel());
    }
  });

  it('in batch mode sends every call through files and batches, none online, and exports the same items', async () => {
    a.reset();
    b.reset();
    const out = join(work, 'batch');
    const env = { ...baseEnv, MEDISTILL_LLM_ENDPOINTS: endpoints(), MEDISTILL_LLM_BATCH_MAX_WAIT_MS: '50', MEDISTILL_LLM_BATCH_POLL_MS: '20' };
    const res = await runCli(['run', '--input', INPUT, '--mesh', MESH, '--out', out, '--llm-mode', 'batch'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('LLM mode: batch');
    expect(a.chatRequests()).toHaveLength(0);
    expect(b.chatRequests()).toHaveLength(0);
    expect(a.batches().length).toBeGreaterThan(1);
    expect(a.batches().every((x) => x.status === 'completed')).toBe(true);
    expect((await readExportRows(out, 'accepted')).length).toBe(onlineAccepted);
  });

  it('refuses an endpoint list with a bad URL in one clear line, exit code 2, before any work', async () => {
    const res = await runCli(['run', '--input', INPUT, '--mesh', MESH, '--out', join(work, 'bad')], {
      ...baseEnv,
      MEDISTILL_LLM_ENDPOINTS: endpoints([{ baseUrl: 'htp//nowhere' }, {}]),
    });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/endpoint 1 \("east"\): baseUrl/);
  });

  it('refuses an unknown --llm-mode', async () => {
    const res = await runCli(['run', '--input', INPUT, '--llm-mode', 'bulk'], baseEnv);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--llm-mode must be online or batch');
  });
});

describe('medistill run with more records in flight than LLM slots', () => {
  it('32 records waiting for 16 slots put no more than 10 listeners on any abort signal (no MaxListenersExceededWarning)', async () => {
    const slow = simulatedModel();
    const server = await startOpenAiTestServer({ responder: async (body, request) => ({ kind: 'reply', content: String(await slow(body, request)), delayMs: 100 }) });
    try {
      const out = join(work, 'in-flight');
      const endpoint = JSON.stringify([{ name: 'only', baseUrl: server.url, apiKeyEnv: 'E2E_KEY_A', rpm: 60_000, tpm: 100_000_000, maxConcurrency: 16 }]);
      // The watch restores Node 20's warning for AbortSignal, which Node 24 no longer limits.
      const res = await runCli(['run', '--input', join(SAMPLES, 'pubmed'), '--mesh', MESH, '--out', out, '--concurrency', '32', '--quiet'], {
        ...baseEnv,
        MEDISTILL_LLM_ENDPOINTS: endpoint,
        NODE_OPTIONS: `--import ${ABORT_LISTENER_WATCH}`,
      });
      expect(res.code, res.stderr).toBe(0);
      // Enough calls that many waited for a slot at once.
      expect(server.chatRequests().length).toBeGreaterThan(100);
      expect(res.stderr).not.toContain('MaxListenersExceededWarning');
      expect(res.stderr).not.toMatch(/Warning:/);
    } finally {
      await server.close();
    }
  });
});
