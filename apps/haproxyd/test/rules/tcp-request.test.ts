// Differential: tcp-request rules. `tcp-request connection accept|reject` (src ACLs; a
// rejected client sees its connection closed without a byte), `tcp-request session`,
// `tcp-request content accept|reject|set-var` with `tcp-request inspect-delay` in mode http
// (evaluated once the request head is parsed, before the http-request rules) and in mode tcp
// (on the raw bytes: req.payload, req.len, req.ssl_hello_type, WAIT_END, the default verdict
// when the delay expires), and content switching in mode tcp.
//
// In mode tcp the client's bytes are relayed as they are; when they form an HTTP request the
// recording backend answers it, otherwise it records them and stays silent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observed, type Pair, startPair } from '../http/harness.ts';
import { DEFAULTS, frontend, GET, type RuleCase, request, sequence, toCase } from './common.ts';

const TEMPLATE = [
  ...DEFAULTS,
  ...frontend('creject', ['tcp-request connection reject if { src 127.0.0.0/8 }', 'default_backend be']),
  ...frontend('caccept', [
    'tcp-request connection accept if { src 127.0.0.1 }',
    'tcp-request connection reject',
    'default_backend be',
  ]),
  ...frontend('cother', ['tcp-request connection reject if { src 10.0.0.0/8 }', 'default_backend be']),
  ...frontend('cunless', [
    'tcp-request connection reject unless LOCALHOST',
    'tcp-request connection set-var(sess.c) str(conn-var)',
    'http-request set-header X-C %[var(sess.c)]',
    'default_backend be',
  ]),
  ...frontend('sreject', ['tcp-request session reject if { src 127.0.0.1 }', 'default_backend be']),
  ...frontend('hcontent', [
    'tcp-request inspect-delay 1s',
    'tcp-request content set-var(txn.t) str(from-tcp-content)',
    'tcp-request content reject if { path_beg /reject }',
    'tcp-request content accept if { req.hdr(x-ok) -m found }',
    'tcp-request content reject if { path_beg /need-ok }',
    'http-request set-header X-T %[var(txn.t)]',
    'http-request deny if { path_beg /need-ok/deny }',
    'default_backend be',
  ]),
  ...frontend('hmeth', [
    'tcp-request inspect-delay 1s',
    'tcp-request content reject if METH_POST { req.hdr(content-length) -m found } !{ req.hdr(x-allow-post) -m found }',
    'tcp-request content reject if { req.cook(block) -m found }',
    'default_backend be_content',
  ]),
  ...frontend('sessvar', [
    'tcp-request session set-var(sess.s) str(from-session)',
    'http-request set-header X-S %[var(sess.s)]',
    'default_backend be',
  ]),
  'listen lreject',
  `  bind \${FE_lreject}`,
  '  tcp-request connection reject if { src 127.0.0.1 }',
  `  server s1 \${BE}`,
  ...frontend('hnodelay', [
    'tcp-request content reject if { req.hdr(x-bad) -m found }',
    'default_backend be',
  ]),
  ...frontend('tcontent', [
    'mode tcp',
    'tcp-request inspect-delay 500ms',
    'tcp-request content reject if { req.payload(0,4) -m str EVIL }',
    'tcp-request content reject if { req.ssl_hello_type 1 }',
    'tcp-request content reject if { req.payload(0,3) -m bin 000102 }',
    'tcp-request content accept if { req.payload(0,4) -m str "GET " }',
    'tcp-request content accept if { req.len ge 8 }',
    'default_backend be_tcp',
  ]),
  ...frontend('tswitch', [
    'mode tcp',
    'tcp-request inspect-delay 500ms',
    'tcp-request content accept if { req.len ge 4 }',
    'use_backend be_tcp_dead if { req.payload(0,4) -m str DEAD }',
    'use_backend be_tcp if { req.payload(0,4) -m str "GET " }',
    'default_backend be_tcp_dead',
  ]),
  ...frontend('tvar', [
    'mode tcp',
    'tcp-request inspect-delay 500ms',
    'tcp-request content set-var(txn.p) req.payload(0,4) if { req.len ge 4 }',
    'tcp-request content accept if { var(txn.p) -m found }',
    'use_backend be_tcp_dead if { var(txn.p) -m str DEAD }',
    'default_backend be_tcp',
  ]),
  ...frontend('thttp', ['mode tcp', 'default_backend be_http_from_tcp']),
  ...frontend('twait', [
    'mode tcp',
    'tcp-request inspect-delay 300ms',
    'tcp-request content accept if WAIT_END',
    'default_backend be_tcp',
  ]),
  // `req.len lt 4` alone would match at once on the still empty buffer (a match is final even
  // when more data may come): WAIT_END defers the verdict to the end of the delay.
  ...frontend('tfinal', [
    'mode tcp',
    'tcp-request inspect-delay 300ms',
    'tcp-request content reject if { req.len lt 4 } WAIT_END',
    'default_backend be_tcp',
  ]),
  'backend be',
  `  server s1 \${BE}`,
  'backend be_content',
  '  tcp-request content reject if { path_beg /be-reject }',
  '  http-request set-header X-Be-Content passed',
  `  server s1 \${BE}`,
  'backend be_http_from_tcp',
  '  mode http',
  '  http-request set-header X-From tcp-frontend',
  `  server s1 \${BE}`,
  'backend be_tcp',
  '  mode tcp',
  `  server s1 \${BE}`,
  'backend be_tcp_dead',
  '  mode tcp',
  '  timeout connect 200ms',
  '  retries 0',
  `  server s1 \${DEAD}`,
  '',
].join('\n');

const FRONTENDS = [
  'creject',
  'caccept',
  'cother',
  'cunless',
  'sreject',
  'hcontent',
  'hnodelay',
  'tcontent',
  'tswitch',
  'twait',
  'tfinal',
  'hmeth',
  'sessvar',
  'lreject',
  'tvar',
  'thttp',
];

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: FRONTENDS });
});
afterAll(async () => {
  await pair?.close();
});

const run = (cases: RuleCase[]) =>
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });

/** The proxy closed the connection without sending a byte; nothing reached the backend. */
const silentClose = (o: Observed) => {
  expect(o.raw.client.data.length, `${o.side.name}: bytes received`).toBe(0);
  expect(o.norm.client.closed, `${o.side.name}: closed`).toBe(true);
  expect(o.norm.backend.connections, `${o.side.name}: backend connections`).toBe(0);
};

/** The first byte arrived between lo and hi ms after connecting. */
const firstByte = (lo: number, hi: number) => (o: Observed) => {
  const t = o.raw.client.firstByteMs;
  expect(t, `${o.side.name}: first byte at ${t} ms`).toBeGreaterThanOrEqual(lo);
  expect(t, `${o.side.name}: first byte at ${t} ms`).toBeLessThanOrEqual(hi);
};

describe('tcp-request connection and session', () => {
  run([
    {
      name: 'connection reject: closed without a response',
      frontend: 'creject',
      send: GET('/'),
      want: { status: [], extra: silentClose },
    },
    {
      name: 'connection reject: even before the client sends anything',
      frontend: 'creject',
      send: [{ delay: 50 }],
      client: { idleMs: 300 },
      want: { status: [], extra: silentClose },
    },
    {
      name: 'accept stops the connection rules',
      frontend: 'caccept',
      send: GET('/'),
      want: { status: 200, forwarded: 1 },
    },
    {
      name: 'reject condition not met',
      frontend: 'cother',
      send: GET('/'),
      want: { status: 200, forwarded: 1 },
    },
    {
      name: 'reject unless LOCALHOST; a variable set at connection time',
      frontend: 'cunless',
      send: sequence([GET('/1'), GET('/2')]),
      want: { status: [200, 200], ups: [{ 'x-c': 'conn-var' }, { 'x-c': 'conn-var' }] },
    },
    {
      name: 'session reject: closed without a response',
      frontend: 'sreject',
      send: GET('/'),
      want: { status: [], extra: silentClose },
    },
    {
      name: 'session variable seen by http-request rules of each request',
      frontend: 'sessvar',
      send: sequence([GET('/1'), GET('/2')]),
      want: { status: [200, 200], ups: [{ 'x-s': 'from-session' }, { 'x-s': 'from-session' }] },
    },
    {
      name: 'connection reject in a listen section',
      frontend: 'lreject',
      send: GET('/'),
      want: { status: [], extra: silentClose },
    },
  ]);
});

describe('tcp-request content in mode http', () => {
  const h = (
    name: string,
    send: string | RuleCase['send'],
    want: RuleCase['want'],
    frontend = 'hcontent',
  ): RuleCase => ({
    name,
    frontend,
    send,
    want,
    client: { idleMs: 300 },
  });
  run([
    h('no rule matches: accepted, the content variable is seen by http-request', GET('/x'), {
      status: 200,
      forwarded: 1,
      up: { 'x-t': 'from-tcp-content' },
    }),
    h('reject on the path: closed without a response', GET('/reject/x'), { status: [], extra: silentClose }),
    h('accept stops the content rules', GET('/need-ok', ['X-Ok: 1']), { status: 200, forwarded: 1 }),
    h('the rule after accept', GET('/need-ok'), { status: [], extra: silentClose }),
    h('http-request rules still run after a content accept', GET('/need-ok/deny', ['X-Ok: 1']), {
      status: 403,
      forwarded: 0,
    }),
    h(
      'head sent in two parts: rules wait for the whole head',
      [GET('/reject/slow').slice(0, 10), { delay: 60 }, GET('/reject/slow').slice(10)],
      {
        status: [],
        extra: silentClose,
      },
    ),
    h(
      'rules run again for the second request of a connection',
      sequence([GET('/ok'), GET('/reject/second')]),
      { status: [200], forwarded: 1, closed: true },
    ),
    h(
      'reject a POST with a body',
      request('POST', '/p', [], { body: 'abc' }),
      { status: [], extra: silentClose },
      'hmeth',
    ),
    h(
      'a POST with the allowing header',
      request('POST', '/p', ['X-Allow-Post: 1'], { body: 'abc' }),
      { status: 200, forwarded: 1, up: { 'x-be-content': 'passed' } },
      'hmeth',
    ),
    h('a GET passes', GET('/g'), { status: 200, forwarded: 1 }, 'hmeth'),
    h('reject on a cookie', GET('/g', ['Cookie: a=1; block=1']), { status: [], extra: silentClose }, 'hmeth'),
    h(
      'content reject in the backend section',
      GET('/be-reject/x'),
      { status: [], extra: silentClose },
      'hmeth',
    ),
    h(
      'no inspect-delay in mode http: the head is still parsed first',
      GET('/x', ['X-Bad: 1']),
      { status: [], extra: silentClose },
      'hnodelay',
    ),
    h('no inspect-delay, accepted', GET('/x'), { status: 200, forwarded: 1 }, 'hnodelay'),
  ]);
});

describe('tcp-request content in mode tcp', () => {
  const t = (
    name: string,
    frontend: string,
    send: RuleCase['send'],
    want: RuleCase['want'],
    idleMs = 300,
  ): RuleCase => ({
    name,
    frontend,
    send,
    want,
    client: { idleMs },
  });
  const hello = Buffer.from([
    0x16,
    0x03,
    0x01,
    0x00,
    0x2f,
    0x01,
    0x00,
    0x00,
    0x2b,
    0x03,
    0x03,
    ...new Array(42).fill(0x11),
  ]);
  run([
    t('HTTP request accepted on "GET ": relayed as is', 'tcontent', GET('/raw'), {
      status: 200,
      forwarded: 1,
      line: 'GET /raw HTTP/1.1',
      extra: firstByte(0, 400),
    }),
    t('payload EVIL: rejected', 'tcontent', 'EVIL bytes\r\n', { status: [], extra: silentClose }),
    t('a TLS ClientHello: rejected', 'tcontent', [hello], { status: [], extra: silentClose }),
    t('8 bytes of something else: accepted and relayed', 'tcontent', 'HELLO-WORLD\r\n', {
      status: [],
      extra: (o) => {
        expect(o.norm.backend.connections, `${o.side.name}: backend connections`).toBe(1);
        expect(o.norm.backend.rest[0], `${o.side.name}: relayed bytes`).toMatch(/HELLO-WORLD/);
      },
    }),
    t(
      '3 bytes: no rule matches, the delay expires, accepted by default',
      'tcontent',
      'abc',
      {
        status: [],
        extra: (o) => {
          expect(o.norm.backend.connections, `${o.side.name}: backend connections`).toBe(1);
          expect(o.norm.backend.rest[0], `${o.side.name}: relayed bytes`).toMatch(/^abc/);
        },
      },
      900,
    ),
    t(
      'EVIL split over two writes: the first rule waits for 4 bytes',
      'tcontent',
      ['EV', { delay: 60 }, 'IL!'],
      { status: [], extra: silentClose },
    ),
    t('binary pattern: rejected', 'tcontent', [Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])], {
      status: [],
      extra: silentClose,
    }),
    t('use_backend on the payload', 'tswitch', GET('/switch'), { status: 200, forwarded: 1 }),
    t('a variable set from the payload chooses the backend', 'tvar', GET('/v'), {
      status: 200,
      forwarded: 1,
    }),
    t(
      'a variable set from the payload: refused backend',
      'tvar',
      'DEAD bytes',
      { status: [], extra: (o) => expect(o.norm.client.closed).toBe(true) },
      900,
    ),
    t(
      'tcp frontend, http backend: the backend http rules apply',
      'thttp',
      sequence([GET('/t1'), GET('/t2')]) as RuleCase['send'],
      {
        status: [200, 200],
        ups: [{ 'x-from': 'tcp-frontend' }, { 'x-from': 'tcp-frontend' }],
      },
    ),
    t(
      'use_backend to a refused server: closed',
      'tswitch',
      'DEAD bytes',
      { status: [], extra: (o) => expect(o.norm.client.closed).toBe(true) },
      900,
    ),
    t(
      'WAIT_END holds the data for the whole inspect-delay',
      'twait',
      GET('/wait'),
      { status: 200, forwarded: 1, extra: firstByte(240, 1200) },
      900,
    ),
    t(
      'the delay expires with too little data: the final evaluation rejects',
      'tfinal',
      'ab',
      {
        status: [],
        extra: (o) => {
          silentClose(o);
          expect(
            o.raw.client.elapsedMs,
            `${o.side.name}: closed at ${o.raw.client.elapsedMs} ms`,
          ).toBeGreaterThanOrEqual(240);
        },
      },
      900,
    ),
    t(
      'the delay expires with enough data: no rule matches, accepted',
      'tfinal',
      GET('/n'),
      { status: 200, forwarded: 1, extra: firstByte(240, 1200) },
      900,
    ),
  ]);
});
