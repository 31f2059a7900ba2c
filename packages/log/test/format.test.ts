// log-format strings: every alias, flags, spaces, errors and the predefined formats, against
// the manual's examples and what HAProxy 2.6 prints (see haproxy-diff.test.ts for the
// byte-for-byte comparison with the real program).
import { createVarStore, type SampleEnv } from '@hap/sample';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLF_HTTP_LOG_FORMAT,
  defaultConnectLine,
  embryonicLogLine,
  HTTP_LOG_FORMAT,
  HTTPS_LOG_FORMAT,
  LOG_FORMAT_ALIASES,
  LogError,
  type LogFormatOptions,
  type LogRecord,
  logFormatFor,
  parseLogFormat,
  TCP_LOG_FORMAT,
} from '../src/index.ts';
import { httpRecord, tcpRecord } from './helpers.ts';

beforeAll(() => {
  process.env['TZ'] = 'UTC';
});

const OPTS: LogFormatOptions = { hostname: 'lb1', pid: 4242 };

function render(fmt: string, r: LogRecord = httpRecord(), opts: LogFormatOptions = {}): string {
  return parseLogFormat(fmt, { ...OPTS, ...opts }).render(r);
}

function refused(fmt: string, opts: LogFormatOptions = {}): LogError {
  try {
    parseLogFormat(fmt, { ...OPTS, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(LogError);
    return e as LogError;
  }
  throw new Error(`'${fmt}' was accepted`);
}

function env(changes: Partial<SampleEnv> = {}): SampleEnv {
  return {
    src: '10.0.1.2',
    srcPort: 33317,
    dst: '10.0.3.31',
    dstPort: 8012,
    frontend: 'http-in',
    backend: 'static',
    server: 'srv1',
    req: undefined,
    res: undefined,
    ssl: undefined,
    vars: createVarStore(new Map()),
    world: {
      nbsrv: () => 1,
      beConn: () => 0,
      queue: () => 0,
      feConn: () => 1,
      serverUp: () => true,
    },
    ...changes,
  };
}

describe('predefined formats', () => {
  it('option httplog prints the manual example', () => {
    expect(render(HTTP_LOG_FORMAT)).toBe(
      '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- ' +
        '1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"',
    );
  });

  it('option httplog without captures leaves the braces out', () => {
    const r = httpRecord({ requestCaptures: undefined, responseCaptures: undefined });
    expect(render(HTTP_LOG_FORMAT, r)).toBe(
      '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- ' +
        '1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"',
    );
  });

  it('option tcplog prints the manual example', () => {
    expect(render(TCP_LOG_FORMAT, tcpRecord(), { mode: 'tcp' })).toBe(
      '10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0',
    );
  });

  it('option httplog clf', () => {
    const r = httpRecord({ requestCaptures: ['1wt.eu', undefined], requestCookie: 'SID=1' });
    expect(render(CLF_HTTP_LOG_FORMAT, r)).toBe(
      '10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 200 2750 "" "" ' +
        '33317 655 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 ' +
        '"SID=1" "" "1wt.eu" "" ""',
    );
  });

  it('logasap puts a + before the bytes and the total times', () => {
    expect(render('%B %Ta %Tt %Tu %U', httpRecord(), { logasap: true })).toBe('+2750 +109 +109 +109 120');
  });

  it('option httpslog: the TLS part from the record, as HAProxy prints it without and with TLS', () => {
    const tail = (r: LogRecord) => render(HTTPS_LOG_FORMAT, r).split('"').pop();
    // a clear connection: fc_err 0 and ssl_fc_is_resumed 0, the TLS fetches find nothing
    expect(tail(httpRecord())).toBe(' 0/-/-/-/0 -/-/-');
    const tls: LogRecord = {
      ...httpRecord(),
      frontendSsl: true,
      sslVersion: 'TLSv1.3',
      sslCipher: 'TLS_AES_256_GCM_SHA384',
      sslError: 0,
      sslClientCertError: 0,
      sslClientCaError: 0,
      sslResumed: true,
      sslSni: 'www.example.com',
    };
    expect(tail(tls)).toBe(' 0/0000000000000000/0/0/1 www.example.com/TLSv1.3/TLS_AES_256_GCM_SHA384');
    expect(render('%ft', tls)).toBe('http-in~');
    // ssl_fc_err,hex: the integer as 8 big-endian bytes, upper case
    expect(render('%[ssl_fc_err,hex] %[fc_err]', { ...tls, sslError: 0x1408a10b, connError: 15 })).toBe(
      '000000001408A10B 15',
    );
    // quoting flags apply as to any %[…]
    expect(render('%{+Q}[ssl_fc_sni] %{+Q}[ssl_c_err]', httpRecord())).toBe('"" ""');
  });

  it('chooses the format of a proxy as HAProxy does', () => {
    expect(logFormatFor(undefined, 'http')).toBeUndefined();
    expect(logFormatFor({ kind: 'httplog' }, 'http')).toBe(HTTP_LOG_FORMAT);
    expect(logFormatFor({ kind: 'httplog', clf: true }, 'http')).toBe(CLF_HTTP_LOG_FORMAT);
    expect(logFormatFor({ kind: 'httplog' }, 'tcp')).toBe(TCP_LOG_FORMAT);
    expect(logFormatFor({ kind: 'httpslog' }, 'tcp')).toBe(TCP_LOG_FORMAT);
    expect(logFormatFor({ kind: 'tcplog' }, 'http')).toBe(TCP_LOG_FORMAT);
    expect(logFormatFor({ kind: 'log-format', text: '%ci' }, 'tcp')).toBe('%ci');
  });

  it('the default line at accept time', () => {
    const r = httpRecord();
    expect(defaultConnectLine(r, 'http')).toBe(
      'Connect from 10.0.1.2:33317 to 10.0.3.31:8012 (http-in/HTTP)',
    );
    expect(defaultConnectLine({ ...r, frontendAddress: undefined }, 'tcp')).toBe(
      'Connect from 10.0.1.2:33317 to undetermined address:0 (http-in/TCP)',
    );
    expect(defaultConnectLine({ ...r, clientAddress: 'unix' }, 'tcp', 3)).toBe(
      'Connect to unix:3 (http-in/TCP)',
    );
    expect(defaultConnectLine({ ...r, clientAddress: undefined }, 'tcp', 3)).toBe(
      'Connect from unknown source to listener 3 (http-in/TCP)',
    );
  });

  it('the line of a connection that failed before its stream', () => {
    expect(embryonicLogLine(httpRecord(), 'f1', 'Connection error during SSL handshake')).toBe(
      '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in/f1: Connection error during SSL handshake',
    );
    expect(
      embryonicLogLine(httpRecord({ clientAddress: undefined }), 2, 'Timeout during SSL handshake'),
    ).toBe('unknown [06/Feb/2009:12:14:14.655] http-in/2: Timeout during SSL handshake');
  });
});

describe('aliases', () => {
  const cases: Array<[string, string, Partial<LogRecord>?]> = [
    ['%ci %cp %fi %fp', '10.0.1.2 33317 10.0.3.31 8012'],
    ['%bi %bp %si %sp', '10.0.3.31 41000 127.0.0.1 8000'],
    ['%bi %bp %si %sp', '- - - -', { backendSourceAddress: undefined, serverAddress: undefined }],
    ['%ci:%cp', 'unix:7', { clientAddress: 'unix', clientPort: 7 }],
    ['%ci %cp', '- -', { clientAddress: undefined }],
    ['%f %ft %b %s', 'http-in http-in static srv1'],
    ['%ft', 'http-in~', { frontendSsl: true }],
    ['%s', '<NOSRV>', { server: undefined }],
    [
      '%sslv %sslc',
      'TLSv1.3 TLS_AES_256_GCM_SHA384',
      { sslVersion: 'TLSv1.3', sslCipher: 'TLS_AES_256_GCM_SHA384' },
    ],
    ['%sslv %sslc', '- -'],
    ['%Th %Ti %TR %Tw %Tc %Tr %Ta %Tt %Tq %Td %Tu', '0 0 10 0 30 69 109 109 10 0 109'],
    ['%Th/%Ti/%TR/%Tq', '5/20/10/35', { tHandshake: 5, tIdle: 20, tRequest: 35, tQueue: 35 }],
    [
      '%TR/%Tw/%Tc/%Tr/%Ta',
      '-1/-1/-1/-1/7',
      { tRequest: -1, tQueue: -1, tConnect: -1, tData: -1, tClose: 7 },
    ],
    ['%Tw/%Tc/%Tr', '0/-1/-1', { tConnect: -1, tData: -1 }],
    ['%Td', '5002', { backendMode: 'tcp', tConnect: 5, tData: -1, tClose: 5007 }],
    ['%Td', '-1', { backendMode: 'http', tData: -1 }],
    ['%Ta %Tu %Tt', '90 99 109', { tIdle: 10, tHandshake: 9 }],
    ['%Ti %Ta %Tu', '-1 109 109', { tIdle: -1 }],
    ['%B %U', '2750 120'],
    ['%ST', '503', { status: 503 }],
    ['%ST', '-1', { status: -1 }],
    [
      '%ac/%fc/%bc/%sc/%rc %sq/%bq',
      '7/6/5/4/3 2/1',
      { actconn: 7, feconn: 6, beconn: 5, srvconn: 4, retries: 3, srvQueue: 2, backendQueue: 1 },
    ],
    ['%rc', '+1', { retries: 1, redispatched: true }],
    ['%rt %lc', '12 3', { requestCounter: 12, logCounter: 3 }],
    ['%{+X}rt %{+X}lc', '000C 0003', { requestCounter: 12, logCounter: 3 }],
    ['%t', '06/Feb/2009:12:14:14.655'],
    ['%tr', '06/Feb/2009:12:14:14.680', { tHandshake: 5, tIdle: 20 }],
    ['%tr', '06/Feb/2009:12:14:14.655', { tHandshake: 5, tIdle: -1 }],
    ['%T', '06/Feb/2009:12:14:14 +0000'],
    ['%trg', '06/Feb/2009:12:14:15 +0000', { tIdle: 400 }],
    ['%Tl %trl', '06/Feb/2009:12:14:14 +0000 06/Feb/2009:12:14:14 +0000'],
    ['%Ts %{+X}Ts', '1233922454 498C2996'],
    ['%ms %{+X}ms', '655 28F'],
    ['%ms', '007', { acceptDate: Date.UTC(2009, 1, 6, 12, 14, 14, 7) }],
    ['%ts %tsc', '-- ----'],
    ['%ts %tsc', 'CD CD--', { termCause: 'client-abort', termPhase: 'data' }],
    [
      '%tsc',
      'sHNI',
      { termCause: 'server-timeout', termPhase: 'headers', cookie: { client: 'none', server: 'inserted' } },
    ],
    ['%CC %CS', '- -'],
    ['%CC %CS', 'SID=1 SID=2', { requestCookie: 'SID=1', responseCookie: 'SID=2' }],
    ['%hr %hs', '{1wt.eu} {}'],
    ['%hr|%hs', '|', { requestCaptures: undefined, responseCaptures: undefined }],
    ['%hr', '{a#7Bb#7Cc#7D#22#23#C3#A9#E2#82#AC|}', { requestCaptures: ['a{b|c}"#é€', undefined] }],
    ['%hrl %hsl', '1wt.eu -'],
    ['%{+Q}hrl', '"a" ""', { requestCaptures: ['a', undefined] }],
    ['%r', 'GET /index.html HTTP/1.1'],
    ['%r', '<BADREQ>', { requestLine: undefined }],
    ['%r', 'GET /a#22b#23c#09 HTTP/1.1', { requestLine: 'GET /a"b#c\t HTTP/1.1' }],
    [
      '%HM|%HU|%HP|%HPO|%HQ|%HV',
      'GET|/p/q?z=2|/p/q|/p/q|?z=2|HTTP/1.1',
      { requestLine: 'GET /p/q?z=2 HTTP/1.1' },
    ],
    [
      '%HM|%HU|%HP|%HPO|%HQ|%HV',
      'GET|http://h/a?b|http://h/a|/a|?b|HTTP/1.1',
      { requestLine: 'GET http://h/a?b HTTP/1.1' },
    ],
    ['%HU|%HPO|%HV', 'h:443||HTTP/1.1', { requestLine: 'CONNECT h:443 HTTP/1.1' }],
    ['%HU|%HV', '/x|HTTP/0.9', { requestLine: 'GET /x' }],
    [
      '%HM|%HU|%HP|%HPO|%HQ|%HV',
      '<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>',
      { requestLine: undefined },
    ],
    ['%{+Q}HM %{+Q}HQ', '"GET" ""'],
    ['%ID', '-'],
    ['%ID %{+Q}ID', 'abc-1 "abc-1"', { uniqueId: 'abc-1' }],
    ['%H %pid %{+X}pid', 'lb1 4242 1092'],
    ['%{+X}ci:%{+X}cp', '0A000102:8225'],
    ['%{+X}ci', '20010DB8000000000000000000000001', { clientAddress: '2001:db8::1' }],
    ['%{+X}ci', '00000000000000000000FFFF0A000102', { clientAddress: '::ffff:10.0.1.2' }],
    ['%ci %{+Q}ci', '2001:db8::1 "2001:db8::1"', { clientAddress: '2001:db8::1' }],
  ];
  for (const [fmt, out, changes] of cases) {
    it(`${fmt} → ${out}`, () => {
      expect(render(fmt, httpRecord(changes ?? {}))).toBe(out);
    });
  }

  it('lists every HAProxy 2.6 alias', () => {
    const all =
      'B CC CS H ID ST T Ta Tc Td Th Ti Tl Tq Tr TR Ts Tt Tu Tw U ac b bc bi bp bq ci cp f fc fi fp ft ' +
      'hr hrl hs hsl HM HP HPO HQ HU HV lc ms pid r rc rt s sc si sp sq sslc sslv t tr trg trl ts tsc';
    expect([...LOG_FORMAT_ALIASES].sort()).toEqual(all.split(' ').sort());
  });
});

describe('flags, text and spaces', () => {
  it('quotes strings, never numbers', () => {
    expect(render('%{+Q}o %f %b %s %ST %B %ts %Tt %ci %cp')).toBe(
      '"http-in" "static" "srv1" 200 2750 -- 109 "10.0.1.2" 33317',
    );
  });

  it('%o sets the flags of what follows, %{-Q} removes one', () => {
    expect(render('%f %{+Q}o %f %{-Q}f %f %{-Q}o %f')).toBe('http-in "http-in" http-in "http-in" http-in');
  });

  it('a missing string is "-" unquoted, "" quoted, and M can be removed', () => {
    const r = httpRecord({ requestCookie: undefined });
    expect(render('%CC %{+Q}CC %{-M}CC|', r)).toBe('- "" |');
  });

  it('E escapes quotes, backslashes and closing brackets', () => {
    const r = httpRecord({ uniqueId: 'a"b]c\\d', requestLine: 'GET /a]"\\ HTTP/1.1' });
    expect(render('%{+E}ID %{+Q,+E}ID %{+E}r', r)).toBe(
      'a\\"b\\]c\\\\d "a\\"b\\]c\\\\d" GET /a\\]#22\\\\ HTTP/1.1',
    );
  });

  it('flags: the last sign wins, unknown names are ignored', () => {
    expect(render('%{+Q,-Q}f %{+Z,+Q}f %{Q}f')).toBe('http-in "http-in" http-in');
  });

  it('merges spaces, drops leading ones, keeps the last one', () => {
    expect(render('   %f    %b  x ')).toBe('http-in static x ');
  });

  it('%% is a percent sign, % before another character is dropped', () => {
    expect(render('100%% %f%-x %!y')).toBe('100% http-in-x !y');
  });

  it('text is copied as is', () => {
    expect(render('[%f] {%b} "x" %s;')).toBe('[http-in] {static} "x" srv1;');
  });

  it('the line is cut before maxLength: text partly, numbers and dates whole', () => {
    expect(render('%f %f', httpRecord(), { maxLength: 12 })).toBe('http-in htt');
    expect(render('%f %B', httpRecord(), { maxLength: 11 })).toBe('http-in ');
    expect(render('%f %B', httpRecord(), { maxLength: 13 })).toBe('http-in 2750');
  });
});

describe('sample expressions', () => {
  it('prints what @hap/sample fetches, "-" without a sample', () => {
    const e = env();
    e.vars.set('txn.x', 'hello');
    const r = httpRecord({ env: e });
    expect(
      render('%[src] %[src_port] %[var(txn.x)] %[var(txn.nope)] %{+Q}[var(txn.nope)] %[fe_name]', r),
    ).toBe('10.0.1.2 33317 hello - "" http-in');
  });

  it('converters and flags', () => {
    const e = env();
    e.vars.set('txn.e', 'a"b]c');
    const r = httpRecord({ env: e });
    expect(render('%[var(txn.e),upper] %{+E}[var(txn.e)] %{+Q}[int(42)] %[str(AB),lower]', r)).toBe(
      'A"B]C a\\"b\\]c "42" ab',
    );
  });

  it('prints "-" when the record has no environment', () => {
    expect(render('%[src]|%{+Q}[src]')).toBe('-|""');
  });

  it('refuses fetches whose data is gone at log time, as HAProxy does', () => {
    expect(refused('%[req.hdr(host)] %f').message).toBe(
      "sample fetch <req.hdr(host)] %f> may not be reliably used here because it needs 'HTTP request headers' which is not available here",
    );
    expect(refused('%[hdr(host)]').message).toContain("'HTTP request headers,HTTP response headers'");
    expect(refused('%[path]').message).toContain("needs 'HTTP request headers'");
    expect(refused('%[res.hdr(x)]').message).toContain("needs 'HTTP response headers'");
    expect(refused('%[req.len]').message).toContain("needs 'request buffer'");
  });

  it('reports bad expressions with the rest of the line', () => {
    const e = refused('%[nope] %f');
    expect(e.code).toBe('HAP_ERR_LOG_FORMAT');
    expect(e.message).toMatch(/^failed to parse sample expression <nope\] %f> : /);
    expect(refused('%[src %f').message).toBe("expected ']' after 'src', but found ' '");
    expect(refused('%[src').message).toBe("missing ']' after 'src'");
  });
});

describe('errors (HAProxy words)', () => {
  it('unknown variables', () => {
    expect(refused('%f %nope').message).toBe(
      "no such format variable 'nope'. If you wanted to emit the '%' character verbatim, you need to use '%%'",
    );
  });

  it('HTTP aliases in TCP mode', () => {
    for (const a of ['r', 'HU', 'TR', 'Ta', 'tr', 'CC', 'Tq', 'Ti', 'HM']) {
      expect(refused(`%${a}`, { mode: 'tcp' }).message).toBe(
        `format variable '${a}' is reserved for HTTP mode`,
      );
    }
    expect(render('%ci %Tt %ts %tsc %hr', tcpRecord(), { mode: 'tcp' })).toBe('10.0.1.2 5007 -- ---- ');
  });

  it('a % before a digit or a blank', () => {
    expect(refused('ab%5').message).toBe(
      "unexpected variable name near '5' at position 3 line : 'ab%5'. Maybe you want to write a single '%', use the syntax '%%'",
    );
  });

  it('truncated lines and flags without a variable', () => {
    expect(refused('abc%').message).toBe("truncated line after '%'");
    expect(refused('%{+Q').message).toBe("truncated line after '+Q'");
    expect(refused('%{+Q} x').message).toBe("parse argument modifier without variable name near '%{+Q}'");
  });
});
