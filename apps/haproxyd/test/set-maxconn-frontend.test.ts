// `set maxconn frontend` changes the listeners' limit at run time: with maxconn 1 a second
// connection waits unaccepted while the first is held; raising the limit to 2 lets it in
// at once (before the first ends). The answers are compared with HAProxy's; the held
// connection is not (HAProxy 2.6.12 lets it in too, then its process exits when the
// connections end, so that part runs against haproxyd alone).
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

async function setup(binary: Binary, handler: Parameters<typeof startHttpBackend>[0]) {
  const app = await startHttpBackend(handler);
  const [port] = (await freePorts(1)) as [number];
  const sock = join(tempDir(), `${binary}-fe.sock`);
  const cfg = writeConfig(
    [
      'global',
      `  stats socket ${sock} level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 20s',
      '  timeout server 20s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  maxconn 1',
      '  default_backend be',
      'backend be',
      `  server s1 127.0.0.1:${app.port}`,
      '',
    ].join('\n'),
    `${binary}-fe.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  return { port, sock, proxy };
}

const slimOf = (csv: string) =>
  csv
    .split('\n')
    .find((l) => l.startsWith('fe,FRONTEND,'))
    ?.split(',')[6];

describe('set maxconn frontend', () => {
  it('answers as HAProxy and shows the new slim', async () => {
    const run = async (binary: Binary) => {
      const { sock, proxy } = await setup(binary, (_req, res) => {
        res.end('ok');
      });
      try {
        return {
          bad: await cli(sock, 'set maxconn frontend fe -1'),
          missing: await cli(sock, 'set maxconn frontend fe'),
          noSuch: await cli(sock, 'set maxconn frontend nope 3'),
          ok: await cli(sock, 'set maxconn frontend fe 7'),
          slim: slimOf(await cli(sock, 'show stat')),
        };
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want).toMatchObject({ bad: 'Value out of range.\n\n', ok: '\n', slim: '7' });
    expect(got).toEqual(want);
  }, 60_000);

  it('a raised limit lets a waiting connection in at once; a lowered one holds new ones', async () => {
    let arrived = 0;
    const held: (() => void)[] = [];
    const { port, sock, proxy } = await setup('haproxyd', (_req, res) => {
      arrived++;
      held.push(() => {
        res.writeHead(200, { 'content-length': 2 });
        res.end('ok');
      });
    });
    try {
      const first = request(`http://127.0.0.1:${port}/1`, { timeoutMs: 30_000 });
      await waitUntil('the first request at the server', async () => arrived === 1);
      const second = request(`http://127.0.0.1:${port}/2`, { timeoutMs: 30_000 });
      // not accepted while the first holds the only slot
      await new Promise((r) => setTimeout(r, 500));
      expect(arrived).toBe(1);
      expect(await cli(sock, 'set maxconn frontend fe 2')).toBe('\n');
      // in before the first ends
      await waitUntil('the waiting connection at the server', async () => arrived === 2);
      // lowered back to 1 with two open: a third waits even after one ends
      expect(await cli(sock, 'set maxconn frontend fe 1')).toBe('\n');
      const third = request(`http://127.0.0.1:${port}/3`, { timeoutMs: 30_000 });
      held.shift()?.();
      expect((await first).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(arrived).toBe(2);
      held.shift()?.();
      expect((await second).status).toBe(200);
      await waitUntil('the third at the server', async () => arrived === 3);
      held.shift()?.();
      expect((await third).status).toBe(200);
    } finally {
      for (const release of held.splice(0)) release();
      await proxy.stop();
    }
  }, 60_000);
});

describe('set maxconn global', () => {
  it('answers as HAProxy, bounded by the maxconn the process started with, and show info follows', async () => {
    const run = async (binary: Binary) => {
      const [port] = (await freePorts(1)) as [number];
      const sock = join(tempDir(), `${binary}-global.sock`);
      const cfg = writeConfig(
        [
          'global',
          '  maxconn 50',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '',
        ].join('\n'),
        `${binary}-global.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const maxconn = async () =>
        (await cli(sock, 'show info')).split('\n').find((l) => l.startsWith('Maxconn:'));
      try {
        return {
          bad: await cli(sock, 'set maxconn global 10'),
          zero: await cli(sock, 'set maxconn global -1'),
          shownZero: await maxconn(),
          over: await cli(sock, 'set maxconn global 51'),
          ok: await cli(sock, 'set maxconn global 20'),
          shown: await maxconn(),
          back: await cli(sock, 'set maxconn global 50'),
          shownBack: await maxconn(),
        };
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want).toMatchObject({
      shownZero: 'Maxconn: 50',
      over: 'Value out of range.\n\n',
      ok: '\n',
      shown: 'Maxconn: 20',
    });
    expect(got).toEqual(want);
  }, 60_000);
});
