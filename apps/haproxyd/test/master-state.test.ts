/**
 * Issue 8, state kept across master-worker reloads (runtime-state.ts, @hap/master's state
 * channel): a server put in maintenance on the stats socket, a weight set at run time, a
 * server DOWN by its checks and the counters are still there in the new worker, after a
 * master CLI `reload` and after SIGUSR2; no request reaches the server in maintenance while
 * the reloads happen under a client loop; a server left out of a configuration loses its
 * state; a weight changed in the configuration wins over the run-time one (HAProxy's
 * server-state rules).
 *
 * Runs with the serial tests (vitest.config.ts, scripts/test.sh): it runs a client loop
 * through the reloads and counts its failures.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { freePorts, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { httpFailures, masterCli, parseShowProc, startLoad, startPlainBackend } from './master-harness.ts';
import { sleep, waitGone } from './reload-harness.ts';

useTestkit();

interface Servers {
  s1: string;
  s2: string;
  s3: string;
}

function config(port: number, stats: string, srv: Servers, o: { withS2?: boolean; s2Weight?: number } = {}) {
  const s2 = o.withS2 === false ? '' : `  server s2 ${srv.s2} weight ${o.s2Weight ?? 1}\n`;
  return `global
  stats socket ${stats} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 ${srv.s1}
${s2}  server s3 ${srv.s3} check inter 100 fall 2 rise 2
`;
}

/** `show servers state` rows by server name: the version-1 fields by their column names. */
function serversState(text: string): Map<string, Record<string, string>> {
  const lines = text.split('\n');
  const names = (lines[1] ?? '').replace(/^# /, '').split(' ');
  const out = new Map<string, Record<string, string>>();
  for (const l of lines.slice(2)) {
    if (l.trim() === '') continue;
    const f = l.split(' ');
    out.set(f[3]!, Object.fromEntries(names.map((n, i) => [n, f[i] ?? ''])));
  }
  return out;
}

/** `show stat` rows keyed `pxname/svname`. */
function statRows(csv: string): Map<string, Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l !== '');
  const head = lines[0]!.replace(/^# /, '').split(',');
  const out = new Map<string, Record<string, string>>();
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    out.set(`${f[0]}/${f[1]}`, Object.fromEntries(head.map((n, i) => [n, f[i] ?? ''])));
  }
  return out;
}

async function waitUntil<T>(get: () => Promise<T>, ok: (v: T) => boolean, maxMs = 20_000): Promise<T> {
  const t0 = Date.now();
  let v = await get();
  while (!ok(v) && Date.now() - t0 < maxMs) {
    await sleep(50);
    v = await get().catch(() => v);
  }
  return v;
}

async function setup(name: string) {
  const b1 = await startPlainBackend();
  const b2 = await startPlainBackend();
  // s3's address has nothing listening: its checks fail, it goes DOWN
  const [port, dead] = await freePorts(2);
  const srv: Servers = { s1: b1.addr, s2: b2.addr, s3: `127.0.0.1:${dead}` };
  const dir = tempDir();
  const stats = `${dir}/${name}-stats.sock`;
  const master = `${dir}/${name}-master.sock`;
  const cfg = writeConfig(config(port!, stats, srv), `${name}.cfg`);
  const proxy = await startProxy('haproxyd', cfg, {
    baseArgs: ['-W', '-S', master],
    readyPorts: [port!],
    readyTimeoutMs: 20_000,
  });
  const proc = () => masterCli(master, 'show proc').then(parseShowProc);
  await waitUntil(proc, (p) => p.workers.length === 1);
  const state = () => masterCli(stats, 'show servers state').then(serversState);
  return { b1, b2, srv, port: port!, stats, master, cfg, proxy, proc, state };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Reloads (master CLI `reload` or SIGUSR2) and waits for a new worker and the old one gone. */
async function reload(m: Setup, how: 'cli' | 'SIGUSR2'): Promise<number> {
  const before = await m.proc();
  const old = before.workers[0]!.pid;
  const reloads = before.master?.reloads ?? 0;
  if (how === 'cli') await masterCli(m.master, 'reload');
  else process.kill(m.proxy.pid, 'SIGUSR2');
  const after = await waitUntil(
    m.proc,
    (p) => p.workers.length === 1 && p.workers[0]!.pid !== old && (p.master?.reloads ?? 0) > reloads,
  );
  const pid = after.workers[0]!.pid;
  expect(pid).not.toBe(old);
  await waitGone(old, 20_000);
  // the stats socket answers from the new worker (the old one removed nothing of it)
  await waitUntil(
    () => masterCli(m.stats, 'show info'),
    (t) => t.includes(`Pid: ${pid}`),
  );
  return pid;
}

describe('haproxyd -W: server state across reloads', () => {
  it('maintenance, run-time weight, check DOWN and counters survive `reload` and SIGUSR2; the server in maintenance gets no request', async () => {
    const m = await setup('keep');
    // s3 goes DOWN by its checks first
    await waitUntil(m.state, (s) => s.get('s3')?.['srv_op_state'] === '0');
    expect(await masterCli(m.stats, 'set server be/s1 state maint')).toBe('\n');
    expect(await masterCli(m.stats, 'set server be/s2 weight 7')).toBe('\n');
    // traffic before the reloads: every request on s2 (s1 in maintenance, s3 DOWN)
    const warm = startLoad({
      url: `http://127.0.0.1:${m.port}/`,
      keepAlive: false,
      workers: 2,
      ratePerSec: 200,
      maxRequests: 40,
      maxMs: 20_000,
    });
    await warm.done;
    expect(warm.counts.ok).toBe(40);
    const stat0 = statRows(await masterCli(m.stats, 'show stat'));
    expect(Number(stat0.get('be/s2')!['stot'])).toBeGreaterThanOrEqual(40);
    expect(m.b1.requests.length).toBe(0);
    // reloads under a client loop, keep-alive and not
    const loads = [true, false].map((keepAlive) =>
      startLoad({
        url: `http://127.0.0.1:${m.port}/`,
        keepAlive,
        workers: 2,
        ratePerSec: 100,
        maxRequests: 100_000,
        maxMs: 60_000,
      }),
    );
    await sleep(300);
    await reload(m, 'cli');
    await sleep(300);
    await reload(m, 'SIGUSR2');
    await sleep(300);
    for (const l of loads) l.stop();
    await Promise.all(loads.map((l) => l.done));
    for (const l of loads) {
      expect(httpFailures(l.counts), l.samples.join('\n')).toBe(0);
      expect(l.counts.ok).toBeGreaterThan(0);
    }
    // not one request reached the server in maintenance, before, during or after the reloads
    expect(m.b1.requests.length).toBe(0);
    const st = await m.state();
    expect(st.get('s1')).toMatchObject({ srv_op_state: '0', srv_admin_state: '1' });
    expect(st.get('s2')).toMatchObject({ srv_op_state: '2', srv_uweight: '7', srv_iweight: '1' });
    expect(st.get('s3')).toMatchObject({ srv_op_state: '0', srv_check_health: '0' });
    expect(await masterCli(m.stats, 'get weight be/s2')).toBe('7 (initial 1)\n\n');
    // the counters went on from where the first worker left them
    const stat2 = statRows(await masterCli(m.stats, 'show stat'));
    const served = loads.reduce((n, l) => n + l.counts.ok, 0);
    expect(Number(stat2.get('be/s2')!['stot'])).toBeGreaterThanOrEqual(40);
    expect(Number(stat2.get('be/BACKEND')!['stot'])).toBeGreaterThanOrEqual(
      Number(stat0.get('be/BACKEND')!['stot']),
    );
    expect(Number(stat2.get('fe/FRONTEND')!['req_tot'])).toBeGreaterThanOrEqual(
      Number(stat0.get('fe/FRONTEND')!['req_tot']),
    );
    expect(served).toBeGreaterThan(0);
    // s3 stayed DOWN: no worker said it came UP (no flap at either reload)
    await sleep(500);
    const err = m.proxy.stderr();
    expect(err).toContain('Server be/s3 is DOWN');
    expect(err).not.toMatch(/Server be\/s3 is UP/);
    expect(err).not.toMatch(/Server be\/s1 is (UP|DOWN)/);
    // a reload without traffic: every total is the same in the new worker
    const quiet0 = statRows(await masterCli(m.stats, 'show stat'));
    await reload(m, 'cli');
    const quiet1 = statRows(await masterCli(m.stats, 'show stat'));
    for (const [key, cols] of [
      ['fe/FRONTEND', ['stot', 'bin', 'bout', 'req_tot', 'hrsp_2xx', 'conn_tot']],
      ['be/BACKEND', ['stot', 'req_tot', 'hrsp_2xx', 'lbtot']],
      ['be/s2', ['stot', 'req_tot', 'hrsp_2xx', 'lbtot']],
    ] as const) {
      for (const col of cols) {
        expect(Number(quiet0.get(key)![col]), `${key} ${col}`).toBeGreaterThan(0);
        expect(quiet1.get(key)![col], `${key} ${col}`).toBe(quiet0.get(key)![col]);
      }
    }
    // ... and the state is live: leaving maintenance sends traffic to s1 again
    expect(await masterCli(m.stats, 'set server be/s1 state ready')).toBe('\n');
    const after = startLoad({
      url: `http://127.0.0.1:${m.port}/`,
      keepAlive: false,
      workers: 1,
      ratePerSec: 200,
      maxRequests: 20,
      maxMs: 20_000,
    });
    await after.done;
    expect(after.counts.ok).toBe(20);
    expect(m.b1.requests.length).toBeGreaterThan(0);
    expect((await m.proxy.stop(10_000)).code).toBe(0);
  }, 120_000);

  it('a server left out of the configuration loses its state; a weight changed in the configuration wins', async () => {
    const m = await setup('drop');
    expect(await masterCli(m.stats, 'set server be/s2 weight 7')).toBe('\n');
    expect(await masterCli(m.stats, 'set server be/s1 state drain')).toBe('\n');
    const text = readFileSync(m.cfg, 'utf8');
    // s2 leaves the configuration ...
    writeFileSync(m.cfg, config(m.port, m.stats, m.srv, { withS2: false }));
    await reload(m, 'cli');
    let st = await m.state();
    expect(st.has('s2')).toBe(false);
    expect(st.get('s1')?.['srv_admin_state']).toBe('8');
    // ... and comes back: as configured, the run-time weight is gone
    writeFileSync(m.cfg, text);
    await reload(m, 'SIGUSR2');
    st = await m.state();
    expect(st.get('s2')).toMatchObject({ srv_uweight: '1', srv_iweight: '1', srv_admin_state: '0' });
    expect(st.get('s1')?.['srv_admin_state']).toBe('8');
    // a run-time weight, then the configuration's weight changes: the configuration wins
    expect(await masterCli(m.stats, 'set server be/s2 weight 9')).toBe('\n');
    writeFileSync(m.cfg, config(m.port, m.stats, m.srv, { s2Weight: 3 }));
    await reload(m, 'cli');
    st = await m.state();
    expect(st.get('s2')).toMatchObject({ srv_uweight: '3', srv_iweight: '3' });
    // an unchanged configured weight keeps the run-time one
    expect(await masterCli(m.stats, 'set server be/s2 weight 5')).toBe('\n');
    await reload(m, 'SIGUSR2');
    st = await m.state();
    expect(st.get('s2')).toMatchObject({ srv_uweight: '5', srv_iweight: '3' });
    expect((await m.proxy.stop(10_000)).code).toBe(0);
  }, 120_000);
});
