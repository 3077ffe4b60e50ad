import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/runCli.ts';

const MESH = new URL('../fixtures/pipeline-sample/desc-sample.xml', import.meta.url).pathname;

const ONE_RECORD = `<?xml version="1.0" encoding="UTF-8"?>
<PubmedArticleSet>
  <PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
      <PMID Version="1">1000001</PMID>
      <Article PubModel="Print">
        <Journal><Title>Test Journal</Title></Journal>
        <ArticleTitle>Aspirin and headache in adults.</ArticleTitle>
        <Abstract>
          <AbstractText>Aspirin reduced headache pain in adults within two hours in a randomized trial of 200 patients. Adverse events were rare.</AbstractText>
        </Abstract>
        <Language>eng</Language>
      </Article>
    </MedlineCitation>
  </PubmedArticle>
</PubmedArticleSet>
`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'medistill-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the medistill command', () => {
  it('without a command exits 2 with a short usage on stderr', async () => {
    const res = await runCli([]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^usage: medistill <command>/);
    expect(res.stdout).toBe('');
  });

  it('help exits 0 and documents --quiet', async () => {
    const res = await runCli(['help', 'run']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/--quiet\s+no progress/);
  });

  it('run --quiet prints only the summary and writes an empty failures.jsonl when nothing failed; export --snapshot then publishes v0001', async () => {
    const input = join(work, 'one.xml');
    await writeFile(input, ONE_RECORD);
    const out = join(work, 'quiet');
    const res = await runCli(['run', '--input', input, '--mesh', MESH, '--out', out, '--quiet']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('failures: 0 entries');
    expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
    // No failures: the card lists no failures configuration (datasets cannot read one without rows).
    expect(await readFile(join(out, 'README.md'), 'utf8')).not.toContain('config_name: failures');

    // export --snapshot publishes the folder's checkpoint as v0001, and says so the second time.
    const snap = await runCli(['export', '--snapshot', '--dir', out]);
    expect(snap.code).toBe(0);
    expect(snap.stdout).toMatch(/^snapshot v0001 \(id [0-9a-f]{16}\): \d+ accepted items from 1 papers in .*snapshots\/v0001/);
    const again = await runCli(['export', '--snapshot', '--dir', out]);
    expect(again.stdout).toContain('v0001');
    expect(again.stdout).toContain('unchanged since it was published');
    expect(JSON.parse(await readFile(join(out, 'snapshots', 'v0001', 'snapshot.json'), 'utf8'))).toMatchObject({ version: 'v0001', papers: 1 });
  }, 120_000);

  it('export --snapshot of a folder with no export exits 2 with the reason', async () => {
    const res = await runCli(['export', '--snapshot', '--dir', join(work, 'nothing-here')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no exported dataset/);
  });
});
