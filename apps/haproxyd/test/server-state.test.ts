/**
 * HAProxy's server-state file (runtime-state.ts): `server-state-file`, `server-state-base`,
 * `load-server-state-from-file global|local|none`, `server-state-file-name`. The file is
 * what `show servers state` prints (version 1); it is applied before the listeners accept.
 *
 * - a file written by haproxyd's `show servers state` is loaded at a plain start and by a
 *   `-sf` reload: maintenance, drain, run-time weights, check DOWN, `disabled` set ready;
 * - a file written by HAProxy 2.6.12 loads in haproxyd and in haproxy alike: the same
 *   `show servers state` afterwards and the same sentences on stderr;
 * - local files (server-state-base, server-state-file-name, the backend's name), a server
 *   that is not in the configuration and a missing file: the same warnings as HAProxy.
 */

import { writeFileSync } from 'node:fs';
import { type Binary, freePorts, type ProxyHandle, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { masterCli, startLoad, startPlainBackend } from './master-harness.ts';
import { sleep } from './reload-harness.ts';

useTestkit();

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

/** The rows without the columns that depend on time or on each run's ports. */
function comparable(m: Map<string, Record<string, string>>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, row] of m) {
    const { srv_time_since_last_change: _t, srv_port: _p, ...rest } = row;
    out[name] = rest;
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

/** The stats socket is bound a moment after the listeners: wait until it answers (bounded). */
async function cliReady(sock: string): Promise<void> {
  await waitUntil(
    () => masterCli(sock, 'show info').catch(() => ''),
    (t) => t.includes('Pid:'),
  );
}

interface Servers {
  s1: string;
  s2: string;
  s3: string;
  s4: string;
}

function config(port: number, sock: string, srv: Servers, global = '', defaults = '', backend = ''): string {
  return `global
  stats socket ${sock} level admin
${global}
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
${defaults}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
${backend}
  server s1 ${srv.s1}
  server s2 ${srv.s2} weight 2
  server s3 ${srv.s3} check inter 100 fall 2 rise 2
  server s4 ${srv.s4} disabled
`;
}

/** Servers: s1 and s2 are HTTP servers, s3 and s4 addresses where nothing listens. */
async function servers() {
  const b1 = await startPlainBackend();
  const b2 = await startPlainBackend();
  const [d3, d4] = await freePorts(2);
  const srv: Servers = { s1: b1.addr, s2: b2.addr, s3: `127.0.0.1:${d3}`, s4: `127.0.0.1:${d4}` };
  return { b1, b2, srv };
}

/**
 * Runs `binary` on `config`, changes the servers on its stats socket (s1 maint, s2 weight 7,
 * s4 ready, s3 DOWN by its checks), and returns what `show servers state` prints.
 */
async function stateWrittenBy(binary: Binary, srv: Servers): Promise<string> {
  const [port] = await freePorts(1);
  const sock = `${tempDir()}/writer-${binary}.sock`;
  const cfg = writeConfig(config(port!, sock, srv), `writer-${binary}.cfg`);
  const p = await startProxy(binary, cfg, { readyPorts: [port!] });
  await cliReady(sock);
  for (const cmd of [
    'set server be/s1 state maint',
    'set server be/s2 weight 7',
    'set server be/s4 state ready',
  ])
    expect(await masterCli(sock, cmd), cmd).toMatch(/^\n*$/);
  await waitUntil(
    () => masterCli(sock, 'show servers state').then(serversState),
    (s) => s.get('s3')?.['srv_op_state'] === '0',
  );
  const text = await masterCli(sock, 'show servers state');
  await p.stop(10_000);
  // socat's output of one command: the state and the empty line that ends the answer
  return text.replace(/\n\n$/, '\n');
}

async function startReader(
  binary: Binary,
  name: string,
  srv: Servers,
  o: { global: string; defaults?: string; backend?: string; args?: string[] },
): Promise<{ p: ProxyHandle; sock: string; port: number }> {
  const [port] = await freePorts(1);
  const sock = `${tempDir()}/${name}-${binary}.sock`;
  const cfg = writeConfig(
    config(port!, sock, srv, o.global, o.defaults ?? '', o.backend ?? ''),
    `${name}-${binary}.cfg`,
  );
  const p = await startProxy(binary, cfg, { readyPorts: [port!], ...(o.args ? { args: o.args } : {}) });
  await cliReady(sock);
  return { p, sock, port: port! };
}

/** HAProxy's stderr lines about state files and what they changed, without the pid (not the checks' own). */
function stateSentences(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /server-state|server state|Proxy 'be'|leaving forced maintenance/.test(l))
    .map((l) => l.replace(/^\[(\w+)\]\s+\(\d+\) : /, '[$1] '));
}

describe('server-state-file', () => {
  it("haproxyd loads its own `show servers state` at start: maintenance, weight, DOWN, 'disabled' set ready", async () => {
    const { b1, srv } = await servers();
    const text = await stateWrittenBy('haproxyd', srv);
    const file = `${tempDir()}/own.state`;
    writeFileSync(file, text);
    const r = await startReader('haproxyd', 'own', srv, {
      global: `  server-state-file ${file}`,
      defaults: '  load-server-state-from-file global',
    });
    const st = serversState(await masterCli(r.sock, 'show servers state'));
    expect(st.get('s1')).toMatchObject({ srv_op_state: '0', srv_admin_state: '1' });
    expect(st.get('s2')).toMatchObject({ srv_op_state: '2', srv_uweight: '7', srv_iweight: '2' });
    expect(st.get('s3')).toMatchObject({ srv_op_state: '0', srv_check_health: '0' });
    expect(st.get('s4')).toMatchObject({ srv_op_state: '2', srv_admin_state: '4' });
    // traffic: nothing to s1, which was in maintenance before this process accepted anything
    const before = b1.requests.length;
    const load = startLoad({
      url: `http://127.0.0.1:${r.port}/`,
      keepAlive: false,
      workers: 1,
      ratePerSec: 200,
      maxRequests: 20,
      maxMs: 20_000,
    });
    await load.done;
    expect(load.counts.ok + load.counts.non2xx).toBe(20);
    expect(b1.requests.length).toBe(before);
    // HAProxy's sentences while applying the file; s3 stays DOWN (no UP sentence)
    await sleep(500);
    const err = r.p.stderr();
    expect(err).toContain(
      'config : Server be/s1 is DOWN, changed from server-state after a reload. 2 active and 0 backup servers left.',
    );
    expect(err).toContain('config : Server be/s4 is UP/READY (leaving forced maintenance).');
    expect(err).not.toMatch(/Server be\/s3 is UP/);
    await r.p.stop(10_000);
  }, 60_000);

  it('a -sf reload loads the file written by the process it replaces', async () => {
    const { srv } = await servers();
    const [port] = await freePorts(1);
    const dir = tempDir();
    const sock = `${dir}/sf.sock`;
    const file = `${dir}/sf.state`;
    const cfg = writeConfig(
      config(port!, sock, srv, `  server-state-file ${file}`, '  load-server-state-from-file global'),
      'sf.cfg',
    );
    const first = await startProxy('haproxyd', cfg, { readyPorts: [port!] });
    await cliReady(sock);
    // no file yet: HAProxy's warning, and the start goes on
    expect(first.stderr()).toContain(`config : config: Can't open global server state file '${file}'`);
    expect(await masterCli(sock, 'set server be/s2 state drain')).toMatch(/^\n*$/);
    expect(await masterCli(sock, 'set server be/s1 weight 9')).toMatch(/^\n*$/);
    writeFileSync(file, (await masterCli(sock, 'show servers state')).replace(/\n\n$/, '\n'));
    const second = await startProxy('haproxyd', cfg, {
      readyPorts: [port!],
      args: ['-sf', String(first.pid)],
    });
    expect((await first.waitForExit(20_000)).code).toBe(0);
    await waitUntil(
      () => masterCli(sock, 'show info'),
      (t) => t.includes(`Pid: ${second.pid}`),
    );
    const st = serversState(await masterCli(sock, 'show servers state'));
    expect(st.get('s2')).toMatchObject({ srv_admin_state: '8', srv_op_state: '2' });
    expect(st.get('s1')).toMatchObject({ srv_uweight: '9' });
    await second.stop(10_000);
  }, 60_000);

  it('a file written by HAProxy 2.6.12 loads in haproxyd as in haproxy: same state, same sentences', async () => {
    const { srv } = await servers();
    const text = await stateWrittenBy('haproxy', srv);
    const file = `${tempDir()}/haproxy.state`;
    writeFileSync(file, text);
    const seen: Record<string, { state: ReturnType<typeof comparable>; said: string[] }> = {};
    for (const binary of ['haproxy', 'haproxyd'] as const) {
      const r = await startReader(binary, 'foreign', srv, {
        global: `  server-state-file ${file}`,
        defaults: '  load-server-state-from-file global',
      });
      const state = comparable(serversState(await masterCli(r.sock, 'show servers state')));
      await r.p.stop(10_000);
      seen[binary] = { state, said: stateSentences(r.p.stderr()) };
    }
    expect(seen['haproxyd']!.state).toEqual(seen['haproxy']!.state);
    expect(seen['haproxyd']!.state['s1']).toMatchObject({ srv_admin_state: '1', srv_op_state: '0' });
    expect(seen['haproxyd']!.said).toEqual(seen['haproxy']!.said);
    expect(seen['haproxyd']!.said.length).toBeGreaterThan(0);
  }, 60_000);

  it('local files: server-state-base, server-state-file-name or the backend name; warnings as HAProxy', async () => {
    const { srv } = await servers();
    const text = await stateWrittenBy('haproxyd', srv);
    const base = tempDir();
    // a line for a server the configuration does not have, and one for another backend
    const extra = text.replace(/\n$/, '\n3 be 9 gone 127.0.0.1 2 0 1 1 5 1 0 2 0 0 0 0 - 80 - 0 0 - - 0\n');
    writeFileSync(`${base}/be`, extra);
    writeFileSync(`${base}/named.state`, text);
    const cases = [
      { name: 'byname', backend: '  load-server-state-from-file local' },
      { name: 'named', backend: '  load-server-state-from-file local\n  server-state-file-name named.state' },
      {
        name: 'missing',
        backend: '  load-server-state-from-file local\n  server-state-file-name nothing-here',
      },
      { name: 'none', backend: '  load-server-state-from-file none' },
    ];
    for (const c of cases) {
      const seen: Record<string, { state: ReturnType<typeof comparable>; said: string[] }> = {};
      for (const binary of ['haproxy', 'haproxyd'] as const) {
        const r = await startReader(binary, `local-${c.name}`, srv, {
          global: `  server-state-base ${base}`,
          backend: c.backend,
        });
        const state = comparable(serversState(await masterCli(r.sock, 'show servers state')));
        await r.p.stop(10_000);
        seen[binary] = { state, said: stateSentences(r.p.stderr()) };
      }
      expect(seen['haproxyd']!.said, c.name).toEqual(seen['haproxy']!.said);
      // s3 is DOWN by the file or by its own checks by now: compare the servers the file decides
      for (const s of ['s1', 's2', 's4'])
        expect(seen['haproxyd']!.state[s], `${c.name} ${s}`).toEqual(seen['haproxy']!.state[s]);
      const s1 = seen['haproxyd']!.state['s1']!;
      expect(s1['srv_admin_state'], c.name).toBe(c.name === 'byname' || c.name === 'named' ? '1' : '0');
    }
  }, 120_000);
});
