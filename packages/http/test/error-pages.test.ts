// HAProxy 2.6's built-in error pages and errorfiles. The unit part checks the API; the
// second part runs the real haproxy and compares, byte for byte, every built-in page and a
// corpus of errorfiles in every connection form, and replays 2.6's start-up checks of
// errorfiles (`haproxy -c`) against loadErrorFile().
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ProxyHandle, requireHaproxy, startProxy } from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionErrorPage,
  ERROR_PAGE_STATUSES,
  ErrorFileError,
  type ErrorFileErrorCode,
  type ErrorMessage,
  type ErrorPageForm,
  errorMessage,
  errorPage,
  errorPageFor,
  loadErrorFile,
  parseErrorFile,
} from '../src/error-pages.ts';

const FORMS: readonly ErrorPageForm[] = ['keep-alive', 'keep-alive-http10', 'close'];
const text = (b: Buffer | undefined) => (b === undefined ? undefined : b.toString('latin1'));
const bytes = (s: string) => Buffer.from(s, 'latin1');
const parse = (s: string, status = 403) => parseErrorFile(bytes(s), status, 'test.http');

function codeOf(f: () => unknown): ErrorFileErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof ErrorFileError) return e.code;
    throw e;
  }
}

describe('built-in pages', () => {
  it('exist for the 19 statuses of HAProxy 2.6, and no other', () => {
    expect([...ERROR_PAGE_STATUSES]).toEqual([
      200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
    ]);
    for (let s = 100; s < 600; s++) {
      expect(errorPage(s) !== undefined, String(s)).toBe(ERROR_PAGE_STATUSES.includes(s));
    }
  });

  it('are built once: the same Buffer every time', () => {
    expect(errorPage(503)).toBe(errorPage(503));
    expect(errorPage(503, 'close')).toBe(errorMessage(503)?.pages.close);
    expect(errorPageFor(503)).toBe(errorPage(503));
  });

  it('have the layout HAProxy sends for a deny on a kept-alive HTTP/1.1 connection', () => {
    expect(text(errorPage(503))).toBe(
      'HTTP/1.1 503 Service Unavailable\r\n' +
        'content-length: 107\r\n' +
        'cache-control: no-cache\r\n' +
        'content-type: text/html\r\n' +
        '\r\n' +
        '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n',
    );
    for (const s of ERROR_PAGE_STATUSES) {
      const page = text(errorPage(s)) ?? '';
      const [head = '', body = ''] = page.split('\r\n\r\n');
      expect(head.startsWith(`HTTP/1.1 ${s} `)).toBe(true);
      expect(head).toContain(`\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\n`);
      expect(body).toMatch(new RegExp(`^<html><body><h1>${s} [^<]+</h1>\\n[^\\n]+\\n</body></html>\\n$`));
    }
  });

  it('say how the connection ends in a last connection header', () => {
    for (const s of ERROR_PAGE_STATUSES) {
      const m = errorMessage(s) as ErrorMessage;
      const closes = s === 400 || s === 408;
      expect(m.keepAlive, String(s)).toBe(!closes);
      expect(text(m.pages.close)).toMatch(/\r\ncontent-type: text\/html\r\nconnection: close\r\n\r\n/);
      if (closes) {
        expect(m.pages['keep-alive']).toBe(m.pages.close);
        expect(m.pages['keep-alive-http10']).toBe(m.pages.close);
      } else {
        expect(text(m.pages['keep-alive'])).not.toContain('connection:');
        expect(text(m.pages['keep-alive-http10'])).toMatch(/\r\nconnection: keep-alive\r\n\r\n/);
      }
    }
  });

  it('have HEAD variants: the same head, no body, no copy', () => {
    for (const s of ERROR_PAGE_STATUSES) {
      for (const form of FORMS) {
        const page = errorPage(s, form) as Buffer;
        const head = errorPage(s, form, true) as Buffer;
        expect(head.buffer).toBe(page.buffer);
        expect(text(head)?.endsWith('\r\n\r\n')).toBe(true);
        expect(page.subarray(0, head.length).equals(head)).toBe(true);
        expect(page.length - head.length).toBe(Number(/content-length: (\d+)/.exec(text(head) ?? '')?.[1]));
      }
    }
  });

  it('connection-level pages are the raw texts (400, 408, 413, 422, 500, 501)', () => {
    expect(text(connectionErrorPage(408))).toBe(
      'HTTP/1.1 408 Request Time-out\r\n' +
        'Content-length: 110\r\n' +
        'Cache-Control: no-cache\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/html\r\n' +
        '\r\n' +
        "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
    );
    for (const s of ERROR_PAGE_STATUSES) {
      expect(connectionErrorPage(s) !== undefined, String(s)).toBe(
        [400, 408, 413, 422, 500, 501].includes(s),
      );
    }
    // the same page once through HAProxy's message form: names lower-cased, connection last
    const raw = text(connectionErrorPage(413)) ?? '';
    expect(text(errorPage(413, 'close'))).toBe(
      raw
        .replace('Content-length', 'content-length')
        .replace('Cache-Control', 'cache-control')
        .replace('Content-Type: text/html\r\n', 'content-type: text/html\r\nconnection: close\r\n'),
    );
  });

  it('errorPageFor() prefers an override, and an empty override means "send nothing"', () => {
    const custom = parse('HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\nno', 503);
    const empty = parse('', 408);
    const overrides = new Map([
      [503, custom],
      [408, empty],
    ]);
    expect(text(errorPageFor(503, overrides))).toBe('HTTP/1.1 503 Busy\r\ncontent-length: 2\r\n\r\nno');
    expect(text(errorPageFor(503, overrides, 'close', true))).toBe(
      'HTTP/1.1 503 Busy\r\ncontent-length: 2\r\nconnection: close\r\n\r\n',
    );
    expect(errorPageFor(408, overrides)?.length).toBe(0);
    expect(empty).toMatchObject({ empty: true, keepAlive: false });
    expect(errorPageFor(404, overrides)).toBe(errorPage(404));
    expect(errorPageFor(418, overrides)).toBeUndefined();
  });
});

describe('errorfile', () => {
  it('is re-written as HAProxy writes it out', () => {
    const m = parse(
      '\r\nHTTP/1.1 403  Very   Forbidden \r\nX-A:\t a\tb  \r\nCONTENT-LENGTH: 005\r\nX-Fold: one\r\n  two\r\n' +
        'Connection: Keep-Alive, X-Foo\r\nX-Empty:\r\n\r\nhello',
    );
    expect(text(m.pages['keep-alive'])).toBe(
      'HTTP/1.1 403 Very   Forbidden \r\nx-a: a\tb\r\ncontent-length: 005\r\nx-fold: one    two\r\n' +
        'connection: X-Foo\r\nx-empty: \r\n\r\nhello',
    );
    expect(m.keepAlive).toBe(true);
    expect(text(parse('HTTP/1.1 403 X\nContent-Length: 1\n\nx').pages.close)).toBe(
      'HTTP/1.1 403 X\r\ncontent-length: 1\r\nconnection: close\r\n\r\nx',
    );
  });

  it('keeps HTTP/1.0 pages as HTTP/1.0, writes any version above 1.0 as HTTP/1.1', () => {
    const v10 = parse('HTTP/1.0 403 X\r\nContent-Length: 0\r\n\r\n');
    expect(text(v10.pages['keep-alive'])).toBe(
      'HTTP/1.0 403 X\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n',
    );
    expect(text(v10.pages.close)).toBe('HTTP/1.0 403 X\r\ncontent-length: 0\r\n\r\n');
    expect(text(parse('HTTP/2.0 403 X\r\nContent-Length: 0\r\n\r\n').pages['keep-alive'])).toBe(
      'HTTP/1.1 403 X\r\ncontent-length: 0\r\n\r\n',
    );
  });

  it('closes after a page without a length, with Transfer-Encoding, or saying Connection: close', () => {
    for (const f of [
      'HTTP/1.1 403 X\r\n\r\nbody',
      'HTTP/1.1 403 X\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 403 X\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    ]) {
      const m = parse(f);
      expect(m.keepAlive).toBe(false);
      expect(m.pages['keep-alive']).toBe(m.pages.close);
      expect(text(m.pages.close)).toMatch(/\r\nconnection: close\r\n\r\n/);
    }
    // Transfer-Encoding wins over Content-Length, which is dropped
    expect(
      text(parse('HTTP/1.1 403 X\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc').pages.close),
    ).toBe('HTTP/1.1 403 X\r\ntransfer-encoding: gzip\r\nconnection: close\r\n\r\nabc');
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').keepAlive).toBe(true);
    expect(parse('HTTP/1.1 304 X\r\nContent-Length: 5\r\n\r\n').keepAlive).toBe(true);
  });

  it('merges Content-Length lists and duplicates as HAProxy does (the last element of a list)', () => {
    expect(text(parse('HTTP/1.1 403 X\r\nContent-Length: 1, 01\r\n\r\nx').pages['keep-alive'])).toBe(
      'HTTP/1.1 403 X\r\ncontent-length: 01\r\n\r\nx',
    );
    expect(
      text(parse('HTTP/1.1 403 X\r\nContent-Length: 01\r\nContent-Length: 1,1\r\n\r\nx').pages['keep-alive']),
    ).toBe('HTTP/1.1 403 X\r\ncontent-length: 01\r\n\r\nx');
  });

  const REFUSED: [string, string, ErrorFileErrorCode][] = [
    ['not HTTP', 'hello world\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['a request', 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['no end of head', 'HTTP/1.1 403 X\r\nContent-Length: 0\r\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['bare CR', 'HTTP/1.1 403 X\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['space before colon', 'HTTP/1.1 403 X\r\nX-A : a\r\n\r\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['fold first', 'HTTP/1.1 403 X\r\n X-A: a\r\n\r\n', 'HAP_ERR_ERRORFILE_HEAD'],
    ['101 fields', `HTTP/1.1 403 X\r\n${'X: y\r\n'.repeat(101)}\r\n`, 'HAP_ERR_ERRORFILE_HEAD'],
    [
      'two Content-Length values',
      'HTTP/1.1 403 X\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx',
      'HAP_ERR_ERRORFILE_HEAD',
    ],
    ['HTTP/1.10', 'HTTP/1.10 403 X\r\nContent-Length: 0\r\n\r\n', 'HAP_ERR_ERRORFILE_VERSION'],
    ['status 100', 'HTTP/1.1 100 Continue\r\n\r\n', 'HAP_ERR_ERRORFILE_INTERIM'],
    ['chunked', 'HTTP/1.1 403 X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HAP_ERR_ERRORFILE_CHUNKED'],
    [
      'body after Content-Length: 0',
      'HTTP/1.1 403 X\r\nContent-Length: 0\r\n\r\nx',
      'HAP_ERR_ERRORFILE_UNEXPECTED_BODY',
    ],
    ['body in a 204', 'HTTP/1.1 204 X\r\n\r\nx', 'HAP_ERR_ERRORFILE_UNEXPECTED_BODY'],
    ['short body', 'HTTP/1.1 403 X\r\nContent-Length: 10\r\n\r\nnope\n', 'HAP_ERR_ERRORFILE_LENGTH'],
    ['long body', 'HTTP/1.1 403 X\r\nContent-Length: 1\r\n\r\nnope\n', 'HAP_ERR_ERRORFILE_LENGTH'],
  ];
  it.each(REFUSED)('refuses %s, naming the file', (_n, content, code) => {
    const e = (() => {
      try {
        parseErrorFile(bytes(content), 503, '/etc/haproxy/errors/x.http');
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(ErrorFileError);
    expect((e as ErrorFileError).code).toBe(code);
    expect((e as ErrorFileError).message).toMatch(/^errorfile 503 '\/etc\/haproxy\/errors\/x\.http': .{10,}/);
  });

  it('refuses a status without a built-in page, before reading the file', () => {
    expect(codeOf(() => loadErrorFile('/nonexistent/x.http', 418))).toBe('HAP_ERR_ERRORFILE_STATUS');
    expect(codeOf(() => loadErrorFile('/nonexistent/x.http', 0))).toBe('HAP_ERR_ERRORFILE_STATUS');
    expect(codeOf(() => loadErrorFile('/nonexistent/x.http', 403))).toBe('HAP_ERR_ERRORFILE_OPEN');
    expect(codeOf(() => loadErrorFile(tmpdir(), 403))).toBe('HAP_ERR_ERRORFILE_READ');
  });

  it('applies the buffer limits (tune.bufsize, tune.maxrewrite)', () => {
    const sized = (n: number) => `HTTP/1.1 403 Forbidden\r\nContent-Length: ${n}\r\n\r\n${'a'.repeat(n)}`;
    // the boundary measured with 2.6.12
    expect(codeOf(() => parse(sized(16244)))).toBe('ok');
    expect(codeOf(() => parse(sized(16245)))).toBe('HAP_ERR_ERRORFILE_TOO_LARGE');
    expect(parse(sized(15212)).warnings).toEqual([]);
    expect(parse(sized(15213)).warnings).toHaveLength(1);
    // larger than bufsize: cut (with a warning), then found wrong
    expect(codeOf(() => parse(sized(16400)))).toBe('HAP_ERR_ERRORFILE_LENGTH');
    expect(codeOf(() => parse(`HTTP/1.1 403 Forbidden\r\n\r\n${'a'.repeat(20000)}`))).toBe(
      'HAP_ERR_ERRORFILE_TOO_LARGE',
    );
    // other limits
    // 2048 raw bytes take 2139 once converted
    expect(codeOf(() => parseErrorFile(bytes(sized(2000)), 403, 'f', { bufsize: 2139 }))).toBe('ok');
    expect(codeOf(() => parseErrorFile(bytes(sized(2000)), 403, 'f', { bufsize: 2138 }))).toBe(
      'HAP_ERR_ERRORFILE_TOO_LARGE',
    );
    const few = `HTTP/1.1 403 X\r\n${'X: y\r\n'.repeat(10)}\r\n`;
    expect(codeOf(() => parseErrorFile(bytes(few), 403, 'f', { maxhdr: 11 }))).toBe('ok');
    expect(codeOf(() => parseErrorFile(bytes(few), 403, 'f', { maxhdr: 10 }))).toBe('HAP_ERR_ERRORFILE_HEAD');
  });
});

// ---------------------------------------------------------------------------------------
// Against the real HAProxy 2.6.

/** Errorfiles HAProxy starts with; their bytes on the wire are compared in every form. */
const SENT: Record<string, string> = {
  custom:
    'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Custom: Yes\r\nContent-Length: 5\r\n\r\nnope\n',
  lf: 'HTTP/1.1 403 Forbidden\nContent-Type: text/plain\nContent-Length: 5\n\nnope\n',
  no_length: 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nnope\n',
  head_only: 'HTTP/1.1 403 Forbidden\r\n\r\n',
  empty_lines_first: '\r\n\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  debian_503:
    'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n' +
    '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n\n',
  no_reason: 'HTTP/1.1 403\r\nContent-Length: 0\r\n\r\n',
  empty_reason: 'HTTP/1.1 403 \r\nContent-Length: 0\r\n\r\n',
  spaces: 'HTTP/1.1 403  Very   Forbidden \r\nX-A:   a  b   \r\nCONTENT-LENGTH: 005\r\nX-Empty:\r\n\r\nhello',
  tabs: 'HTTP/1.1\t403\tX\r\nX-A:\ta\tb\t\r\nContent-Length: 0\r\n\r\n',
  fold: 'HTTP/1.1 403 Forbidden\r\nX-A: a\r\n  b\nX-B: c\n\td\r\nContent-Length: 0\r\n\r\n',
  status_200: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n',
  status_999: 'HTTP/1.1 999 Weird\r\nContent-Length: 0\r\n\r\n',
  status_00403: 'HTTP/1.1 00403 X\r\nContent-Length: 0\r\n\r\n',
  status_204: 'HTTP/1.1 204 No Content\r\n\r\n',
  status_304: 'HTTP/1.1 304 X\r\nContent-Length: 5\r\n\r\n',
  http10: 'HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  http09: 'HTTP/0.9 403 X\r\nContent-Length: 0\r\n\r\n',
  http20: 'HTTP/2.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  http99: 'HTTP/9.9 403 X\r\nContent-Length: 0\r\n\r\n',
  version_ptth: 'PTTH/1.1 403 X\r\nContent-Length: 0\r\n\r\n',
  version_digits: '12345678 403 X\r\nContent-Length: 0\r\n\r\n',
  version_dots: 'HTTP/1.. 403 X\r\nContent-Length: 0\r\n\r\n',
  conn_close: 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  conn_keep_alive: 'HTTP/1.1 403 Forbidden\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n',
  conn_tokens: 'HTTP/1.1 403 X\r\nConnection: A,close , B\r\nContent-Length: 0\r\n\r\n',
  conn_two: 'HTTP/1.1 403 X\r\nConnection: close\r\nConnection: foo\r\nContent-Length: 0\r\n\r\n',
  conn_keep_alive_10: 'HTTP/1.0 403 X\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
  cl_duplicate: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx',
  cl_list: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 1, 1\r\n\r\nx',
  cl_list_last: 'HTTP/1.1 403 X\r\nContent-Length: 1, 01\r\n\r\nx',
  cl_list_then_dup: 'HTTP/1.1 403 X\r\nContent-Length: 1,1\r\nContent-Length: 01\r\n\r\nx',
  cl_lead_zero: 'HTTP/1.1 403 X\r\nContent-Length: 01\r\nContent-Length: 1,1\r\n\r\nx',
  te_gzip: 'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: gzip\r\n\r\nabc',
  te_and_cl: 'HTTP/1.1 403 X\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabc',
  te_chunked_not_last: 'HTTP/1.1 403 X\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc',
  te_empty: 'HTTP/1.1 403 X\r\nTransfer-Encoding:\r\n\r\nabc',
  control_bytes: 'HTTP/1.1 403 a\x01b\r\nX-A: a\x01b\x7f\x00c\r\nContent-Length: 0\r\n\r\n',
  eight_bit: 'HTTP/1.1 403 Forbidd\xe9n\r\nX-A: caf\xe9\r\nContent-Length: 0\r\n\r\n',
  header_case: 'HTTP/1.1 403 X\r\nCONTENT-TYPE: Text/HTML\r\nx-MiXeD: V\r\nContent-Length: 0\r\n\r\n',
  no_space_after_colon: 'HTTP/1.1 403 X\r\nX-A:a\r\nContent-Length: 0\r\n\r\n',
  lf_in_body: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\na\nb\n',
  fields_100: `HTTP/1.1 403 X\r\n${Array.from({ length: 99 }, (_, i) => `X-${i}: v\r\n`).join('')}Content-Length: 0\r\n\r\n`,
  near_limit: `HTTP/1.1 403 Forbidden\r\nContent-Length: 15213\r\n\r\n${'a'.repeat(15213)}`,
  under_limit: `HTTP/1.1 403 Forbidden\r\nContent-Length: 15212\r\n\r\n${'b'.repeat(15212)}`,
  empty: '',
};

/** Files only checked at start (`haproxy -c`): accepted or refused, and why. */
const STARTUP: Record<string, string> = {
  ...SENT,
  status_40: 'HTTP/1.1 40 X\r\nContent-Length: 0\r\n\r\n',
  status_0: 'HTTP/1.1 0 X\r\nContent-Length: 0\r\n\r\n',
  status_099: 'HTTP/1.1 099 Weird\r\nContent-Length: 0\r\n\r\n',
  status_101: 'HTTP/1.1 101 Switching\r\nContent-Length: 0\r\n\r\n',
  status_101_body: 'HTTP/1.1 101 X\r\n\r\nabc',
  status_huge: 'HTTP/1.1 99999999999 X\r\nContent-Length: 0\r\n\r\n',
  status_100: 'HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n',
  status_102: 'HTTP/1.1 102 X\r\nContent-Length: 0\r\n\r\n',
  status_199: 'HTTP/1.1 199 X\r\nContent-Length: 0\r\n\r\n',
  status_204_body: 'HTTP/1.1 204 No Content\r\n\r\nx',
  status_304_body: 'HTTP/1.1 304 X\r\nContent-Length: 5\r\n\r\nabcde',
  status_abc: 'HTTP/1.1 abc X\r\nContent-Length: 0\r\n\r\n',
  status_403x: 'HTTP/1.1 403X\r\nContent-Length: 0\r\n\r\n',
  status_4a3: 'HTTP/1.1 4a3 X\r\nContent-Length: 0\r\n\r\n',
  not_http: 'hello world\n',
  request: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  lower_case_version: 'http/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  leading_space: ' HTTP/1.1 403 X\r\nContent-Length: 0\r\n\r\n',
  version_11: 'HTTP/11 403 X\r\nContent-Length: 0\r\n\r\n',
  version_1_10: 'HTTP/1.10 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  version_letter: 'HTTP/a.1 403 X\r\nContent-Length: 0\r\n\r\n',
  no_end_of_head: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n',
  bad_header_name: 'HTTP/1.1 403 Forbidden\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n',
  header_at: 'HTTP/1.1 403 X\r\nX@A: a\r\nContent-Length: 0\r\n\r\n',
  header_8bit_name: 'HTTP/1.1 403 X\r\nX-\xe9: a\r\nContent-Length: 0\r\n\r\n',
  header_empty_name: 'HTTP/1.1 403 X\r\n: a\r\nContent-Length: 0\r\n\r\n',
  header_no_colon: 'HTTP/1.1 403 X\r\nFoo\r\nContent-Length: 0\r\n\r\n',
  header_space_colon: 'HTTP/1.1 403 Forbidden\r\nX-A : a\r\nContent-Length: 0\r\n\r\n',
  fold_first: 'HTTP/1.1 403 X\r\n  X-A: a\r\nContent-Length: 0\r\n\r\n',
  bare_cr: 'HTTP/1.1 403 Forbidden\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n',
  fields_101: `HTTP/1.1 403 X\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
  fields_100_only: `HTTP/1.1 403 X\r\n${Array.from({ length: 100 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
  cl_two_values: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx',
  cl_negative: 'HTTP/1.1 403 X\r\nContent-Length: -1\r\n\r\n',
  cl_plus: 'HTTP/1.1 403 X\r\nContent-Length: +1\r\n\r\nx',
  cl_empty: 'HTTP/1.1 403 X\r\nContent-Length:\r\n\r\n',
  cl_huge: 'HTTP/1.1 403 X\r\nContent-Length: 99999999999999999999\r\n\r\n',
  cl_hex: 'HTTP/1.1 403 X\r\nContent-Length: 0x1\r\n\r\nx',
  cl_trailing_comma: 'HTTP/1.1 403 X\r\nContent-Length: 1,\r\n\r\nx',
  cl_zero_body: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\nnope\n',
  cl_short: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nnope\n',
  chunked: 'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nnope\n\r\n0\r\n\r\n',
  chunked_last: 'HTTP/1.1 403 X\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  chunked_and_cl:
    'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  limit_ok: `HTTP/1.1 403 Forbidden\r\nContent-Length: 16244\r\n\r\n${'a'.repeat(16244)}`,
  limit_over: `HTTP/1.1 403 Forbidden\r\nContent-Length: 16245\r\n\r\n${'a'.repeat(16245)}`,
  limit_two_fields_ok: `HTTP/1.1 403 Forbidden\r\nX: y\r\nXy: yz\r\nContent-Length: 16222\r\n\r\n${'a'.repeat(16222)}`,
  limit_two_fields_over: `HTTP/1.1 403 Forbidden\r\nX: y\r\nXy: yz\r\nContent-Length: 16223\r\n\r\n${'a'.repeat(16223)}`,
  limit_no_length_ok: `HTTP/1.1 403 Forbidden\r\n\r\n${'a'.repeat(16271)}`,
  limit_no_length_over: `HTTP/1.1 403 Forbidden\r\n\r\n${'a'.repeat(16272)}`,
  over_bufsize_cl: `HTTP/1.1 403 Forbidden\r\nContent-Length: 16400\r\n\r\n${'a'.repeat(16400)}`,
  over_bufsize: `HTTP/1.1 403 Forbidden\r\n\r\n${'a'.repeat(20000)}`,
};

/** HAProxy's start-up message for an errorfile → our code. */
function haproxyCategory(message: string): ErrorFileErrorCode | 'unknown' {
  const table: [string, ErrorFileErrorCode][] = [
    ['unable to parse headers', 'HAP_ERR_ERRORFILE_HEAD'],
    ['invalid http version', 'HAP_ERR_ERRORFILE_VERSION'],
    ['invalid http status code', 'HAP_ERR_ERRORFILE_INTERIM'],
    ['chunk-encoded payload not supported', 'HAP_ERR_ERRORFILE_CHUNKED'],
    ['message payload not expected', 'HAP_ERR_ERRORFILE_UNEXPECTED_BODY'],
    ['payload size does not match', 'HAP_ERR_ERRORFILE_LENGTH'],
    ['unable to add', 'HAP_ERR_ERRORFILE_TOO_LARGE'],
    ['error opening file', 'HAP_ERR_ERRORFILE_OPEN'],
    ['error reading file', 'HAP_ERR_ERRORFILE_READ'],
    ['not handled', 'HAP_ERR_ERRORFILE_STATUS'],
  ];
  for (const [needle, code] of table) if (message.includes(needle)) return code;
  return 'unknown';
}

interface Exchange {
  bytes: Buffer;
  /** The server closed after the response. */
  closed: boolean;
}

/** Sends `request`, reads one response (HEAD: no body), then tells whether the connection was closed. */
function exchange(port: number, request: string, head = false, readMs = 4000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let complete = false;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: buf, closed });
    };
    const timer = setTimeout(() => finish(false), readMs);
    const check = () => {
      if (complete) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headText = buf.subarray(0, end).toString('latin1');
      const status = Number(/^\S+ (\d+)/.exec(headText)?.[1] ?? 0);
      const cl = /\r\ncontent-length: *(\d+)/i.exec(headText);
      const bodyless = head || status === 204 || status === 304 || (status >= 100 && status < 200);
      if (bodyless || (cl && buf.length >= end + 4 + Number(cl[1]))) {
        complete = true;
        // closed soon after, or kept open?
        setTimeout(() => finish(false), 150);
      }
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      check();
    });
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(request);
  });
}

const REQUESTS: { name: string; form: ErrorPageForm; head: boolean; request: (path: string) => string }[] = [
  {
    name: 'HTTP/1.1',
    form: 'keep-alive',
    head: false,
    request: (p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`,
  },
  {
    name: 'HTTP/1.1 Connection: close',
    form: 'close',
    head: false,
    request: (p) => `GET ${p} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
  },
  { name: 'HTTP/1.0', form: 'close', head: false, request: (p) => `GET ${p} HTTP/1.0\r\n\r\n` },
  {
    name: 'HTTP/1.0 keep-alive',
    form: 'keep-alive-http10',
    head: false,
    request: (p) => `GET ${p} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
  },
  {
    name: 'HEAD HTTP/1.1',
    form: 'keep-alive',
    head: true,
    request: (p) => `HEAD ${p} HTTP/1.1\r\nHost: a\r\n\r\n`,
  },
  { name: 'HEAD HTTP/1.0', form: 'close', head: true, request: (p) => `HEAD ${p} HTTP/1.0\r\n\r\n` },
];

describe('against HAProxy 2.6', () => {
  let haproxy: ProxyHandle | undefined;
  /** What haproxy printed (its start-up warnings). */
  const haproxyLog = (): string => `${haproxy?.stdout() ?? ''}${haproxy?.stderr() ?? ''}`;
  let dir = '';
  const servers: net.Server[] = [];
  const port = { main: 0, nosrv: 0, garbage: 0, silent: 0, raw: 0 };
  const messages = new Map<string, ErrorMessage>();

  function listen(handler: (s: net.Socket) => void): Promise<number> {
    const srv = net.createServer((s) => {
      s.on('error', () => {});
      handler(s);
    });
    servers.push(srv);
    return new Promise((resolve) =>
      srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)),
    );
  }

  beforeAll(async () => {
    requireHaproxy();
    dir = mkdtempSync(join(tmpdir(), 'hap-errpages-'));
    mkdirSync(join(dir, 'files'));
    for (const [name, content] of Object.entries(STARTUP))
      writeFileSync(join(dir, 'files', `${name}.http`), bytes(content));
    for (const name of Object.keys(SENT))
      messages.set(name, loadErrorFile(join(dir, 'files', `${name}.http`), 403));

    const garbageServer = await listen((s) => s.once('data', () => s.end('garbage\r\n\r\n')));
    const silentServer = await listen(() => {});
    for (const k of Object.keys(port) as (keyof typeof port)[]) port[k] = await freePort();
    let cfg = `
global
  log stderr format raw local0 info
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 1s
  timeout http-request 1s
frontend main
  bind 127.0.0.1:${port.main}
  monitor-uri /monitor
  http-request auth realm Ze if { path /auth }
  http-request return status 404 if { path /return404 }
${ERROR_PAGE_STATUSES.map((s) => `  http-request deny deny_status ${s} if { path /deny/${s} }`).join('\n')}
  http-request deny if { path /deny }
${Object.keys(SENT)
  .map((n) => `  use_backend ef_${n} if { path /ef/${n} }`)
  .join('\n')}
  default_backend nosrv
backend nosrv
frontend f_nosrv
  bind 127.0.0.1:${port.nosrv}
  default_backend nosrv
frontend f_garbage
  bind 127.0.0.1:${port.garbage}
  default_backend garbage
backend garbage
  server s 127.0.0.1:${garbageServer}
frontend f_silent
  bind 127.0.0.1:${port.silent}
  default_backend silent
backend silent
  server s 127.0.0.1:${silentServer}
frontend f_raw
  bind 127.0.0.1:${port.raw}
  errorfile 400 ${join(dir, 'files', 'custom.http')}
  errorfile 408 ${join(dir, 'files', 'custom.http')}
  errorfile 413 ${join(dir, 'files', 'custom.http')}
  default_backend nosrv
`;
    for (const n of Object.keys(SENT)) {
      cfg += `backend ef_${n}\n  errorfile 403 ${join(dir, 'files', `${n}.http`)}\n  http-request deny\n`;
    }
    writeFileSync(join(dir, 'run.cfg'), cfg);
    haproxy = await startProxy('haproxy', join(dir, 'run.cfg'), {
      readyPorts: Object.values(port),
      readyCheck: 'connect',
    });
  });

  afterAll(async () => {
    await haproxy?.stop();
    for (const s of servers) s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe.concurrent('built-in pages through `http-request deny deny_status <code>`', () => {
    for (const status of ERROR_PAGE_STATUSES) {
      it(`${status}`, async ({ expect }) => {
        const all = await Promise.all(
          REQUESTS.map((r) => exchange(port.main, r.request(`/deny/${status}`), r.head)),
        );
        for (const [i, r] of REQUESTS.entries()) {
          const got = all[i] as Exchange;
          const want = errorPage(status, r.form, r.head);
          expect(text(got.bytes), `${status}, ${r.name}`).toBe(text(want));
          const m = errorMessage(status) as ErrorMessage;
          expect(got.closed, `${status}, ${r.name}: closed`).toBe(r.form === 'close' || !m.keepAlive);
        }
      });
    }

    it('`http-request deny` alone is the 403 page', async ({ expect }) => {
      expect(text((await exchange(port.main, REQUESTS[0]?.request('/deny') ?? '')).bytes)).toBe(
        text(errorPage(403)),
      );
    });
  });

  describe('built-in pages where HAProxy produces them', () => {
    it('503: a backend without a server', async () => {
      expect(text((await exchange(port.nosrv, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).bytes)).toBe(
        text(errorPage(503)),
      );
      expect(text((await exchange(port.nosrv, 'GET / HTTP/1.0\r\n\r\n')).bytes)).toBe(
        text(errorPage(503, 'close')),
      );
    });

    it('502: a server answering garbage', async () => {
      expect(text((await exchange(port.garbage, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).bytes)).toBe(
        text(errorPage(502)),
      );
    });

    it('504: a server that does not answer within `timeout server`', async () => {
      expect(text((await exchange(port.silent, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).bytes)).toBe(
        text(errorPage(504)),
      );
    });

    it('200: monitor-uri', async () => {
      expect(text((await exchange(port.main, 'GET /monitor HTTP/1.1\r\nHost: a\r\n\r\n')).bytes)).toBe(
        text(errorPage(200)),
      );
    });

    it('401 from `http-request auth` is the page plus www-authenticate, last', async () => {
      const got = text((await exchange(port.main, 'GET /auth HTTP/1.1\r\nHost: a\r\n\r\n')).bytes);
      const page = text(errorPage(401)) ?? '';
      expect(got).toBe(page.replace('\r\n\r\n', '\r\nwww-authenticate: Basic realm="Ze"\r\n\r\n'));
    });

    it('`http-request return status 404` without payload is not the page: an empty body', async () => {
      const got = text((await exchange(port.main, 'GET /return404 HTTP/1.1\r\nHost: a\r\n\r\n')).bytes);
      expect(got).toBe('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    });
  });

  describe('connection-level errors: the raw built-in text, errorfiles not used', () => {
    it('400: a request that does not parse', async () => {
      const got = await exchange(port.raw, 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(text(got.bytes)).toBe(text(connectionErrorPage(400)));
      expect(got.closed).toBe(true);
    });

    it('408: `timeout http-request` with half a request line', async () => {
      const got = await exchange(port.raw, 'GET / HT');
      expect(text(got.bytes)).toBe(text(connectionErrorPage(408)));
      expect(got.closed).toBe(true);
    });

    it('413: an HTTP/1.0 GET with a body', async () => {
      const got = await exchange(port.raw, 'GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx');
      expect(text(got.bytes)).toBe(text(connectionErrorPage(413)));
      expect(got.closed).toBe(true);
    });

    it('422: a request Transfer-Encoding other than chunked before chunked', async () => {
      const got = await exchange(
        port.raw,
        'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      );
      expect(text(got.bytes)).toBe(text(connectionErrorPage(422)));
      expect(got.closed).toBe(true);
    });
  });

  describe.concurrent('errorfile 403: what HAProxy sends is what loadErrorFile() gives', () => {
    for (const name of Object.keys(SENT)) {
      it(name, async ({ expect }) => {
        const m = messages.get(name) as ErrorMessage;
        const all = await Promise.all(
          REQUESTS.map((r) => exchange(port.main, r.request(`/ef/${name}`), r.head)),
        );
        for (const [i, r] of REQUESTS.entries()) {
          const got = all[i] as Exchange;
          expect(text(got.bytes), `${name}, ${r.name}`).toBe(
            text(r.head ? m.heads[r.form] : m.pages[r.form]),
          );
          expect(got.closed, `${name}, ${r.name}: closed`).toBe(r.form === 'close' || !m.keepAlive);
        }
      });
    }

    it('warns at start about the same files (little room left for rewriting)', ({ expect }) => {
      const warned = Object.keys(SENT).filter((n) =>
        new RegExp(`errorfile '[^']*/${n}\\.http' runs over the buffer space`).test(haproxyLog()),
      );
      const ours = Object.keys(SENT).filter((n) => (messages.get(n)?.warnings.length ?? 0) > 0);
      expect(ours).toEqual(warned);
      expect(ours).toEqual(['near_limit']);
    });
  });

  describe('start-up checks (`haproxy -c`)', () => {
    it('accepts and refuses the same errorfiles, for the same reason', () => {
      const files = Object.keys(STARTUP);
      let cfg = 'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';
      const lineOf = new Map<number, string>();
      let line = cfg.split('\n').length - 1;
      const add = (s: string) => {
        cfg += `${s}\n`;
        line += 1;
        return line;
      };
      files.forEach((name, i) => {
        add(`backend b${i}`);
        lineOf.set(add(`  errorfile 503 ${join(dir, 'files', `${name}.http`)}`), name);
      });
      const extra: [string, number, string][] = [
        ['nonexistent', 503, join(dir, 'files', 'nonexistent.http')],
        ['directory', 503, join(dir, 'files')],
        ['unhandled', 418, join(dir, 'files', 'custom.http')],
      ];
      for (const [name, code, path] of extra) {
        add(`backend x_${name}`);
        lineOf.set(add(`  errorfile ${code} ${path}`), name);
      }
      writeFileSync(join(dir, 'check.cfg'), cfg);
      const r = spawnSync('haproxy', ['-c', '-f', join(dir, 'check.cfg')], { encoding: 'utf8' });
      const out = r.stdout + r.stderr;
      expect(r.status).not.toBe(0);
      const theirs = new Map<string, ErrorFileErrorCode | 'unknown'>();
      for (const m of out.matchAll(/parsing \[[^:\]]+:(\d+)\] : errorfile : (.*)/g)) {
        const name = lineOf.get(Number(m[1]));
        expect(name, `no file for line ${m[1]}: ${m[0]}`).toBeDefined();
        theirs.set(name as string, haproxyCategory(m[2] ?? ''));
      }
      const ours = new Map<string, ErrorFileErrorCode>();
      for (const name of files) {
        const code = codeOf(() => loadErrorFile(join(dir, 'files', `${name}.http`), 503));
        if (code !== 'ok') ours.set(name, code);
      }
      ours.set(
        'nonexistent',
        codeOf(() => loadErrorFile(join(dir, 'files', 'nonexistent.http'), 503)) as ErrorFileErrorCode,
      );
      ours.set('directory', codeOf(() => loadErrorFile(join(dir, 'files'), 503)) as ErrorFileErrorCode);
      ours.set(
        'unhandled',
        codeOf(() => loadErrorFile(join(dir, 'files', 'custom.http'), 418)) as ErrorFileErrorCode,
      );
      expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...theirs].sort()));
      // and every file HAProxy 2.6 cuts is one we warn about
      for (const name of ['over_bufsize_cl', 'over_bufsize']) {
        expect(out).toContain(
          `custom error message file '${join(dir, 'files', `${name}.http`)}' larger than 16384 bytes`,
        );
      }
      expect(theirs.size).toBeGreaterThan(30);
    });

    it('deny_status accepts only the statuses with a page', () => {
      const cfg = (code: number) =>
        `defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n` +
        `frontend f\n  bind 127.0.0.1:1\n  http-request deny deny_status ${code}\n`;
      for (const code of [418, 402, 300, 511, 200, 429]) {
        writeFileSync(join(dir, 'deny.cfg'), cfg(code));
        const r = spawnSync('haproxy', ['-c', '-f', join(dir, 'deny.cfg')], { encoding: 'utf8' });
        const out = r.stdout + r.stderr;
        expect(out.includes('not handled by default'), `${code}: ${out}`).toBe(
          !ERROR_PAGE_STATUSES.includes(code),
        );
      }
    });
  });
});
