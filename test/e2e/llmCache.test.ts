import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/runCli.ts';
import { startOpenAiTestServer, type OpenAiTestServer, type RecordedRequest } from '../support/openaiTestServer.ts';
import { simulatedModel } from '../support/simulatedModel.ts';
import { readExportRows } from '../../services/export/readExportRows.ts';

const SAMPLES = new URL('../fixtures/pipeline-sample/', import.meta.url).pathname;
const INPUT = join(SAMPLES, 'pubmed/pubmed-sample-01.xml');
const MESH = join(SAMPLES, 'desc-sample.xml');
const KEY = 'sk-test-cache-5d1e77a0c3';

interface Row {
  id: string;
  question: string;
  generator: { cached?: boolean };
  judge: { cached?: boolean };
}

function kindOf(r: RecordedRequest): 'generate' | 'judge' | 'voc' | 'other' {
  const system = r.body?.messages?.find((m) => m.role === 'system')?.content ?? '';
  if (system.includes('write question-answer items')) return 'generate';
  if (system.includes('review question-answer items')) return 'judge';
  if (system.includes('verify multiple-choice items')) return 'voc';
  return 'other';
}

let work: string;
let server: OpenAiTestServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-cache-e2e-'));
  server = await startOpenAiTestServer({ responder: simulatedModel() });
});
afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

// One generator (MEDISTILL_GENERATORS=llm): the request counts below are those of one generation per record.
describe('medistill run with the LLM response cache', () => {
  it('an identical second run makes no LLM call, gives the same dataset, and its card counts the cached items', async () => {
    const cacheDir = join(work, 'cache-identical');
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_GENERATORS: 'llm' };
    const args = (out: string) => ['run', '--input', INPUT, '--mesh', MESH, '--out', out, '--cache-dir', cacheDir, '--quiet'];
    server.reset();
    const first = await runCli(args(join(work, 'first')), env);
    expect(first.code, first.stderr).toBe(0);
    const firstCalls = server.chatRequests().length;
    expect(firstCalls).toBeGreaterThan(0);

    server.reset();
    const second = await runCli([...args(join(work, 'second')), '--cache-ttl', '30d'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(server.chatRequests()).toHaveLength(0);

    const a = (await readExportRows(join(work, 'first'), 'accepted')) as unknown as Row[];
    const b = (await readExportRows(join(work, 'second'), 'accepted')) as unknown as Row[];
    expect(b.map((r) => [r.id, r.question])).toEqual(a.map((r) => [r.id, r.question]));
    expect(a.length).toBeGreaterThan(0);
    expect(a.some((r) => r.generator.cached)).toBe(false);
    expect(b.every((r) => r.generator.cached === true && r.judge.cached === true)).toBe(true);
    const card = await readFile(join(work, 'second', 'README.md'), 'utf8');
    expect(card).toContain(`| generated from cache | ${b.length} |`);
    expect(card).toContain(`| judged from cache | ${b.length} |`);
    const firstCard = await readFile(join(work, 'first', 'README.md'), 'utf8');
    expect(firstCard).toContain('| generated from cache | 0 | 0 |');
  }, 120_000);

  it('a changed judge reuses every generation: generation calls 0, judge calls one per item', async () => {
    const cacheDir = join(work, 'cache-judge');
    const base = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_GENERATORS: 'llm', MEDISTILL_ITEMS_PER_RECORD: '1' };
    const args = (out: string) => ['run', '--input', INPUT, '--mesh', MESH, '--out', out, '--cache-dir', cacheDir, '--quiet', '--items-per-record', '1'];
    server.reset();
    expect((await runCli(args(join(work, 'judge-a')), { ...base, MEDISTILL_JUDGE_MODEL: 'judge-a' })).code).toBe(0);
    const generated = server.chatRequests().filter((r) => kindOf(r) === 'generate').length;
    expect(generated).toBeGreaterThan(0);

    server.reset();
    const res = await runCli(args(join(work, 'judge-b')), { ...base, MEDISTILL_JUDGE_MODEL: 'judge-b' });
    expect(res.code, res.stderr).toBe(0);
    const calls = server.chatRequests();
    const summary = JSON.parse(await readFile(join(work, 'judge-b', 'summary.json'), 'utf8')) as { candidates: number };
    expect(calls.filter((r) => kindOf(r) === 'generate')).toHaveLength(0);
    expect(calls.filter((r) => kindOf(r) === 'judge')).toHaveLength(summary.candidates);
    expect(calls.every((r) => r.body?.model === 'judge-b')).toBe(true);
  }, 120_000);

  it('--no-cache calls the model again; --cache-only on an empty cache calls nothing and counts every record as a cache miss', async () => {
    const cacheDir = join(work, 'cache-flags');
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_GENERATORS: 'llm' };
    const args = (out: string, ...more: string[]) => ['run', '--input', INPUT, '--mesh', MESH, '--out', out, '--cache-dir', cacheDir, '--quiet', ...more];
    server.reset();
    expect((await runCli(args(join(work, 'warm')), env)).code).toBe(0);
    const warmCalls = server.chatRequests().length;

    server.reset();
    expect((await runCli(args(join(work, 'nocache'), '--no-cache'), env)).code).toBe(0);
    expect(server.chatRequests()).toHaveLength(warmCalls);

    server.reset();
    const only = await runCli(args(join(work, 'only'), '--cache-only', '--cache-dir', join(work, 'empty-cache')), env);
    expect(only.code, only.stderr).toBe(0);
    expect(server.chatRequests()).toHaveLength(0);
    const failures = (await readFile(join(work, 'only', 'failures.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason?: string; message?: string });
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.some((f) => JSON.stringify(f).includes('llm_cache_miss'))).toBe(true);

    const both = await runCli(args(join(work, 'both'), '--no-cache', '--cache-only'), env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-cache and --cache-only exclude each other');
  }, 120_000);

  it('medistill cache stats counts the entries a run left; prune --older-than removes them; a bad duration is a usage error', async () => {
    const cacheDir = join(work, 'cache-admin');
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_GENERATORS: 'llm' };
    server.reset();
    expect((await runCli(['run', '--input', INPUT, '--mesh', MESH, '--out', join(work, 'admin'), '--cache-dir', cacheDir, '--quiet'], env)).code).toBe(0);
    const calls = server.chatRequests().length;
    const stats = await runCli(['cache', 'stats', '--cache-dir', cacheDir]);
    expect(stats.code, stats.stderr).toBe(0);
    const entries = Number(/: (\d+) entries, (\d+) bytes/.exec(stats.stdout)?.[1]);
    expect(entries).toBe(calls);
    const kept = await runCli(['cache', 'prune', '--cache-dir', cacheDir]);
    expect(kept.stdout).toContain(`: 0 of ${calls} entries removed`);
    await new Promise((r) => setTimeout(r, 20));
    const pruned = await runCli(['cache', 'prune', '--older-than', '10ms', '--cache-dir', cacheDir]);
    expect(pruned.stdout).toContain(`: ${calls} of ${calls} entries removed`);
    expect((await runCli(['cache', 'stats', '--cache-dir', cacheDir])).stdout).toContain(': 0 entries, 0 bytes');
    const bad = await runCli(['cache', 'prune', '--older-than', 'soon', '--cache-dir', cacheDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than must be a duration such as 90s, 12h or 30d');
  }, 120_000);

  it('answers whichever endpoint or mode would have: a cache warmed over two endpoints serves a batch-mode run with no request and no batch', async () => {
    const other = await startOpenAiTestServer({ responder: simulatedModel(), batchProcessDelayMs: 5 });
    try {
      const cacheDir = join(work, 'cache-modes');
      const endpoints = JSON.stringify([
        { name: 'east', baseUrl: server.url, apiKeyEnv: 'CACHE_KEY_A', rpm: 6000, tpm: 10_000_000 },
        { name: 'west', baseUrl: other.url, apiKeyEnv: 'CACHE_KEY_B', rpm: 6000, tpm: 10_000_000 },
      ]);
      const env = { CACHE_KEY_A: KEY, CACHE_KEY_B: `${KEY}-b`, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_GENERATORS: 'llm', MEDISTILL_LLM_ENDPOINTS: endpoints, MEDISTILL_LLM_BATCH_MAX_WAIT_MS: '50', MEDISTILL_LLM_BATCH_POLL_MS: '20' };
      const args = (out: string, ...more: string[]) => ['run', '--input', INPUT, '--mesh', MESH, '--out', out, '--cache-dir', cacheDir, '--quiet', ...more];
      server.reset();
      other.reset();
      expect((await runCli(args(join(work, 'modes-online')), env)).code).toBe(0);
      expect(server.chatRequests().length + other.chatRequests().length).toBeGreaterThan(0);

      server.reset();
      other.reset();
      const batch = await runCli(args(join(work, 'modes-batch'), '--llm-mode', 'batch'), env);
      expect(batch.code, batch.stderr).toBe(0);
      expect(server.chatRequests().length + other.chatRequests().length).toBe(0);
      expect(server.batches().length + other.batches().length).toBe(0);
      const online = (await readExportRows(join(work, 'modes-online'), 'accepted')) as unknown as Row[];
      const batched = (await readExportRows(join(work, 'modes-batch'), 'accepted')) as unknown as Row[];
      expect(batched.map((r) => r.id)).toEqual(online.map((r) => r.id));
      expect(batched.every((r) => r.generator.cached === true)).toBe(true);
    } finally {
      await other.close();
    }
  }, 120_000);
});
