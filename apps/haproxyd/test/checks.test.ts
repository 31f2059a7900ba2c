// End-to-end health checks: haproxyd in front of real HTTP servers on loopback, a steady
// request loop, servers killed and restarted on their port. The checks must take a dead
// server out within inter × fall (+ one check timeout), bring it back within inter × rise,
// hand the traffic to the backup when no active server is left, answer 503 when none is,
// and follow a Patroni-style primary (`option httpchk GET /primary`).
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import net from 'node:net';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startProxy,
  startSyslogSink,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';

useTestkit();

/** An HTTP server on a fixed port that can be killed and started again on the same port. */
class Node {
  readonly name: string;
  readonly port: number;
  /** Answers /primary with 200 (else 503). */
  primary = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(name: string, port: number) {
    this.name = name;
    this.port = port;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/primary') {
        res.writeHead(this.primary ? 200 : 503, { 'content-length': 0 });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': Buffer.byteLength(this.name) });
      res.end(this.name);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Dies at once: the port refuses connections from now on. */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const c of this.sockets) c.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.kill();
});

async function startNodes(names: string[]): Promise<Node[]> {
  const ports = await freePorts(names.length);
  const list = names.map((n, i) => new Node(n, ports[i]!));
  for (const n of list) await n.start();
  nodes.push(...list);
  return list;
}

/** One request on its own connection: the answering server's name, or the status line of an error. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => {
      clearTimeout(t);
      const status = got.slice(0, got.indexOf('\r\n'));
      resolve(status.includes(' 200 ') ? got.slice(got.indexOf('\r\n\r\n') + 4) : status || 'no answer');
    });
    s.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  });
}

interface Answer {
  at: number;
  who: string;
}

/** Sends one request every `everyMs` until stopped (at most `max` requests); records each answer. */
function loop(port: number, everyMs: number, max = 2000): { answers: Answer[]; stop(): Promise<void> } {
  const answers: Answer[] = [];
  const pending: Promise<void>[] = [];
  let n = 0;
  const timer = setInterval(() => {
    if (++n > max) return;
    const at = performance.now();
    pending.push(ask(port).then((who) => void answers.push({ at, who })));
  }, everyMs);
  return {
    answers,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `pred` holds on the answers (bounded). */
async function until(pred: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!pred() && performance.now() < end) await sleep(20);
}

/** The defaults section of these tests: a mode and short timeouts. */
function defaults(mode: 'http' | 'tcp', connect = '200ms', idle = '5s'): string[] {
  return [
    'defaults',
    `  mode ${mode}`,
    `  timeout connect ${connect}`,
    `  timeout client ${idle}`,
    `  timeout server ${idle}`,
  ];
}

const INTER = 100;

describe('health checks', () => {
  it('a dead server leaves within inter × fall, comes back within inter × rise; backup; 503', async () => {
    const [s1, s2, s3] = (await startNodes(['s1', 's2', 's3'])) as [Node, Node, Node];
    const [port] = (await freePorts(1)) as [number];
    const cfg = writeConfig(
      [
        ...defaults('http'),
        '  timeout check 200ms',
        '  retries 1',
        '  option redispatch',
        'frontend fe',
        `  bind 127.0.0.1:${port}`,
        '  default_backend be',
        'backend be',
        '  option httpchk GET /health',
        `  default-server check inter ${INTER} fall 2 rise 2`,
        `  server s1 127.0.0.1:${s1.port}`,
        `  server s2 127.0.0.1:${s2.port}`,
        `  server s3 127.0.0.1:${s3.port} backup`,
        '',
      ].join('\n'),
      'checks-failover.cfg',
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
    const traffic = loop(port, 15);
    await until(() => new Set(traffic.answers.map((a) => a.who)).size >= 2, 3000);
    expect(new Set(traffic.answers.map((a) => a.who))).toEqual(new Set(['s1', 's2']));

    // s1 dies: after inter × fall + a check timeout nothing goes to it and nothing fails
    const death = performance.now();
    await s1.kill();
    const bound = death + INTER * 2 + 200 + 150;
    await sleep(bound - performance.now() + 400);
    const afterDeath = traffic.answers.filter((a) => a.at > bound);
    expect(afterDeath.length).toBeGreaterThan(10);
    expect(afterDeath.filter((a) => a.who !== 's2')).toEqual([]);
    // with redispatch the requests sent to s1 in the window were served elsewhere
    const failed = traffic.answers.filter((a) => a.at > death && !/^s\d$/.test(a.who));
    expect(failed).toEqual([]);
    expect(proxy.stderr()).toMatch(
      /Server be\/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"/,
    );

    // s1 comes back: UP after inter × rise (+ scheduling slack), then it answers again
    await s1.start();
    const back = performance.now();
    await until(() => traffic.answers.some((a) => a.who === 's1' && a.at > back), 3000);
    const firstAgain = traffic.answers.find((a) => a.who === 's1' && a.at > back);
    expect(firstAgain).toBeDefined();
    expect(firstAgain!.at - back).toBeLessThan(INTER * 2 + 1000);
    expect(proxy.stderr()).toMatch(/Server be\/s1 is UP/);

    // no active server left: the backup serves everything
    await s1.kill();
    await s2.kill();
    const bothDown = performance.now();
    await sleep(INTER * 2 + 200 + 500);
    const onBackup = traffic.answers.filter((a) => a.at > bothDown + INTER * 2 + 350);
    expect(onBackup.length).toBeGreaterThan(5);
    expect(onBackup.filter((a) => a.who !== 's3')).toEqual([]);

    // and with none at all, 503
    await s3.kill();
    const allDown = performance.now();
    await sleep(INTER * 2 + 200 + 500);
    const none = traffic.answers.filter((a) => a.at > allDown + INTER * 2 + 350);
    await traffic.stop();
    expect(none.length).toBeGreaterThan(5);
    expect(new Set(none.map((a) => a.who))).toEqual(new Set(['HTTP/1.1 503 Service Unavailable']));
    expect(proxy.stderr()).toMatch(
      /backend 'be' has no server available!|backend be has no server available!/,
    );
    await proxy.stop();
  });

  it('Patroni style: all traffic to the node answering 200 on /primary, following a fail-over', async () => {
    const list = (await startNodes(['n1', 'n2', 'n3'])) as [Node, Node, Node];
    list[1].primary = true;
    const [port] = (await freePorts(1)) as [number];
    const cfg = writeConfig(
      [
        ...defaults('http'),
        'listen pg',
        `  bind 127.0.0.1:${port}`,
        '  option httpchk GET /primary',
        '  http-check expect status 200',
        `  default-server inter ${INTER} fall 1 rise 1 check`,
        ...list.map((n) => `  server ${n.name} 127.0.0.1:${n.port}`),
        '',
      ].join('\n'),
      'checks-patroni.cfg',
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
    // the replicas fail their first check: from then on only the primary answers
    await sleep(INTER * 3 + 300);
    const traffic = loop(port, 15);
    await sleep(600);
    const before = traffic.answers.slice();
    expect(before.length).toBeGreaterThan(10);
    expect(new Set(before.map((a) => a.who))).toEqual(new Set(['n2']));

    // fail-over: n3 becomes the primary
    list[1].primary = false;
    list[2].primary = true;
    const flip = performance.now();
    await sleep(INTER * 2 + 800);
    await traffic.stop();
    const settled = traffic.answers.filter((a) => a.at > flip + INTER * 2 + 300);
    expect(settled.length).toBeGreaterThan(10);
    expect(new Set(settled.map((a) => a.who))).toEqual(new Set(['n3']));
    await proxy.stop();
  });

  it('differential: the same state-change sentences as HAProxy for the same deaths and returns', async () => {
    requireHaproxy();
    const run = async (binary: Binary): Promise<string[]> => {
      const [a, b] = (await startNodes([`${binary}-a`, `${binary}-b`])) as [Node, Node];
      const [port] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        [
          ...defaults('http'),
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  default_backend be',
          'backend be',
          '  option httpchk GET /health',
          `  default-server check inter ${INTER} fall 2 rise 2`,
          `  server s1 127.0.0.1:${a.port}`,
          `  server s2 127.0.0.1:${b.port}`,
          '',
        ].join('\n'),
        `checks-diff-${binary}.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      // let the first checks pass (HAProxy's very first ones may time out on a stale clock:
      // only what follows the first death is compared), then: s1 dies, comes back; s2 dies; both die
      await sleep(INTER * 8);
      const from = proxy.stderr().length;
      await a.kill();
      await sleep(INTER * 6);
      await a.start();
      await sleep(INTER * 6);
      await b.kill();
      await sleep(INTER * 6);
      await a.kill();
      await sleep(INTER * 6);
      const lines = proxy
        .stderr()
        .slice(from)
        .split('\n')
        .filter((l) => /Server be\/|has no server available/.test(l))
        // the pid, the level's padding and check durations differ
        .map((l) =>
          l
            .replace(/^\[(\w+)\]\s+\(\d+\) : /, '[$1] ')
            .replace(/check duration: \d+ms/, 'check duration: Nms'),
        );
      await proxy.stop();
      return lines;
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want.length).toBeGreaterThanOrEqual(4);
    expect(got).toEqual(want);
  });

  it('slowstart: a server back from DOWN takes a growing share of the traffic', async () => {
    const [s1, s2] = (await startNodes(['s1', 's2'])) as [Node, Node];
    const [port] = (await freePorts(1)) as [number];
    const cfg = writeConfig(
      [
        ...defaults('http'),
        '  retries 1',
        '  option redispatch',
        'frontend fe',
        `  bind 127.0.0.1:${port}`,
        '  default_backend be',
        'backend be',
        `  default-server check inter ${INTER} fall 1 rise 1`,
        `  server s1 127.0.0.1:${s1.port} slowstart 4s`,
        `  server s2 127.0.0.1:${s2.port}`,
        '',
      ].join('\n'),
      'checks-slowstart.cfg',
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
    await s1.kill();
    await sleep(INTER * 3 + 200);
    await s1.start();
    // UP after one good check; the first second after that is the start of the ramp
    await until(() => /Server be\/s1 is UP/.test(proxy.stderr()), 3000);
    const up = performance.now();
    const traffic = loop(port, 10);
    await sleep(1000);
    const early = traffic.answers.filter((a) => a.at > up && a.at < up + 1000);
    await sleep(4000);
    await traffic.stop();
    const late = traffic.answers.filter((a) => a.at > up + 4300);
    const share = (list: Answer[]) => list.filter((a) => a.who === 's1').length / list.length;
    expect(early.length).toBeGreaterThan(20);
    expect(late.length).toBeGreaterThan(20);
    // without slowstart s1 would take half at once
    expect(share(early)).toBeLessThan(0.3);
    expect(share(late)).toBeGreaterThan(0.35);
    await proxy.stop();
  });

  it('on-marked-down shutdown-sessions: a server marked down loses its established sessions', async () => {
    // data on one port (an echo server), checks on another that we can close
    const echo = net.createServer((c) => c.pipe(c));
    const probe = net.createServer((c) => c.end());
    const sockets = new Set<net.Socket>();
    echo.on('connection', (c) => sockets.add(c));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const dataPort = (echo.address() as net.AddressInfo).port;
    const checkPort = (probe.address() as net.AddressInfo).port;
    const [port] = (await freePorts(1)) as [number];
    const cfg = writeConfig(
      [
        ...defaults('tcp', '200ms', '10s'),
        'listen l',
        `  bind 127.0.0.1:${port}`,
        `  server s1 127.0.0.1:${dataPort} check port ${checkPort} inter ${INTER} fall 1 rise 1 on-marked-down shutdown-sessions`,
        '',
      ].join('\n'),
      'checks-shutdown.cfg',
    );
    const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
    try {
      const client = net.connect(port, '127.0.0.1');
      let echoed = '';
      let closedAt = 0;
      client.on('data', (d: Buffer) => {
        echoed += d.toString('latin1');
      });
      client.on('error', () => undefined);
      client.on('close', () => {
        closedAt = performance.now();
      });
      client.write('hello');
      await until(() => echoed === 'hello', 2000);
      expect(echoed).toBe('hello');
      // the check port dies: s1 is marked down and its session is cut, though the data port lives
      const death = performance.now();
      await new Promise<void>((r) => probe.close(() => r()));
      await until(() => closedAt > 0, 3000);
      expect(closedAt).toBeGreaterThan(0);
      expect(closedAt - death).toBeLessThan(INTER * 2 + 1500);
      // the sessions are cut as the state changes; the sentence reaches stderr through a pipe
      await until(() => /Server l\/s1 is DOWN/.test(proxy.stderr()), 2000);
      expect(proxy.stderr()).toMatch(/Server l\/s1 is DOWN/);
    } finally {
      await proxy.stop();
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('observe layer7 with error-limit and on-error mark-down: the same servers answer as in HAProxy', async () => {
    requireHaproxy();
    // s1 passes its health check but answers 500 to traffic: traffic marks it down
    const bad = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 500, { 'content-length': 2 });
      res.end('s1');
    });
    const good = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('s2');
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => good.listen(0, '127.0.0.1', r));
    const run = async (binary: Binary): Promise<string[]> => {
      const [port] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        [
          ...defaults('http', '1s'),
          'listen l',
          `  bind 127.0.0.1:${port}`,
          '  option httpchk GET /health',
          `  server s1 127.0.0.1:${(bad.address() as net.AddressInfo).port} check inter 10s observe layer7 error-limit 3 on-error mark-down`,
          `  server s2 127.0.0.1:${(good.address() as net.AddressInfo).port} check inter 10s`,
          '',
        ].join('\n'),
        `checks-observe-${binary}.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const got: string[] = [];
      for (let i = 0; i < 14; i++) got.push(await ask(port));
      await proxy.stop();
      return got;
    };
    try {
      const want = await run('haproxy');
      const got = await run('haproxyd');
      expect(got).toEqual(want);
      // the 500s stop once s1 was marked down
      expect(want.slice(-6)).toEqual(Array(6).fill('s2'));
      expect(want.filter((w) => w !== 's2').length).toBeGreaterThanOrEqual(3);
    } finally {
      await new Promise<void>((r) => bad.close(() => r()));
      await new Promise<void>((r) => good.close(() => r()));
    }
  });

  it('server state changes reach the global log targets, as HAProxy sends them', async () => {
    requireHaproxy();
    const run = async (binary: Binary): Promise<string> => {
      const sink = await startSyslogSink();
      const [port, dead] = (await freePorts(2)) as [number, number];
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  mode http',
          '  log global',
          '  option httplog',
          '  timeout connect 200ms',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${dead} check inter ${INTER} fall 1`,
          '',
        ].join('\n'),
        `checks-syslog-${binary}.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const line = await sink.waitFor(/Server be\/s1 is DOWN/, 3000);
      await proxy.stop();
      await sink.close();
      // the message after the syslog header, check duration masked
      return line.slice(line.indexOf('Server be/s1')).replace(/check duration: \d+ms/, 'check duration: Nms');
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toBe(want);
  });
});
