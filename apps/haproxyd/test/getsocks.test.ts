/**
 * `-x <socket>` and `stats socket … expose-fd listeners` (HAProxy's `_getsocks`, fds passed
 * with SCM_RIGHTS through koffi): the new process takes the old one's listening sockets
 * instead of binding, so a `-sf` reload closes no listening socket.
 *
 * - the listening socket is the same kernel socket (inode) before and after the reload, and
 *   across haproxyd ↔ HAProxy 2.6.12 in both directions;
 * - the classic reload loop (reload-harness.ts: `-D -sf` under a client loop of new
 *   connections) with `-x`: 0 failed connections; the same loop without `-x` is measured
 *   next to it (reported in test-artifacts/getsocks-reload.md, not asserted: see
 *   reload.test.ts for that comparison);
 * - `-x` towards a socket without `expose-fd listeners`, or towards nothing: HAProxy's
 *   warning and alert, exit 1, in both programs.
 *
 * Runs with the serial tests (vitest.config.ts, scripts/test.sh): it counts failures under load.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  renderConfig,
  repoRoot,
  requireHaproxy,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAllRuns, runBinary } from './helpers.ts';
import { masterCli } from './master-harness.ts';
import {
  type ExperimentResult,
  failures,
  killExperimentProcesses,
  runReloadExperiment,
  sleep,
  startPayloadBackend,
  TABLE_HEADER,
  tableRow,
} from './reload-harness.ts';

useTestkit();
afterEach(async () => {
  killAllRuns();
  await killExperimentProcesses();
});
afterAll(async () => void (await killExperimentProcesses()));

/** The inodes of the TCP sockets listening on 127.0.0.1:`port` (/proc/net/tcp). */
function listeningInodes(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'latin1')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === `0100007F:${hex}` && f[3] === '0A')
    .map((f) => f[9]!);
}

function httpConfig(port: number, sock: string, expose = true): string {
  return `global
  stats socket ${sock} level admin${expose ? ' expose-fd listeners' : ''}
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string ok
`;
}

async function cliReady(sock: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await masterCli(sock, 'show info').catch(() => '')).includes('Pid:')) return;
    await sleep(25);
  }
  throw new Error(`no CLI on ${sock}`);
}

describe('-x: the listening sockets of the old process', () => {
  const pairs: [Binary, Binary][] = [
    ['haproxyd', 'haproxyd'],
    ['haproxyd', 'haproxy'],
    ['haproxy', 'haproxyd'],
  ];
  for (const [from, to] of pairs) {
    it(`${from} → ${to} -x -sf: the same listening socket serves on, nothing is bound anew`, async () => {
      if (from === 'haproxy' || to === 'haproxy') requireHaproxy();
      const [port] = await freePorts(1);
      const sock = `${tempDir()}/x-${from}-${to}.sock`;
      const cfg = writeConfig(httpConfig(port!, sock), `x-${from}-${to}.cfg`);
      const old = await startProxy(from, cfg, { readyPorts: [port!] });
      await cliReady(sock);
      const before = listeningInodes(port!);
      expect(before).toHaveLength(1);
      const next = await startProxy(to, cfg, {
        readyPorts: [port!],
        args: ['-x', sock, '-sf', String(old.pid)],
      });
      expect((await old.waitForExit(20_000)).code).toBe(0);
      await cliReady(sock);
      expect(await masterCli(sock, 'show info')).toContain(`Pid: ${next.pid}`);
      // one listening socket, the very one the old process had created
      expect(listeningInodes(port!)).toEqual(before);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(next.stderr()).not.toMatch(/ALERT|Failed/);
      await next.stop(10_000);
    }, 60_000);
  }

  it('without -x the new process binds its own socket (the check above is not vacuous)', async () => {
    const [port] = await freePorts(1);
    const sock = `${tempDir()}/x-none.sock`;
    const cfg = writeConfig(httpConfig(port!, sock), 'x-none.cfg');
    const old = await startProxy('haproxyd', cfg, { readyPorts: [port!] });
    await cliReady(sock);
    const before = listeningInodes(port!);
    const next = await startProxy('haproxyd', cfg, { readyPorts: [port!], args: ['-sf', String(old.pid)] });
    await old.waitForExit(20_000);
    const after = listeningInodes(port!);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    await next.stop(10_000);
  }, 60_000);

  it('no expose-fd, or no socket: the same warning, alert and exit status as HAProxy', async () => {
    requireHaproxy();
    const [port, port2] = await freePorts(2);
    const dir = tempDir();
    const sock = `${dir}/x-closed.sock`;
    const old = await startProxy('haproxyd', writeConfig(httpConfig(port!, sock, false), 'x-closed.cfg'), {
      readyPorts: [port!],
    });
    await cliReady(sock);
    const cfg = writeConfig(httpConfig(port2!, `${dir}/x-new.sock`), 'x-new.cfg');
    for (const target of [sock, `${dir}/nothing.sock`]) {
      const said: Record<string, { code: number | null; lines: string[] }> = {};
      for (const binary of ['haproxy', 'haproxyd'] as const) {
        const p = runBinary(binary, ['-db', '-f', cfg, '-x', target]);
        const r = await p.closed;
        said[binary] = {
          code: r.code,
          lines: p
            .stderr()
            .split('\n')
            .filter((l) => /^\[(WARNING|ALERT)\]/.test(l))
            .map((l) => l.replace(/\(\d+\)/, '(pid)')),
        };
      }
      expect(said['haproxyd'], target).toEqual(said['haproxy']);
      expect(said['haproxyd']!.code).toBe(1);
      expect(said['haproxyd']!.lines.at(-1)).toBe(
        '[ALERT]    (pid) : Failed to get the sockets from the old process!',
      );
    }
    // the old process went on serving
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await old.stop(10_000);
  }, 60_000);
});

const TEMPLATE = `global
  stats socket \${SOCK} level admin expose-fd listeners
defaults
  mode tcp
  timeout connect 5s
  timeout client 10s
  timeout server 10s
listen main
  bind 127.0.0.1:\${PORT}
  server s \${BACKEND}
`;

describe('-D -sf reloads under a client loop', () => {
  it('with -x: no connection refused or reset; without -x measured alongside', async () => {
    const backend = await startPayloadBackend();
    const results: { label: string; r: ExperimentResult }[] = [];
    for (const withX of [true, false]) {
      const [port] = await freePorts(1);
      const dir = tempDir();
      const sock = `${dir}/loop-${withX ? 'x' : 'plain'}.sock`;
      const cfg = writeConfig(
        renderConfig(TEMPLATE, { SOCK: sock, PORT: port!, BACKEND: backend.addr }),
        `getsocks-loop-${withX ? 'x' : 'plain'}.cfg`,
      );
      const r = await runReloadExperiment({
        binary: 'haproxyd',
        cfg,
        pidfile: `${dir}/loop.pid`,
        port: port!,
        reloads: 10,
        spacingMs: 400,
        warmupMs: 400,
        tailMs: 800,
        workers: 32,
        ratePerSec: 600,
        maxRequests: 60_000,
        maxMs: 30_000,
        ...(withX ? { reloadArgs: ['-x', sock] } : {}),
      });
      results.push({ label: withX ? '-x -sf' : '-sf', r });
    }
    const dir = join(repoRoot(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'getsocks-reload.md'),
      [
        '# haproxyd -D -sf reloads with and without -x',
        '',
        `Generated by apps/haproxyd/test/getsocks.test.ts on ${new Date().toISOString()}: 10 reloads 400 ms apart, 600 new connections/s.`,
        '',
        ...TABLE_HEADER,
        ...results.map(({ label, r }) => tableRow(label, r)),
        '',
      ].join('\n'),
    );
    const x = results[0]!.r;
    expect(
      x.reloads.map((rec) => rec.code),
      x.reloads.map((rec) => rec.stderr).join('\n'),
    ).toEqual(x.reloads.map(() => 0));
    expect(x.requests).toBeGreaterThan(1000);
    expect(failures(x.counts), x.samples.join('\n')).toBe(0);
    expect(x.goneAfterStop).toBe(true);
  }, 180_000);
});
