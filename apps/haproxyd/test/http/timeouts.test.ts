// Differential: timeouts and faults, with 200–300 ms timeouts to stay fast. Half a request
// → 408 at `timeout http-request`; an idle keep-alive client closed at `timeout
// http-keep-alive`; a silent server → 504 at `timeout server`; a refused connect retried
// `retries` times (each retry waits min(timeout connect, 1 s), so the 503 comes after
// retries × 200 ms: the delay counts the attempts) then 503; a backend killed mid-response →
// the client sees the truncation, never a hang, and the next request is served. Each outcome
// is compared with HAProxy 2.6, the moment it happens too (both within a window, and within
// 300 ms of each other), and both proxies' open file descriptors are counted before and
// after each group: no leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Case,
  fdCount,
  fdsSettle,
  type Observed,
  type Pair,
  req,
  sideBBinary,
  startPair,
} from './harness.ts';
import { CLIENT_END, CLIENT_RESET, CLOSE, DESTROY, ECHO, HANG, okResponse } from './peers.ts';

const TEMPLATE = `
defaults
  mode http
  timeout connect 200ms
  timeout client 3s
  timeout server 300ms
  timeout http-request 300ms
  timeout http-keep-alive 300ms
  timeout tunnel 500ms
listen main
  bind \${FE_main}
  server s1 \${BE}
listen tun
  bind \${FE_tun}
  timeout server 2s
  timeout client 2s
  timeout http-request 1000ms
  timeout http-keep-alive 800ms
  timeout tunnel 500ms
  server s1 \${BE}
listen dead
  bind \${FE_dead}
  retries 2
  server s1 \${DEAD}
listen dead0
  bind \${FE_dead0}
  retries 0
  server s1 \${DEAD}
listen dead3
  bind \${FE_dead3}
  server s1 \${DEAD}
`;

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['main', 'tun', 'dead', 'dead0', 'dead3'] });
});
afterAll(async () => {
  await pair?.close();
});

const GET = (path: string, extra: readonly string[] = []) =>
  req([`GET ${path} HTTP/1.1`, 'Host: a', ...extra]);
const WS_REQ = req([
  'GET /ws HTTP/1.1',
  'Host: a',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
]);
const WS_101 =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';

/** Timing of a case: the client's time to its close ('elapsed') or to its first byte. */
interface Timing {
  readonly what: 'elapsed' | 'firstByte';
  /** The configured moment, in ms after connect. */
  readonly atMs: number;
}

function timeOf(o: Observed, t: Timing): number {
  return t.what === 'elapsed' ? o.raw.client.elapsedMs : o.raw.client.firstByteMs;
}

/** Runs a case on both sides, compares, and checks the timing on both and between them. */
async function timed(c: Case, t: Timing): Promise<void> {
  await pair.check({
    ...c,
    checkPair: (a, b) => {
      const ta = timeOf(a, t);
      const tb = timeOf(b, t);
      const ctx = `${c.name}: ${t.what} haproxy ${ta} ms, ${sideBBinary()} ${tb} ms, configured ${t.atMs} ms`;
      expect(ta, ctx).toBeGreaterThanOrEqual(t.atMs - 60);
      expect(ta, ctx).toBeLessThanOrEqual(t.atMs + 450);
      expect(tb, ctx).toBeGreaterThanOrEqual(t.atMs - 60);
      expect(tb, ctx).toBeLessThanOrEqual(t.atMs + 450);
      expect(Math.abs(ta - tb), ctx).toBeLessThanOrEqual(300);
    },
  });
}

// ---- fd accounting -------------------------------------------------------------------------------

const baseline = { a: 0, b: 0 };

async function warmUp(): Promise<void> {
  await pair.observe({ name: 'warm-up', steps: [GET('/warm', ['Connection: close'])] });
}

function recordBaseline(): void {
  baseline.a = fdCount(pair.a.proxy.pid);
  baseline.b = fdCount(pair.b.proxy.pid);
}

async function expectNoLeak(group: string): Promise<void> {
  // everything of the group is over: no client, no backend connection left open
  pair.a.backend.dropAll();
  pair.b.backend.dropAll();
  const [a, b] = await Promise.all([
    fdsSettle(pair.a.proxy.pid, baseline.a, 3000),
    fdsSettle(pair.b.proxy.pid, baseline.b, 3000),
  ]);
  expect({ group, haproxy: a, [sideBBinary()]: b }).toEqual({
    group,
    haproxy: baseline.a,
    [sideBBinary()]: baseline.b,
  });
}

function group(name: string, cases: readonly [Case, Timing | null][]): void {
  describe(name, () => {
    it('fd baseline', async () => {
      await warmUp();
      await new Promise((r) => setTimeout(r, 50));
      recordBaseline();
    });
    it.each(cases.map(([c, t]) => ({ name: c.name, c, t })))('$name', async ({ c, t }) => {
      if (t) await timed(c, t);
      else await pair.check(c);
    });
    it('no fd leaked by the group', async () => {
      await expectNoLeak(name);
    });
  });
}

// ---- client-side timeouts -------------------------------------------------------------------------

group('timeout http-request / http-keep-alive', [
  [
    { name: 'half a request line', steps: ['GET /x HT'], client: { idleMs: 1000 } },
    { what: 'firstByte', atMs: 300 },
  ],
  [
    {
      name: 'request line, headers never finished',
      steps: ['GET /x HTTP/1.1\r\nHost: a\r\n'],
      client: { idleMs: 1000 },
    },
    { what: 'firstByte', atMs: 300 },
  ],
  [
    { name: 'nothing sent', steps: [], client: { idleMs: 1500, responses: 0 } },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'head dribbled one byte per 60 ms (slowloris)',
      steps: Array.from('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n').flatMap((ch) => [ch, { delay: 60 }]),
      client: { idleMs: 1000 },
    },
    { what: 'firstByte', atMs: 300 },
  ],
  [
    {
      name: 'idle keep-alive after one response',
      steps: [GET('/ka')],
      client: { responses: 9, idleMs: 1000 },
    },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'keep-alive: second request started, never finished',
      steps: [GET('/1'), { waitResponses: 1 }, { delay: 100 }, 'GET /2 HT'],
      client: { responses: 2, idleMs: 1000 },
    },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'keep-alive: second request after 200 ms is served',
      steps: [GET('/1'), { waitResponses: 1 }, { delay: 200 }, GET('/2'), { waitResponses: 2 }],
      client: { responses: 2 },
    },
    null,
  ],
  [
    {
      name: 'POST body never completed (CL 10, 5 sent)',
      steps: [req(['POST /b HTTP/1.1', 'Host: a', 'Content-Length: 10'], 'hello')],
      client: { idleMs: 1000 },
    },
    { what: 'firstByte', atMs: 300 },
  ],
  [
    {
      name: 'chunked body never completed',
      steps: [req(['POST /b HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n')],
      client: { idleMs: 1000 },
    },
    { what: 'firstByte', atMs: 300 },
  ],
]);

// ---- server-side timeouts and faults ---------------------------------------------------------------

group('timeout server and backend faults', [
  [
    {
      name: 'server accepts, reads, never answers',
      steps: [GET('/silent')],
      script: { onRequest: () => [HANG] },
      client: { idleMs: 1000 },
    },
    { what: 'firstByte', atMs: 300 },
  ],
  [
    {
      name: 'server sends the head, then stalls',
      steps: [GET('/stall')],
      script: { onRequest: () => ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', HANG] },
      client: { idleMs: 1000 },
    },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'server sends 100 Continue, then stalls',
      steps: [GET('/stall100')],
      script: { onRequest: () => ['HTTP/1.1 100 Continue\r\n\r\n', HANG] },
      client: { idleMs: 1000 },
    },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'server sends a chunk, then stalls',
      steps: [GET('/stallc')],
      script: {
        onRequest: () => ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', HANG],
      },
      client: { idleMs: 1000 },
    },
    { what: 'elapsed', atMs: 300 },
  ],
  [
    {
      name: 'backend killed mid-response (Content-Length)',
      steps: [GET('/kill')],
      script: {
        onRequest: () => [
          'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n',
          'x'.repeat(30000),
          { delay: 20 },
          DESTROY,
        ],
      },
      client: { idleMs: 1000 },
    },
    null,
  ],
  [{ name: 'next request after the kill is served', steps: [GET('/after-kill')] }, null],
  [
    {
      name: 'backend killed mid-response (chunked)',
      steps: [GET('/killc')],
      script: {
        onRequest: () => [
          'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n',
          'y'.repeat(10000),
          { delay: 20 },
          DESTROY,
        ],
      },
      client: { idleMs: 1000 },
    },
    null,
  ],
  [
    {
      name: 'backend closes mid-response on the second request of a keep-alive connection',
      steps: [GET('/1'), { waitResponses: 1 }, GET('/2')],
      script: {
        onRequest: ({ index }) =>
          index === 0
            ? [okResponse('first\n')]
            : ['HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly-part', { delay: 20 }, CLOSE],
      },
      client: { responses: 2, idleMs: 1000 },
    },
    null,
  ],
  [{ name: 'next request after the close is served', steps: [GET('/after-close')] }, null],
  [
    {
      name: 'backend killed while the client uploads',
      steps: [
        req(['POST /up HTTP/1.1', 'Host: a', 'Content-Length: 400000']),
        { delay: 50 },
        'z'.repeat(100_000),
        { delay: 300 },
        'z'.repeat(100_000),
        { delay: 50 },
        'z'.repeat(200_000),
      ],
      // The backend dies well after the first 100 kB reached it and well before the next
      // part is sent, so both sides forward the same bytes (with a 60 ms margin the count
      // depended on how far each proxy had got through the first part).
      script: { onHead: () => [{ delay: 200 }, DESTROY] },
      client: { idleMs: 1000 },
    },
    null,
  ],
  [{ name: 'next request after the upload kill is served', steps: [GET('/after-upload')] }, null],
  [
    {
      name: 'tunnel idle past timeout tunnel',
      frontend: 'tun',
      steps: [WS_REQ],
      script: { onRequest: () => [WS_101, ECHO] },
      client: { responses: 9, idleMs: 1000 },
    },
    // `timeout tunnel` (500 ms) rules the idle tunnel, not client/server (2 s) nor
    // http-keep-alive (800 ms) nor http-request (1 s).
    { what: 'elapsed', atMs: 500 },
  ],
]);

// ---- connect failures and retries ------------------------------------------------------------------

group('refused connects and retries', [
  [
    { name: 'refused, retries 0 → 503 at once', frontend: 'dead0', steps: [GET('/r0')] },
    { what: 'firstByte', atMs: 0 },
  ],
  [
    {
      name: 'refused, retries 2 → 503 after 2 turn-arounds',
      frontend: 'dead',
      steps: [GET('/r2')],
      client: { idleMs: 1500 },
    },
    { what: 'firstByte', atMs: 400 },
  ],
  [
    {
      name: 'refused, default retries (3) → 503 after 3 turn-arounds',
      frontend: 'dead3',
      steps: [GET('/r3')],
      client: { idleMs: 1500 },
    },
    { what: 'firstByte', atMs: 600 },
  ],
  [
    {
      name: 'refused, keep-alive: a second request also gets 503',
      frontend: 'dead0',
      steps: [GET('/1'), { waitResponses: 1 }, GET('/2'), { waitResponses: 2 }],
      client: { responses: 2 },
    },
    null,
  ],
  [
    {
      name: 'refused, POST with a body',
      frontend: 'dead0',
      steps: [req(['POST /p HTTP/1.1', 'Host: a', 'Content-Length: 5'], 'hello')],
    },
    null,
  ],
]);

// ---- clients that go away ---------------------------------------------------------------------------

group('client aborts', [
  [
    {
      name: 'client resets in the middle of the request body',
      steps: [
        req(['POST /b HTTP/1.1', 'Host: a', 'Content-Length: 1000'], 'half'),
        { delay: 50 },
        CLIENT_RESET,
      ],
      client: { responses: 0, idleMs: 200 },
      backendSettleMs: 300,
    },
    null,
  ],
  [
    {
      name: 'client closes while the server is slow',
      steps: [GET('/slow'), { delay: 50 }, CLIENT_RESET],
      script: { onRequest: () => [{ delay: 150 }, okResponse('late\n')] },
      client: { responses: 0, idleMs: 200 },
      backendSettleMs: 250,
    },
    null,
  ],
  [
    {
      name: 'client half-closes after a complete request',
      steps: [GET('/half'), CLIENT_END],
      client: { idleMs: 400 },
      backendSettleMs: 200,
    },
    null,
  ],
  [
    {
      name: 'client half-closes in the middle of the head',
      steps: ['GET /half HTTP/1.1\r\nHo', CLIENT_END],
      client: { idleMs: 800 },
    },
    null,
  ],
  [
    {
      name: 'client half-closes after the head of a POST with a body to come',
      steps: [req(['POST /b HTTP/1.1', 'Host: a', 'Content-Length: 10'], 'abc'), { delay: 50 }, CLIENT_END],
      client: { idleMs: 800 },
      backendSettleMs: 200,
    },
    null,
  ],
  [
    {
      name: 'client resets in a tunnel',
      steps: [
        WS_REQ,
        { waitFor: '101', timeoutMs: 1000 },
        'data',
        { waitFor: 'data', timeoutMs: 1000 },
        CLIENT_RESET,
      ],
      script: { onRequest: () => [WS_101, ECHO] },
      client: { responses: 9, idleMs: 200 },
      backendSettleMs: 300,
    },
    null,
  ],
]);
