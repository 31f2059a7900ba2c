// Differential: the response side. The recording backend answers with scripted bytes —
// Content-Length, chunked (extensions, trailers, many small writes), until-close, HEAD,
// 1xx/204/304, both CL and TE, malformed status lines and headers, oversized heads, a close
// mid-body — and the client must receive the same thing from haproxyd as from HAProxy 2.6.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { oneFrontendTemplate, type Pair, req, startPair } from './harness.ts';
import { type BackendStep, CLOSE, DESTROY, END, okResponse } from './peers.ts';

const TEMPLATE = oneFrontendTemplate({ serverTimeout: '2s' });

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['main'] });
});
afterAll(async () => {
  await pair?.close();
});

const GET = req(['GET /r HTTP/1.1', 'Host: a']);
const HEAD = req(['HEAD /r HTTP/1.1', 'Host: a']);
const GET10 = req(['GET /r HTTP/1.0', 'Host: a']);

function head(status: string, headers: readonly string[]): string {
  return `${[status, ...headers].join('\r\n')}\r\n\r\n`;
}

type R = [name: string, steps: BackendStep[], opts?: { request?: string; method?: string; idleMs?: number }];

const big = randomBytes(300_000);
const mib: BackendStep[] = [head('HTTP/1.1 200 OK', ['Content-Length: 1048576'])];
for (let i = 0; i < 16; i++) mib.push(randomBytes(65536), { delay: 2 });
const mibChunked: BackendStep[] = [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked'])];
for (let i = 0; i < 16; i++)
  mibChunked.push(Buffer.concat([Buffer.from('10000\r\n'), randomBytes(65536), Buffer.from('\r\n')]), {
    delay: 2,
  });
mibChunked.push('0\r\n\r\n');
const smallChunks: BackendStep[] = [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked'])];
for (let i = 0; i < 20; i++) smallChunks.push(`1\r\n${String.fromCharCode(97 + i)}\r\n`, { delay: 3 });
smallChunks.push('0\r\n\r\n');

const RESPONSES: R[] = [
  // lengths
  ['CL small', [okResponse('hello')]],
  ['CL 0', [head('HTTP/1.1 200 OK', ['Content-Length: 0'])]],
  ['CL 300 KB in one write', [head('HTTP/1.1 200 OK', [`Content-Length: ${big.length}`]), big]],
  ['CL 1 MiB in 64 KiB writes', mib],
  [
    'CL body in two writes',
    [head('HTTP/1.1 200 OK', ['Content-Length: 10']), 'hello', { delay: 30 }, 'world'],
  ],
  [
    'head and body in separate writes',
    [head('HTTP/1.1 200 OK', ['Content-Length: 5']), { delay: 30 }, 'hello'],
  ],
  ['head in two writes', ['HTTP/1.1 200 OK\r\nConte', { delay: 30 }, 'nt-Length: 2\r\n\r\nok']],
  // chunked
  ['chunked one chunk', [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '5\r\nhello\r\n0\r\n\r\n']],
  ['chunked empty', [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '0\r\n\r\n']],
  ['chunked, 20 one-byte chunks in separate writes', smallChunks],
  [
    'chunked with extensions',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '5;a=b\r\nhello\r\n0;z\r\n\r\n'],
  ],
  [
    'chunked with trailers',
    [
      head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked', 'Trailer: X-Sum']),
      '2\r\nok\r\n0\r\nX-Sum: 42\r\nX-Two: 2\r\n\r\n',
    ],
  ],
  [
    'chunked upper-case hex',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), 'A\r\n0123456789\r\n0\r\n\r\n'],
  ],
  [
    'chunked leading zeros',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '00005\r\nhello\r\n00\r\n\r\n'],
  ],
  ['chunked 1 MiB in 64 KiB chunks', mibChunked],
  [
    'chunked, last chunk in a later write',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '5\r\nhello\r\n', { delay: 30 }, '0\r\n\r\n'],
  ],
  [
    'chunked, bad chunk size',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), 'zz\r\nhello\r\n0\r\n\r\n'],
  ],
  [
    'chunked, bad chunk size after a good chunk',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '2\r\nok\r\n', { delay: 30 }, 'zz\r\n'],
  ],
  [
    'TE: gzip, chunked',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: gzip, chunked']), '5\r\nhello\r\n0\r\n\r\n'],
  ],
  [
    'TE: chunked, gzip (not last)',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked, gzip']), 'hello', CLOSE],
  ],
  ['TE: identity', [head('HTTP/1.1 200 OK', ['Transfer-Encoding: identity']), 'hello', CLOSE]],
  [
    'both CL and TE',
    [head('HTTP/1.1 200 OK', ['Content-Length: 3', 'Transfer-Encoding: chunked']), '5\r\nhello\r\n0\r\n\r\n'],
  ],
  [
    'TE then CL',
    [
      head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked', 'Content-Length: 100']),
      '5\r\nhello\r\n0\r\n\r\n',
    ],
  ],
  // until close
  [
    'no length, closed after the body',
    [head('HTTP/1.1 200 OK', ['Content-Type: text/plain']), 'until ', { delay: 20 }, 'close', CLOSE],
  ],
  ['no length, Connection: close', [head('HTTP/1.1 200 OK', ['Connection: close']), 'bye', CLOSE]],
  ['HTTP/1.0 response without length', [head('HTTP/1.0 200 OK', []), 'ten bytes!', CLOSE]],
  ['HTTP/1.0 response with CL', [head('HTTP/1.0 200 OK', ['Content-Length: 2']), 'ok']],
  [
    'HTTP/1.0 response with CL and keep-alive',
    [head('HTTP/1.0 200 OK', ['Content-Length: 2', 'Connection: keep-alive']), 'ok'],
  ],
  ['no length, empty body, closed', [head('HTTP/1.1 200 OK', []), CLOSE]],
  // to an HTTP/1.0 client
  ['CL to an HTTP/1.0 client', [okResponse('hello')], { request: GET10 }],
  [
    'chunked to an HTTP/1.0 client',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '5\r\nhello\r\n0\r\n\r\n'],
    { request: GET10 },
  ],
  ['until-close to an HTTP/1.0 client', [head('HTTP/1.1 200 OK', []), 'bye', CLOSE], { request: GET10 }],
  // HEAD
  ['HEAD with CL', [head('HTTP/1.1 200 OK', ['Content-Length: 1234'])], { request: HEAD, method: 'HEAD' }],
  [
    'HEAD with TE chunked',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked'])],
    { request: HEAD, method: 'HEAD' },
  ],
  ['HEAD without length', [head('HTTP/1.1 200 OK', [])], { request: HEAD, method: 'HEAD' }],
  [
    'HEAD answered with a body anyway',
    [head('HTTP/1.1 200 OK', ['Content-Length: 5']), 'hello'],
    { request: HEAD, method: 'HEAD' },
  ],
  // no-body statuses
  ['204', [head('HTTP/1.1 204 No Content', [])]],
  ['204 with CL 0', [head('HTTP/1.1 204 No Content', ['Content-Length: 0'])]],
  ['204 with CL 5', [head('HTTP/1.1 204 No Content', ['Content-Length: 5'])]],
  ['204 with TE chunked', [head('HTTP/1.1 204 No Content', ['Transfer-Encoding: chunked'])]],
  ['304 with CL 100', [head('HTTP/1.1 304 Not Modified', ['Content-Length: 100', 'ETag: "x"'])]],
  ['304 with TE chunked', [head('HTTP/1.1 304 Not Modified', ['Transfer-Encoding: chunked'])]],
  ['205 with CL 0', [head('HTTP/1.1 205 Reset Content', ['Content-Length: 0'])]],
  // 1xx
  ['100 Continue then 200', ['HTTP/1.1 100 Continue\r\n\r\n', okResponse('after 100')]],
  [
    '103 Early Hints then 200',
    ['HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n', okResponse('after 103')],
  ],
  [
    '102 then 100 then 200',
    ['HTTP/1.1 102 Processing\r\n\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', okResponse('x')],
  ],
  ['1xx in a separate write', ['HTTP/1.1 100 Continue\r\n\r\n', { delay: 30 }, okResponse('late')]],
  // Content-Length errors
  ['duplicate CL, same', [head('HTTP/1.1 200 OK', ['Content-Length: 2', 'Content-Length: 2']), 'ok']],
  ['duplicate CL, different', [head('HTTP/1.1 200 OK', ['Content-Length: 2', 'Content-Length: 3']), 'okk']],
  ['CL: 2, 2', [head('HTTP/1.1 200 OK', ['Content-Length: 2, 2']), 'ok']],
  ['CL: -1', [head('HTTP/1.1 200 OK', ['Content-Length: -1']), 'ok', CLOSE]],
  ['CL: abc', [head('HTTP/1.1 200 OK', ['Content-Length: abc']), 'ok', CLOSE]],
  ['CL: +2', [head('HTTP/1.1 200 OK', ['Content-Length: +2']), 'ok']],
  ['more body than CL', [head('HTTP/1.1 200 OK', ['Content-Length: 2']), 'okEXTRA BYTES']],
  // status lines
  ['no reason phrase', ['HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok']],
  ['empty reason phrase', ['HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok']],
  ['long reason phrase', [`HTTP/1.1 200 ${'R'.repeat(200)}\r\nContent-Length: 2\r\n\r\nok`]],
  ['status 099', ['HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok']],
  ['status 199', ['HTTP/1.1 199 Odd\r\n\r\n', okResponse('x')]],
  ['status 299', ['HTTP/1.1 299 Odd\r\nContent-Length: 2\r\n\r\nok']],
  ['status 404', ['HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno']],
  ['status 500', ['HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nno']],
  ['status 503 from the server', ['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno']],
  ['status 600', ['HTTP/1.1 600 Beyond\r\nContent-Length: 2\r\n\r\nok']],
  ['status 1000', ['HTTP/1.1 1000 Way\r\nContent-Length: 2\r\n\r\nok']],
  ['two-digit status', ['HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok']],
  ['HTTP/2 in the status line', ['HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok']],
  ['HTTP/1.2 in the status line', ['HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok']],
  ['lower-case http/1.1', ['http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']],
  ['garbage instead of a status line', ['GARBAGE\r\n\r\n', CLOSE]],
  ['binary garbage', [Buffer.from([0, 1, 2, 3, 255, 13, 10, 13, 10]), CLOSE]],
  ['HTTP/0.9-style body only', ['just a body', CLOSE]],
  ['status line with bare LF', ['HTTP/1.1 200 OK\nContent-Length: 2\n\nok']],
  ['status line with tabs', ['HTTP/1.1\t200\tOK\r\nContent-Length: 2\r\n\r\nok']],
  // headers
  [
    'header order and duplicates',
    [head('HTTP/1.1 200 OK', ['Set-Cookie: a=1', 'X-B: 2', 'Set-Cookie: b=2', 'Content-Length: 0'])],
  ],
  ['mixed-case response header names', [head('HTTP/1.1 200 OK', ['X-MiXeD: v', 'CONTENT-length: 0'])]],
  [
    'Connection: close from the server',
    [head('HTTP/1.1 200 OK', ['Connection: close', 'Content-Length: 2']), 'ok'],
  ],
  [
    'Connection: keep-alive from the server',
    [head('HTTP/1.1 200 OK', ['Connection: keep-alive', 'Keep-Alive: timeout=5', 'Content-Length: 2']), 'ok'],
  ],
  [
    'Connection with custom token',
    [head('HTTP/1.1 200 OK', ['Connection: x-hop', 'X-Hop: 1', 'Content-Length: 2']), 'ok'],
  ],
  [
    'Proxy-Connection from the server',
    [head('HTTP/1.1 200 OK', ['Proxy-Connection: close', 'Content-Length: 2']), 'ok'],
  ],
  ['Upgrade header on a 200', [head('HTTP/1.1 200 OK', ['Upgrade: websocket', 'Content-Length: 2']), 'ok']],
  ['8 KB header value', [head('HTTP/1.1 200 OK', [`X-Big: ${'v'.repeat(8000)}`, 'Content-Length: 2']), 'ok']],
  [
    '15 KB header value',
    [head('HTTP/1.1 200 OK', [`X-Big: ${'v'.repeat(15000)}`, 'Content-Length: 2']), 'ok'],
  ],
  [
    '120 headers',
    [
      head('HTTP/1.1 200 OK', [
        ...Array.from({ length: 120 }, (_, i) => `X-${i}: ${i}`),
        'Content-Length: 0',
      ]),
    ],
  ],
  ['space before colon', [head('HTTP/1.1 200 OK', ['Content-Length : 2']), 'ok', CLOSE]],
  ['obs-fold', [head('HTTP/1.1 200 OK', ['X-Fold: a', ' b', 'Content-Length: 2']), 'ok']],
  ['bare LF header lines', ['HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\r\nok']],
  ['NUL in a header value', [head('HTTP/1.1 200 OK', ['X-Nul: a\x00b', 'Content-Length: 2']), 'ok']],
  ['header without colon', [head('HTTP/1.1 200 OK', ['NoColon', 'Content-Length: 2']), 'ok']],
  ['empty header name', [head('HTTP/1.1 200 OK', [': v', 'Content-Length: 2']), 'ok']],
  ['Date header', [head('HTTP/1.1 200 OK', ['Date: Mon, 01 Jan 2024 00:00:00 GMT', 'Content-Length: 0'])]],
  // truncation and closes
  ['close before any byte', [CLOSE]],
  ['reset before any byte', [DESTROY]],
  ['half-close before any byte', [END]],
  ['close after half a status line', ['HTTP/1.1 20', CLOSE]],
  ['close after the head without body (CL 5)', [head('HTTP/1.1 200 OK', ['Content-Length: 5']), CLOSE]],
  [
    'close mid-body (CL 100, 10 sent)',
    [head('HTTP/1.1 200 OK', ['Content-Length: 100']), '0123456789', { delay: 20 }, CLOSE],
  ],
  [
    'reset mid-body (CL 100, 10 sent)',
    [head('HTTP/1.1 200 OK', ['Content-Length: 100']), '0123456789', { delay: 20 }, DESTROY],
  ],
  [
    'close mid-chunk',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), 'a\r\n01234', { delay: 20 }, CLOSE],
  ],
  [
    'close before the last chunk',
    [head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']), '5\r\nhello\r\n', { delay: 20 }, CLOSE],
  ],
  [
    'close before the trailers end',
    [
      head('HTTP/1.1 200 OK', ['Transfer-Encoding: chunked']),
      '5\r\nhello\r\n0\r\nX-T: 1\r\n',
      { delay: 20 },
      CLOSE,
    ],
  ],
];

describe('responses', () => {
  it.each(RESPONSES.map(([name, steps, opts]) => ({ name, steps, opts })))(
    '$name',
    async ({ name, steps, opts }) => {
      await pair.check({
        name: `response: ${name}`,
        steps: [opts?.request ?? GET],
        script: { onRequest: () => steps },
        client: { methods: [opts?.method ?? 'GET'], idleMs: opts?.idleMs ?? 250 },
      });
    },
  );
});

describe('responses that do not wait for the request body', () => {
  it('413 with Connection: close before a 200 KB body was sent', async () => {
    const body = 'p'.repeat(200_000);
    await pair.check({
      name: 'early 413',
      steps: [
        req(['POST /upload HTTP/1.1', 'Host: a', `Content-Length: ${body.length}`]),
        { delay: 50 },
        body,
      ],
      script: {
        onHead: () => [
          head('HTTP/1.1 413 Payload Too Large', ['Connection: close', 'Content-Length: 3']),
          'big',
          CLOSE,
        ],
      },
      client: { idleMs: 400 },
    });
  });

  it('200 before the request body (server does not read it), keep-alive', async () => {
    await pair.check({
      name: 'early 200',
      steps: [req(['POST /early HTTP/1.1', 'Host: a', 'Content-Length: 10']), { delay: 50 }, '0123456789'],
      script: { onHead: () => [okResponse('early')] },
      client: { idleMs: 400 },
    });
  });
});
