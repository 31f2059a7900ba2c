// Differential: connection management. Keep-alive sequences, pipelining, Connection: close
// from either side, HTTP/1.0 keep-alive, the connection modes (http-keep-alive default,
// http-server-close, httpclose, no option http-keep-alive), server connection reuse
// (never / safe / always), option forwardfor (plain, except, header, if-none), Expect:
// 100-continue (with and without http-buffer-request), Upgrade: websocket → 101 → tunnel,
// CONNECT, and a few undici keep-alive clients.
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type Case,
  chunked,
  compareValues,
  type Observed,
  type Pair,
  req,
  runOn,
  type Side,
  startPair,
} from './harness.ts';
import { CLOSE, type ClientStep, ECHO, okResponse, type Script } from './peers.ts';

const MODES = ['main', 'sclose', 'hclose', 'noka', 'rnever', 'ralways', 'buffer'] as const;
const FF = ['ff', 'ffexcept', 'ffheader', 'ffifnone', 'ffall', 'ffexcept10'] as const;

const TEMPLATE = `
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
  timeout http-request 3s
  timeout http-keep-alive 3s
  timeout tunnel 5s
listen main
  bind \${FE_main}
  server s1 \${BE}
listen sclose
  bind \${FE_sclose}
  option http-server-close
  server s1 \${BE}
listen hclose
  bind \${FE_hclose}
  option httpclose
  server s1 \${BE}
listen noka
  bind \${FE_noka}
  no option http-keep-alive
  server s1 \${BE}
listen rnever
  bind \${FE_rnever}
  http-reuse never
  server s1 \${BE}
listen ralways
  bind \${FE_ralways}
  http-reuse always
  server s1 \${BE}
listen buffer
  bind \${FE_buffer}
  option http-buffer-request
  server s1 \${BE}
listen ff
  bind \${FE_ff}
  option forwardfor
  server s1 \${BE}
listen ffexcept
  bind \${FE_ffexcept}
  option forwardfor except 127.0.0.0/8
  server s1 \${BE}
listen ffexcept10
  bind \${FE_ffexcept10}
  option forwardfor except 10.0.0.0/8
  server s1 \${BE}
listen ffheader
  bind \${FE_ffheader}
  option forwardfor header X-Real-IP
  server s1 \${BE}
listen ffifnone
  bind \${FE_ffifnone}
  option forwardfor if-none
  server s1 \${BE}
listen ffall
  bind \${FE_ffall}
  option forwardfor except 10.0.0.0/8 header X-Client if-none
  server s1 \${BE}
`;

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: [...MODES, ...FF] });
});
afterAll(async () => {
  await pair?.close();
});

const GET = (path: string, extra: readonly string[] = [], v = 'HTTP/1.1') =>
  req([`GET ${path} ${v}`, 'Host: a', ...extra]);

/** n requests on one connection, each sent after the previous response arrived. */
function sequence(requests: readonly string[]): ClientStep[] {
  const steps: ClientStep[] = [];
  requests.forEach((r, i) => {
    steps.push(r, { waitResponses: i + 1, timeoutMs: 2000 });
  });
  return steps;
}

const ten = Array.from({ length: 10 }, (_, i) => GET(`/seq/${i}`));
const mixed = [
  GET('/m/0'),
  req(['POST /m/1 HTTP/1.1', 'Host: a', 'Content-Length: 5'], 'hello'),
  req(['PUT /m/2 HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'], chunked(['a', 'bc'])),
  req(['HEAD /m/3 HTTP/1.1', 'Host: a']),
  GET('/m/4'),
  req(['DELETE /m/5 HTTP/1.1', 'Host: a']),
  req(['OPTIONS * HTTP/1.1', 'Host: a']),
  req(['POST /m/7 HTTP/1.1', 'Host: a', 'Content-Length: 0']),
  GET('/m/8', ['Connection: keep-alive']),
  GET('/m/9'),
];
const mixedMethods = ['GET', 'POST', 'PUT', 'HEAD', 'GET', 'DELETE', 'OPTIONS', 'POST', 'GET', 'GET'];

// ---- keep-alive and connection modes ---------------------------------------------------------

describe('keep-alive sequences in each connection mode', () => {
  const cases: Case[] = [];
  for (const fe of MODES) {
    cases.push({
      name: `${fe}: 10 GETs in sequence`,
      frontend: fe,
      steps: sequence(ten),
      client: { responses: 10 },
    });
    cases.push({
      name: `${fe}: 10 mixed requests in sequence`,
      frontend: fe,
      steps: sequence(mixed),
      client: { responses: 10, methods: mixedMethods },
    });
    cases.push({
      name: `${fe}: 3 HTTP/1.0 keep-alive requests`,
      frontend: fe,
      steps: sequence([0, 1, 2].map((i) => GET(`/k/${i}`, ['Connection: keep-alive'], 'HTTP/1.0'))),
      client: { responses: 3 },
    });
    cases.push({
      name: `${fe}: HTTP/1.0 without keep-alive, then a second request`,
      frontend: fe,
      steps: [GET('/a', [], 'HTTP/1.0'), { waitResponses: 1 }, GET('/b', [], 'HTTP/1.0')],
      client: { responses: 2, idleMs: 300 },
    });
    cases.push({
      name: `${fe}: Connection: close on the second request`,
      frontend: fe,
      steps: sequence([GET('/1'), GET('/2', ['Connection: close']), GET('/3')]),
      client: { responses: 3, idleMs: 300 },
    });
    cases.push({
      name: `${fe}: client leaves after one response`,
      frontend: fe,
      steps: [GET('/leave')],
      backendSettleMs: 100,
    });
  }
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

describe('pipelining', () => {
  const cases: Case[] = [];
  for (const n of [2, 3, 4, 5])
    for (const fe of ['main', 'sclose', 'hclose'] as const)
      cases.push({
        name: `${fe}: ${n} GETs in one write`,
        frontend: fe,
        steps: [Array.from({ length: n }, (_, i) => GET(`/p/${i}`)).join('')],
        client: { responses: n },
      });
  cases.push(
    {
      name: 'pipelined POST (CL) + GET',
      steps: [req(['POST /p HTTP/1.1', 'Host: a', 'Content-Length: 3'], 'abc') + GET('/after')],
      client: { responses: 2 },
    },
    {
      name: 'pipelined POST (chunked) + GET',
      steps: [
        req(['POST /p HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'], chunked(['xyz'])) + GET('/after'),
      ],
      client: { responses: 2 },
    },
    {
      name: 'pipelined GET + HEAD + GET',
      steps: [GET('/1') + req(['HEAD /2 HTTP/1.1', 'Host: a']) + GET('/3')],
      client: { responses: 3, methods: ['GET', 'HEAD', 'GET'] },
    },
    {
      name: 'pipelined, the last one with Connection: close',
      steps: [GET('/1') + GET('/2') + GET('/3', ['Connection: close'])],
      client: { responses: 3 },
    },
    {
      name: 'pipelined, the first one with Connection: close',
      steps: [GET('/1', ['Connection: close']) + GET('/2') + GET('/3')],
      client: { responses: 3, idleMs: 300 },
    },
    {
      name: 'pipelined, second request invalid',
      steps: [GET('/1') + 'GET /2 HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n' + GET('/3')],
      client: { responses: 3, idleMs: 300 },
    },
    {
      name: 'pipelined, slow server answers in order',
      steps: [GET('/1') + GET('/2') + GET('/3')],
      script: {
        onRequest: ({ index }) => [{ delay: index === 0 ? 60 : 5 }, okResponse(`slow ${index}\n`)],
      },
      client: { responses: 3 },
    },
  );
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- the server closes ---------------------------------------------------------------------------

const closeEach: Script = {
  onRequest: ({ index }) => [okResponse(`closing ${index}\n`, ['Connection: close']), CLOSE],
};
const closeIdleSoon: Script = {
  onRequest: ({ index }) => [okResponse(`then idle-close ${index}\n`), { delay: 20 }, CLOSE],
};

describe('the server closes', () => {
  const cases: Case[] = [];
  for (const fe of ['main', 'sclose', 'rnever', 'ralways'] as const) {
    cases.push({
      name: `${fe}: server answers Connection: close to each of 3 requests`,
      frontend: fe,
      steps: sequence([GET('/1'), GET('/2'), GET('/3')]),
      script: closeEach,
      client: { responses: 3 },
    });
    cases.push({
      name: `${fe}: server closes its idle connection between requests`,
      frontend: fe,
      steps: [GET('/1'), { waitResponses: 1 }, { delay: 80 }, GET('/2'), { waitResponses: 2 }],
      script: closeIdleSoon,
      client: { responses: 2 },
    });
    cases.push({
      name: `${fe}: HTTP/1.0 server without keep-alive`,
      frontend: fe,
      steps: sequence([GET('/1'), GET('/2')]),
      script: { onRequest: () => ['HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold\n', CLOSE] },
      client: { responses: 2 },
    });
  }
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- server connection reuse across client connections ------------------------------------------

async function twoClients(side: Side, fe: string): Promise<Observed[]> {
  const out: Observed[] = [];
  for (const who of ['first', 'second']) {
    out.push(
      await runOn(side, {
        name: `reuse ${fe} ${who}`,
        frontend: fe,
        steps: sequence([GET(`/${who}/1`), GET(`/${who}/2`)]),
        client: { responses: 2 },
        keepBackend: true,
        backendSettleMs: 100,
      }),
    );
  }
  for (const c of side.backend.connections) if (!c.closed) c.socket.destroy();
  return out;
}

describe('server connection reuse', () => {
  it.each(['main', 'rnever', 'ralways', 'sclose'])('%s: two clients one after the other', async (fe) => {
    const r = await pair.both((side) => twoClients(side, fe));
    const summary = (obs: Observed[]) => obs.map((o) => ({ ...o.norm }));
    compareValues(`reuse: ${fe}`, summary(r.a), summary(r.b));
  });
});

// ---- forwardfor ----------------------------------------------------------------------------------

describe('option forwardfor', () => {
  const variants: [string, string[]][] = [
    ['no header from the client', []],
    ['X-Forwarded-For from the client', ['X-Forwarded-For: 10.9.9.9']],
    ['X-Real-IP from the client', ['X-Real-IP: 10.9.9.9']],
    ['X-Client from the client', ['X-Client: 10.9.9.9']],
    ['two X-Forwarded-For from the client', ['X-Forwarded-For: 10.1.1.1', 'X-Forwarded-For: 10.2.2.2']],
  ];
  const cases: Case[] = [];
  for (const fe of FF) {
    for (const [vn, h] of variants)
      cases.push({ name: `${fe}: ${vn}`, frontend: fe, steps: [GET('/ff', h)] });
    cases.push({
      name: `${fe}: three requests on one connection`,
      frontend: fe,
      steps: sequence([GET('/1'), GET('/2', ['X-Forwarded-For: 10.3.3.3']), GET('/3')]),
      client: { responses: 3 },
    });
    cases.push({ name: `${fe}: HTTP/1.0`, frontend: fe, steps: [GET('/ff', [], 'HTTP/1.0')] });
  }
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- Expect: 100-continue ------------------------------------------------------------------------

const hundredOnHead: Script = {
  onHead: (h) =>
    h.headers.some(([n, v]) => n.toLowerCase() === 'expect' && /100-continue/i.test(v))
      ? ['HTTP/1.1 100 Continue\r\n\r\n']
      : [],
  onRequest: ({ request }) => [okResponse(`got ${request.body.length} bytes\n`)],
};

describe('Expect: 100-continue', () => {
  const head = () => req(['POST /upload HTTP/1.1', 'Host: a', 'Content-Length: 11', 'Expect: 100-continue']);
  const cases: Case[] = [];
  for (const fe of ['main', 'buffer', 'sclose'] as const) {
    cases.push({
      name: `${fe}: server sends 100, client waits for it`,
      frontend: fe,
      steps: [head(), { waitFor: '100 Continue', timeoutMs: 500 }, 'hello world'],
      script: hundredOnHead,
      client: { idleMs: 400 },
    });
    cases.push({
      name: `${fe}: server never sends 100, client sends the body after 150 ms`,
      frontend: fe,
      steps: [head(), { delay: 150 }, 'hello world'],
      client: { idleMs: 400 },
    });
    cases.push({
      name: `${fe}: server answers 417 at once`,
      frontend: fe,
      steps: [head(), { waitFor: 'HTTP/1.1 4', timeoutMs: 250 }],
      script: { onHead: () => ['HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n'] },
      client: { idleMs: 150 },
    });
    cases.push({
      name: `${fe}: body sent with the head anyway`,
      frontend: fe,
      steps: [`${head()}hello world`],
      script: hundredOnHead,
    });
    cases.push({
      name: `${fe}: Expect on HTTP/1.0`,
      frontend: fe,
      steps: [
        req(['POST /upload HTTP/1.0', 'Host: a', 'Content-Length: 11', 'Expect: 100-continue']),
        { delay: 100 },
        'hello world',
      ],
      script: hundredOnHead,
      client: { idleMs: 400 },
    });
    cases.push({
      name: `${fe}: chunked body with Expect`,
      frontend: fe,
      steps: [
        req(['POST /upload HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Expect: 100-continue']),
        { waitFor: '100 Continue', timeoutMs: 500 },
        chunked(['hello', ' world']),
      ],
      script: hundredOnHead,
      client: { idleMs: 400 },
    });
  }
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- Upgrade and CONNECT -------------------------------------------------------------------------

const WS_REQ = req([
  'GET /chat HTTP/1.1',
  'Host: a',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
]);
const WS_101 =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
const upgradeEcho: Script = { onRequest: () => [WS_101, ECHO] };
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('Upgrade', () => {
  const cases: Case[] = [];
  for (const fe of ['main', 'sclose', 'hclose'] as const) {
    cases.push({
      name: `${fe}: websocket 101 then bytes both ways`,
      frontend: fe,
      steps: [
        WS_REQ,
        { waitFor: '101 Switching', timeoutMs: 1000 },
        'ping-1',
        { waitFor: 'ping-1', timeoutMs: 1000 },
        binary,
        { waitFor: /\xff$/, timeoutMs: 1000 },
        'ping-2',
        { waitFor: 'ping-2', timeoutMs: 1000 },
      ],
      script: upgradeEcho,
      client: { responses: 1 },
      backendSettleMs: 150,
    });
  }
  cases.push(
    {
      name: 'websocket: client bytes sent right after the request, before the 101',
      steps: [`${WS_REQ}early-bytes`, { waitFor: 'early-bytes', timeoutMs: 1000 }],
      script: { onRequest: () => [{ delay: 30 }, WS_101, ECHO] },
      client: { responses: 1 },
    },
    {
      name: 'websocket: server sends bytes right after the 101',
      steps: [WS_REQ, { waitFor: 'hello-from-server', timeoutMs: 1000 }],
      script: { onRequest: () => [`${WS_101}hello-from-server`, ECHO] },
      client: { responses: 1 },
    },
    {
      name: 'websocket: server closes the tunnel',
      steps: [WS_REQ, { waitFor: '101', timeoutMs: 1000 }, 'x', { delay: 50 }],
      script: { onRequest: () => [WS_101, { delay: 20 }, 'bye', CLOSE] },
      client: { responses: 1, idleMs: 400 },
    },
    {
      name: 'websocket: client half-closes the tunnel',
      steps: [WS_REQ, { waitFor: '101', timeoutMs: 1000 }, 'last', { op: 'end' }],
      script: upgradeEcho,
      client: { responses: 1, idleMs: 400 },
      backendSettleMs: 150,
    },
    {
      name: 'websocket: server declines with 200, next request on the same connection',
      steps: [WS_REQ, { waitResponses: 1 }, GET('/next'), { waitResponses: 2 }],
      client: { responses: 2 },
    },
    {
      name: 'websocket: server declines with 400',
      steps: [WS_REQ],
      script: { onRequest: () => ['HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nno\n'] },
    },
    {
      name: 'websocket: 101 to a request without Upgrade',
      steps: [GET('/plain'), { delay: 50 }, 'after'],
      script: { onRequest: () => [WS_101, ECHO] },
      client: { responses: 1, idleMs: 300 },
    },
    {
      name: 'websocket: Upgrade on HTTP/1.0',
      steps: [
        req([
          'GET /chat HTTP/1.0',
          'Host: a',
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
        ]),
      ],
      script: upgradeEcho,
      client: { idleMs: 300 },
    },
    {
      name: 'Upgrade: custom protocol with 101',
      steps: [
        req(['GET /x HTTP/1.1', 'Host: a', 'Upgrade: foo/2', 'Connection: upgrade']),
        { waitFor: '101', timeoutMs: 1000 },
        'foo-bytes',
        { waitFor: 'foo-bytes', timeoutMs: 1000 },
      ],
      script: {
        onRequest: () => [
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo/2\r\nConnection: upgrade\r\n\r\n',
          ECHO,
        ],
      },
      client: { responses: 1 },
    },
    {
      name: 'CONNECT: 200 then a tunnel',
      steps: [
        req(['CONNECT example.test:443 HTTP/1.1', 'Host: example.test:443']),
        { waitFor: '200', timeoutMs: 1000 },
        'tls-ish bytes',
        { waitFor: 'tls-ish bytes', timeoutMs: 1000 },
      ],
      script: { onRequest: () => ['HTTP/1.1 200 Connection established\r\n\r\n', ECHO] },
      client: { methods: ['CONNECT'], responses: 1 },
    },
    {
      name: 'CONNECT: refused with 403',
      steps: [req(['CONNECT example.test:443 HTTP/1.1', 'Host: example.test:443'])],
      script: { onRequest: () => ['HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'] },
      client: { methods: ['CONNECT'] },
    },
  );
  it.each(cases)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- undici: a real keep-alive client ------------------------------------------------------------

interface UndiciRun {
  statuses: number[];
  bodies: string[];
  backendConnections: number;
  backendRequests: string[][];
}

async function withPool(
  side: Side,
  fe: string,
  opts: { pipelining?: number },
  fn: (pool: Pool) => Promise<{ statusCode: number; body: string }[]>,
): Promise<UndiciRun> {
  const port = side.ports[fe];
  const mark = side.backend.connections.length;
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections: 1,
    pipelining: opts.pipelining ?? 1,
    headersTimeout: 3000,
    bodyTimeout: 3000,
  });
  try {
    const results = await fn(pool);
    const conns = side.backend.since(mark);
    return {
      statuses: results.map((r) => r.statusCode),
      bodies: results.map((r) => r.body),
      backendConnections: conns.length,
      backendRequests: conns.map((c) =>
        c.data
          .toString('latin1')
          .split('\r\n')
          .filter((l) => /^[A-Z]+ \/|^[a-z-]+:/i.test(l))
          .map((l) => l.replace(String(port), '<FE>').toLowerCase()),
      ),
    };
  } finally {
    await pool.destroy();
    for (const c of side.backend.since(mark)) if (!c.closed) c.socket.destroy();
  }
}

async function one(pool: Pool, path: string, method: 'GET' | 'POST' = 'GET', body?: string) {
  const r = await pool.request({ path, method, ...(body !== undefined ? { body } : {}) });
  return { statusCode: r.statusCode, body: await r.body.text() };
}

describe('undici keep-alive clients', () => {
  it.each(['main', 'sclose', 'hclose'])('%s: 10 sequential GETs on one pooled connection', async (fe) => {
    const r = await pair.both((side) =>
      withPool(side, fe, {}, async (pool) => {
        const out = [];
        for (let i = 0; i < 10; i++) out.push(await one(pool, `/u/${i}`));
        return out;
      }),
    );
    compareValues(`undici: ${fe} sequential`, r.a, r.b);
  });

  it('main: 3 pipelined GETs', async () => {
    const r = await pair.both((side) =>
      withPool(side, 'main', { pipelining: 3 }, (pool) =>
        Promise.all([one(pool, '/p/1'), one(pool, '/p/2'), one(pool, '/p/3')]),
      ),
    );
    compareValues('undici: main pipelined', r.a, r.b);
  });

  it('main: POST bodies of several sizes in sequence', async () => {
    const r = await pair.both((side) =>
      withPool(side, 'main', {}, async (pool) => {
        const out = [];
        for (const n of [0, 1, 1000, 100_000]) out.push(await one(pool, `/post/${n}`, 'POST', 'x'.repeat(n)));
        return out;
      }),
    );
    compareValues('undici: main POSTs', r.a, r.b);
  });

  it('main: the server closes after each response', async () => {
    const run = (side: Side) => {
      side.backend.script = closeEach;
      return withPool(side, 'main', {}, async (pool) => {
        const out = [];
        for (let i = 0; i < 4; i++) out.push(await one(pool, `/c/${i}`));
        return out;
      }).finally(() => {
        side.backend.script = { onRequest: ({ index }) => [okResponse(`hello ${index}\n`)] };
      });
    };
    const r = await pair.both(run);
    compareValues('undici: main server closes', r.a, r.b);
  });
});
