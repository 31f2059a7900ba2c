import { describe, expect, it } from 'vitest';
import { type HttpParseError, HttpParser, type MessageCapture } from '../src/index.ts';

/** Feeds `pieces` to a parser and returns what captureMessage() gave from inside onError. */
function captureOf(kind: 'request' | 'response', pieces: readonly string[]): MessageCapture | undefined {
  let cap: MessageCapture | undefined;
  let parser: HttpParser;
  let body = 0;
  const handler = {
    onHeadersComplete() {
      body = 0;
    },
    onBody(slice: Buffer) {
      body += slice.length;
    },
    onMessageComplete() {},
    onError(e: HttpParseError) {
      cap = parser.captureMessage(e, body);
    },
  };
  parser = new HttpParser(kind, handler);
  for (const p of pieces) parser.execute(Buffer.from(p, 'latin1'));
  return cap;
}

// Each row: what HAProxy 2.6.12's `show errors` printed for the same bytes sent in one write
// (len, error at position, H1 msg state, H1 msg flags, chunk/body len).
const ROWS: [string, string, number, number, string, number, number][] = [
  ['bad header name byte', 'GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n', 28, 18, 'MSG_HDR_NAME(17)', 0x1410, 0],
  ['bad version byte', 'GET / HTTP/1.x\r\nHost: a\r\n\r\n', 27, 13, 'MSG_RQVER(6)', 0x1400, 0],
  ['bad method byte', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n', 27, 1, 'MSG_RQMETH(2)', 0x1400, 0],
  [
    'conflicting Content-Length',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    70,
    61,
    'MSG_HDR_L2_LWS(24)',
    0x1411,
    3,
  ],
  [
    'invalid Content-Length',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc',
    51,
    42,
    'MSG_HDR_L2_LWS(24)',
    0x1410,
    0,
  ],
  ['lone CR in a value', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n', 29, 24, 'MSG_HDR_L2_LF(23)', 0x1410, 0],
  [
    'bad chunk size',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    60,
    56,
    'MSG_CHUNK_SIZE(26)',
    0x11712,
    0,
  ],
  ['header without colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n', 26, 20, 'MSG_HDR_NAME(17)', 0x1410, 0],
  ['fold without a header', 'GET / HTTP/1.1\r\n x: a\r\n\r\n', 25, 16, 'MSG_HDR_NAME(17)', 0x1410, 0],
  ['HTTP/0.9', 'GET /\r\n\r\n', 9, 5, 'MSG_DATA(27)', 0x1400, 0],
  [
    'two Host values',
    'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    36,
    31,
    'MSG_HDR_L2_LWS(24)',
    0x1410,
    0,
  ],
  [
    'Transfer-Encoding not ending with chunked',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    53,
    53,
    'MSG_DATA(27)',
    0x21610,
    0,
  ],
  [
    'transfer-coding other than chunked (422)',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    67,
    62,
    'MSG_CHUNK_SIZE(26)',
    0x31712,
    0,
  ],
  [
    'authority and Host differ',
    'GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n',
    35,
    30,
    'MSG_LAST_LF(25)',
    0x1410,
    0,
  ],
  [
    'websocket without key',
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
    68,
    68,
    'MSG_DONE(30)',
    0x9590,
    0,
  ],
  [
    'head larger than the buffer',
    `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(17000)}\r\n\r\n`,
    16320,
    16320,
    'MSG_HDR_VAL(22)',
    0x1410,
    0,
  ],
];

describe('HttpParser.captureMessage (show errors)', () => {
  it.each(ROWS)('%s: what HAProxy 2.6 captures', (_name, input, len, pos, state, flags, clen) => {
    const c = captureOf('request', [input]);
    expect(c).toBeDefined();
    const bytes = Buffer.from(input, 'latin1').subarray(0, len);
    expect(c!.bytes.equals(bytes)).toBe(true);
    expect(c!.errorPos).toBe(pos);
    expect(`${c!.stateName}(${c!.state})`).toBe(state);
    expect(c!.flags).toBe(flags);
    expect(c!.chunkLen).toBe(clen);
    expect(c!.bodyLen).toBe(clen);
  });

  it('a response: RESP and VER_11 flags, error in the header name', () => {
    const input = 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n';
    const c = captureOf('response', [input]);
    expect(c?.bytes.toString('latin1')).toBe(input);
    expect(c?.errorPos).toBe(20);
    expect(c?.stateName).toBe('MSG_HDR_NAME');
    expect(c?.flags).toBe(0x1414);
  });

  it('a response with a bad status code: the version was already noted (VER_11)', () => {
    const input = 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n';
    const c = captureOf('response', [input]);
    expect(c?.errorPos).toBe(10);
    expect(`${c?.stateName}(${c?.state})`).toBe('MSG_RPCODE(12)');
    expect(c?.flags).toBe(0x1414);
  });

  it('a head spread over several reads is captured whole, from its first byte', () => {
    const c = captureOf('request', ['GET / HT', 'TP/1.1\r\nHost: a\r\n', 'X', '(: y\r\n\r\n']);
    expect(c?.bytes.toString('latin1')).toBe('GET / HTTP/1.1\r\nHost: a\r\nX(: y\r\n\r\n');
    expect(c?.errorPos).toBe(26);
  });

  it('a second message on the connection starts at 0, without the first one', () => {
    const first = 'GET /a HTTP/1.1\r\nHost: a\r\n\r\n';
    const c = captureOf('request', [first, 'GET /b HTTP/1.1\r\nHo st: a\r\n\r\n']);
    expect(c?.bytes.toString('latin1')).toBe('GET /b HTTP/1.1\r\nHo st: a\r\n\r\n');
    expect(c?.errorPos).toBe(19);
  });

  it('a body error in a later read holds what that read brought', () => {
    const c = captureOf('request', [
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5\r\nhello\r\nzz\r\n',
    ]);
    expect(c?.bytes.toString('latin1')).toBe('5\r\nhello\r\nzz\r\n');
    expect(c?.errorPos).toBe(10);
    expect(c?.stateName).toBe('MSG_CHUNK_SIZE');
    // HAProxy: no chunk pending, 5 body bytes so far
    expect(c?.chunkLen).toBe(0);
    expect(c?.bodyLen).toBe(5);
  });

  it('the capture is a copy: reusing the input buffer does not change it', () => {
    let cap: MessageCapture | undefined;
    let parser: HttpParser;
    const input = Buffer.from('GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n', 'latin1');
    parser = new HttpParser('request', {
      onHeadersComplete() {},
      onBody() {},
      onMessageComplete() {},
      onError(e) {
        cap = parser.captureMessage(e);
      },
    });
    parser.execute(input);
    input.fill(0x41);
    expect(cap?.bytes.toString('latin1')).toBe('GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n');
  });
});
