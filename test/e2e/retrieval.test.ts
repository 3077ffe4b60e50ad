import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/runCli.ts';
import { startOpenAiTestServer, type OpenAiTestServer } from '../support/openaiTestServer.ts';
import { readExportRows } from '../../services/export/readExportRows.ts';
import { openLiteratureIndex } from '../../services/retrieval/literatureIndex.ts';
import { CARD_FILE } from '../../services/export/exportStore.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const PUBMED = join(ROOT, 'test/fixtures/pipeline-sample/pubmed');
const MESH = join(ROOT, 'test/fixtures/pipeline-sample/desc-sample.xml');
const CORPUS = join(ROOT, 'test/fixtures/pubmed/retrieval-corpus.xml');
const CORPUS_MESH = join(ROOT, 'test/fixtures/mesh/retrieval-mesh.xml');
const EMBEDDINGS_KEY = 'sk-emb-e2e-5c1d8a';

let work: string;
let server: OpenAiTestServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-e2e-retrieval-'));
  server = await startOpenAiTestServer();
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

function indexSize(dir: string): number {
  const index = openLiteratureIndex({ dir, readonly: true });
  try {
    return index.count();
  } finally {
    index.close();
  }
}

describe('medistill index and retrieval in medistill run', { timeout: 180_000 }, () => {
  it('bulk-indexes PubMed files, and indexing them again writes nothing', async () => {
    const dir = join(work, 'bulk.index');
    const first = await runCli(['index', '--input', CORPUS, '--index', dir, '--mesh', CORPUS_MESH]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('indexed 10, replaced 0, already held 0');
    expect(first.stdout).toContain('not in English 1 (indexed)');
    const again = await runCli(['index', '--input', CORPUS, '--index', dir, '--mesh', CORPUS_MESH, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('indexed 0, replaced 0, already held 10');
    expect(indexSize(dir)).toBe(10);
  });

  it('run indexes every annotated abstract, stores retrieved PMIDs with each item, and resumes on the same index', async () => {
    const dir = join(work, 'run.index');
    const bulk = await runCli(['index', '--input', CORPUS, '--index', dir, '--mesh', CORPUS_MESH, '--quiet']);
    expect(bulk.code, bulk.stderr).toBe(0);
    const out = join(work, 'run1');
    const res = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', out, '--index', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/index: 10 abstracts in .*retrieval lexical, top 5/);
    // The samples hold abstracts of 34 PMIDs (one deleted by the update file): all of them join the corpus.
    const size = indexSize(dir);
    expect(size).toBeGreaterThan(10 + 25);
    const rows = await readExportRows(out, 'accepted');
    expect(rows.length).toBeGreaterThan(50);
    const withContext = rows.filter((r) => r.retrieved_pmids.length > 0);
    expect(withContext.length).toBeGreaterThan(rows.length / 2);
    for (const r of withContext) {
      expect(r.retrieved_pmids).not.toContain(r.pmid);
      expect(r.retrieved_pmids.length).toBeLessThanOrEqual(5);
      expect(r.score_reasons.retrieval).toMatch(/^retrieved-top5-dcg\(wu-palmer-bma\/v1\)\/v1 over \d retrieved documents/);
    }
    const card = await readFile(join(out, CARD_FILE), 'utf8');
    expect(card).toMatch(/\| retrieval \| \d+ \|/);

    const second = await runCli(['run', '--input', PUBMED, '--mesh', MESH, '--out', join(work, 'run2'), '--index', dir, '--quiet']);
    expect(second.code, second.stderr).toBe(0);
    expect(indexSize(dir)).toBe(size);
  });

  it('--retrieval off judges without an index and says so in the criterion', async () => {
    const out = join(work, 'off');
    const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out, '--retrieval', 'off']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('retrieval: off');
    const rows = await readExportRows(out, 'accepted');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.retrieved_pmids).toEqual([]);
      expect(r.score_reasons.retrieval).toBe('retrieval off: no literature index configured');
    }
    const bad = await runCli(['run', '--input', PUBMED, '--out', out, '--retrieval', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--retrieval must be on or off');
  });

  it('with an embeddings endpoint, vectors are stored and ranking is hybrid; the key is never printed', async () => {
    const dir = join(work, 'hybrid.index');
    const env = { MEDISTILL_EMBEDDINGS_BASE_URL: server.url, MEDISTILL_EMBEDDINGS_API_KEY: EMBEDDINGS_KEY, MEDISTILL_EMBEDDINGS_MODEL: 'test-embed' };
    const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', join(work, 'hybrid'), '--index', dir], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('retrieval hybrid');
    expect(`${res.stdout}${res.stderr}`).not.toContain(EMBEDDINGS_KEY);
    const index = openLiteratureIndex({ dir, readonly: true });
    try {
      expect(index.vectorCount('test-embed')).toBe(index.count());
    } finally {
      index.close();
    }
    expect(server.embeddingsRequests().every((r) => server.sentKey(r, EMBEDDINGS_KEY))).toBe(true);
  });

  it('a failing embeddings endpoint leaves papers indexed lexically and the run complete', async () => {
    server.failEmbeddings(500);
    try {
      const dir = join(work, 'failing.index');
      const env = { MEDISTILL_EMBEDDINGS_BASE_URL: server.url, MEDISTILL_EMBEDDINGS_MODEL: 'test-embed' };
      const out = join(work, 'failing');
      const res = await runCli(['run', '--input', join(PUBMED, 'pubmed-sample-01.xml'), '--mesh', MESH, '--out', out, '--index', dir], env);
      expect(res.code, res.stderr).toBe(0);
      expect(indexSize(dir)).toBeGreaterThan(0);
      const rows = await readExportRows(out, 'accepted');
      expect(rows.some((r) => r.score_reasons.retrieval.includes('embeddings failed'))).toBe(true);
    } finally {
      server.failEmbeddings(null);
    }
  });
});
