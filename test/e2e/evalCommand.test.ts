import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/runCli.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../support/openaiTestServer.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const SAMPLE_PUBMED = new URL('../../samples/pubmed/', import.meta.url).pathname;
const PQAL = `${FIXTURES}pubmedqa/pqal_fixture.json`;
const KEY = 'sk-eval-test-key-0123456789';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medistill-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('medistill eval pubmedqa, offline', () => {
  it('prints accuracy, macro-F1, per-class figures and the confusion matrix for both settings, and writes the reports into the dataset folder and its card', async () => {
    const out = join(dir, 'dataset');
    const r = await runCli(['eval', 'pubmedqa', '--input', PQAL, '--backend', 'offline', '--out', out]);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PubMedQA reasoning-required, offline-labeller');
    expect(r.stdout).toContain('PubMedQA reasoning-free, offline-labeller');
    expect(r.stdout).toMatch(/accuracy \d+\.\d%\s+macro-F1 \d+\.\d%\s+\(8 items scored\)/);
    expect(r.stdout).toContain('confusion (rows gold, columns predicted)');
    const report = JSON.parse(await readFile(join(out, 'eval', 'pubmedqa-reasoning-free-offline.json'), 'utf8'));
    expect(report.counts).toEqual({ inFile: 8, usable: 8, invalid: 0, failed: 0, unlabelled: 0, scored: 8 });
    expect(report.predictions).toHaveLength(8);
    expect(report.metrics.accuracy).toBeGreaterThanOrEqual(0.75);
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain('## Quality evaluations');
    expect(card).toMatch(/\| reasoning-free \| offline-labeller \| \d+\.\d% \|/);
  });

  it('cross-validates the offline labeller on the file with --cv', async () => {
    const r = await runCli(['eval', 'pubmedqa', '--input', PQAL, '--backend', 'offline', '--setting', 'reasoning-free', '--cv', '4', '--report', join(dir, 'cv.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(4-fold cross-validation)');
    expect(JSON.parse(await readFile(join(dir, 'cv.json'), 'utf8')).crossValidated).toEqual({ folds: 4 });
  });

  it('counts items with missing fields and says how many were scored', async () => {
    const r = await runCli(['eval', 'pubmedqa', '--input', `${FIXTURES}pubmedqa/pqal_missing_fields.json`, '--backend', 'offline', '--setting', 'reasoning-free', '--report', join(dir, 'missing.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('skipped: item 90000099: CONTEXTS must be a non-empty list of strings');
    expect(r.stdout).toContain('items: 5 in file, 2 invalid, 0 failed, 0 without a gold label, 3 scored');
  });

  it('refuses another layout with one line and exit code 2', async () => {
    const r = await runCli(['eval', 'pubmedqa', '--input', `${FIXTURES}pubmedqa/other_layout.json`, '--backend', 'offline']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("not in PubMedQA's layout");
  });
});

describe('medistill eval pubmedqa, LLM through the OpenAI-protocol test server', () => {
  let server: OpenAiTestServer;
  beforeAll(async () => {
    server = await startOpenAiTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks the model in the chosen setting, and counts answers that are garbage as failures', async () => {
    server.reset();
    server.setResponder((body) => {
      const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
      if (user.includes('vitamin D')) return 'this is not JSON at all';
      const answer = /did not|not necessary/.test(user) ? 'no' : 'yes';
      return JSON.stringify({ reasoning: 'from the conclusion', answer });
    });
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1', MEDISTILL_LLM_MAX_RETRIES: '0' };
    const r = await runCli(['eval', 'pubmedqa', '--input', PQAL, '--setting', 'reasoning-free', '--report', join(dir, 'llm.json')], env);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('llm:sim-1');
    expect(r.stdout).toContain('items: 8 in file, 0 invalid, 1 failed, 0 without a gold label, 7 scored');
    const report = JSON.parse(await readFile(join(dir, 'llm.json'), 'utf8'));
    expect(report.predictions.find((p: { id: string }) => p.id === '90000004').error).toMatch(/LlmBadOutputError/);
    // Every item but the hedged one (gold "maybe") is answered right by the simulated model.
    expect(report.metrics.accuracy).toBeCloseTo(6 / 7);
    const prompts = server.chatRequests().map((q) => q.body?.messages?.map((m) => m.content).join('\n') ?? '');
    expect(prompts.every((p) => p.includes('Conclusion:'))).toBe(true);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
  });

  it('with --voc asks for an argument per answer and keeps the one that survives', async () => {
    server.reset();
    server.setResponder((body) => {
      const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
      const candidate = /Candidate answer: (\w+)/.exec(user)?.[1];
      if (!candidate) return JSON.stringify({ reasoning: 'direct', answer: 'maybe' });
      return JSON.stringify({ argument: `for ${candidate}`, supported: candidate === 'yes' });
    });
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1' };
    const r = await runCli(['eval', 'pubmedqa', '--input', PQAL, '--setting', 'reasoning-required', '--voc', '--report', join(dir, 'voc.json')], env);
    expect(r.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'voc.json'), 'utf8'));
    expect(report.vocDecidedBy).toEqual({ voc: 8, direct: 0 });
    expect(report.predictions.every((p: { predicted: string }) => p.predicted === 'yes')).toBe(true);
    expect(server.chatRequests()).toHaveLength(32);
    expect(server.chatRequests().every((q) => !(q.body?.messages ?? []).some((m) => m.content.includes('Conclusion:')))).toBe(true);
  });
});

describe('medistill eval judge', () => {
  it('reports, on the offline judge, the share of each corruption kind rejected and of clean items accepted', async () => {
    const out = join(dir, 'judged');
    const r = await runCli(['eval', 'judge', '--input', SAMPLE_PUBMED, '--limit', '40', '--out', out, '--backend', 'rule-based']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/clean \(should pass\)\s+\d+/);
    const report = JSON.parse(await readFile(join(out, 'eval', 'judge-validation-rule-based.json'), 'utf8'));
    expect(report.clean.items).toBeGreaterThan(0);
    expect(report.clean.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.corrupted.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.kinds.find((k: { kind: string }) => k.kind === 'injected_instruction').rate).toBe(1);
    expect(await readFile(join(out, 'README.md'), 'utf8')).toContain('### Judge validation: rule-based');
  });

  it('adds PubMedQA\'s expert-labelled items as clean items, every one flipped, and reports them by source', async () => {
    const out = join(dir, 'judged-pqal');
    const r = await runCli(['eval', 'judge', '--input', SAMPLE_PUBMED, '--limit', '10', '--out', out, '--backend', 'rule-based', '--pubmedqa', PQAL]);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PubMedQA expert items: 8 \(0 skipped\)/);
    const report = JSON.parse(await readFile(join(out, 'eval', 'judge-validation-rule-based.json'), 'utf8'));
    expect(report.pubmedqa).toMatchObject({ items: 8, skipped: 0 });
    expect(report.clean.bySource['pubmedqa-expert'].items).toBe(8);
    const flipped = report.kinds.find((k: { kind: string }) => k.kind === 'label_flipped');
    expect(flipped.bySource['pubmedqa-expert'].items).toBe(8);
    expect(flipped.items).toBeGreaterThan(8);
  });

  it('runs the LLM judge through the OpenAI protocol, and a judge that accepts everything shows it', async () => {
    const server = await startOpenAiTestServer({
      responder: (body) => {
        const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
        if (user.includes('Argue for option')) return JSON.stringify({ argument: 'fits', supported: /Argue for option A/.test(user) });
        const s = { score: 1, reason: 'fine' };
        return JSON.stringify({ grounded: s, answerable: s, correct: s, clear: s });
      },
    });
    try {
      const out = join(dir, 'judged-llm');
      const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1' };
      const r = await runCli(['eval', 'judge', '--input', SAMPLE_PUBMED, '--out', out, '--limit', '3'], env);
      expect(r.code).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'eval', 'judge-validation-llm.json'), 'utf8'));
      expect(report.backend.name).toBe('llm:sim-1');
      // A model that scores every item 1 lets corrupted items through: only the computed hierarchy and VoC (key A) still reject.
      expect(report.corrupted.rate).toBeLessThan(0.9);
      expect(report.kinds.find((k: { kind: string }) => k.kind === 'injected_instruction').missed.length).toBeGreaterThan(0);
      expect(server.chatRequests().length).toBeGreaterThan(report.clean.items);
    } finally {
      await server.close();
    }
  });
});
