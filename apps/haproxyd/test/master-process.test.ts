/**
 * Issue 8, the master's watch over its workers, haproxyd next to HAProxy 2.6 where both can
 * run the same scenario: a SIGKILLed worker is reported with its pid and status and the
 * master leaves with that status (exit-on-failure); `show proc` tells the truth before and
 * after a reload (old workers still draining); the master CLI routes `@1` / `@!<pid>`;
 * SIGTERM / SIGINT to the master stop everything; a master killed outright takes its
 * workers with it. After each scenario no process of it is left (/proc).
 */

import net from 'node:net';
import { type Binary, freePorts, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { childrenOf, isAlive, masterCli, parseShowProc, startPlainBackend } from './master-harness.ts';
import { processesWith, readPidfile, runLauncher, sleep, trackConfig, waitGone } from './reload-harness.ts';

useTestkit();

const BINARIES: readonly Binary[] = ['haproxyd', 'haproxy'];

function config(port: number, backend: string, extra = ''): string {
  return `global
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port}
${extra}  default_backend be
backend be
  server s1 ${backend}
`;
}

async function startMaster(binary: Binary, name: string, extra = '') {
  const backend = await startPlainBackend();
  const [port] = await freePorts(1);
  const cfg = writeConfig(config(port!, backend.addr, extra), `${name}-${binary}.cfg`);
  const sock = `${tempDir()}/${name}-${binary}.sock`;
  const proxy = await startProxy(binary, cfg, {
    baseArgs: ['-W', '-S', sock],
    readyPorts: [port!],
    readyTimeoutMs: 20_000,
  });
  // the master lists its worker once it serves
  await waitForProc(sock, (p) => p.workers.length > 0);
  return { proxy, cfg, sock, port: port!, backend };
}

/** Polls `show proc` (bounded: 20 s, the machine may be busy) until `ok` holds; returns the last one. */
async function waitForProc(
  sock: string,
  ok: (p: ReturnType<typeof parseShowProc>) => boolean,
): Promise<ReturnType<typeof parseShowProc>> {
  const t0 = Date.now();
  let p = parseShowProc('');
  while (Date.now() - t0 < 20_000) {
    // HAProxy's master re-executes itself at a reload: its CLI is away for a moment
    p = parseShowProc(await masterCli(sock, 'show proc').catch(() => ''));
    if (ok(p)) break;
    await sleep(25);
  }
  return p;
}

async function noneLeft(cfg: string, masterPid: number): Promise<void> {
  for (const pid of processesWith(cfg)) await waitGone(pid, 5000);
  expect(processesWith(cfg), `processes still running ${cfg}`).toEqual([]);
  expect(isAlive(masterPid)).toBe(false);
}

describe('a worker killed with SIGKILL', () => {
  for (const binary of BINARIES) {
    it(`${binary}: the master reports pid and status, stops the others, exits 137; nothing left`, async () => {
      const m = await startMaster(binary, 'kill');
      const before = parseShowProc(await masterCli(m.sock, 'show proc'));
      expect(before.master?.pid).toBe(m.proxy.pid);
      expect(before.workers).toHaveLength(1);
      const w = before.workers[0]!.pid;
      expect(childrenOf(m.proxy.pid)).toContain(w);
      process.kill(w, 'SIGKILL');
      const st = await m.proxy.waitForExit(10_000);
      const err = m.proxy.stderr();
      expect(err).toMatch(
        new RegExp(
          `\\[ALERT\\] +\\(${m.proxy.pid}\\) : Current worker \\(${w}\\) exited with code 137 \\(Killed\\)`,
        ),
      );
      expect(err).toContain('exit-on-failure: killing every processes with SIGTERM');
      expect(err).toMatch(/All workers exited\. Exiting\.\.\. \(137\)/);
      expect(st.code).toBe(137);
      await noneLeft(m.cfg, m.proxy.pid);
    }, 40_000);
  }
});

describe('show proc and the master CLI across a reload', () => {
  for (const binary of BINARIES) {
    it(`${binary}: old worker listed while a connection drains, gone after; @1 / @!pid routing`, async () => {
      const m = await startMaster(binary, 'proc');
      const p0 = parseShowProc(await masterCli(m.sock, 'show proc'));
      const w1 = p0.workers[0]!.pid;
      expect(p0.master).toMatchObject({ reloads: 0, failed: 0 });
      // a connection in the middle of a request keeps the first worker busy
      const c = net.connect({ host: '127.0.0.1', port: m.port });
      await new Promise<void>((r) => c.once('connect', () => r()));
      c.write('GET / HTTP/1.1\r\nHost: x\r\n');
      c.on('error', () => {});
      await sleep(200);
      // `reload` from the master CLI (the session ends with it)
      await masterCli(m.sock, 'reload');
      const p1 = await waitForProc(
        m.sock,
        (p) => p.workers.length === 1 && p.workers[0]!.pid !== w1 && p.master?.reloads === 1,
      );
      expect(p1.master).toMatchObject({ reloads: 1, failed: 0 });
      expect(p1.workers).toHaveLength(1);
      const w2 = p1.workers[0]!.pid;
      expect(w2).not.toBe(w1);
      expect(p1.old).toEqual([{ pid: w1, reloads: 1 }]);
      // routing: @!<pid> to a leaving worker and @1 to the current one reach them
      expect(await masterCli(m.sock, `@!${w1} show info`)).toContain(`Pid: ${w1}`);
      expect(await masterCli(m.sock, '@1 show info')).toContain(`Pid: ${w2}`);
      expect(await masterCli(m.sock, `@1; show info; @!${w1} show info`)).toMatch(
        new RegExp(`Pid: ${w2}[^]*Pid: ${w1}`),
      );
      expect(await masterCli(m.sock, '@!999999 show info')).toContain(
        "Can't find the target PID matching the prefix '@!999999'",
      );
      // the request ends: the old worker finishes it and leaves
      c.end('\r\n');
      await waitGone(w1, 20_000);
      // the process is gone from /proc a moment before its master has reaped it: ask until then (bounded)
      let p2 = parseShowProc(await masterCli(m.sock, 'show proc'));
      for (let i = 0; i < 40 && p2.old.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        p2 = parseShowProc(await masterCli(m.sock, 'show proc'));
      }
      expect(p2.old).toEqual([]);
      expect(p2.workers.map((w) => w.pid)).toEqual([w2]);
      expect(m.proxy.stderr()).toMatch(new RegExp(`Former worker \\(${w1}\\) exited with code 0 \\(Exit\\)`));
      c.destroy();
      const st = await m.proxy.stop(10_000);
      expect(st.code).toBe(0);
      await noneLeft(m.cfg, m.proxy.pid);
    }, 40_000);
  }

  it('haproxyd: an invalid configuration keeps the worker and counts a failed reload', async () => {
    const m = await startMaster('haproxyd', 'invalid');
    const w1 = parseShowProc(await masterCli(m.sock, 'show proc')).workers[0]!.pid;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(m.cfg, config(m.port, m.backend.addr, '  no-such-keyword here\n'));
    m.proxy.signal('SIGUSR2');
    await m.proxy.waitForOutput(/Loading failure!/, 10_000);
    const p = parseShowProc(await masterCli(m.sock, 'show proc'));
    expect(p.master).toMatchObject({ reloads: 1, failed: 1 });
    expect(p.workers).toEqual([{ pid: w1, reloads: 1 }]);
    expect(await masterCli(m.sock, 'prompt\nquit')).toContain('master[ReloadFailed]> ');
    expect(m.proxy.stderr()).toMatch(/parsing \[.*:9\] : unknown keyword 'no-such-keyword'/);
    const st = await m.proxy.stop(10_000);
    expect(st.code).toBe(0);
    await noneLeft(m.cfg, m.proxy.pid);
  }, 40_000);
});

describe('stopping the master', () => {
  for (const binary of BINARIES) {
    for (const [sig, code] of [
      ['SIGTERM', 0],
      ['SIGINT', 130],
    ] as const) {
      it(`${binary}: ${sig} stops the workers, the master exits ${code}`, async () => {
        const m = await startMaster(binary, `stop-${sig}`);
        const w = parseShowProc(await masterCli(m.sock, 'show proc')).workers[0]!.pid;
        m.proxy.signal(sig);
        const st = await m.proxy.waitForExit(10_000);
        expect(st.code).toBe(code);
        expect(m.proxy.stderr()).toContain('Exiting Master process...');
        expect(isAlive(w)).toBe(false);
        await noneLeft(m.cfg, m.proxy.pid);
      }, 30_000);
    }
  }

  it('haproxyd: a master killed with SIGKILL takes its worker with it (no orphan)', async () => {
    const m = await startMaster('haproxyd', 'orphan');
    const w = parseShowProc(await masterCli(m.sock, 'show proc')).workers[0]!.pid;
    process.kill(m.proxy.pid, 'SIGKILL');
    expect(await waitGone(w, 10_000)).not.toBeNull();
    await noneLeft(m.cfg, m.proxy.pid);
  }, 30_000);
});

describe('-W -D: the master in the background', () => {
  for (const binary of BINARIES) {
    it(`${binary}: the launcher returns 0 once a worker serves, the pidfile holds the master, SIGUSR2 reloads, SIGTERM ends all`, async () => {
      const backend = await startPlainBackend();
      const [port] = await freePorts(1);
      const cfg = writeConfig(config(port!, backend.addr), `daemon-${binary}.cfg`);
      trackConfig(cfg);
      const pidfile = `${tempDir()}/daemon-${binary}.pid`;
      const sock = `${tempDir()}/daemon-${binary}.sock`;
      const r = await runLauncher(binary, ['-W', '-D', '-p', pidfile, '-S', sock, '-f', cfg]);
      expect(r.code, r.stderr).toBe(0);
      const [master] = readPidfile(pidfile);
      expect(master).toBeGreaterThan(0);
      let p = await waitForProc(sock, (x) => x.workers.length > 0);
      expect(p.master?.pid).toBe(master);
      const w1 = p.workers[0]!.pid;
      expect(childrenOf(master!)).toContain(w1);
      process.kill(master!, 'SIGUSR2');
      expect(await waitGone(w1, 20_000)).not.toBeNull();
      p = await waitForProc(sock, (x) => x.workers.length > 0 && x.master?.reloads === 1);
      expect(p.master).toMatchObject({ pid: master, reloads: 1 });
      expect(p.workers[0]!.pid).not.toBe(w1);
      process.kill(master!, 'SIGTERM');
      expect(await waitGone(master!, 10_000)).not.toBeNull();
      for (const pid of processesWith(cfg)) await waitGone(pid, 5000);
      expect(processesWith(cfg)).toEqual([]);
    }, 40_000);
  }
});
