// Differential tests: the real HAProxy 2.6 and @hap/balance choose servers for the same
// request sequences. One haproxy process serves one `listen` section per scenario; its
// servers are tiny Node HTTP servers answering their own name. Requests go one at a time
// with `Connection: close`, so each is balanced on its own (mode http balances every
// request). Runtime changes go through HAProxy's stats socket and, on our side, through
// the balancer. The sequences are the golden data: they are produced afresh from the
// installed haproxy on every run, and compared whole.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  cleanupAll,
  freePorts,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startRawBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avalanche, createBalancer, hashCrc32, hashDjb2, hashSdbm, hashWt6 } from '../src/index.ts';
import { cli, get, keyOf, type Req, type Scenario, section, serversOf, settle } from './harness.ts';

const SERVER_NAMES = ['s1', 's2', 's3', 's4', 's5'];

// --- request material ---------------------------------------------------------------

const PATHS: string[] = [];
for (let i = 0; i < 48; i++) {
  const dir = ['img', 'css', 'api', 'static', 'a'][i % 5];
  PATHS.push(`/${dir}/v${i % 7}/item${i}.${i % 3 ? 'png' : 'js'}${i % 4 === 0 ? `?id=${i}&x=${i * 7}` : ''}`);
}
const HOSTS = [
  'www.example.com',
  'example.com',
  'haproxy.1wt.eu',
  'api.example.org',
  'shop.example.net',
  'a.b.c.d.example',
  'localhost',
  'cdn.example.com',
  'images.example.com',
  'mail.example.org',
  'intranet',
  'www.example.org',
];
const CLIENTS = Array.from({ length: 30 }, (_, i) => `127.0.${i % 3}.${10 + i * 7}`);

const paths = (list: string[]): Req[] => list.map((path) => ({ path }));
const times = (n: number, req: Req = {}): Req[] => Array.from({ length: n }, () => req);

// --- scenarios ------------------------------------------------------------------------

const S = (name: string, weight?: number, extra: Partial<Scenario['servers'][number]> = {}) => ({
  name,
  ...(weight !== undefined ? { weight } : {}),
  ...extra,
});

const SCENARIOS: Scenario[] = [
  // roundrobin
  {
    name: 'rr-321',
    balance: 'roundrobin',
    servers: [S('s1', 3), S('s2', 2), S('s3', 1)],
    steps: [{ send: times(200) }],
  },
  {
    name: 'rr-111',
    balance: 'roundrobin',
    servers: [S('s1'), S('s2'), S('s3')],
    steps: [{ send: times(30) }],
  },
  {
    name: 'rr-532',
    balance: 'roundrobin',
    servers: [S('s1', 5), S('s2', 3), S('s3', 2)],
    steps: [{ send: times(400) }],
  },
  {
    name: 'rr-wide',
    balance: 'roundrobin',
    servers: [S('s1', 10), S('s2', 7), S('s3', 3), S('s4', 1), S('s5', 1)],
    steps: [{ send: times(150) }],
  },
  {
    name: 'rr-backup',
    balance: 'roundrobin',
    servers: [S('s1', 2), S('s2', 1), S('s3', 1, { backup: true }), S('s4', 2, { backup: true })],
    steps: [
      { send: times(12) },
      { cli: 'set server rr-backup/s1 state maint', apply: (b, s) => b.setState(s.s1!, 'maint') },
      { cli: 'set server rr-backup/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: times(6) },
      { cli: 'set server rr-backup/s3 state maint', apply: (b, s) => b.setState(s.s3!, 'maint') },
      { send: times(4) },
      { cli: 'set server rr-backup/s3 state ready', apply: (b, s) => b.setState(s.s3!, 'up') },
      { send: times(4) },
      { cli: 'set server rr-backup/s2 state ready', apply: (b, s) => b.setState(s.s2!, 'up') },
      { send: times(6) },
      { cli: 'set server rr-backup/s1 state ready', apply: (b, s) => b.setState(s.s1!, 'up') },
      { send: times(18) },
    ],
  },
  {
    name: 'rr-allbackups',
    balance: 'roundrobin',
    lines: ['option allbackups'],
    options: { allBackups: true },
    servers: [S('s1', 1, { disabled: true }), S('s2', 2, { backup: true }), S('s3', 1, { backup: true })],
    steps: [
      { send: times(12) },
      { cli: 'set server rr-allbackups/s1 state ready', apply: (b, s) => b.setState(s.s1!, 'up') },
      { send: times(6) },
    ],
  },
  {
    name: 'rr-ops',
    balance: 'roundrobin',
    servers: [S('s1', 3), S('s2', 2), S('s3', 1)],
    steps: [
      { send: times(10) },
      { cli: 'set weight rr-ops/s1 1', apply: (b, s) => b.setWeight(s.s1!, 1) },
      { send: times(10) },
      { cli: 'set server rr-ops/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: times(10) },
      { cli: 'set server rr-ops/s2 state ready', apply: (b, s) => b.setState(s.s2!, 'up') },
      { send: times(20) },
      { cli: 'set server rr-ops/s3 state drain', apply: (b, s) => b.setState(s.s3!, 'drain') },
      { send: times(6) },
      { cli: 'set server rr-ops/s3 state ready', apply: (b, s) => b.setState(s.s3!, 'up') },
      { send: times(12) },
      { cli: 'set weight rr-ops/s2 8', apply: (b, s) => b.setWeight(s.s2!, 8) },
      { send: times(30) },
      { cli: 'set weight rr-ops/s3 0', apply: (b, s) => b.setWeight(s.s3!, 0) },
      { send: times(8) },
      { cli: 'set weight rr-ops/s3 2', apply: (b, s) => b.setWeight(s.s3!, 2) },
      { send: times(30) },
    ],
  },
  {
    // 1000 s of slow start: HAProxy's weight factor stays at 1/16 for the first minute
    name: 'rr-slowstart',
    balance: 'roundrobin',
    servers: [S('s1', 4, { slowstart: 1_000_000 }), S('s2', 1), S('s3', 1)],
    steps: [
      { send: times(6) },
      { cli: 'set server rr-slowstart/s1 state maint', apply: (b, s) => b.setState(s.s1!, 'maint', 0) },
      { send: times(4) },
      { cli: 'set server rr-slowstart/s1 state ready', apply: (b, s) => b.setState(s.s1!, 'up', 0) },
      { send: times(40) },
    ],
  },
  // static-rr
  {
    name: 'srr-321',
    balance: 'static-rr',
    servers: [S('s1', 3), S('s2', 2), S('s3', 1)],
    steps: [
      { send: times(50) },
      { cli: 'set server srr-321/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: times(12) },
      { cli: 'set server srr-321/s2 state ready', apply: (b, s) => b.setState(s.s2!, 'up') },
      { send: times(12) },
    ],
  },
  {
    name: 'srr-wide',
    balance: 'static-rr',
    servers: [S('s1', 4), S('s2', 6), S('s3', 2), S('s4', 8)],
    steps: [{ send: times(40) }],
  },
  {
    // no allbackups: HAProxy's map still spreads over every usable backup
    name: 'srr-backups',
    balance: 'static-rr',
    servers: [S('s1', 1, { disabled: true }), S('s2', 1, { backup: true }), S('s3', 1, { backup: true })],
    steps: [{ send: times(8) }],
  },
  {
    name: 'srr-backups2',
    balance: 'static-rr',
    servers: [S('s1', 1, { disabled: true }), S('s2', 2, { backup: true }), S('s3', 3, { backup: true })],
    steps: [{ send: times(8) }],
  },
  // leastconn and first
  {
    name: 'lc',
    balance: 'leastconn',
    settle: true,
    servers: [S('s1', 3), S('s2', 1), S('s3', 1)],
    steps: [
      { send: times(9) },
      { cli: 'set server lc/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: times(4) },
      { cli: 'set server lc/s2 state ready', apply: (b, s) => b.setState(s.s2!, 'up') },
      { send: times(6) },
    ],
  },
  {
    name: 'first',
    balance: 'first',
    servers: [S('s1', 1, { id: 3 }), S('s2', 1, { id: 1 }), S('s3', 1, { id: 2 })],
    steps: [
      { send: times(3) },
      { cli: 'set server first/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: times(3) },
    ],
  },
  // source
  {
    name: 'src-map',
    balance: 'source',
    servers: [S('s1'), S('s2', 2), S('s3'), S('s4')],
    steps: [{ send: CLIENTS.map((from) => ({ from })) }],
  },
  {
    name: 'src-chash',
    balance: 'source',
    lines: ['hash-type consistent'],
    options: { hashType: 'consistent' },
    servers: [S('s1'), S('s2', 2), S('s3'), S('s4')],
    steps: [
      { send: CLIENTS.map((from) => ({ from })) },
      { cli: 'set server src-chash/s2 state maint', apply: (b, s) => b.setState(s.s2!, 'maint') },
      { send: CLIENTS.map((from) => ({ from })) },
    ],
  },
  // uri
  {
    name: 'uri-map',
    balance: 'uri',
    servers: [S('s1'), S('s2'), S('s3', 2)],
    steps: [{ send: paths(PATHS) }],
  },
  {
    name: 'uri-whole',
    balance: 'uri whole',
    servers: [S('s1'), S('s2'), S('s3', 2)],
    steps: [{ send: paths(PATHS) }],
  },
  {
    name: 'uri-depth2',
    balance: 'uri depth 2',
    servers: [S('s1'), S('s2'), S('s3')],
    steps: [{ send: paths(PATHS) }],
  },
  {
    name: 'uri-len5',
    balance: 'uri len 5',
    servers: [S('s1'), S('s2'), S('s3')],
    steps: [{ send: paths(PATHS) }],
  },
  {
    name: 'uri-chash',
    balance: 'uri',
    lines: ['hash-type consistent'],
    options: { hashType: 'consistent' },
    servers: [S('s1'), S('s2'), S('s3', 2), S('s4', 3)],
    steps: [
      { send: paths(PATHS) },
      { cli: 'set weight uri-chash/s4 1', apply: (b, s) => b.setWeight(s.s4!, 1) },
      { send: paths(PATHS) },
      { cli: 'set server uri-chash/s1 state drain', apply: (b, s) => b.setState(s.s1!, 'drain') },
      { send: paths(PATHS) },
    ],
  },
  ...(
    [
      ['djb2', 'map-based djb2', { hashFunction: 'djb2' }],
      ['wt6', 'map-based wt6', { hashFunction: 'wt6' }],
      ['crc32', 'map-based crc32', { hashFunction: 'crc32' }],
      ['sdbm-av', 'map-based sdbm avalanche', { hashFunction: 'sdbm', avalanche: true }],
      ['djb2-av', 'map-based djb2 avalanche', { hashFunction: 'djb2', avalanche: true }],
      ['c-wt6', 'consistent wt6', { hashType: 'consistent', hashFunction: 'wt6' }],
      [
        'c-crc32-av',
        'consistent crc32 avalanche',
        { hashType: 'consistent', hashFunction: 'crc32', avalanche: true },
      ],
    ] as const
  ).map(
    ([tag, hashType, options]): Scenario => ({
      name: `uri-${tag}`,
      balance: 'uri whole',
      lines: [`hash-type ${hashType}`],
      options,
      servers: [S('s1'), S('s2', 3), S('s3'), S('s4', 2), S('s5')],
      steps: [{ send: paths(PATHS) }],
    }),
  ),
  // url_param: requests without the parameter take turns on the map
  {
    name: 'urlp',
    balance: 'url_param userid',
    servers: [S('s1'), S('s2', 2), S('s3')],
    steps: [
      {
        send: Array.from({ length: 36 }, (_, i) => ({
          path:
            i % 5 === 4
              ? `/page?other=${i}`
              : i % 7 === 3
                ? `/nothing/${i}`
                : `/page?a=1&userid=${(i * 37) % 11}&b=${i}`,
        })),
      },
    ],
  },
  {
    // the body of a POST is searched when the query has no such parameter
    name: 'urlp-post',
    balance: 'url_param userid check_post',
    lines: ['option http-buffer-request'],
    servers: [S('s1'), S('s2', 2), S('s3')],
    steps: [
      {
        send: Array.from({ length: 24 }, (_, i) =>
          i % 4 === 0
            ? { path: `/form?userid=${i}` }
            : {
                path: '/form',
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: i % 4 === 1 ? `a=1&userid=u${i * 3}&b=2` : i % 4 === 2 ? `userid=${i}` : `nothing=${i}`,
              },
        ),
      },
    ],
  },
  {
    // absolute-form request targets: the authority is hashed unless path-only
    name: 'uri-abs',
    balance: 'uri',
    servers: [S('s1'), S('s2'), S('s3'), S('s4')],
    steps: [
      {
        send: PATHS.slice(0, 24).map((p, i) => ({
          path: `http://host${i % 3}.example${p}`,
          headers: { host: `host${i % 3}.example` },
        })),
      },
    ],
  },
  {
    name: 'uri-pathonly',
    balance: 'uri path-only whole',
    servers: [S('s1'), S('s2'), S('s3'), S('s4')],
    steps: [
      {
        send: PATHS.slice(0, 24).map((p, i) =>
          i % 2
            ? { path: `http://host${i % 3}.example${p}`, headers: { host: `host${i % 3}.example` } }
            : { path: p },
        ),
      },
    ],
  },
  {
    // consistent hashing over backups: the first backup takes everything, or all of them
    name: 'src-chash-bk',
    balance: 'source',
    lines: ['hash-type consistent'],
    options: { hashType: 'consistent' },
    servers: [S('s1'), S('s2', 1, { backup: true }), S('s3', 1, { backup: true })],
    steps: [
      { send: CLIENTS.slice(0, 8).map((from) => ({ from })) },
      { cli: 'set server src-chash-bk/s1 state maint', apply: (b, s) => b.setState(s.s1!, 'maint') },
      { send: CLIENTS.slice(0, 8).map((from) => ({ from })) },
    ],
  },
  {
    name: 'src-chash-allbk',
    balance: 'source',
    lines: ['hash-type consistent', 'option allbackups'],
    options: { hashType: 'consistent', allBackups: true },
    servers: [S('s1', 1, { disabled: true }), S('s2', 1, { backup: true }), S('s3', 2, { backup: true })],
    steps: [{ send: CLIENTS.map((from) => ({ from })) }],
  },
  {
    name: 'src-map-allbk',
    balance: 'source',
    lines: ['option allbackups'],
    options: { allBackups: true },
    servers: [S('s1', 1, { disabled: true }), S('s2', 1, { backup: true }), S('s3', 2, { backup: true })],
    steps: [{ send: CLIENTS.map((from) => ({ from })) }],
  },
  // hdr
  {
    name: 'hdr-chash',
    balance: 'hdr(host)',
    lines: ['hash-type consistent'],
    options: { hashType: 'consistent' },
    servers: [S('s1'), S('s2'), S('s3'), S('s4', 2)],
    steps: [{ send: HOSTS.map((host) => ({ headers: { host } })) }],
  },
  {
    name: 'hdr-map',
    balance: 'hdr(host)',
    servers: [S('s1'), S('s2'), S('s3'), S('s4', 2)],
    steps: [{ send: HOSTS.map((host) => ({ headers: { host } })) }],
  },
  {
    name: 'hdr-domain',
    balance: 'hdr(Host) use_domain_only',
    servers: [S('s1'), S('s2'), S('s3')],
    steps: [{ send: HOSTS.map((host) => ({ headers: { host } })) }],
  },
  {
    // a missing header makes HAProxy walk the ring
    name: 'hdr-missing',
    balance: 'hdr(x-user)',
    lines: ['hash-type consistent'],
    options: { hashType: 'consistent' },
    servers: [S('s1'), S('s2'), S('s3')],
    steps: [
      {
        send: Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0 ? {} : { headers: { 'x-user': i % 2 ? `user${i}` : ` u${i} , second` } },
        ),
      },
    ],
  },
  // hash <expr>: we are given the bytes the expression yields
  {
    name: 'hash-expr',
    balance: 'hash req.hdr(x-k)',
    key: (req) => ({ hashKey: req.headers?.['x-k'] ?? '' }),
    servers: [S('s1'), S('s2'), S('s3', 2)],
    steps: [{ send: Array.from({ length: 24 }, (_, i) => ({ headers: { 'x-k': `key-${i * 13}` } })) }],
  },
];

// --- the run --------------------------------------------------------------------------

const socketPath = () => join(tempDir(), 'haproxy.sock');
let ports: Record<string, number> = {};
let hashPort = 0;
let rdpPort = 0;
const results: Record<string, { haproxy: string[]; balance: string[] }> = {};

beforeAll(async () => {
  requireHaproxy();
  const addrs: Record<string, string> = {};
  for (const name of SERVER_NAMES) {
    const b = await startHttpBackend(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(name);
      },
      { name },
    );
    addrs[name] = b.addr;
  }
  // TCP servers for rdp-cookie: they answer their name and close
  const rdpServers: string[] = [];
  for (const [name, weight] of RDP_SERVERS) {
    const b = await startRawBackend(
      (socket) => {
        socket.on('data', () => {});
        socket.end(name);
      },
      { name },
    );
    rdpServers.push(`  server ${name} ${b.addr} weight ${weight}`);
  }
  const list = await freePorts(SCENARIOS.length + 2);
  ports = Object.fromEntries(SCENARIOS.map((sc, i) => [sc.name, list[i]!]));
  hashPort = list[SCENARIOS.length]!;
  rdpPort = list[SCENARIOS.length + 1]!;
  const cfg = [
    'global',
    `  stats socket ${socketPath()} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 10s',
    '  timeout server 10s',
    ...SCENARIOS.map((sc) => section(sc, ports[sc.name]!, addrs)),
    // HAProxy's own hash converters, to compare the functions value for value
    'listen hashes',
    `  bind 127.0.0.1:${hashPort}`,
    '  http-request return status 200 content-type text/plain lf-string "%[query,url_dec,sdbm] %[query,url_dec,djb2] %[query,url_dec,wt6] %[query,url_dec,crc32] %[query,url_dec,sdbm(1)] %[query,url_dec,djb2(1)] %[query,url_dec,wt6(1)] %[query,url_dec,crc32(1)]"',
    'listen rdp',
    '  mode tcp',
    `  bind 127.0.0.1:${rdpPort}`,
    '  tcp-request inspect-delay 300ms',
    '  tcp-request content accept if RDP_COOKIE',
    '  balance rdp-cookie',
    ...rdpServers,
    '',
  ].join('\n');
  const file = writeConfig(cfg);
  await startProxy('haproxy', file, { readyPorts: [...list] });
}, 60_000);

afterAll(async () => {
  const out = process.env['BALANCE_DIFF_OUT'];
  if (out) writeFileSync(out, JSON.stringify(results, null, 1));
  await cleanupAll();
});

describe('the same servers as the real HAProxy, in the same order', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.name}: balance ${sc.balance}${sc.lines?.length ? ` (${sc.lines.join(', ')})` : ''}`, async () => {
      const port = ports[sc.name]!;
      const servers = serversOf(sc);
      const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
      const [word, ...args] = sc.balance.split(' ');
      const b = createBalancer(word!, args, sc.options ?? {}, servers);
      const theirs: string[] = [];
      const ours: string[] = [];
      for (const step of sc.steps) {
        if ('cli' in step) {
          const answer = await cli(socketPath(), step.cli);
          expect(answer.trim(), step.cli).toBe('');
          step.apply(b, byName);
          theirs.push(`# ${step.cli}`);
          ours.push(`# ${step.cli}`);
          continue;
        }
        for (const req of step.send) {
          theirs.push(await get(port, req));
          if (sc.settle) await settle(socketPath(), sc.name);
          const picked = b.pick({ ...keyOf(port, req), ...sc.key?.(req) });
          ours.push(picked?.name ?? '(none)');
          // the request ran and ended, as on HAProxy's side
          if (picked) {
            b.taken(picked);
            b.released(picked);
          }
        }
      }
      results[sc.name] = { haproxy: theirs, balance: ours };
      expect(ours).toEqual(theirs);
    });
  }
});

const RDP_SERVERS = [
  ['r1', 1],
  ['r2', 2],
  ['r3', 1],
] as const;

/** An RDP connection request (TPKT + X.224 CR), with an optional cookie line. */
function rdpRequest(cookie: string | null): Buffer {
  const line = Buffer.from(cookie ?? '', 'latin1');
  const negotiation = Buffer.from([0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]);
  const li = 6 + line.length + negotiation.length;
  const total = 5 + li;
  const head = Buffer.from([0x03, 0x00, total >> 8, total & 0xff, li, 0xe0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, line, negotiation]);
}

/** Sends `payload` on a new TCP connection and resolves with everything received. */
function exchange(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => {
      resolve(Buffer.concat(chunks).toString('latin1'));
      sock.destroy();
    });
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error('rdp exchange timed out')));
  });
}

describe('rdp-cookie over TCP', () => {
  it('balance rdp-cookie: the mstshash cookie, turns without it', async () => {
    const servers = RDP_SERVERS.map(([name, weight]) => ({
      name,
      weight,
      backup: false,
      state: 'up' as const,
      served: 0,
      maxconn: 0,
    }));
    const b = createBalancer('rdp-cookie', [], {}, servers);
    const cookies = Array.from({ length: 20 }, (_, i) =>
      i % 7 === 6
        ? null
        : i % 5 === 4
          ? `Cookie: other=x${i}\r\n`
          : `Cookie: mstshash=user${(i * 5) % 9}\r\n`,
    );
    const theirs: string[] = [];
    const ours: string[] = [];
    for (const cookie of cookies) {
      const payload = rdpRequest(cookie);
      theirs.push(await exchange(rdpPort, payload));
      ours.push(b.pick({ payload })?.name ?? '(none)');
    }
    results['rdp'] = { haproxy: theirs, balance: ours };
    expect(ours).toEqual(theirs);
  });
});

describe("hash functions: the values of HAProxy's converters", () => {
  const inputs = [
    '',
    'a',
    'abc',
    '/index.html',
    'haproxy.1wt.eu',
    '123456789',
    'The%20quick%20brown%20fox',
    '%80%ff%7f%01%20bytes',
    '%c3%a9t%c3%a9',
    'x'.repeat(300),
  ];
  it('sdbm, djb2, wt6, crc32, with and without avalanche', async () => {
    for (const input of inputs) {
      const answer = await get(hashPort, { path: `/?${input}` });
      const bytes = Buffer.from(decodeURIComponentBytes(input));
      const plain = [hashSdbm(bytes), hashDjb2(bytes), hashWt6(bytes), hashCrc32(bytes)];
      const ours = [...plain, ...plain.map(avalanche)].join(' ');
      expect(ours, JSON.stringify(input)).toBe(answer);
    }
  });
});

/** Percent-decoding to raw bytes (decodeURIComponent would insist on UTF-8). */
function decodeURIComponentBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i));
  }
  return Uint8Array.from(out);
}
