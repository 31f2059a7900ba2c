// End-to-end: where servers are, as written on `server` lines — host names resolved once at
// start (and -dr leaving an unresolvable one out), unix sockets — the same configuration in
// real HAProxy 2.6 and in haproxyd, the same answers.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function get(port: number): Promise<{ status: number; body: string }> {
  const r = await request(`http://127.0.0.1:${port}/x`, { headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: r.statusCode, body: await r.body.text() };
}

function httpConfig(port: number, serverLines: string[]): string {
  return [
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    ...serverLines.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

describe('server addresses', () => {
  for (const binary of BINARIES) {
    it(`${binary}: a host name is resolved at start; with -dr an unresolvable one is left out`, async () => {
      const be = await startHttpBackend((_req, res) => {
        res.end('from localhost');
      });
      const [port] = await freePorts(1);
      const cfg = writeConfig(
        httpConfig(port!, [
          `server gone no-such-host.invalid:${be.port}`,
          `server local localhost:${be.port}`,
        ]),
        `${binary}-dr.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { args: ['-dr'], readyPorts: [port!] });
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(await get(port!));
      // every request reaches the resolvable server, none gets an error
      expect(seen).toEqual(Array.from({ length: 4 }, () => ({ status: 200, body: 'from localhost' })));
      expect(be.requests.length).toBe(4);
      await proxy.stop();
    });

    it(`${binary}: a unix-socket server`, async () => {
      const path = join(tempDir(), 'srv.sock');
      const srv = createServer((_req, res) => res.end('over unix'));
      servers.push(srv);
      await new Promise<void>((r) => srv.listen(path, () => r()));
      const [port] = await freePorts(1);
      const cfg = writeConfig(httpConfig(port!, [`server s1 unix@${path}`]), `${binary}-unix.cfg`);
      const proxy = await startProxy(binary, cfg, { readyPorts: [port!] });
      expect(await get(port!)).toEqual({ status: 200, body: 'over unix' });
      expect(await get(port!)).toEqual({ status: 200, body: 'over unix' });
      await proxy.stop();
    });
  }
});
