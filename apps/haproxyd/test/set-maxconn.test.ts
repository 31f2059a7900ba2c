// `set maxconn server` on the stats socket changes the limit the engine applies: with
// `maxconn 1` a second request waits in the queue while the first is held by the server;
// raising the limit to 2 lets the waiting request through at once (before the first ends),
// in HAProxy and in haproxyd alike. `show stat` then reports the new `slim`.
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

function column(csv: string, px: string, sv: string, name: string): string | undefined {
  const lines = csv.split('\n');
  const names = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[0] === px && c[1] === sv) return c[names.indexOf(name)];
  }
  return undefined;
}

describe('set maxconn server', () => {
  it('a raised limit lets a queued request through at once, as in HAProxy', async () => {
    const run = async (binary: Binary) => {
      let arrived = 0;
      const held: (() => void)[] = [];
      const app = await startHttpBackend((_req, res) => {
        arrived++;
        held.push(() => {
          res.writeHead(200, { 'content-length': 2 });
          res.end('ok');
        });
      });
      const [port] = (await freePorts(1)) as [number];
      const sock = join(tempDir(), `${binary}-maxconn.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 20s',
          '  timeout server 20s',
          '  timeout queue 20s',
          'listen fe',
          `  bind 127.0.0.1:${port}`,
          `  server s1 127.0.0.1:${app.port} maxconn 1`,
          '',
        ].join('\n'),
        `${binary}-maxconn.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      try {
        const first = request(`http://127.0.0.1:${port}/1`, { timeoutMs: 30_000 });
        await waitUntil('the first request at the server', async () => arrived === 1);
        const second = request(`http://127.0.0.1:${port}/2`, { timeoutMs: 30_000 });
        // the second one waits for a slot: the backend's queue holds it
        await waitUntil('the second request in the queue', async () => {
          const csv = await cli(sock, 'show stat');
          return column(csv, 'fe', 'BACKEND', 'qcur') === '1';
        });
        const before = arrived;
        const slimBefore = column(await cli(sock, 'show stat'), 'fe', 's1', 'slim');
        const answer = await cli(sock, 'set maxconn server fe/s1 2');
        // the queued request reaches the server while the first is still held
        await waitUntil('the queued request at the server', async () => arrived === 2);
        const slimAfter = column(await cli(sock, 'show stat'), 'fe', 's1', 'slim');
        for (const release of held.splice(0)) release();
        const statuses = [(await first).status, (await second).status];
        return { before, answer, slimBefore, slimAfter, statuses };
      } finally {
        for (const release of held.splice(0)) release();
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want).toEqual({ before: 1, answer: '\n', slimBefore: '1', slimAfter: '2', statuses: [200, 200] });
    expect(got).toEqual(want);
  });
});
