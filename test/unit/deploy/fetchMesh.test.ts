import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchMesh } from '../../../deploy/local/fetchMesh.ts';

const DESC = readFileSync(new URL('../../fixtures/pipeline-sample/desc-sample.xml', import.meta.url));
let server: Server | null = null;
let dir: string;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

async function serve(status: number): Promise<{ url: string; requests: () => number }> {
  let n = 0;
  server = createServer((_req, res) => {
    n++;
    res.writeHead(status).end(status === 200 ? DESC : 'gone');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/desc2025.xml`, requests: () => n };
}

describe('fetchMesh', () => {
  it('downloads the descriptor file gzipped, checks it loads, and does not download it twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'medistill-mesh-'));
    const { url, requests } = await serve(200);
    const first = await fetchMesh({ year: 2025, url, dir });
    expect(first).toMatchObject({ path: join(dir, 'desc2025.xml.gz'), descriptors: 233, downloaded: true });
    expect(statSync(first.path).size).toBeLessThan(DESC.length);
    expect(await fetchMesh({ year: 2025, url, dir })).toMatchObject({ descriptors: 233, downloaded: false });
    expect(requests()).toBe(1);
  });

  it('fails with a message naming the URL and leaves no file when the server refuses', async () => {
    dir = mkdtempSync(join(tmpdir(), 'medistill-mesh-'));
    const { url } = await serve(404);
    await expect(fetchMesh({ year: 2025, url, dir })).rejects.toThrow(url);
    expect(() => statSync(join(dir, 'desc2025.xml.gz'))).toThrow();
  });
});
