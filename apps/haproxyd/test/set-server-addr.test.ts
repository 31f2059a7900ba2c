// `set server <b>/<s> addr <ip> [port <p>]`, `check-addr`, `check-port`, `agent-addr`,
// `agent-port`, `agent-send`, `health` on a server with only an agent, and the `fqdn`,
// `ssl` refusals: the same steps on the stats socket of HAProxy 2.6 and haproxyd give the
// same answers (byte for byte), the same `show servers state` fields and `show stat`
// addresses, the same stderr sentences, and the same effects: requests reach the new
// address, idle server connections to the old one are not reused (HAProxy keeps only a
// private `http-reuse never` one), health checks and agents go to their new address and
// port. Then the address across a restart with a server-state-file (HAProxy) and across a
// master-worker reload (haproxyd's hand-over): the same HAProxy rules.
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { type Binary, freePorts, requireHaproxy, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterCli, parseShowProc } from './master-harness.ts';
import { waitGone } from './reload-harness.ts';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();

// --- backends ---------------------------------------------------------------------------------

/** An HTTP server answering its name, counting the connections it accepted. */
interface Named {
  readonly name: string;
  readonly port: number;
  accepted: number;
  close(): Promise<void>;
}

async function named(name: string, host: string): Promise<Named> {
  const sockets = new Set<Socket>();
  const srv: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(name.length), 'content-type': 'text/plain' });
    res.end(name);
  });
  const out = { name, port: 0, accepted: 0, close: () => Promise.resolve() };
  srv.on('connection', (s: Socket) => {
    out.accepted++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host, port: 0 }, resolve);
  });
  out.port = (srv.address() as { port: number }).port;
  out.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      srv.close(() => resolve());
    });
  return out;
}

/** Whether ::1 can be listened on here. */
async function hasIpv6(): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen({ host: '::1', port: 0 }, () => s.close(() => resolve(true)));
  });
}

/**
 * A TCP server on 127.0.0.1 counting its connections and recording what each sent; kept for
 * the whole file (testkit's backends are closed after each test).
 */
interface Counting {
  readonly port: number;
  readonly sent: string[];
  close(): Promise<void>;
}

async function counting(onConnection: (s: Socket) => void): Promise<Counting> {
  const sent: string[] = [];
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {});
    const i = sent.push('') - 1;
    s.on('data', (d: Buffer) => {
      sent[i] += d.toString('latin1');
    });
    onConnection(s);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  return {
    port: (srv.address() as { port: number }).port,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** An agent answering `up`. */
function agent(): Promise<Counting> {
  return counting((s) => s.end('up\n'));
}

// --- clients ----------------------------------------------------------------------------------

/** A client connection sending requests one after the other (keep-alive); each gives its body or `status N`. */
class Client {
  private readonly socket: Socket;
  private buf = '';
  private waiting: ((v: string) => void) | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('error', () => {});
    this.socket.on('data', (d: string) => {
      this.buf += d;
      this.parse();
    });
    this.socket.on('close', () => this.waiting?.('closed'));
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || this.waiting === undefined) return;
    const head = this.buf.slice(0, end);
    const len = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? '0');
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.slice(end + 4, end + 4 + len);
    this.buf = this.buf.slice(end + 4 + len);
    const status = head.split(' ')[1];
    const w = this.waiting;
    this.waiting = undefined;
    w(status === '200' ? body : `status ${status}`);
  }

  request(close = false): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`GET / HTTP/1.1\r\nhost: test\r\n${close ? 'connection: close\r\n' : ''}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a new connection: the body of a 200, else `status N`. */
async function get(port: number): Promise<string> {
  const c = new Client(port);
  try {
    return await c.request(true);
  } finally {
    c.close();
  }
}

// --- the stats socket's answers ---------------------------------------------------------------

/** `show servers state` fields of one server, without the time since the last change. */
function stateOf(text: string, sv: string): string {
  const f = (text.split('\n').find((l) => l.split(' ')[3] === sv) ?? '').split(' ');
  // a check in progress at that instant (CHK_ST_INPROGRESS) is timing, not state; so is
  // the check result HAProxy resets when a check starts
  for (const i of [13, 14]) if (f[i] !== undefined) f[i] = String(Number(f[i]) & ~1);
  if (f[11] !== undefined) f[11] = '_';
  f.splice(9, 1);
  return f.join(' ');
}

function statRow(csv: string, px: string, sv: string, names: readonly string[]): string[] {
  const lines = csv.split('\n');
  const head = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[0] === px && c[1] === sv) return names.map((n) => (c[head.indexOf(n)] ?? '?').replace(/^\* /, ''));
  }
  return [];
}

/** A process's stderr sentences about these servers, without the tag and pid. */
function sentences(stderr: string, pattern: RegExp): string[] {
  return stderr
    .split('\n')
    .filter((l) => pattern.test(l))
    .map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, ''));
}

// ---------------------------------------------------------------------------------------------

let v6 = false;
let A: Named;
let B: Named;
let C: Named | undefined;
let K1: Counting;
let K2: Counting;
let AG1: Counting;
let AG2: Counting;
let dead: number;

beforeAll(async () => {
  requireHaproxy();
  v6 = await hasIpv6();
  A = await named('A', '127.0.0.1');
  B = await named('B', '127.0.0.1');
  C = v6 ? await named('C', '::1') : undefined;
  // HTTP check answerers (a plain connect check is reset by HAProxy before it is accepted)
  const ok = (s: Socket) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n'));
  K1 = await counting(ok);
  K2 = await counting(ok);
  AG1 = await agent();
  AG2 = await agent();
  [dead] = (await freePorts(1)) as [number];
});

afterAll(async () => {
  await Promise.all([A, B, C, K1, K2, AG1, AG2].map((x) => x?.close()));
});

/** Gives each known port its name, so the traces read as steps. */
function named_ports(text: string): string {
  const ports: [number, string][] = [
    [A.port, 'A'],
    [B.port, 'B'],
    [K1.port, 'K1'],
    [K2.port, 'K2'],
    [AG1.port, 'AG1'],
    [AG2.port, 'AG2'],
    [dead, 'DEAD'],
  ];
  if (C) ports.push([C.port, 'C']);
  let out = text;
  for (const [p, n] of ports) out = out.replace(new RegExp(`\\b${p}\\b`, 'g'), n);
  return out;
}

async function until(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  await waitUntil(what, () => Promise.resolve(test()), ms);
}

describe('set server addr / check-addr / check-port / agent-addr / agent-port / agent-send', () => {
  it('answer, route, report and check as HAProxy 2.6 does', async () => {
    const run = async (binary: Binary) => {
      const [p1, p2, p3, p4] = (await freePorts(4)) as [number, number, number, number];
      const sock = join(tempDir(), `${binary}-addr.sock`);
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
          'frontend fe_pool',
          `  bind 127.0.0.1:${p2}`,
          '  default_backend pool',
          'frontend fe_priv',
          `  bind 127.0.0.1:${p3}`,
          '  default_backend priv',
          'backend be',
          `  server s1 127.0.0.1:${A.port}`,
          'listen tcp',
          '  mode tcp',
          `  bind 127.0.0.1:${p4}`,
          `  server t1 127.0.0.1:${A.port}`,
          'backend pool',
          '  http-reuse always',
          `  server p1 127.0.0.1:${A.port}`,
          'backend priv',
          '  http-reuse never',
          `  server n1 127.0.0.1:${A.port}`,
          'backend hc',
          '  option httpchk GET /',
          `  server chk 127.0.0.1:${K1.port} check inter 100`,
          'backend agb',
          `  server ag 127.0.0.1:${A.port} agent-check agent-port ${AG1.port} agent-inter 100`,
          'backend agd',
          `  server ad 127.0.0.1:${A.port} agent-check agent-port ${dead} agent-inter 100`,
          '',
        ].join('\n'),
        `${binary}-addr.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [p1, p2, p3, p4] });
      const trace: unknown[] = [];
      const say = async (cmd: string, px: string, sv: string) => {
        const answer = await cli(sock, cmd);
        const state = stateOf(await cli(sock, `show servers state ${px}`), sv);
        const stat = statRow(await cli(sock, 'show stat'), px, sv, ['status', 'addr']);
        trace.push(named_ports(JSON.stringify({ cmd, answer, state, stat })));
        return answer;
      };
      const note = (what: string, v: unknown) => trace.push(named_ports(JSON.stringify({ what, v })));
      try {
        await waitUntil('the checks to settle', async () => {
          const csv = await cli(sock, 'show stat');
          return (
            statRow(csv, 'hc', 'chk', ['check_status'])[0] === 'L7OK' &&
            statRow(csv, 'agb', 'ag', ['agent_status'])[0] === 'L7OK' &&
            statRow(csv, 'agd', 'ad', ['agent_status'])[0] === 'L4CON'
          );
        });

        // --- the server's address and port: answers, then where requests go
        await say('set server be/s1 addr', 'be', 's1');
        await say('set server be/s1 addr 127.0.0.1', 'be', 's1');
        note('route at A', await get(p1));
        await say(`set server be/s1 addr 127.0.0.1 port ${B.port}`, 'be', 's1');
        note('route after the port change', await get(p1));
        if (C) {
          await say(`set server be/s1 addr ::1 port ${C.port}`, 'be', 's1');
          note('route to ::1', await get(p1));
        }
        // the new address stays although the port is refused: nothing listens there
        await say('set server be/s1 addr 127.0.0.2 port abc', 'be', 's1');
        note('route to 127.0.0.2', await get(p1));
        await say('set server be/s1 addr 127.0.0.1 port 70000', 'be', 's1');
        await say('set server be/s1 addr 127.0.0.1 port +5', 'be', 's1');
        await say('set server be/s1 addr foo', 'be', 's1');
        await say('set server be/s1 addr 127.0.0.1:80', 'be', 's1');
        await say('set server be/s1 addr [::1]', 'be', 's1');
        await say(`set server be/s1 addr 127.0.0.1 port ${A.port}`, 'be', 's1');
        note('route back at A', await get(p1));

        // a client's keep-alive connection (http-reuse safe): its next request goes to B
        const ka = new Client(p1);
        const first = await ka.request();
        await say(`set server be/s1 addr 127.0.0.1 port ${B.port}`, 'be', 's1');
        note('keep-alive across the change', [first, await ka.request(), await ka.request()]);
        ka.close();

        // mode tcp: the next connection goes to the new address
        note('tcp before', await get(p4));
        await say(`set server tcp/t1 addr 127.0.0.1 port ${B.port}`, 'tcp', 't1');
        note('tcp after', await get(p4));

        // http-reuse always: the idle connection to A is not taken again, even once the
        // server is back at A
        note('pool first', await get(p2));
        const accepted = A.accepted;
        await say(`set server pool/p1 addr 127.0.0.1 port ${B.port}`, 'pool', 'p1');
        await say(`set server pool/p1 addr 127.0.0.1 port ${A.port}`, 'pool', 'p1');
        note('pool after', await get(p2));
        note('new connections to A', A.accepted - accepted);

        // http-reuse never: the client's private connection stays on the old address
        const priv = new Client(p3);
        const before = await priv.request();
        await say(`set server priv/n1 addr 127.0.0.1 port ${B.port}`, 'priv', 'n1');
        note('private connection across the change', [before, await priv.request()]);
        priv.close();
        note('priv new client', await get(p3));

        // --- the health check follows the server, then its own port and address
        let k = K2.sent.length;
        await say(`set server hc/chk addr 127.0.0.1 port ${K2.port}`, 'hc', 'chk');
        await until('checks at K2', () => K2.sent.length >= k + 2);
        k = K1.sent.length;
        await say(`set server hc/chk check-port ${K1.port}`, 'hc', 'chk');
        await until('checks at K1 (its own port)', () => K1.sent.length >= k + 2);
        k = K2.sent.length;
        await say(`set server hc/chk check-addr 127.0.0.1 port ${K2.port}`, 'hc', 'chk');
        await until('checks at K2 (its own address and port)', () => K2.sent.length >= k + 2);
        for (const c of [
          'set server hc/chk check-addr',
          'set server hc/chk check-port',
          'set server hc/chk check-addr foo',
          'set server hc/chk check-addr localhost',
          'set server hc/chk check-addr 127.0.0.3 port 5x',
          'set server hc/chk check-port 70000',
          'set server hc/chk check-port -1',
          'set server be/s1 check-port 80',
          'set server be/s1 check-addr 127.0.0.1',
        ])
          await say(c, 'hc', 'chk');

        // --- the agent: what it is sent, where it goes
        await say('set server agb/ag agent-send hello', 'agb', 'ag');
        await until('the agent sent hello', () => AG1.sent.includes('hello'));
        let g = AG2.sent.length;
        await say(`set server agb/ag agent-addr 127.0.0.1 port ${AG2.port}`, 'agb', 'ag');
        // each agent connection there is sent the new text (the data may trail the connection)
        await until(
          'the agent at AG2, sent hello',
          () => AG2.sent.slice(g).filter((x) => x === 'hello').length >= 2,
        );
        note(
          'AG2 was sent only hello',
          AG2.sent.slice(g).every((x) => x === 'hello' || x === ''),
        );
        g = AG1.sent.length;
        await say(`set server agb/ag agent-port ${AG1.port}`, 'agb', 'ag');
        await until('the agent back at AG1', () => AG1.sent.length >= g + 2);
        await say('set server agb/ag agent-send', 'agb', 'ag');
        await say('set server agb/ag agent-addr localhost', 'agb', 'ag');
        for (const c of [
          'set server agb/ag agent-addr',
          'set server agb/ag agent-port',
          'set server agb/ag agent-port 70000',
          'set server agb/ag agent-addr 127.0.0.1 port x',
          'set server be/s1 agent-addr 127.0.0.1',
          'set server be/s1 agent-port 80',
          'set server be/s1 agent-send x',
        ])
          await say(c, 'agb', 'ag');

        // --- health on a server with only an agent (one that cannot be reached: it changes nothing)
        for (const h of ['down', 'stopping', 'up', 'maybe'])
          await say(`set server agd/ad health ${h}`, 'agd', 'ad');

        // --- what haproxyd answers as HAProxy does without doing more
        for (const c of [
          'set server be/s1 fqdn',
          'set server be/s1 fqdn example.com',
          'set server be/s1 ssl on',
          'set server be/s1 port 5',
        ])
          await say(c, 'be', 's1');

        note('stderr', sentences(proxy.stderr(), /agd\/ad|changed|addr|port/));
        return trace;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    // the steps did something in HAProxy: the requests moved, the idle connection was dropped
    const text = want.join('\n');
    expect(text).toContain('"what":"route after the port change","v":"B"');
    expect(text).toContain('"what":"route to 127.0.0.2","v":"status 503"');
    expect(text).toContain('"what":"keep-alive across the change","v":["A","B","B"]');
    expect(text).toContain('"what":"new connections to A","v":1');
    expect(text).toContain('"what":"tcp after","v":"B"');
    expect(text).toContain('"what":"private connection across the change","v":["A","A"]');
    expect(text).toContain("to '127.0.0.2', problem converting port 'abc' to an int");
    expect(got).toEqual(want);
  }, 120_000);
});

describe('the address across a reload', () => {
  it("HAProxy's server-state-file rules: the port always, the address of a server named by a host name, the checks' own", async () => {
    const run = async (binary: Binary, withFile: boolean) => {
      const [p1, p2] = (await freePorts(2)) as [number, number];
      const dir = tempDir();
      const sock = join(dir, `${binary}-reload.sock`);
      const master = join(dir, `${binary}-master.sock`);
      const stateFile = join(dir, `${binary}-servers.state`);
      // a restart that reads what the previous process left in the state file, or (haproxyd)
      // a master-worker reload handing the same text over to the new worker by itself
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          ...(withFile ? [`  server-state-file ${stateFile}`] : []),
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 10s',
          '  timeout server 10s',
          ...(withFile ? ['  load-server-state-from-file global'] : []),
          'frontend f1',
          `  bind 127.0.0.1:${p1}`,
          '  default_backend b1',
          'frontend f2',
          `  bind 127.0.0.1:${p2}`,
          '  default_backend b2',
          'backend b1',
          `  server s1 127.0.0.1:${A.port}`,
          'backend b2',
          `  server h1 localhost:${A.port}`,
          'backend hc',
          '  option httpchk GET /',
          `  server chk 127.0.0.1:${K1.port} check inter 100`,
          'backend agb',
          `  server ag 127.0.0.1:${A.port} agent-check agent-port ${AG1.port} agent-inter 100`,
          '',
        ].join('\n'),
        `${binary}-${withFile ? 'file' : 'handover'}-reload.cfg`,
      );
      const start = () =>
        startProxy(binary, cfg, {
          ...(withFile ? {} : { baseArgs: ['-W', '-S', master] }),
          readyPorts: [p1, p2],
          readyTimeoutMs: 20_000,
        });
      let proxy = await start();
      const trace: string[] = [];
      try {
        const to = C ? `::1 port ${C.port}` : `127.0.0.1 port ${B.port}`;
        for (const c of [
          `set server b1/s1 addr 127.0.0.2 port ${B.port}`,
          `set server b2/h1 addr ${to}`,
          `set server hc/chk check-port ${K2.port}`,
          `set server agb/ag agent-addr 127.0.0.1 port ${AG2.port}`,
        ])
          trace.push(named_ports(`${c} -> ${await cli(sock, c)}`));
        if (withFile) {
          writeFileSync(stateFile, await cli(sock, 'show servers state'));
          await proxy.stop();
          proxy = await start();
        } else {
          const proc = async () => parseShowProc(await masterCli(master, 'show proc'));
          const old = (await proc()).workers[0]!.pid;
          process.kill(proxy.pid, 'SIGUSR2');
          await waitUntil('a new worker', async () => {
            const p = await proc();
            return p.workers.length === 1 && p.workers[0]!.pid !== old;
          });
          await waitGone(old, 20_000);
        }
        const k = K2.sent.length;
        const g = AG2.sent.length;
        await until('checks at K2 after the reload', () => K2.sent.length >= k + 2);
        await until('the agent at AG2 after the reload', () => AG2.sent.length >= g + 2);
        const state = await cli(sock, 'show servers state');
        const csv = await cli(sock, 'show stat');
        for (const [px, sv] of [
          ['b1', 's1'],
          ['b2', 'h1'],
          ['hc', 'chk'],
          ['agb', 'ag'],
        ] as const)
          trace.push(
            named_ports(`${px}/${sv}: ${stateOf(state, sv)} | ${statRow(csv, px, sv, ['addr'])[0]}`),
          );
        trace.push(`b1 routes to ${await get(p1)}`, `b2 routes to ${await get(p2)}`);
        return trace;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy', true);
    // HAProxy applied the port of s1 (not its address) and both of h1
    expect(want).toContain('b1 routes to B');
    expect(want).toContain(`b2 routes to ${C ? 'C' : 'B'}`);
    expect(await run('haproxyd', true)).toEqual(want);
    expect(await run('haproxyd', false)).toEqual(want);
  }, 120_000);
});

describe('haproxyd -W: an address set at run time, then a reload', () => {
  it('keeps it while the configuration keeps the server where it was; a configuration change wins', async () => {
    const D = await named('D', '127.0.0.1');
    try {
      const [port] = (await freePorts(1)) as [number];
      const dir = tempDir();
      const sock = join(dir, 'handover.sock');
      const master = join(dir, 'handover-master.sock');
      const text = (s1: number) =>
        [
          'global',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 10s',
          '  timeout server 10s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${s1}`,
          '',
        ].join('\n');
      const cfg = writeConfig(text(A.port), 'handover.cfg');
      const proxy = await startProxy('haproxyd', cfg, {
        baseArgs: ['-W', '-S', master],
        readyPorts: [port],
        readyTimeoutMs: 20_000,
      });
      const proc = async () => parseShowProc(await masterCli(master, 'show proc'));
      const reload = async () => {
        const old = (await proc()).workers[0]!.pid;
        process.kill(proxy.pid, 'SIGUSR2');
        await waitUntil('a new worker', async () => {
          const p = await proc();
          return p.workers.length === 1 && p.workers[0]!.pid !== old;
        });
        await waitGone(old, 20_000);
      };
      try {
        expect(await cli(sock, `set server be/s1 addr 127.0.0.1 port ${B.port}`)).toBe(
          `no need to change the addr, port changed from '${A.port}' to '${B.port}' by 'stats socket command'\n\n`,
        );
        expect(await get(port)).toBe('B');
        // the same configuration: the run-time port is kept
        await reload();
        expect(await get(port)).toBe('B');
        // s1 moved in the configuration: the configuration wins
        writeConfig(text(D.port), 'handover.cfg');
        await reload();
        expect(await get(port)).toBe('D');
        const state = await cli(sock, 'show servers state be');
        expect(stateOf(state, 's1').split(' ')[17]).toBe(String(D.port));
      } finally {
        await proxy.stop();
      }
    } finally {
      await D.close();
    }
  }, 120_000);
});
