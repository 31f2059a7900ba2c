import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpParser } from '../src/index.ts';
import { MATRIX } from './cases.ts';
import { parse, Recorder, verdict } from './collect.ts';

const GET = 'GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n';
const POST_CL =
  'POST /submit HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world';
const POST_CHUNKED =
  'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip , chunked\r\n\r\n'.replace('gzip , ', '') +
  '5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Sum: 1\r\n\r\n';
const FOLDED = 'GET / HTTP/1.1\nHost: a\nX-Long: one\r\n\ttwo\r\n\r\n';

const CORPUS_REQUESTS = [
  GET,
  POST_CL,
  POST_CHUNKED,
  FOLDED,
  `${GET}${POST_CL}${POST_CHUNKED}`,
  `\r\n\r\n${GET}`,
];
const CORPUS_RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx',
];

function outcome(kind: 'request' | 'response', input: string, split: number[]) {
  const { rec } = parse(kind, input, { split });
  return { messages: rec.messages, error: rec.error?.code ?? null };
}

describe('HttpParser: requests', () => {
  it('parses a request line, headers in order and case, and no body', () => {
    const { rec } = parse('request', GET);
    const m = rec.messages[0];
    expect(m?.method).toBe('GET');
    expect(m?.target).toBe('/index.html?q=1');
    expect(m?.version).toBe('1.1');
    expect(m?.headers).toEqual(['Host', 'example.com', 'User-Agent', 't', 'Accept', '*/*']);
    expect(m?.info).toMatchObject({
      bodyKind: 'none',
      keepAlive: true,
      contentLength: -1,
      host: 'example.com',
    });
    expect(m?.complete).toBe(true);
  });

  it('delivers Content-Length bodies as slices of the input (no copy)', () => {
    const input = Buffer.from(POST_CL, 'latin1');
    const { rec } = parse('request', input);
    expect(rec.messages[0]?.body).toBe('hello world');
    expect(rec.slices.length).toBeGreaterThan(0);
    for (const s of rec.slices) expect(s.buffer).toBe(input.buffer);
  });

  it('delivers chunked bodies as slices, skips extensions, reports trailers', () => {
    const input = Buffer.from(POST_CHUNKED, 'latin1');
    const { rec } = parse('request', input);
    const m = rec.messages[0];
    expect(m?.info.bodyKind).toBe('chunked');
    expect(m?.body).toBe('hello world');
    expect(m?.trailers).toEqual(['X-Sum', '1']);
    for (const s of rec.slices) expect(s.buffer).toBe(input.buffer);
  });

  it('parses pipelined messages from one chunk', () => {
    const { rec } = parse('request', `${GET}${POST_CL}${POST_CHUNKED}${GET}`);
    expect(rec.messages.map((m) => [m.method, m.body, m.complete])).toEqual([
      ['GET', '', true],
      ['POST', 'hello world', true],
      ['POST', 'hello world', true],
      ['GET', '', true],
    ]);
  });

  it('unfolds obs-fold lines into spaces like HAProxy', () => {
    const { rec } = parse('request', FOLDED);
    expect(rec.messages[0]?.headers).toEqual(['Host', 'a', 'X-Long', 'one  \ttwo']);
  });

  it('keep-alive follows the version and the Connection tokens', () => {
    const ka = (req: string) => parse('request', req).rec.messages[0]?.info.keepAlive;
    expect(ka('GET / HTTP/1.1\r\n\r\n')).toBe(true);
    expect(ka('GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n')).toBe(false);
    expect(ka('GET / HTTP/1.0\r\n\r\n')).toBe(false);
    expect(ka('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n')).toBe(true);
    expect(ka('POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(false);
  });

  it('reports Expect: 100-continue on HTTP/1.1 only', () => {
    const ec = (req: string) => parse('request', req).rec.messages[0]?.info.expectContinue;
    expect(ec('POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n')).toBe(true);
    expect(ec('POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n')).toBe(false);
  });

  it('Content-Length and Transfer-Encoding: TE wins, the length is reported ignored', () => {
    const { rec } = parse(
      'request',
      'POST / HTTP/1.1\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(rec.messages[0]?.info).toMatchObject({
      bodyKind: 'chunked',
      contentLength: -1,
      contentLengthIgnored: true,
    });
    expect(rec.messages[0]?.complete).toBe(true);
  });

  it('pauses after an upgrade request, leaving the rest to the caller; resume() continues', () => {
    const upgrade = 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n';
    const rec = new Recorder();
    const p = new HttpParser('request', rec);
    const input = Buffer.from(`${upgrade}${GET}`, 'latin1');
    expect(p.execute(input)).toBe(upgrade.length);
    expect(p.state).toBe('paused');
    expect(rec.messages[0]?.info.upgrade).toBe(true);
    p.resume();
    p.execute(input.subarray(upgrade.length));
    expect(rec.messages.map((m) => m.target)).toEqual(['/ws', '/index.html?q=1']);
  });

  it('errors carry code, stream offset and status; the parser stops', () => {
    const rec = new Recorder();
    const p = new HttpParser('request', rec);
    const bad = 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n';
    p.execute(Buffer.from(GET, 'latin1'));
    p.execute(Buffer.from(bad, 'latin1'));
    expect(rec.error?.code).toBe('HAP_ERR_HTTP_BARE_CR');
    // HAProxy points at the byte after the lone CR (show errors' "error at position")
    expect(rec.error?.offset).toBe(GET.length + bad.indexOf('\rb') + 1);
    expect(rec.error?.status).toBe(400);
    expect(p.state).toBe('error');
    expect(p.execute(Buffer.from(GET))).toBe(0);
  });

  it('refuses a head larger than the buffer before buffering more', () => {
    const rec = new Recorder();
    const p = new HttpParser('request', rec, { bufferSize: 64 });
    p.execute(Buffer.from(`GET /${'a'.repeat(100)}`));
    expect(rec.error?.code).toBe('HAP_ERR_HTTP_HEAD_TOO_LARGE');
  });

  it('finish() in the middle of a body is a truncation error', () => {
    const { rec } = parse('request', 'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab', { finish: true });
    expect(rec.error?.code).toBe('HAP_ERR_HTTP_TRUNCATED');
  });
});

describe('HttpParser: rejection rules (codes)', () => {
  const code = (req: string, kind: 'request' | 'response' = 'request') =>
    parse(kind, req).rec.error?.code ?? 'ok';
  it.each([
    ['G@T / HTTP/1.1\r\n\r\n', 'HAP_ERR_HTTP_METHOD'],
    [' GET / HTTP/1.1\r\n\r\n', 'HAP_ERR_HTTP_METHOD'],
    ['GET\r\n\r\n', 'HAP_ERR_HTTP_REQUEST_LINE'],
    ['GET /a#b HTTP/1.1\r\n\r\n', 'HAP_ERR_HTTP_TARGET'],
    ['GET abc HTTP/1.1\r\n\r\n', 'HAP_ERR_HTTP_TARGET'],
    ['CONNECT /x HTTP/1.1\r\n\r\n', 'HAP_ERR_HTTP_TARGET'],
    ['GET /\r\n', 'HAP_ERR_HTTP_VERSION'],
    ['GET / HTTP/1.1 \r\n\r\n', 'HAP_ERR_HTTP_VERSION'],
    ['GET / HTTP/1.1\r\nX Y: z\r\n\r\n', 'HAP_ERR_HTTP_HEADER_NAME'],
    ['GET / HTTP/1.1\r\nX\t: z\r\n\r\n', 'HAP_ERR_HTTP_HEADER_NAME'],
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n', 'HAP_ERR_HTTP_HEADER_NAME'],
    ['GET / HTTP/1.1\r\nHost: a\r\r\n\r\n', 'HAP_ERR_HTTP_BARE_CR'],
    ['GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 'HAP_ERR_HTTP_BARE_CR'],
    ['GET / HTTP/1.1\r\n X: a\r\n\r\n', 'HAP_ERR_HTTP_OBS_FOLD'],
    ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'HAP_ERR_HTTP_CONTENT_LENGTH'],
    ['POST / HTTP/1.1\r\nContent-Length: 1,\r\n\r\n', 'HAP_ERR_HTTP_CONTENT_LENGTH'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'HAP_ERR_HTTP_TRANSFER_ENCODING'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'HAP_ERR_HTTP_TRANSFER_ENCODING'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 'HAP_ERR_HTTP_TE_UNSUPPORTED'],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'HAP_ERR_HTTP_HOST'],
    ['GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n', 'HAP_ERR_HTTP_AUTHORITY_MISMATCH'],
    ['GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: WebSocket\r\n\r\n', 'HAP_ERR_HTTP_WEBSOCKET_KEY'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n', 'HAP_ERR_HTTP_CHUNK_SIZE'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\rx', 'HAP_ERR_HTTP_CHUNK_SIZE'],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy', 'HAP_ERR_HTTP_CHUNK_CRLF'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'HAP_ERR_HTTP_STATUS_LINE'],
  ])('%j → %s', (req, expected) => {
    expect(code(req, req.startsWith('HTTP/') ? 'response' : 'request')).toBe(expected);
  });

  it('response errors answer 502 (HAProxy: bad response from the server)', () => {
    const { rec } = parse('response', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    expect(rec.error?.status).toBe(502);
  });

  it('the recorded HAProxy matrix holds without a running HAProxy', () => {
    for (const [name, req, haproxy] of MATRIX) expect([name, verdict(req)]).toEqual([name, haproxy]);
  });
});

describe('HttpParser: responses', () => {
  it('no body for HEAD, 1xx, 204 and 304; interim 1xx keeps the request method', () => {
    const head = parse(
      'response',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
      {
        responseTo: 'HEAD',
      },
    ).rec;
    expect(head.messages.map((m) => [m.info.bodyKind, m.body])).toEqual([
      ['none', ''],
      ['length', 'x'],
    ]);
    const { rec } = parse('response', CORPUS_RESPONSES[2] as string);
    expect(rec.messages.map((m) => [m.status, m.info.bodyKind, m.body])).toEqual([
      [100, 'none', ''],
      [204, 'none', ''],
      [200, 'length', 'x'],
    ]);
    expect(
      parse('response', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n').rec.messages[0]?.complete,
    ).toBe(true);
  });

  it('reads a body without length until finish()', () => {
    const { rec } = parse('response', 'HTTP/1.1 200 OK\r\n\r\nsome data', { finish: true });
    expect(rec.messages[0]?.info).toMatchObject({ bodyKind: 'until-close', keepAlive: false });
    expect(rec.messages[0]?.body).toBe('some data');
    expect(rec.messages[0]?.complete).toBe(true);
  });

  it('101 switches to a tunnel and reports the remaining bytes', () => {
    const input = Buffer.from(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\x81\x00',
      'latin1',
    );
    const rec = new Recorder();
    const p = new HttpParser('response', rec);
    const n = p.execute(input);
    expect(p.state).toBe('tunnel');
    expect(n).toBe(input.length - 2);
    expect([...(rec.tunnel ?? [])]).toEqual([0x81, 0x00]);
    expect(rec.tunnel?.buffer).toBe(input.buffer);
  });

  it('2xx to CONNECT is a tunnel too', () => {
    const { parser } = parse('response', 'HTTP/1.1 200 Connection established\r\n\r\n', {
      responseTo: 'CONNECT',
    });
    expect(parser.state).toBe('tunnel');
  });
});

describe('HttpParser: any split of the input gives the same result', () => {
  const splits = (len: number) =>
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 20 });
  it('byte at a time equals one chunk (requests and responses)', () => {
    for (const [kind, corpus] of [
      ['request', CORPUS_REQUESTS],
      ['response', CORPUS_RESPONSES],
    ] as const) {
      for (const input of corpus) {
        const every = Array.from({ length: input.length }, (_, i) => i + 1);
        expect(outcome(kind, input, every)).toEqual(outcome(kind, input, []));
      }
    }
  });

  it('random splits (fast-check), valid corpus and the rejection matrix', () => {
    const inputs = [...CORPUS_REQUESTS, ...MATRIX.map((m) => m[1]).filter((r) => r.length < 2000)];
    fc.assert(
      fc.property(
        fc.constantFrom(...inputs).chain((input) => fc.tuple(fc.constant(input), splits(input.length))),
        ([input, cuts]) => {
          const sorted = [...cuts].sort((a, b) => a - b);
          expect(outcome('request', input, sorted)).toEqual(outcome('request', input, []));
        },
      ),
      { numRuns: 500 },
    );
  });
});
