// A small `maxconn` sets a small descriptor limit (HAProxy's maxsock); Node needs descriptors of
// its own on top, or health checks and the stats socket fail with EMFILE where HAProxy works.
import { join } from 'node:path';
import { freePorts, request, startHttpBackend, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();

describe('a small maxconn', () => {
  it.each([1, 5])('maxconn %i: the stats socket binds, checks run, requests are served', async (maxconn) => {
    const app = await startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    const [port] = (await freePorts(1)) as [number];
    const sock = join(tempDir(), `small-maxconn-${maxconn}.sock`);
    const cfg = writeConfig(
      [
        'global',
        `  maxconn ${maxconn}`,
        `  stats socket ${sock} level admin`,
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 5s',
        '  timeout server 5s',
        'frontend fe',
        `  bind 127.0.0.1:${port}`,
        '  default_backend be',
        'backend be',
        `  server s1 127.0.0.1:${app.port} check inter 100`,
        '',
      ].join('\n'),
      `small-maxconn-${maxconn}.cfg`,
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
    try {
      await waitUntil('s1 checked UP', async () =>
        /^be,s1,(?:[^,]*,){15}UP,/m.test(await cli(sock, 'show stat')),
      );
      const r = await request(`http://127.0.0.1:${port}/`);
      expect(r.status).toBe(200);
      expect(proxy.stderr()).not.toMatch(/EMFILE|Too many open files/);
    } finally {
      await proxy.stop();
    }
  });
});
