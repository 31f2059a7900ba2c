// Differential: request forms. Methods × versions × bodies, request targets, Host
// variants, header handling, Content-Length and chunked bodies (sizes, extensions,
// trailers, split delivery). Each case goes to HAProxy 2.6 (A) and haproxyd (B) with the
// same configuration; the client's responses and what reached the backend must be equal.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteByByte, type Case, chunked, oneFrontendTemplate, type Pair, req, startPair } from './harness.ts';
import type { ClientStep } from './peers.ts';

const TEMPLATE = oneFrontendTemplate();

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['main'] });
});
afterAll(async () => {
  await pair?.close();
});

// ---- methods × versions × bodies -----------------------------------------------------------

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'TRACE',
  'PURGE',
  'M-SEARCH',
  "X_TOKEN!#$%&'*+-.^`|~9",
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0'];
const BODIES: [name: string, headers: string[], body: string][] = [
  ['no body', [], ''],
  ['CL 0', ['Content-Length: 0'], ''],
  ['CL 1', ['Content-Length: 1'], 'x'],
  ['CL 16 KiB', ['Content-Length: 16384'], 'b'.repeat(16384)],
  ['chunked', ['Transfer-Encoding: chunked'], chunked(['hello', ' world'])],
];

const matrix: Case[] = [];
for (const m of METHODS)
  for (const v of VERSIONS)
    for (const [bn, bh, body] of BODIES)
      matrix.push({
        name: `${m} ${v} ${bn}`,
        steps: [req([`${m} /path?q=1 ${v}`, 'Host: example.test', 'User-Agent: diff', ...bh], body)],
        client: { methods: [m] },
      });

describe('methods × versions × bodies', () => {
  it.each(matrix)('$name', async (c) => {
    await pair.check(c);
  });
});

// ---- request targets ---------------------------------------------------------------------------

const TARGETS: [name: string, line: string, host?: string | null][] = [
  ['origin /', 'GET / HTTP/1.1'],
  ['origin with query', 'GET /a/b/c?x=1&y=%20z HTTP/1.1'],
  ['origin with percent-encoding', 'GET /%41%42%2F%2e%2e/ HTTP/1.1'],
  ['origin with dot segments', 'GET /a/../b/./c HTTP/1.1'],
  ['origin with double slash', 'GET //a//b HTTP/1.1'],
  ['origin with sub-delims', "GET /a;p=1/b!$&'()*+,;=:@ HTTP/1.1"],
  ['origin with | { } ^ backtick', 'GET /a|b{c}d^e`f HTTP/1.1'],
  ['origin with double quote', 'GET /a"b HTTP/1.1'],
  ['origin with backslash', 'GET /a\\b HTTP/1.1'],
  ['origin with <>', 'GET /<a> HTTP/1.1'],
  ['origin ?only', 'GET /? HTTP/1.1'],
  ['asterisk with OPTIONS', 'OPTIONS * HTTP/1.1'],
  ['asterisk with GET', 'GET * HTTP/1.1'],
  ['absolute http', 'GET http://example.test/x?y HTTP/1.1'],
  ['absolute http with port 80', 'GET http://example.test:80/x HTTP/1.1', 'example.test:80'],
  ['absolute http with other port', 'GET http://example.test:8080/x HTTP/1.1', 'example.test:8080'],
  ['absolute http, no path', 'GET http://example.test HTTP/1.1'],
  ['absolute http, upper-case scheme and host', 'GET HTTP://EXAMPLE.TEST/x HTTP/1.1', 'EXAMPLE.TEST'],
  ['absolute https', 'GET https://example.test/x HTTP/1.1'],
  ['absolute with userinfo', 'GET http://u:p@example.test/x HTTP/1.1'],
  ['absolute, other scheme', 'GET ftp://example.test/x HTTP/1.1'],
  ['absolute, no Host header', 'GET http://example.test/x HTTP/1.1', null],
  ['absolute with HTTP/1.0', 'GET http://example.test/x HTTP/1.0'],
  ['authority-form CONNECT', 'CONNECT example.test:443 HTTP/1.1', 'example.test:443'],
  ['long target (8000 bytes)', `GET /${'a'.repeat(8000)} HTTP/1.1`],
  ['target with a tab', 'GET /a\tb HTTP/1.1'],
  ['empty target', 'GET  HTTP/1.1'],
  ['two spaces before version', 'GET /  HTTP/1.1'],
  ['no version', 'GET /'],
  ['HTTP/2.0 version', 'GET / HTTP/2.0'],
  ['HTTP/1.2 version', 'GET / HTTP/1.2'],
  ['HTTP/1.9 version', 'GET / HTTP/1.9'],
  ['trailing space after version', 'GET / HTTP/1.1 '],
  ['lower-case method', 'get / HTTP/1.1'],
  ['leading empty line', '\r\nGET / HTTP/1.1'],
  ['two leading empty lines', '\r\n\r\nGET / HTTP/1.1'],
];

describe('request targets', () => {
  it.each(TARGETS.map(([name, line, host]) => ({ name, line, host })))(
    '$name',
    async ({ name, line, host }) => {
      const h = host === undefined ? ['Host: example.test'] : host === null ? [] : [`Host: ${host}`];
      await pair.check({
        name: `target: ${name}`,
        steps: [req([line, ...h])],
        client: { methods: [line.split(' ')[0] ?? 'GET'] },
      });
    },
  );
});

// ---- Host variants -------------------------------------------------------------------------------

const HOSTS: [name: string, version: string, headers: string[]][] = [
  ['1.1 without Host', 'HTTP/1.1', []],
  ['1.0 without Host', 'HTTP/1.0', []],
  ['empty Host', 'HTTP/1.1', ['Host:']],
  ['Host with port', 'HTTP/1.1', ['Host: example.test:8080']],
  ['Host IPv6 literal', 'HTTP/1.1', ['Host: [::1]:80']],
  ['Host upper case name and value', 'HTTP/1.1', ['HOST: EXAMPLE.TEST']],
  ['two identical Host headers', 'HTTP/1.1', ['Host: a', 'Host: a']],
  ['two different Host headers', 'HTTP/1.1', ['Host: a', 'Host: b']],
  ['Host list', 'HTTP/1.1', ['Host: a, b']],
  ['Host with spaces inside', 'HTTP/1.1', ['Host: a b']],
  ['Host with userinfo', 'HTTP/1.1', ['Host: u@a']],
  ['Host with trailing whitespace', 'HTTP/1.1', ['Host: a  \t']],
  ['Host last', 'HTTP/1.1', ['X-A: 1', 'Host: a']],
];

describe('Host', () => {
  it.each(HOSTS.map(([name, v, h]) => ({ name, v, h })))('$name', async ({ name, v, h }) => {
    await pair.check({ name: `host: ${name}`, steps: [req([`GET /h ${v}`, ...h])] });
  });
});

// ---- header handling -----------------------------------------------------------------------------

const bigValue = 'v'.repeat(8000);
const manyHeaders = Array.from({ length: 90 }, (_, i) => `X-H${i}: ${i}`);
const HEADERS: [name: string, headers: string[]][] = [
  ['mixed-case names', ['X-MiXeD-CaSe: Value', 'content-TYPE: text/plain']],
  ['duplicate header kept in order', ['X-Dup: 1', 'X-Other: a', 'X-Dup: 2']],
  ['empty value', ['X-Empty:']],
  ['empty value with spaces', ['X-Empty:    ']],
  ['no space after colon', ['X-A:b']],
  ['tabs around value', ['X-A:\t b \t']],
  ['inner spaces kept', ['X-A: a   b   c']],
  ['all token characters in a name', ["X!#$%&'*+-.^_`|~09: v"]],
  ['8-bit bytes in a value', ['X-Latin: caf\xe9 \xff']],
  ['value with quotes and commas', ['X-A: "a, b", c;q=0.5']],
  ['8000-byte value', [`X-Big: ${bigValue}`]],
  ['90 headers', manyHeaders],
  ['Connection: keep-alive', ['Connection: keep-alive']],
  ['Connection: close', ['Connection: close']],
  ['Connection: Keep-Alive (case)', ['Connection: Keep-Alive']],
  ['Connection: CLOSE (case)', ['Connection: CLOSE']],
  ['Connection with a custom token', ['Connection: x-hop', 'X-Hop: 1']],
  ['Connection: close, x-hop', ['Connection: close, x-hop', 'X-Hop: 1']],
  ['two Connection headers', ['Connection: keep-alive', 'Connection: x-hop']],
  ['Keep-Alive header', ['Keep-Alive: timeout=5']],
  ['Proxy-Connection header', ['Proxy-Connection: keep-alive']],
  ['TE: trailers', ['TE: trailers']],
  ['Upgrade without Connection: upgrade', ['Upgrade: websocket']],
  ['Connection: upgrade without Upgrade', ['Connection: upgrade']],
  [
    'Upgrade: h2c',
    ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAAP__'],
  ],
  ['Expect: 100-continue without body', ['Expect: 100-continue']],
  ['Expect: something else', ['Expect: foo']],
  ['X-Forwarded-For from the client', ['X-Forwarded-For: 10.1.2.3']],
  ['Forwarded from the client', ['Forwarded: for=10.1.2.3']],
  ['Via', ['Via: 1.1 other']],
  ['Max-Forwards', ['Max-Forwards: 0']],
  ['Content-Type without body', ['Content-Type: text/plain']],
  ['Transfer-Encoding: chunked on GET', ['Transfer-Encoding: chunked']],
];

describe('headers', () => {
  it.each(HEADERS.map(([name, h]) => ({ name, h })))('$name', async ({ name, h }) => {
    const chunkedGet = h.some((x) => x.startsWith('Transfer-Encoding'));
    await pair.check({
      name: `header: ${name}`,
      steps: [req(['GET /h HTTP/1.1', 'Host: a', ...h], chunkedGet ? '0\r\n\r\n' : '')],
    });
  });

  it('header names reach the backend with the same case', async () => {
    const r = await pair.check({
      name: 'header name case',
      steps: [req(['GET /case HTTP/1.1', 'Host: a', 'X-MiXeD-CaSe: V', 'ACCEPT: */*'])],
      script: {
        onRequest: () => ['HTTP/1.1 200 OK\r\nX-Resp-CaSe: 1\r\nCONTENT-LENGTH: 2\r\n\r\nok'],
      },
    });
    // normalisation lower-cases names; the raw heads must match too
    const rawBackend = (o: typeof r.a) => o.raw.backend.map((x) => x.data.toString('latin1'));
    expect(rawBackend(r.b)).toEqual(rawBackend(r.a));
    expect(r.b.raw.client.data.toString('latin1')).toEqual(r.a.raw.client.data.toString('latin1'));
  });
});

// ---- bodies --------------------------------------------------------------------------------------

const CL_SIZES = [0, 1, 2, 100, 1000, 8192, 15000, 16383, 16384, 16385, 65536, 300_000];

describe('Content-Length bodies', () => {
  it.each(CL_SIZES)('POST with %i bytes in one write', async (n) => {
    const body = randomBytes(n).toString('latin1');
    await pair.check({
      name: `POST CL ${n}`,
      steps: [req(['POST /b HTTP/1.1', 'Host: a', `Content-Length: ${n}`], body)],
    });
  });

  it('POST 1 MiB streamed in 64 KiB writes', async () => {
    const body = randomBytes(1 << 20);
    const steps: ClientStep[] = [req(['POST /big HTTP/1.1', 'Host: a', `Content-Length: ${body.length}`])];
    for (let at = 0; at < body.length; at += 65536) steps.push(body.subarray(at, at + 65536), { delay: 2 });
    await pair.check({ name: 'POST CL 1 MiB streamed', steps });
  });

  it('POST with the body sent 100 ms after the head', async () => {
    await pair.check({
      name: 'POST CL late body',
      steps: [req(['POST /late HTTP/1.1', 'Host: a', 'Content-Length: 5']), { delay: 100 }, 'hello'],
    });
  });

  it('POST body split byte by byte', async () => {
    await pair.check({
      name: 'POST CL byte by byte',
      steps: [req(['POST /bb HTTP/1.1', 'Host: a', 'Content-Length: 12']), ...byteByByte('hello, world', 2)],
    });
  });

  it('request head split byte by byte', async () => {
    await pair.check({
      name: 'head byte by byte',
      steps: byteByByte(req(['GET /slow HTTP/1.1', 'Host: a', 'X-A: b']), 1),
    });
  });
});

const CHUNKED: [name: string, body: string][] = [
  ['one chunk', chunked(['hello'])],
  ['empty body (last chunk only)', '0\r\n\r\n'],
  ['many small chunks', chunked(Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + (i % 26))))],
  ['one 16 KiB chunk', chunked(['c'.repeat(16384)])],
  ['64 KiB in 1 KiB chunks', chunked(Array.from({ length: 64 }, () => 'k'.repeat(1024)))],
  ['chunk extensions', '5;name=value\r\nhello\r\n3;a;b="q;x"\r\nabc\r\n0;last\r\n\r\n'],
  ['trailers', `${chunked(['abc']).slice(0, -2)}X-Trailer: t1\r\nX-Other: t2\r\n\r\n`],
  ['upper-case hex size', 'A\r\n0123456789\r\n0\r\n\r\n'],
  ['leading zeros in size', '0005\r\nhello\r\n000\r\n\r\n'],
  ['whitespace before extension', '5 ;x=1\r\nhello\r\n0\r\n\r\n'],
  ['whitespace after size', '5 \r\nhello\r\n0\r\n\r\n'],
  ['tab before extension', '5\t;x\r\nhello\r\n0\r\n\r\n'],
  ['bare LF after size', '5\nhello\r\n0\r\n\r\n'],
  ['bare LF after data', '5\r\nhello\n0\r\n\r\n'],
  ['bare LF in final CRLF', '5\r\nhello\r\n0\r\n\n'],
  ['trailer with obs-fold', '3\r\nabc\r\n0\r\nX-T: a\r\n b\r\n\r\n'],
  ['trailer without colon', '3\r\nabc\r\n0\r\nbroken\r\n\r\n'],
  ['Content-Length in trailers', '3\r\nabc\r\n0\r\nContent-Length: 99\r\n\r\n'],
  ['Transfer-Encoding in trailers', '3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'],
];

describe('chunked bodies', () => {
  it.each(CHUNKED.map(([name, body]) => ({ name, body })))('$name', async ({ name, body }) => {
    await pair.check({
      name: `chunked: ${name}`,
      steps: [req(['POST /c HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'], body)],
    });
  });

  it('chunked body delivered byte by byte', async () => {
    await pair.check({
      name: 'chunked: byte by byte',
      steps: [
        req(['POST /c HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked']),
        ...byteByByte('3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n', 1),
      ],
    });
  });

  it('chunked body with a pause between chunks', async () => {
    await pair.check({
      name: 'chunked: paused',
      steps: [
        req(['POST /c HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n'),
        { delay: 80 },
        '4\r\ndefg\r\n',
        { delay: 80 },
        '0\r\n\r\n',
      ],
    });
  });

  it('chunked 1 MiB in 64 KiB chunks, streamed', async () => {
    const steps: ClientStep[] = [req(['POST /c HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'])];
    for (let i = 0; i < 16; i++) {
      const part = randomBytes(65536);
      steps.push(Buffer.concat([Buffer.from('10000\r\n'), part, Buffer.from('\r\n')]), { delay: 2 });
    }
    steps.push('0\r\n\r\n');
    await pair.check({ name: 'chunked: 1 MiB streamed', steps });
  });
});
