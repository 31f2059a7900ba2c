// Dynamic servers on the runtime API: `add server <be>/<srv> <addr> [kw]*` and
// `del server <be>/<srv>` (runtime-dynamic-servers.ts). HAProxy 2.6 and haproxyd run the
// same configuration and get the same commands on their stats sockets; their answers must be
// the same byte for byte, and so must the `show servers state` lines and `show stat` cells of
// the servers added (volatile columns left out). Then the effects: requests through both
// proxies reach an added server once it is enabled, and no longer once it is disabled or
// deleted; the health check of an added server, once enabled, marks it up or down.
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
import { cli, httpConfigWithSocket, waitUntil } from './stats-harness.ts';

useTestkit();

beforeAll(() => {
  requireHaproxy();
});

/**
 * A `show servers state` line of one server, without the time since its last change; with
 * `checking`, also without what a check running at that instant changes (the in-progress
 * bit, the check result HAProxy resets when a check starts).
 */
function stateLine(text: string, sv: string, checking = false): string {
  const f = (text.split('\n').find((l) => l.split(' ')[3] === sv) ?? `<no ${sv}>`).split(' ');
  if (checking && f.length > 14) {
    for (const i of [13, 14]) f[i] = String(Number(f[i]) & ~1);
    f[11] = '_';
  }
  if (f.length > 9) f.splice(9, 1);
  return f.join(' ');
}

/** Cells of a `show stat` row (by column name); [] when there is no such row. */
function statCells(csv: string, px: string, sv: string, names: readonly string[]): string[] {
  const lines = csv.split('\n');
  const head = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    // `* L7OK`: a check running at that instant (timing, not state)
    if (c[0] === px && c[1] === sv)
      return names.map((n) => `${n}=${(c[head.indexOf(n)] ?? '?').replace(/^\* /, '')}`);
  }
  return [];
}

/** The `show stat` columns that say what a server is, not how long it has been so. */
const STAT_COLUMNS = [
  'scur',
  'slim',
  'stot',
  'status',
  'weight',
  'act',
  'bck',
  'chkfail',
  'chkdown',
  'sid',
  'type',
  'check_status',
  'check_code',
  'check_rise',
  'check_fall',
  'check_health',
  'agent_status',
  'addr',
  'cookie',
  'mode',
  'uweight',
  'iid',
];

/** The x-backend header of one request through `port` (a fresh connection each time), or its status. */
async function whoAnswers(port: number): Promise<string> {
  const r = await request(`http://127.0.0.1:${port}/`);
  return r.status === 200 ? String(r.headers['x-backend']) : `status ${r.status}`;
}

async function answers(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await whoAnswers(port));
  return out;
}

describe('add server / del server', () => {
  it('answers every command as HAProxy 2.6 does, byte for byte', async () => {
    const A = await startHttpBackend();
    const run = async (binary: Binary) => {
      const [p1, p2] = (await freePorts(2)) as [number, number];
      const sock = join(tempDir(), `${binary}-dyn.sock`);
      const opSock = join(tempDir(), `${binary}-dyn-op.sock`);
      const cfgName = `${binary}-dyn.cfg`;
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          `  stats socket ${opSock} level operator`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 10s',
          '  timeout server 10s',
          'frontend fe',
          `  bind 127.0.0.1:${p1}`,
          '  default_backend be',
          'backend be',
          // not applied to added servers: they keep weight 1 and no maxconn
          '  default-server weight 33 maxconn 7',
          `  server s1 127.0.0.1:${A.port}`,
          'backend st',
          '  balance static-rr',
          `  server t1 127.0.0.1:${A.port}`,
          'backend mp',
          '  balance source',
          `  server m1 127.0.0.1:${A.port}`,
          'backend ch',
          '  balance source',
          '  hash-type consistent',
          'backend lc',
          '  balance leastconn',
          'backend fi',
          '  balance first',
          'backend ur',
          '  balance uri',
          'backend tc',
          '  mode tcp',
          'listen li',
          `  bind 127.0.0.1:${p2}`,
          `  server l1 127.0.0.1:${A.port}`,
          'backend us',
          '  use-server u1 if { path /u }',
          `  server u1 127.0.0.1:${A.port}`,
          `  server u2 127.0.0.1:${A.port}`,
          '',
        ].join('\n'),
        cfgName,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1, p2] });
      const trace: string[] = [];
      const A_ = `127.0.0.1:${A.port}`;
      const say = async (cmd: string, socket = sock) => {
        const answer = await cli(socket, cmd);
        trace.push(
          `${cmd}\n=> ${JSON.stringify(answer.replaceAll(cfg, 'CFG').replaceAll(String(A.port), 'A'))}`,
        );
      };
      const look = async (px: string, names: readonly string[]) => {
        const state = await cli(sock, `show servers state ${px}`);
        const stat = await cli(sock, 'show stat');
        for (const n of names) {
          trace.push(`state ${px}/${n}: ${stateLine(state, n).replaceAll(String(A.port), 'A')}`);
          trace.push(
            `stat ${px}/${n}: ${statCells(stat, px, n, STAT_COLUMNS).join(' ').replaceAll(String(A.port), 'A')}`,
          );
        }
      };
      try {
        // the CLI waits for the socket, which comes a moment after the listeners
        await say('add server be/n1 ' + A_);
        for (const cmd of [
          `add server be/n1 ${A_}`,
          'add server',
          'add server be',
          'add server be/',
          'add server /x',
          'add server nobe/x 127.0.0.1:1',
          'add server fe/x 127.0.0.1:1',
          'add server be/n2',
          'add server be/n2 badaddr:xx',
          'add server be/n2 1.2.3.4:99999',
          'add server be/n2 127.0.0.1:1-5',
          'add server be/n2 fd@3',
          'add server be/n2 udp@127.0.0.1:5',
          'add server be/e#f 127.0.0.1:1',
          // static algorithms refuse, dynamic ones take the server
          'add server st/n 127.0.0.1:1',
          'add server mp/n 127.0.0.1:1',
          'add server ur/n 127.0.0.1:1',
          `add server ch/n ${A_}`,
          `add server lc/n ${A_}`,
          `add server fi/n ${A_}`,
          `add server tc/n ${A_}`,
          `add server li/n ${A_} weight 3`,
          // keywords a dynamic server may not have, unknown ones, bad values
          'add server be/x 127.0.0.1:1 cookie abc',
          'add server be/x 127.0.0.1:1 resolvers foo',
          'add server be/x 127.0.0.1:1 init-addr none',
          'add server be/x 127.0.0.1:1 redir http://x',
          'add server be/x 127.0.0.1:1 namespace x',
          'add server be/x 127.0.0.1:1 no-check',
          'add server be/x 127.0.0.1:1 non-stick',
          'add server be/x 127.0.0.1:1 stick',
          'add server be/x 127.0.0.1:1 log-proto octet-count',
          'add server be/x 127.0.0.1:1 foo',
          'add server be/x 127.0.0.1:1 weihgt 3',
          'add server be/x 127.0.0.1:1 zzzzzzzzzzzz',
          'add server be/x 127.0.0.1:1 weight 300',
          'add server be/x 127.0.0.1:1 weight -1',
          'add server be/x 127.0.0.1:1 rise 0',
          'add server be/x 127.0.0.1:1 rise',
          'add server be/x 127.0.0.1:1 fall abc',
          'add server be/x 127.0.0.1:1 error-limit',
          'add server be/x 127.0.0.1:1 inter',
          'add server be/x 127.0.0.1:1 inter 0',
          'add server be/x 127.0.0.1:1 inter 2x',
          'add server be/x 127.0.0.1:1 fastinter 2x',
          'add server be/x 127.0.0.1:1 downinter 0',
          'add server be/x 127.0.0.1:1 agent-inter',
          'add server be/x 127.0.0.1:1 inter 100000d',
          'add server be/x 127.0.0.1:1 slowstart x',
          'add server be/x 127.0.0.1:1 id 0',
          'add server be/x 127.0.0.1:1 id abc',
          'add server be/x 127.0.0.1:1 id',
          'add server be/x 127.0.0.1:1 id 1',
          'add server be/x 127.0.0.1:1 id 2',
          'add server be/x 127.0.0.1:1 observe foo',
          'add server be/x 127.0.0.1:1 on-marked-down foo',
          'add server be/x 127.0.0.1:1 on-marked-up foo',
          'add server be/x 127.0.0.1:1 on-error foo',
          'add server be/x 127.0.0.1:1 port',
          'add server be/x 127.0.0.1:1 agent-port',
          'add server be/x 127.0.0.1:1 agent-addr',
          'add server be/x 127.0.0.1:1 agent-addr foo.invalid',
          'add server be/x 127.0.0.1:1 agent-send',
          'add server be/x 127.0.0.1:1 agent-check',
          // what a dynamic server may have
          `add server be/k1 ${A_} weight 5 maxconn 3 backup`,
          `add server be/k2 ${A_} disabled`,
          `add server be/k3 ${A_} id 50`,
          `add server be/k4 ${A_} check inter 2s rise 3 fall 4`,
          `add server be/k5 ${A_} agent-check agent-port 9 agent-inter 3s`,
          `add server be/k6 ${A_} send-proxy-v2 no-send-proxy-v2 slowstart 10s`,
          `add server be/k7 ${A_} check port 9 addr 127.0.0.2 on-marked-down shutdown-sessions`,
          `add server be/k8 ${A_} weight`,
          `add server be/k9 ${A_} disabled enabled`,
          `add server be/k10 unix@${join(tempDir(), 'none.sock')}`,
          `add server be/k11 ${A_} maxconn 5x weight 7x`,
          `add server be/k12 ${A_} enabled check`,
          `add server be/k13 ${A_} disabled check`,
          `add server be/k14 ${A_} check weight 4`,
          `add server be/k15 ${A_} disabled enabled disabled`,
        ])
          await say(cmd);
        await look('be', [
          's1',
          'n1',
          'k1',
          'k2',
          'k3',
          'k4',
          'k5',
          'k6',
          'k7',
          'k8',
          'k9',
          'k10',
          'k11',
          'k12',
          'k13',
          'k15',
        ]);
        await look('ch', ['n']);
        await look('tc', ['n']);
        await look('li', ['l1', 'n']);
        for (const cmd of [
          'get weight be/n1',
          'get weight be/k1',
          'get weight be/k8',
          'enable server be/n1',
          'set server be/k1 state ready',
          'set server be/k1 weight 10',
          'get weight be/k1',
          'set server be/k3 state drain',
          'set server be/k11 health down',
          // out of the first maintenance and back in it, without a look in between
          'enable server be/k14',
          'disable server be/k14',
        ])
          await say(cmd);
        await look('be', ['n1', 'k1', 'k3', 'k11', 'k14']);
        for (const cmd of [
          'del server be/k1',
          'set server be/k1 state maint',
          'del server be/k1',
          'del server be/k1',
          'del server be/#50',
          'del server be/#4',
          'del server nobe/x',
          'del server be',
          'del server /be',
          'del server us/u1',
          'del server us/u2',
          'set server us/u2 state maint',
          'del server us/u2',
          'del server be/k2',
          // the name and the lowest free id can be taken again
          `add server be/k1 ${A_}`,
          `add server be/k2 ${A_} id 2`,
        ])
          await say(cmd);
        await look('be', ['k1', 'k2', 'k3']);
        await look('us', ['u1', 'u2']);
        // the level: admin only
        await say(`add server be/z ${A_}`, opSock);
        await say('del server be/n1', opSock);
        const help = await cli(sock, 'help');
        trace.push(...help.split('\n').filter((l) => /^ {2}(add|del) server /.test(l)));
        return trace;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    // the help lines are there (not two empty lists)
    expect(want.filter((l) => l.startsWith('  add server')).length).toBe(1);
  }, 120_000);

  it('refuses, as not supported yet, what HAProxy takes but haproxyd does not apply to an added server', async () => {
    const [p1] = (await freePorts(1)) as [number];
    const sock = join(tempDir(), 'ns.sock');
    const cfg = writeConfig(
      [
        'global',
        `  stats socket ${sock} level admin`,
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 10s',
        '  timeout server 10s',
        'frontend fe',
        `  bind 127.0.0.1:${p1}`,
        '  default_backend be',
        'backend be',
        '  server s1 127.0.0.1:1',
        '',
      ].join('\n'),
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [p1] });
    for (const line of [
      'add server be/x 127.0.0.1:1 ssl verify none',
      'add server be/x 127.0.0.1:1 proto h2',
      'add server be/x 127.0.0.1:1 track be/s1',
      'add server be/x 127.0.0.1:1 tfo',
      'add server be/x 127.0.0.1:1 observe layer4',
      'add server be/x localhost:80',
      'add server be/x 127.0.0.1',
      'add server be/x 127.0.0.1:+1',
    ])
      expect([line, await cli(sock, line)]).toEqual([
        line,
        expect.stringMatching(/is not supported yet by haproxyd\.\n\n$/),
      ]);
    // nothing was added
    expect(await cli(sock, 'show servers state be')).not.toMatch(/ x /);
    await proxy.stop();
  }, 60_000);

  it('sends traffic to an added server once enabled, and no more once disabled or deleted', async () => {
    const A = await startHttpBackend();
    const B = await startHttpBackend();
    const run = async (binary: Binary) => {
      const {
        port: p1,
        sock,
        cfg,
      } = await httpConfigWithSocket(
        binary,
        'traffic',
        [],
        (p) => [
          'frontend fe',
          `  bind 127.0.0.1:${p}`,
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${A.port}`,
        ],
        '10s',
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1] });
      const steps: unknown[] = [];
      const count = (names: string[]) => {
        const c: Record<string, number> = {};
        for (const n of names) {
          const k = n === A.name ? 'A' : n === B.name ? 'B' : n;
          c[k] = (c[k] ?? 0) + 1;
        }
        return c;
      };
      const step = async (cmd: string | undefined, n = 4) => {
        const answer = cmd === undefined ? '' : await cli(sock, cmd);
        const ports = (t: string | undefined) =>
          t?.replaceAll(String(A.port), 'A').replaceAll(String(B.port), 'B');
        steps.push({ cmd: ports(cmd), answer: ports(answer), reached: count(await answers(p1, n)) });
      };
      try {
        await step(undefined);
        await step(`add server be/n1 127.0.0.1:${B.port}`);
        await step('enable server be/n1');
        await step('disable server be/n1');
        await step('set server be/n1 state ready');
        await step('set server be/n1 state maint');
        await step('del server be/n1');
        // the only server left in maintenance, a new one takes everything
        await step('set server be/s1 state maint');
        await step(`add server be/n2 127.0.0.1:${B.port} weight 20`);
        await step('set server be/n2 state ready');
        // an added server moves as any other
        await step(`set server be/n2 addr 127.0.0.1 port ${A.port}`);
        steps.push(statCells(await cli(sock, 'show stat'), 'be', 'n1', ['status']));
        steps.push(statCells(await cli(sock, 'show stat'), 'be', 'n2', ['status', 'weight', 'stot']));
        // HAProxy's NOTICE for each server added
        steps.push(
          proxy
            .stderr()
            .split('\n')
            .filter((l) => l.includes('New server registered'))
            .map((l) => l.replace(/^\[NOTICE\]\s+\(\d+\) : /, '')),
        );
        return steps;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    // the steps show what they should (not the same nothing twice)
    expect(want[2]).toMatchObject({ reached: { A: 2, B: 2 } });
    expect(want[9]).toMatchObject({ reached: { B: 4 } });
    expect(want[10]).toMatchObject({ reached: { A: 4 } });
    expect(want.at(-1)).toEqual([
      "CLI : 'server be/n1' : New server registered.",
      "CLI : 'server be/n2' : New server registered.",
    ]);
  }, 120_000);

  it('keeps a client on an added server by `stick on src`, as HAProxy does', async () => {
    const A = await startHttpBackend();
    const B = await startHttpBackend();
    const run = async (binary: Binary) => {
      const {
        port: p1,
        sock,
        cfg,
      } = await httpConfigWithSocket(
        binary,
        'stick',
        [],
        (p) => [
          'frontend fe',
          `  bind 127.0.0.1:${p}`,
          '  default_backend be',
          'backend be',
          '  stick-table type ip size 1k expire 10m',
          '  stick on src',
          `  server s1 127.0.0.1:${A.port}`,
        ],
        '10s',
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1] });
      const name = (n: string) => (n === A.name ? 'A' : n === B.name ? 'B' : n);
      const out: string[] = [];
      try {
        for (const cmd of [
          `add server be/n1 127.0.0.1:${B.port}`,
          'set server be/s1 state maint',
          'enable server be/n1',
        ])
          out.push(await cli(sock, cmd));
        out.push((await answers(p1, 2)).map(name).join(','));
        // s1 is back: the client stays where its entry says (the added server's id)
        out.push(await cli(sock, 'set server be/s1 state ready'));
        out.push((await answers(p1, 4)).map(name).join(','));
        // the added server gone, its entries find nothing and the client goes to s1
        out.push(await cli(sock, 'disable server be/n1'));
        out.push(await cli(sock, 'del server be/n1'));
        out.push((await answers(p1, 2)).map(name).join(','));
        return out;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    expect(want[3]).toBe('B,B');
    expect(want[5]).toBe('B,B,B,B');
    expect(want[8]).toBe('A,A');
  }, 120_000);

  it('refuses to delete a server that still has a connection, as HAProxy does', async () => {
    const run = async (binary: Binary) => {
      // a server that holds the request for a while
      const slow = await startHttpBackend(async (_req, res) => {
        await new Promise((r) => setTimeout(r, 1500));
        res.writeHead(200, { 'content-length': '2' });
        res.end('ok');
      });
      const {
        port: p1,
        sock,
        cfg,
      } = await httpConfigWithSocket(
        binary,
        'conn',
        [],
        (p) => [
          'frontend fe',
          `  bind 127.0.0.1:${p}`,
          '  default_backend be',
          'backend be',
          '  http-reuse never',
        ],
        '10s',
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1] });
      const out: string[] = [];
      try {
        out.push(await cli(sock, `add server be/n1 127.0.0.1:${slow.port}`));
        out.push(await cli(sock, 'enable server be/n1'));
        const pending = request(`http://127.0.0.1:${p1}/`);
        await waitUntil('the request to reach the server', async () => slow.requests.length > 0);
        out.push(await cli(sock, 'disable server be/n1'));
        out.push(await cli(sock, 'del server be/n1'));
        const r = await pending;
        out.push(String(r.status));
        // once the request is done and its connection gone, the server may go
        await waitUntil(
          'the server to be deleted',
          async () => (await cli(sock, 'del server be/n1')) === 'Server deleted.\n',
        );
        out.push(await cli(sock, 'show servers state be'));
        return out;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    expect(want[3]).toBe('Server still has connections attached to it, cannot remove it.\n');
  }, 120_000);

  it('runs the health check of an added server once enabled, and marks it up or down', async () => {
    const A = await startHttpBackend();
    const run = async (binary: Binary) => {
      const [p1, dead] = (await freePorts(2)) as [number, number];
      const sock = join(tempDir(), `${binary}-chk.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 10s',
          '  timeout server 10s',
          'frontend fe',
          `  bind 127.0.0.1:${p1}`,
          '  default_backend hc',
          'backend hc',
          '  option httpchk GET /',
          '',
        ].join('\n'),
        `${binary}-chk.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1] });
      const steps: string[] = [];
      const look = async (what: string) => {
        const stat = await cli(sock, 'show stat');
        const state = await cli(sock, 'show servers state hc');
        for (const sv of ['c1', 'c2']) {
          const cells = statCells(stat, 'hc', sv, ['status', 'check_status', 'check_code', 'check_health']);
          if (cells.length > 0)
            steps.push(`${what} ${sv}: ${cells.join(' ')} | ${stateLine(state, sv, true)}`);
        }
      };
      const statusIs = (sv: string, want: string) => async () =>
        statCells(await cli(sock, 'show stat'), 'hc', sv, ['status', 'check_status']).join(' ') === want;
      try {
        steps.push(await cli(sock, `add server hc/c1 127.0.0.1:${A.port} check inter 100 rise 1 fall 1`));
        steps.push(await cli(sock, `add server hc/c2 127.0.0.1:${dead} check inter 100 rise 1 fall 1`));
        await look('added');
        steps.push(await cli(sock, 'enable server hc/c1'));
        steps.push(await cli(sock, 'enable server hc/c2'));
        await look('enabled');
        steps.push(await cli(sock, 'enable health hc/c1'));
        steps.push(await cli(sock, 'enable health hc/c2'));
        await waitUntil('c1 checked up', statusIs('c1', 'status=UP check_status=L7OK'));
        await waitUntil('c2 checked down', statusIs('c2', 'status=DOWN check_status=L4CON'));
        await look('checked');
        steps.push((await answers(p1, 3)).map((n) => (n === A.name ? 'A' : n)).join(','));
        steps.push(await cli(sock, 'disable health hc/c2'));
        steps.push(await cli(sock, 'disable server hc/c2'));
        steps.push(await cli(sock, 'del server hc/c2'));
        await look('deleted');
        return steps.map((s) => s.replaceAll(String(A.port), 'A').replaceAll(String(dead), 'DEAD'));
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    expect(want).toContain('A,A,A');
  }, 120_000);
});
