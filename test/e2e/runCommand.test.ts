import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { runCli } from '../support/runCli.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../support/openaiTestServer.ts';
import { simulatedModel } from '../support/simulatedModel.ts';
import { readExportRows } from '../../services/export/readExportRows.ts';

const SAMPLES = new URL('../fixtures/pipeline-sample/', import.meta.url).pathname;
const PUBMED = join(SAMPLES, 'pubmed');
const MESH = join(SAMPLES, 'desc-sample.xml');
const KEY = 'sk-test-e2e-7f3a9c0d1b2e';

interface Row {
  pmid: string;
  pmid_version: number;
  type: string;
  generator: { backend: string; model: string | null };
}

async function jsonl<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** Counts the entries of the sample files independently of the parser: record elements and deleted PMIDs. */
async function countSampleEntries(): Promise<number> {
  let n = 0;
  for (const f of await readdir(PUBMED)) {
    const buf = await readFile(join(PUBMED, f));
    const text = (f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
    n += (text.match(/<PubmedArticle>|<PubmedBookArticle>/g) ?? []).length;
    for (const del of text.match(/<DeleteCitation>[\s\S]*?<\/DeleteCitation>/g) ?? []) n += (del.match(/<PMID/g) ?? []).length;
  }
  return n;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('medistill run on the bundled sample (rule-based, no key)', () => {
  it('writes preference pairs from the two rule-based generators, in the DPO format, one set per paper, none for deleted or superseded papers', async () => {
    const out = join(work, 'pairs');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', out, '--quiet']);
    expect(res.code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const pairs = await readExportRows(out, 'preferences');
    expect(pairs.length).toBe(summary.preferencePairs);
    expect(pairs.length).toBeGreaterThan(10);
    expect(res.stdout).toContain(`preference pairs: ${pairs.length} in ${out}/data/preferences-*.jsonl`);
    const accepted = await readExportRows(out, 'accepted');
    const rejected = await readExportRows(out, 'rejected');
    const exported = new Map([...accepted.map((r) => [r.id, r] as const), ...rejected.map((r) => [r.id, r] as const)]);
    for (const p of pairs) {
      for (const k of ['prompt', 'chosen', 'rejected'] as const) expect(typeof p[k] === 'string' && p[k].length > 0).toBe(true);
      expect(p.chosen).not.toBe(p.rejected);
      const { chosen, rejected: worse, margin } = p.metadata;
      expect(margin).toBeGreaterThanOrEqual(0.05 - 1e-9);
      expect(chosen.combined - worse.combined).toBeCloseTo(margin, 9);
      // The two sides come from the two generators, and are items of this paper's current version in the dataset.
      expect(new Set([chosen.generator.name, worse.generator.name])).toEqual(new Set(['rule-based', 'rule-based:findings']));
      for (const side of [chosen, worse]) expect(exported.get(side.item_id)).toMatchObject({ pmid: p.metadata.pmid, pmid_version: p.metadata.pmid_version });
      expect(p.prompt).toContain(p.metadata.target.descriptor_ui);
    }
    expect(new Set(pairs.map((p) => p.metadata.id)).size).toBe(pairs.length);
    expect(pairs.some((p) => p.metadata.pmid === '39990036')).toBe(false);
    expect(pairs.filter((p) => p.metadata.pmid === '39990013').every((p) => p.metadata.pmid_version === 2)).toBe(true);
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain(`Pairs: ${pairs.length}`);
    expect(card).toMatch(/\| margin \| \d+ \| 0\.\d{3} \|/);
  }, 180_000);

  it('with one generator named, writes no pairs; a stricter margin writes fewer', async () => {
    const single = join(work, 'single');
    const one = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', single, '--quiet', '--generators', 'rule-based']);
    expect(one.code).toBe(0);
    expect(await readExportRows(single, 'preferences')).toEqual([]);
    const strict = join(work, 'strict');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', strict, '--quiet', '--preference-margin', '0.1']);
    expect(res.code).toBe(0);
    const pairs = await readExportRows(strict, 'preferences');
    expect(pairs.every((p) => p.metadata.margin >= 0.1 - 1e-9)).toBe(true);
    const bad = await runCli(['run', '--input', PUBMED, '--out', join(work, 'bad'), '--generators', 'rule-based,rule-based']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/same generator twice/);
  }, 180_000);

  it('writes the dataset and accounts for every input entry', async () => {
    const out = join(work, 'rule');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', out]);
    expect(res.stderr).not.toMatch(/unexpected error/);
    expect(res.code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const entries = await countSampleEntries();
    expect(summary.records).toBe(entries);
    const outcomeSum = Object.values(summary.outcomes as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(outcomeSum).toBe(entries);
    expect(res.stdout).toContain(`records: ${entries} input entries`);

    const rows = (await readExportRows(out, 'accepted')) as unknown as Row[];
    expect(rows.length).toBe(summary.exported);
    expect(rows.length).toBeGreaterThan(20);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['open', 'yes_no_maybe', 'multiple_choice']));
    expect(rows.every((r) => r.generator.backend === 'rule-based')).toBe(true);
    // The deleted PMID and the superseded version leave the export; the malformed record is a logged failure.
    expect(rows.some((r) => r.pmid === '39990036')).toBe(false);
    expect(rows.some((r) => r.pmid === '39990013' && r.pmid_version === 1)).toBe(false);
    const failures = await jsonl<{ reason: string; pmid: string; raw: string }>(join(out, 'failures.jsonl'));
    expect(failures.filter((f) => f.reason === 'parse_error').map((f) => f.pmid)).toEqual(['39990014']);
    expect(failures[0]?.raw).toContain('<PMID Version="1">39990014</PMID>');
    expect(summary.outcomes.failed).toBe(1);
    expect(summary.outcomes.deleted).toBe(2);
    expect(summary.outcomes.withdrawn).toBe(1);
    expect(summary.outcomes.superseded).toBe(1);
    expect(summary.outcomes.no_abstract).toBeGreaterThanOrEqual(1);

    // The folder is a Hugging Face dataset repository: README.md with YAML front matter, Parquet shards.
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card.startsWith('---\n')).toBe(true);
    expect(card).toContain('config_name: default');
    expect(card).toContain('path: data/accepted-*.parquet');
    expect(card).toContain('config_name: failures');
    expect(card).toContain(`| accepted | ${rows.length} |`);

    // A second run into the same folder writes a fresh dataset, not one merged with the first.
    const again = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out]);
    expect(again.code).toBe(0);
    const second = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(second.exported).toBeLessThan(summary.exported);
    expect((await readExportRows(out, 'accepted')).length).toBe(second.exported);
  }, 180_000);

  it('annotate writes one line per record with MeSH terms from NLM and from the dictionary', async () => {
    const out = join(work, 'annotated.jsonl');
    const res = await runCli(['annotate', '--input', PUBMED, '--mesh', MESH, '--out', out]);
    expect(res.code).toBe(0);
    const lines = await jsonl<{ pmid: string; deleted?: boolean; mesh?: { source: string; treeNumbers: string[] }[] }>(out);
    const records = lines.filter((l) => !l.deleted);
    expect(lines.filter((l) => l.deleted).map((l) => l.pmid).sort()).toEqual(['39989999', '39990036']);
    const sources = new Set(records.flatMap((r) => r.mesh?.map((m) => m.source) ?? []));
    expect(sources).toEqual(new Set(['nlm', 'dictionary']));
    expect(records.every((r) => (r.mesh ?? []).every((m) => Array.isArray(m.treeNumbers)))).toBe(true);
    expect(res.stdout).toMatch(/failed 1/);
  });
});

describe('medistill run with an LLM (OpenAI-compatible test server)', () => {
  let server: OpenAiTestServer;
  beforeAll(async () => {
    server = await startOpenAiTestServer({ responder: simulatedModel() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('generates and judges through the server, never printing the key', async () => {
    const out = join(work, 'llm');
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1' };
    const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out], env);
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).not.toContain(KEY);
    expect(res.stderr).toContain('apiKey=***');
    const rows = (await readExportRows(out, 'accepted')) as unknown as Row[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.generator.backend === 'llm' && r.generator.model === 'sim-1')).toBe(true);
    const chats = server.chatRequests();
    expect(chats.length).toBeGreaterThan(rows.length);
    expect(chats.every((r) => server.sentKey(r, KEY))).toBe(true);
    // Multiple-choice items passed Verification-of-Choice: only option A is in the passage.
    expect(rows.some((r) => r.type === 'multiple_choice')).toBe(true);
  });

  it('with two LLM generators (two models, two prompts), each writes a candidate for every target the first chose', async () => {
    const out = join(work, 'llm-two');
    const before = server.chatRequests().length;
    const env = { MEDISTILL_LLM_BASE_URL: server.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MODEL: 'sim-1' };
    const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out, '--generators', 'llm,llm:sim-2#hierarchy'], env);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/generators: llm:sim-1 \(generate-v1\), llm:sim-2 \(generate-hierarchy-v1\)/);
    const generation = server.chatRequests().slice(before).filter((r) => JSON.stringify(r.body).includes('write question-answer items'));
    const models = new Set(generation.map((r) => (r.body as { model?: string }).model));
    expect(models).toEqual(new Set(['sim-1', 'sim-2']));
    expect(generation.filter((r) => JSON.stringify(r.body).includes('place in the MeSH hierarchy')).every((r) => (r.body as { model?: string }).model === 'sim-2')).toBe(true);
    const rows = [...(await readExportRows(out, 'accepted')), ...(await readExportRows(out, 'rejected'))];
    const byGenerator = (model: string) => new Set(rows.filter((r) => r.generator.model === model).map((r) => `${r.pmid} ${r.mesh_targets[0]!.descriptor_ui}`));
    const first = byGenerator('sim-1');
    const second = byGenerator('sim-2');
    expect(first.size).toBeGreaterThan(0);
    expect([...second].every((t) => first.has(t))).toBe(true);
    expect(second.size).toBe(first.size);
  });

  it('an LLM answering garbage gives counted failures, not a crash', async () => {
    const bad = await startOpenAiTestServer({ responder: () => 'this is not JSON at all' });
    try {
      const out = join(work, 'garbage');
      const env = { MEDISTILL_LLM_BASE_URL: bad.url, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MAX_RETRIES: '0' };
      const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out], env);
      expect(res.code).toBe(0);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      expect(summary.generateFailures.llm_bad_output).toBeGreaterThan(0);
      expect(summary.exported).toBe(0);
      expect(res.stdout).toMatch(/items not generated: llm_bad_output \d+/);
    } finally {
      await bad.close();
    }
  });

  it('an unreachable LLM gives counted failures with a clear reason and no key', async () => {
    const port = await closedPort();
    const out = join(work, 'unreachable');
    const env = { MEDISTILL_LLM_BASE_URL: `http://127.0.0.1:${port}/v1`, MEDISTILL_LLM_API_KEY: KEY, MEDISTILL_LLM_MAX_RETRIES: '0' };
    const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out, '--limit', '3'], env);
    expect(res.code).toBe(0);
    // Two LLM generators by default (two prompts): each fails on each of the 3 records.
    expect(res.stdout).toMatch(/items not generated: llm_unavailable 6/);
    const failures = await readFile(join(out, 'failures.jsonl'), 'utf8');
    expect(failures).toMatch(/unavailable/i);
    expect(failures + res.stdout + res.stderr).not.toContain(KEY);
  });
});

describe('medistill on bad input', () => {
  it('a missing input gives one clear line and exit code 2', async () => {
    const res = await runCli(['run', '--input', join(work, 'nope.xml'), '--out', join(work, 'x')]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/input not found: .*nope\.xml/);
  });

  it('an unreadable MeSH file gives one clear line and exit code 2', async () => {
    const notMesh = join(work, 'not-mesh.xml');
    await writeFile(notMesh, '<html><body>hello</body></html>');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', notMesh, '--out', join(work, 'y')]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('not-mesh.xml');
  });

  it('a non-XML input file is a counted failure and the other files still run', async () => {
    const junk = join(work, 'junk.xml');
    await writeFile(junk, 'just some text, not XML\n');
    const out = join(work, 'junk-out');
    const res = await runCli(['run', '--input', junk, '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out]);
    expect(res.code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.failures.parse_error).toBe(1);
    expect(summary.outcomes.with_items).toBeGreaterThan(0);
  });

  it('a record nesting 6,000 inline elements and a doubled <PubmedArticleSet> stop nothing: every record is accounted for', async () => {
    const record = (pmid: string, abstract: string): string =>
      `<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">${pmid}</PMID><Article PubModel="Print">` +
      `<Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2024</Year></PubDate></JournalIssue><Title>J Test</Title></Journal>` +
      `<ArticleTitle>Aspirin and stroke ${pmid}.</ArticleTitle><Abstract><AbstractText>${abstract}</AbstractText></Abstract>` +
      `<Language>eng</Language></Article></MedlineCitation></PubmedArticle>\n`;
    const plain = 'Aspirin lowered the risk of recurrent stroke in adults with hypertension.';
    const deep = `${'<i>'.repeat(6_000)}${plain}${'</i>'.repeat(6_000)}`;
    const input = join(work, 'shapes');
    await mkdir(input, { recursive: true });
    await writeFile(join(input, 'deep.xml'), `<?xml version="1.0"?>\n<PubmedArticleSet>\n${record('91000001', plain)}${record('91000002', deep)}${record('91000003', plain)}</PubmedArticleSet>\n`);
    // The shape the operator met: a doubled opening root, one closing tag, five records.
    await writeFile(join(input, 'doubled.xml'), `<?xml version="1.0"?>\n<PubmedArticleSet>\n<PubmedArticleSet>\n${['92000001', '92000002', '92000003', '92000004', '92000005'].map((p) => record(p, plain)).join('')}</PubmedArticleSet>\n`);
    const out = join(work, 'shapes-out');
    const res = await runCli(['run', '--input', input, '--mesh', MESH, '--out', out]);
    expect(res.stderr).not.toContain('RangeError');
    expect(res.code).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    // 3 + 5 records, plus the doubled file's missing closing tag: 9 entries, 2 failed.
    expect(summary.failures.parse_error).toBe(2);
    expect(summary.outcomes.with_items).toBe(7);
    const failures = await jsonl<{ message: string; position: { line: number } | null; pmid: string | null }>(join(out, 'failures.jsonl'));
    const deepFailure = failures.find((f) => f.pmid === '91000002');
    expect(deepFailure?.message).toMatch(/nested deeper than \d+ levels/);
    expect(deepFailure?.position?.line).toBe(4);
    expect(failures.some((f) => /input ends before <\/PubmedArticleSet>/.test(f.message))).toBe(true);
  });

  it('an LLM base URL carrying user:password is refused at start in one line that does not print the password', async () => {
    const secret = 'pw-e2e-marker-4d2f9a';
    const out = join(work, 'userinfo-out');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', out], { MEDISTILL_LLM_BASE_URL: `http://user:${secret}@127.0.0.1:9/v1`, MEDISTILL_LLM_API_KEY: KEY });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('MEDISTILL_LLM_BASE_URL http://***@127.0.0.1:9/v1 carries credentials');
    expect(res.stderr + res.stdout).not.toContain(secret);
    expect(res.stderr + res.stdout).not.toContain(KEY);
  });

  it('a service that cannot reach Kafka waits within its outage budget, then says so in one line and exits non-zero', async () => {
    const port = await closedPort();
    const res = await runCli(['annotate'], { MEDISTILL_KAFKA_BROKERS: `127.0.0.1:${port}`, MEDISTILL_METRICS_PORT: '0', MEDISTILL_OUTAGE_BUDGET_MS: '1000' }, 90_000);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/annotate: cannot reach Kafka at .* failed \(.*\); retrying for up to 1 s \(MEDISTILL_OUTAGE_BUDGET_MS\)/);
    expect(res.stderr).toMatch(new RegExp(`^medistill: cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*past the outage budget \\(MEDISTILL_OUTAGE_BUDGET_MS=1000\\)`, 'm'));
    expect(res.stderr).not.toMatch(/^\s+at /m);
  }, 90_000);

  it('bad flags give a usage error', async () => {
    const res = await runCli(['run', '--input', PUBMED, '--limit', 'zero']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--limit must be a positive whole number');
  });
});
