import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRegistryProbe, type RegistryProbe } from '../../../services/runtime/kafka/registryProbe.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds (or 5 s pass): a loaded machine may run the 20 ms probe late. */
async function until(ok: () => boolean): Promise<void> {
  for (const end = Date.now() + 5000; !ok() && Date.now() < end; ) await wait(10);
}

let server: Server | null = null;
let probe: RegistryProbe | null = null;
afterEach(async () => {
  probe?.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

describe('startRegistryProbe', () => {
  it('reports the registry healthy, then not ready with the reason when it fails, with basic auth sent', async () => {
    let status = 200;
    let auth: string | undefined;
    server = createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(req.url === '/apis/ccompat/v7/subjects' ? status : 404).end('[]');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
    probe = startRegistryProbe({ registryUrl: url, auth: { username: 'u', password: 'p' }, intervalMs: 20 });
    await until(() => auth !== undefined);
    expect(probe.ok).toBe(true);
    expect(auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    status = 503;
    await until(() => !probe!.ok);
    expect(probe.ok).toBe(false);
    expect(probe.reason).toContain('503');
  });

  it('reports an unreachable registry', async () => {
    probe = startRegistryProbe({ registryUrl: 'http://127.0.0.1:1/apis/ccompat/v7', intervalMs: 20, timeoutMs: 200 });
    await until(() => probe!.reason !== null);
    expect(probe.ok).toBe(false);
    expect(probe.reason).toMatch(/unreachable/);
  });
});
