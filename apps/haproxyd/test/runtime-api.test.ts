// The runtime API on `stats socket` lines (runtime-cli.ts, stats-source.ts).
//
// First over a daemon built by planRuntime() without any socket (RuntimeApi.execute()):
// ids, statistics, server states applied to the balancer, weights, errors, levels.
// Then end to end: the real haproxyd and HAProxy 2.6 run the same configuration, each with
// an admin unix socket and a user TCP socket, and get the same commands over node:net (and
// socat): `show info` fields, `show stat` header, rows and state columns, `show servers
// state`, `help`, server states and weights with traffic really avoiding a server,
// permission denied, stick tables, sessions, unknown commands.
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { HealthChecker, LogLine } from '@hap/checks';
import { loadConfig } from '@hap/config';
import type { Listener } from '@hap/listeners';
import { RunLoop } from '@hap/poller';
import type { Backend, Server } from '@hap/proxy';
import {
  cleanupAll,
  freePorts,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startTcpEchoBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRuntime } from '../src/runtime.ts';
import * as checks from '../src/runtime-checks.ts';
import * as runtimeCli from '../src/runtime-cli.ts';
import * as logs from '../src/runtime-log.ts';
import * as rules from '../src/runtime-rules.ts';
import * as stick from '../src/runtime-stick.ts';

/** Every optional runtime module, as serve.ts loads them for a configuration that uses them all. */
const ALL_FEATURES = { rules, stick, logs, checks, cli: runtimeCli };

import { startChecks } from '../src/runtime-checks.ts';
import { createRuntimeApi } from '../src/runtime-cli.ts';
import type { StatsHost } from '../src/stats-source.ts';

// the end-to-end part shares its two proxies between tests: everything is cleaned up at the end
afterAll(cleanupAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `show stat` CSV as rows of named cells. */
function statRows(csv: string): Record<string, string>[] {
  const lines = csv.split('\n').filter((l) => l !== '');
  const names = lines[0]!.slice(2).split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
  });
}

function row(csv: string, px: string, sv: string): Record<string, string> {
  const r = statRows(csv).find((x) => x['pxname'] === px && x['svname'] === sv);
  if (!r) throw new Error(`no row ${px}/${sv} in:\n${csv}`);
  return r;
}

// --- over a planned daemon, without sockets ---------------------------------------------

interface Planned {
  host: StatsHost & { checker: HealthChecker | undefined };
  run(cmd: string, level?: 'user' | 'operator' | 'admin'): Promise<string>;
  backend(name: string): Backend;
  server(be: string, name: string): Server;
  logs: string[];
}

function planned(text: string): Planned {
  const loaded = loadConfig([writeConfig(text)]);
  expect(loaded.diagnostics.filter((d) => d.level === 'alert')).toEqual([]);
  const plan = planRuntime(loaded.model, { streamOpened() {}, streamClosed() {} }, ALL_FEATURES);
  expect(plan.diagnostics.filter((d) => d.level === 'alert')).toEqual([]);
  const host = {
    model: loaded.model,
    frontends: plan.frontends,
    backends: plan.backends,
    tables: plan.tables,
    checks: plan.checks,
    checker: undefined as HealthChecker | undefined,
    listeners: [] as Listener[],
    loop: new RunLoop(),
  };
  const logs: string[] = [];
  const { api } = createRuntimeApi(host, { log: (level, t) => logs.push(`${level}: ${t}`) });
  return {
    host,
    logs,
    run: (cmd, level = 'admin') => api.execute(`${cmd}\n`, level),
    backend: (name) => plan.backends.get(name)!,
    server: (be, name) => plan.backends.get(be)!.servers.find((s) => s.name === name)!,
  };
}

/** The servers a backend's balancer picks over `n` picks (each released at once). */
function picks(be: Backend, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = be.pickServer();
    if (!s) {
      out.push('<none>');
      continue;
    }
    be.take(s);
    out.push(s.name);
    be.releaseSlot(s);
  }
  return out;
}

const BASE = `global
  stats socket /nonexistent/s.sock level admin
  maxconn 1000

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend fe
  bind 127.0.0.1:1
  default_backend be

backend be
  stick-table type ip size 100 expire 10m store http_req_cnt
  server s1 127.0.0.1:2 weight 10
  server s2 127.0.0.1:3 weight 10
  server s3 127.0.0.1:4 backup
  server s4 127.0.0.1:5 disabled

listen st
  mode tcp
  bind 127.0.0.1:6
  balance static-rr
  server t1 127.0.0.1:7
`;

describe('the runtime API over a planned daemon', () => {
  it("numbers proxies and servers as HAProxy (the stats socket's GLOBAL proxy takes #1)", async () => {
    const p = planned(BASE);
    const csv = await p.run('show stat');
    const ids = statRows(csv).map((r) => `${r['pxname']}/${r['svname']}:${r['iid']}.${r['sid']}`);
    expect(ids).toEqual([
      'fe/FRONTEND:2.0',
      'be/s1:3.1',
      'be/s2:3.2',
      'be/s3:3.3',
      'be/s4:3.4',
      'be/BACKEND:3.0',
      'st/FRONTEND:4.0',
      'st/t1:4.1',
      'st/BACKEND:4.0',
    ]);
    expect(row(csv, 'be', 's4')['status']).toBe('MAINT');
    expect(row(csv, 'be', 'BACKEND')).toMatchObject({ status: 'UP', weight: '20', act: '2', bck: '1' });
    expect(row(csv, 'fe', 'FRONTEND')).toMatchObject({ status: 'OPEN', slim: '1000' });
    expect(row(csv, 'be', 'BACKEND')['slim']).toBe('100'); // fullconn: a tenth of fe's maxconn
    expect(await p.run('show backend')).toBe('# name\nbe\nst\n\n');
  });

  it('applies set server … state to the balancer of a server without checks', async () => {
    const p = planned(BASE);
    const be = p.backend('be');
    const s1 = p.server('be', 's1');
    expect(new Set(picks(be, 20))).toEqual(new Set(['s1', 's2']));
    expect(await p.run('set server be/s1 state maint')).toBe('\n');
    expect(row(await p.run('show stat'), 'be', 's1')['status']).toBe('MAINT');
    expect(be.isUsable(s1)).toBe(false);
    expect(new Set(picks(be, 20))).toEqual(new Set(['s2']));
    expect(await p.run('set server be/s1 state drain')).toBe('\n');
    expect(row(await p.run('show stat'), 'be', 's1')['status']).toBe('DRAIN');
    expect(new Set(picks(be, 20))).toEqual(new Set(['s2']));
    expect(await p.run('set server be/s1 state ready')).toBe('\n');
    expect(row(await p.run('show stat'), 'be', 's1')['status']).toBe('no check');
    expect(new Set(picks(be, 20))).toEqual(new Set(['s1', 's2']));
    // both actives gone: the backup takes over
    await p.run('disable server be/s1');
    await p.run('disable server be/s2');
    expect(new Set(picks(be, 5))).toEqual(new Set(['s3']));
    expect(row(await p.run('show stat'), 'be', 'BACKEND')).toMatchObject({ weight: '1', act: '0', bck: '1' });
    await p.run('enable server be/s1');
    await p.run('enable server be/s2');
    expect(p.logs).toEqual([
      'warning: Server be/s1 is going DOWN for maintenance. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'warning: Server be/s1 is UP/DRAIN (leaving forced maintenance).',
      'warning: Server be/s1 remains in forced drain mode.',
      'warning: Server be/s1 is UP (leaving forced drain).',
      'warning: Server be/s1 is going DOWN for maintenance. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'warning: Server be/s2 is going DOWN for maintenance. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'warning: Server be/s1 is UP/READY (leaving forced maintenance).',
      'warning: Server be/s2 is UP/READY (leaving forced maintenance).',
    ]);
  });

  it('sets and reports weights, with HAProxy texts for bad ones', async () => {
    const p = planned(BASE);
    expect(await p.run('set weight be/s1 50%')).toBe('\n');
    expect(await p.run('get weight be/s1')).toBe('5 (initial 10)\n\n');
    expect(row(await p.run('show stat'), 'be', 's1')).toMatchObject({ weight: '5', uweight: '5' });
    expect(row(await p.run('show stat'), 'be', 'BACKEND')['weight']).toBe('15');
    expect(await p.run('set server be/s1 weight 0')).toBe('\n');
    expect(new Set(picks(p.backend('be'), 10))).toEqual(new Set(['s2']));
    expect(await p.run('set server be/s1 weight 10')).toBe('\n');
    expect(await p.run('set weight be/s1 300')).toBe(
      'Absolute weight can only be between 0 and 256 inclusive.\n\n',
    );
    // two of HAProxy's texts have no line feed of their own
    expect(await p.run('set weight be/s1 abc')).toBe('Empty weight string empty or preceded by garbage\n');
    expect(await p.run('set weight be/s1 5x')).toBe('Trailing garbage in weight string\n');
    expect(await p.run('set weight be/s1')).toBe('Require <weight> or <weight%>.\n\n');
    expect(await p.run('set weight st/t1 5')).toBe(
      "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n",
    );
    expect(await p.run('set weight st/t1 0%')).toBe('\n');
    expect(await p.run('get weight st/t1')).toBe('0 (initial 1)\n\n');
  });

  it('answers unknown objects, bad arguments and levels as HAProxy', async () => {
    const p = planned(BASE);
    const cases: [string, string][] = [
      ['set server be/s9 state maint', 'No such server.\n'],
      ['set server bx/s1 state maint', 'No such backend.\n'],
      ['set server be state maint', "Require 'backend/server'.\n"],
      ['set server be/s1 state foo', "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"],
      ['set server be/s1 health foo', "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"],
      ['set server be/s1 agent up', 'agent checks are not enabled on this server.\n'],
      [
        'set server be/s1',
        'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n',
      ],
      ['get weight be', "Require 'backend/server'.\n"],
      ['enable health be/s1', 'Health check was not configured on this server, cannot enable.\n'],
      ['enable agent be/s1', 'Agent was not configured on this server, cannot enable.\n'],
      ['set maxconn server be/s1', 'Require <maxconn>.\n'],
      ['set maxconn frontend nope 1', 'No such frontend.\n'],
      ['set maxconn global', 'Expects an integer value.\n'],
      ['shutdown frontend nope', 'No such frontend.\n'],
      ['shutdown sessions server be/s9', 'No such server.\n'],
      ['show servers state nope', "Can't find backend.\n"],
      ['show stat nope 1 1', 'No such proxy.\n'],
      ['show table nope', 'No such table\n'],
    ];
    for (const [cmd, answer] of cases) expect([cmd, await p.run(cmd)]).toEqual([cmd, `${answer}\n`]);
    // what haproxyd cannot do yet is said, never silently accepted
    expect(await p.run('set maxconn global 10')).toMatch(/not supported yet/);
    // a server's maxconn is changed in the engine (the balancer and the queue read it)
    expect(await p.run('set maxconn server be/s1 10')).toBe('\n');
    expect(p.server('be', 's1').maxconn).toBe(10);
    expect(await p.run('set maxconn server be/s1 1x')).toBe('Trailing garbage in maxconn string\n');
    expect(await p.run('set server be/s1 addr 127.0.0.1 port +5')).toMatch(/not supported yet|port map/);
    expect(await p.run('set server be/s1 addr 127.0.0.2')).toBe(
      "IP changed from '127.0.0.1' to '127.0.0.2' by 'stats socket command'\n\n",
    );
    expect(p.server('be', 's1').host).toBe('127.0.0.2');
    for (const cmd of ['set server be/s1 state maint', 'disable server be/s1', 'shutdown frontend fe'])
      expect(await p.run(cmd, 'operator')).toBe('Permission denied\n\n');
    expect(await p.run('show sess', 'user')).toBe('Permission denied\n\n');
    expect(await p.run('clear counters', 'user')).toBe('Permission denied\n\n');
    expect(await p.run('clear counters all', 'operator')).toBe('Permission denied\n\n');
    expect(await p.run('clear counters', 'operator')).toBe('\n');
    expect(await p.run('foo bar')).toMatch(
      /^Unknown command, but maybe one of the following ones is a better match:\n/,
    );
  });

  it('keeps stick tables behind the operator level', async () => {
    const p = planned(BASE);
    expect(await p.run('set table be key 1.2.3.4 data.http_req_cnt 5')).toBe('\n');
    expect(await p.run('show table be')).toMatch(
      /^# table: be, type: ip, size:100, used:1\n0x[0-9a-f]+: key=1\.2\.3\.4 use=0 exp=\d+ http_req_cnt=5\n\n$/,
    );
    expect(await p.run('show table be', 'user')).toBe(
      '# table: be, type: ip, size:100, used:1\n# contents not dumped due to insufficient privileges\n\n',
    );
    expect(await p.run('set table be key 1.2.3.5', 'user')).toBe('Permission denied\n\n');
    expect(await p.run('clear table be', 'user')).toBe('\n');
    expect(await p.run('show table')).toBe('# table: be, type: ip, size:100, used:1\n\n');
    expect(await p.run('clear table be key 1.2.3.4')).toBe('\n');
    expect(await p.run('show table be')).toBe('# table: be, type: ip, size:100, used:0\n\n');
  });

  it('prints show servers state with the health HAProxy keeps for servers without checks', async () => {
    const p = planned(BASE);
    const lines = async () =>
      (await p.run('show servers state be'))
        .split('\n')
        .slice(2, -2)
        .map((l) =>
          l
            .split(' ')
            .filter((_, i) => i !== 9)
            .join(' '),
        );
    expect(await lines()).toEqual([
      '3 be 1 s1 127.0.0.1 2 0 10 10 1 0 2 0 0 0 0 - 2 - 0 0 - - 0',
      '3 be 2 s2 127.0.0.1 2 0 10 10 1 0 2 0 0 0 0 - 3 - 0 0 - - 0',
      '3 be 3 s3 127.0.0.1 2 0 1 1 1 0 2 0 0 0 0 - 4 - 0 0 - - 0',
      '3 be 4 s4 127.0.0.1 0 5 1 1 1 0 0 8 0 0 0 - 5 - 0 0 - - 0',
    ]);
    await p.run('set server be/s1 state maint');
    await p.run('set server be/s1 state ready');
    await p.run('set server be/s2 health stopping');
    await p.run('set server be/s4 state ready');
    expect(await lines()).toEqual([
      '3 be 1 s1 127.0.0.1 2 0 10 10 1 0 0 0 0 0 0 - 2 - 0 0 - - 0',
      '3 be 2 s2 127.0.0.1 3 0 10 10 1 0 4 0 0 0 0 - 3 - 0 0 - - 0',
      '3 be 3 s3 127.0.0.1 2 0 1 1 1 0 2 0 0 0 0 - 4 - 0 0 - - 0',
      '3 be 4 s4 127.0.0.1 2 4 1 1 1 0 0 8 0 0 0 - 5 - 0 0 - - 0',
    ]);
    expect(row(await p.run('show stat'), 'be', 's2')['status']).toBe('NOLB');
  });

  it('goes through the health checker for servers with checks', async () => {
    const up = createServer((s) => s.destroy());
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const port = (up.address() as { port: number }).port;
    const p = planned(
      BASE.replace(
        'server s2 127.0.0.1:3 weight 10',
        `server s2 127.0.0.1:${port} weight 10 check inter 100ms`,
      ),
    );
    const lines: LogLine[] = [];
    p.host.checker = startChecks(p.host.checks!, p.host.backends, (l) => lines.push(l));
    try {
      for (let i = 0; i < 100; i++) {
        if (row(await p.run('show stat'), 'be', 's2')['check_status'] === 'L4OK') break;
        await sleep(20);
      }
      expect(row(await p.run('show stat'), 'be', 's2')).toMatchObject({ status: 'UP', check_status: 'L4OK' });
      expect(await p.run('set server be/s2 state maint')).toBe('\n');
      expect(row(await p.run('show stat'), 'be', 's2')['status']).toBe('MAINT');
      expect(p.backend('be').isUsable(p.server('be', 's2'))).toBe(false);
      expect(lines.map((l) => l.text)).toContain(
        'Server be/s2 is going DOWN for maintenance. 1 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      );
      expect(await p.run('set server be/s2 state ready')).toBe('\n');
      expect(p.backend('be').isUsable(p.server('be', 's2'))).toBe(true);
      expect(await p.run('set weight be/s2 25%')).toBe('\n');
      expect(await p.run('get weight be/s2')).toBe('2 (initial 10)\n\n');
      // forced through the checker (it logs "changed from CLI")
      expect(await p.run('set server be/s2 health down')).toBe('\n');
      expect(p.host.checker.state('be', 's2').oper).toBe('down');
    } finally {
      await p.host.checker.stop();
      await new Promise((r) => up.close(r));
    }
  });

  it('lists its commands in help with HAProxy lines', async () => {
    const p = planned(BASE);
    const help = await p.run('help', 'user');
    expect(help).toMatch(/^The following commands are valid at this level:\n/);
    for (const line of [
      "  set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl",
      '  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server',
      "  enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)",
    ])
      expect(help.split('\n')).toContain(line);
  });
});

// --- end to end, next to HAProxy 2.6 ------------------------------------------------------

interface Side {
  readonly name: 'haproxy' | 'haproxyd';
  readonly sock: string;
  readonly cliPort: number;
  readonly fe: number;
  readonly fe2: number;
  readonly tcp: number;
}

/** One-shot CLI request over node:net: everything the server sends until it closes. */
function cli(target: string | number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = typeof target === 'string' ? connect(target) : connect(target, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('connect', () => s.write(text.endsWith('\n') ? text : `${text}\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error(`no answer to ${text}`)));
  });
}

const haveSocat = spawnSync('socat', ['-V'], { encoding: 'utf8' }).status === 0;

/** Which backend server answers each of `n` requests (own connection each). */
async function answers(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await request(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
    out.push(r.status === 200 ? String(r.headers['x-backend']) : `status ${r.status}`);
  }
  return out;
}

/** The servers-state lines with the time column masked. */
function serversState(text: string): string[] {
  return text.split('\n').map((l) => {
    const f = l.split(' ');
    if (l.startsWith('#') || f.length < 10) return l;
    f[9] = '<t>';
    return f.join(' ');
  });
}

const maskTable = (t: string) => t.replace(/^0x[0-9a-f]+:/gm, '<ptr>:').replace(/exp=\d+/g, 'exp=<t>');

describe('haproxyd serves the runtime API on its stats sockets, as HAProxy 2.6 does', () => {
  const sides: Side[] = [];
  const held: Socket[] = [];

  beforeAll(async () => {
    requireHaproxy();
    const s1 = await startHttpBackend(undefined, { name: 's1' });
    const s2 = await startHttpBackend(undefined, { name: 's2' });
    const s3 = await startHttpBackend(undefined, { name: 's3' });
    const t1 = await startTcpEchoBackend({ name: 't1' });
    const c1 = await startTcpEchoBackend({ name: 'c1' });
    const dir = tempDir();
    for (const name of ['haproxy', 'haproxyd'] as const) {
      const [cliPort, fe, fe2, tcp, chk] = await freePorts(5);
      const side: Side = {
        name,
        sock: join(dir, `${name}.sock`),
        cliPort: cliPort!,
        fe: fe!,
        fe2: fe2!,
        tcp: tcp!,
      };
      const cfg = writeConfig(
        `global
  stats socket ${side.sock} level admin
  stats socket ipv4@127.0.0.1:${cliPort} level user
  stats timeout 10s
  maxconn 1000

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend fe
  bind 127.0.0.1:${fe}
  default_backend be

frontend fe2
  bind 127.0.0.1:${fe2}
  default_backend be

backend be
  stick-table type ip size 100 expire 10m store http_req_cnt
  server s1 ${s1.addr} weight 10
  server s2 ${s2.addr} weight 10
  server s3 ${s3.addr} backup

listen tcpx
  mode tcp
  bind 127.0.0.1:${tcp}
  server t1 ${t1.addr}

listen chk
  mode tcp
  bind 127.0.0.1:${chk}
  server c1 ${c1.addr} check inter 200ms
`,
        `${name}.cfg`,
      );
      await startProxy(name, cfg, { readyPorts: [fe!, fe2!, tcp!, chk!, cliPort!] });
      sides.push(side);
    }
    // both have checked c1 once
    for (const s of sides) {
      for (let i = 0; i < 200; i++) {
        if (row(await cli(s.sock, 'show stat'), 'chk', 'c1')['check_status'] === 'L4OK') break;
        await sleep(25);
      }
    }
  });

  afterAll(() => {
    for (const s of held) s.destroy();
  });

  /** The same command on both, over the admin unix socket (or the user TCP one). */
  async function both(cmd: string, socket: 'admin' | 'user' = 'admin'): Promise<[string, string]> {
    const [a, b] = sides;
    return [
      await cli(socket === 'admin' ? a!.sock : a!.cliPort, cmd),
      await cli(socket === 'admin' ? b!.sock : b!.cliPort, cmd),
    ];
  }

  it('show info: the same fields in the same order', async () => {
    const [real, ours] = await both('show info');
    const fields = (t: string) =>
      t
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.slice(0, l.indexOf(':')));
    expect(fields(ours)).toEqual(fields(real));
    expect(ours).toMatch(/^Name: haproxyd\n/);
    expect(ours.endsWith('\n\n')).toBe(true);
  });

  it('show stat: the same header, rows and state columns', async () => {
    const [real, ours] = await both('show stat');
    expect(ours.split('\n')[0]).toBe(real.split('\n')[0]);
    const cols = [
      'pxname',
      'svname',
      'iid',
      'sid',
      'status',
      'weight',
      'act',
      'bck',
      'check_status',
      'mode',
      'algo',
    ];
    const pick = (csv: string) => statRows(csv).map((r) => cols.map((c) => r[c]).join(','));
    expect(pick(ours)).toEqual(pick(real));
    expect(statRows(ours)).toHaveLength(statRows(real).length);
    // the user socket hides addresses and algorithms, as HAProxy's
    const [realUser, oursUser] = await both('show stat', 'user');
    expect(pick(oursUser)).toEqual(pick(realUser));
    expect(row(oursUser, 'be', 's1')['addr']).toBe('');
  });

  it('show servers state: the same lines but for the time since the last change', async () => {
    const [real, ours] = await both('show servers state');
    expect(serversState(ours)).toEqual(serversState(real));
    const [realBe, oursBe] = await both('show servers state be');
    expect(serversState(oursBe)).toEqual(serversState(realBe));
  });

  it('help at level admin: each command haproxyd has, in HAProxy words', async () => {
    const [real, ours] = await both('help');
    const builtIns = /^ {2}(show cli |operator |user |set timeout |help |prompt |quit )/;
    const realLines = new Set(real.split('\n'));
    const mine = ours.split('\n').filter((l) => l.startsWith('  ') && !builtIns.test(l));
    expect(mine.length).toBeGreaterThan(25);
    for (const l of mine) expect(realLines.has(l) ? l : `not in HAProxy's help: ${l}`).toBe(l);
    expect(ours.split('\n')[0]).toBe(real.split('\n')[0]);
  });

  it('set server state maint|drain|ready: the same status, and traffic really avoids the server', async () => {
    const [real, ours] = sides;
    for (const side of sides) expect(new Set(await answers(side.fe, 6))).toEqual(new Set(['s1', 's2']));
    for (const [state, status] of [
      ['maint', 'MAINT'],
      ['drain', 'DRAIN'],
      ['ready', 'no check'],
    ] as const) {
      expect(await both(`set server be/s1 state ${state}`)).toEqual(['\n', '\n']);
      const [r, o] = await both('show stat');
      expect(row(o, 'be', 's1')['status']).toBe(status);
      expect(row(r, 'be', 's1')['status']).toBe(status);
      expect(row(o, 'be', 'BACKEND')).toMatchObject({
        weight: row(r, 'be', 'BACKEND')['weight'],
        act: row(r, 'be', 'BACKEND')['act'],
        bck: row(r, 'be', 'BACKEND')['bck'],
      });
      const expected = state === 'ready' ? ['s1', 's2'] : ['s2'];
      expect(new Set(await answers(real!.fe, 6))).toEqual(new Set(expected));
      expect(new Set(await answers(ours!.fe, 6))).toEqual(new Set(expected));
      const [rs, os] = await both('show servers state be');
      expect(serversState(os)).toEqual(serversState(rs));
    }
  });

  it('set weight / get weight / disable and enable server', async () => {
    expect(await both('set weight be/s1 50%')).toEqual(['\n', '\n']);
    expect(await both('get weight be/s1')).toEqual(['5 (initial 10)\n\n', '5 (initial 10)\n\n']);
    const [r, o] = await both('show stat');
    for (const sv of ['s1', 'BACKEND']) expect(row(o, 'be', sv)['weight']).toBe(row(r, 'be', sv)['weight']);
    expect(await both('set server be/s1 weight 10')).toEqual(['\n', '\n']);
    expect(await both('disable server be/s1')).toEqual(['\n', '\n']);
    for (const csv of await both('show stat')) expect(row(csv, 'be', 's1')['status']).toBe('MAINT');
    for (const side of sides) expect(new Set(await answers(side.fe, 4))).toEqual(new Set(['s2']));
    expect(await both('enable server be/s1')).toEqual(['\n', '\n']);
    for (const csv of await both('show stat')) expect(row(csv, 'be', 's1')['status']).toBe('no check');
  });

  it('answers errors with the same bytes', async () => {
    for (const cmd of [
      'set server be/s9 state maint',
      'set server bx/s1 state maint',
      'set server be state maint',
      'set server be/s1',
      'set server be/s1 state foo',
      'set server be/s1 health foo',
      'set server be/s1 agent up',
      'set weight be/s1 300',
      'set weight be/s1 abc',
      'set weight be/s1',
      'get weight be/s9',
      'get weight bx/s1',
      'get weight',
      'enable health be/s1',
      'enable agent be/s1',
      'set maxconn server be/s1',
      'set maxconn frontend nope 1',
      'set maxconn global',
      'shutdown frontend nope',
      'shutdown sessions server be/s9',
      'show servers state nope',
      'show stat nope 1 1',
      'show table nope',
      'clear counters all;clear counters',
    ]) {
      const [real, ours] = await both(cmd);
      expect([cmd, ours]).toEqual([cmd, real]);
    }
  });

  it('refuses admin commands at level user with Permission denied', async () => {
    for (const cmd of [
      'set server be/s1 state maint',
      'disable server be/s1',
      'set weight be/s1 5',
      'shutdown frontend fe',
      'show sess',
      'clear counters',
      'set table be key 1.2.3.4 data.http_req_cnt 1',
    ]) {
      expect([cmd, ...(await both(cmd, 'user'))]).toEqual([
        cmd,
        'Permission denied\n\n',
        'Permission denied\n\n',
      ]);
    }
    for (const csv of await both('show stat')) expect(row(csv, 'be', 's1')['status']).toBe('no check');
  });

  it('show table / set table / clear table: the same answers', async () => {
    for (const cmd of [
      'set table be key 1.2.3.4 data.http_req_cnt 5',
      'show table',
      'show table be',
      'show table be data.http_req_cnt gt 2',
      'show table be data.http_req_cnt lt 2',
      'show table be key 1.2.3.4',
    ]) {
      const [real, ours] = await both(cmd);
      expect([cmd, maskTable(ours)]).toEqual([cmd, maskTable(real)]);
    }
    const [realUser, oursUser] = await both('show table be', 'user');
    expect(oursUser).toBe(realUser);
    expect(await both('clear table be key 1.2.3.4')).toEqual(['\n', '\n']);
    const [real, ours] = await both('show table be');
    expect(ours).toBe(real);
    expect(ours).toBe('# table: be, type: ip, size:100, used:0\n\n');
  });

  it('show sess lists a live TCP stream and shutdown sessions server ends it', async () => {
    for (const side of sides) {
      const client = connect(side.tcp, '127.0.0.1');
      held.push(client);
      await new Promise<void>((r) => client.once('connect', () => r()));
      client.write('ping');
      await new Promise<void>((r) => client.once('data', () => r()));
      const sess = await cli(side.sock, 'show sess');
      const line = sess.split('\n').find((l) => l.includes('fe=tcpx'));
      expect(line).toMatch(/^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=tcpx be=tcpx srv=t1( |$)/);
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      expect(await cli(side.sock, 'shutdown sessions server tcpx/t1')).toBe('\n');
      await closed;
      expect((await cli(side.sock, 'show sess')).includes('fe=tcpx')).toBe(false);
    }
  });

  it('shutdown frontend stops it (STOP, port closed)', async () => {
    expect(await both('shutdown frontend fe2')).toEqual(['\n', '\n']);
    for (const csv of await both('show stat')) expect(row(csv, 'fe2', 'FRONTEND')['status']).toBe('STOP');
    expect(await both('shutdown frontend fe2')).toEqual([
      'Frontend was already shut down.\n\n',
      'Frontend was already shut down.\n\n',
    ]);
    for (const side of sides) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(side.fe2, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
    // the other frontend still serves
    for (const side of sides) expect(await answers(side.fe, 1)).toHaveLength(1);
  });

  it('unknown commands get the same first line', async () => {
    const [real, ours] = await both('foo bar');
    expect(ours.split('\n')[0]).toBe(real.split('\n')[0]);
    expect(ours.endsWith('\n\n')).toBe(true);
  });

  it.skipIf(!haveSocat)('is spoken to by socat on both sockets', async () => {
    const ours = sides[1]!;
    const run = (addr: string, text: string) =>
      spawnSync('socat', ['-', addr], { input: text, encoding: 'utf8', timeout: 10_000 }).stdout;
    expect(run(`UNIX-CONNECT:${ours.sock}`, 'show cli level;get weight be/s2\n')).toBe(
      'admin\n\n10 (initial 10)\n\n',
    );
    expect(run(`TCP:127.0.0.1:${ours.cliPort}`, 'show cli level\n')).toBe('user\n\n');
    expect(run(`TCP:127.0.0.1:${ours.cliPort}`, 'show backend\n')).toBe('# name\nbe\ntcpx\nchk\n\n');
  });
});
