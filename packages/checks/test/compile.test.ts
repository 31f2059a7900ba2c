// From configuration words to CheckSpecs: defaults, the check kinds, server options, and
// errors that name the backend, the server and the line.
import { describe, expect, it } from 'vitest';
import {
  type BackendCheckConfig,
  CheckConfigError,
  checkerOptionsFrom,
  compileCheckSpecs,
  parseTime,
} from '../src/index.ts';

const w = (line: string) => line.split(' ');
const be = (
  lines: string[],
  options: Record<string, string | true> = { check: true },
  port = 80,
): BackendCheckConfig => ({
  name: 'app',
  lines: lines.map(w),
  servers: [{ name: 's1', addr: '10.0.0.1', port, options }],
});
const one = (lines: string[], options?: Record<string, string | true>, port?: number) => {
  const specs = compileCheckSpecs(be(lines, options, port));
  expect(specs).toHaveLength(1);
  return specs[0]!;
};
const err = (lines: string[], options?: Record<string, string | true>, port?: number) => {
  try {
    compileCheckSpecs(be(lines, options, port));
  } catch (e) {
    expect(e).toBeInstanceOf(CheckConfigError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('compileCheckSpecs', () => {
  it('gives HAProxy defaults and skips servers without checks', () => {
    const s = one([]);
    expect(s).toMatchObject({
      backend: 'app',
      server: 's1',
      addr: '10.0.0.1',
      port: 80,
      inter: 2000,
      fastinter: 0,
      downinter: 0,
      rise: 2,
      fall: 3,
      weight: 1,
      kind: { type: 'tcp' },
      errorLimit: 10,
      onError: 'fail-check',
    });
    expect(compileCheckSpecs(be([], { weight: '3' }))).toEqual([]);
    expect(parseTime('2s', 'inter')).toBe(2000);
    expect(parseTime('1500us', 'inter')).toBe(2);
  });

  it("keeps apart the server's address and the check's and agent's own (what the runtime API changes)", () => {
    const plain = one([]);
    expect(plain).toMatchObject({ serverAddr: '10.0.0.1', serverPort: 80 });
    expect(plain.ownAddr).toBeUndefined();
    expect(plain.ownPort).toBeUndefined();
    const own = one([], {
      check: true,
      addr: '10.0.0.9',
      port: '9000',
      'agent-check': true,
      'agent-port': '7',
    });
    expect(own).toMatchObject({
      addr: '10.0.0.9',
      port: 9000,
      serverAddr: '10.0.0.1',
      serverPort: 80,
      ownAddr: '10.0.0.9',
      ownPort: 9000,
      // `addr` gives the agent its address too, unless `agent-addr` does
      agent: { addr: '10.0.0.9', port: 7, ownAddr: '10.0.0.9' },
    });
    const agent = one([], {
      'agent-check': true,
      'agent-port': '7',
      'agent-addr': '10.0.0.5',
      addr: '10.0.0.9',
    });
    expect(agent.agent).toMatchObject({ addr: '10.0.0.5', ownAddr: '10.0.0.5' });
  });

  it('reads server options, timeouts and global spreading', () => {
    const s = one(['timeout check 500ms', 'timeout connect 3s', 'option log-health-checks'], {
      check: true,
      inter: '1s',
      fastinter: '200',
      downinter: '5s',
      rise: '4',
      fall: '1',
      port: '8080',
      addr: '10.0.0.9',
      'send-proxy': true,
      slowstart: '10s',
      backup: true,
      'agent-check': true,
      'agent-port': '9999',
      'agent-send': 'ping\n',
      observe: 'layer7',
      'on-error': 'mark-down',
      'on-marked-down': 'shutdown-sessions',
    });
    expect(s).toMatchObject({
      addr: '10.0.0.9',
      port: 8080,
      inter: 1000,
      fastinter: 200,
      downinter: 5000,
      rise: 4,
      fall: 1,
      timeout: 500,
      connectTimeout: 3000,
      sendProxy: false,
      slowstart: 10_000,
      backup: true,
      logHealthChecks: true,
      agent: { addr: '10.0.0.9', port: 9999, inter: 2000, send: 'ping\n' },
      observe: 'layer7',
      onError: 'mark-down',
      onMarkedDown: 'shutdown-sessions',
    });
    expect(one([], { check: true, 'send-proxy': true }).sendProxy).toBe(true);
    expect(one([], { check: true, 'check-send-proxy': true, port: '81' }).sendProxy).toBe(true);
    expect(checkerOptionsFrom([w('spread-checks 5'), w('max-spread-checks 2s')])).toEqual({
      spreadChecks: 5,
      maxSpreadChecks: 2000,
    });
  });

  it('merges option httpchk with http-check send and keeps the last check option', () => {
    const s = one([
      'option httpchk GET /health HTTP/1.1',
      'http-check send hdr Host example.org',
      'http-check expect status 200,300-310',
    ]);
    expect(s.kind).toEqual({
      type: 'http',
      rules: [
        {
          action: 'send-http',
          method: 'GET',
          uri: '/health',
          version: 'HTTP/1.1',
          headers: [['Host', 'example.org']],
        },
        {
          action: 'expect',
          match: {
            kind: 'status',
            codes: [
              [200, 200],
              [300, 310],
            ],
          },
          negate: false,
        },
      ],
    });
    expect(one(['option httpchk /ping']).kind).toEqual({
      type: 'http',
      rules: [{ action: 'send-http', uri: '/ping' }],
    });
    expect(one(['option httpchk', 'option redis-check']).kind).toEqual({ type: 'redis' });
    expect(one(['option redis-check', 'no option redis-check']).kind).toEqual({ type: 'tcp' });
  });

  it('sends the headers and body hidden after the option httpchk version (deprecated, still read)', () => {
    // the words as the configuration reader gives them: `HTTP/1.1\r\nHost:\ x` is one word
    const lines = [['option', 'httpchk', 'GET', '/', 'HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\n\r\nping']];
    const specs = compileCheckSpecs({ ...be([]), lines });
    expect(specs[0]!.kind).toEqual({
      type: 'http',
      rules: [
        {
          action: 'send-http',
          method: 'GET',
          uri: '/',
          version: 'HTTP/1.1',
          headers: [
            ['Host', 'example.com'],
            ['X-A', '1'],
          ],
          body: 'ping',
        },
      ],
    });
  });

  it('reads tcp-check rules and protocol options', () => {
    const s = one([
      'option tcp-check',
      'tcp-check send PING\r\n comment ping',
      'tcp-check expect ! rstring ^-ERR min-recv 4',
      'tcp-check send-binary 0d0a',
    ]);
    expect(s.kind).toEqual({
      type: 'tcp-check',
      rules: [
        { action: 'send', data: 'PING\r\n', comment: 'ping' },
        { action: 'expect', match: { kind: 'rstring', pattern: '^-ERR' }, negate: true, minRecv: 4 },
        { action: 'send', data: Buffer.from([13, 10]) },
      ],
    });
    expect(one(['option mysql-check user bob pre-41']).kind).toEqual({
      type: 'mysql',
      user: 'bob',
      post41: false,
    });
    expect(one(['option mysql-check']).kind).toEqual({ type: 'mysql', post41: true });
    expect(one(['option pgsql-check user pg']).kind).toEqual({ type: 'pgsql', user: 'pg' });
    expect(one(['option smtpchk EHLO mail.example.org']).kind).toEqual({
      type: 'smtp',
      hello: 'EHLO',
      domain: 'mail.example.org',
    });
    expect(one(['option smtpchk FOO bar']).kind).toEqual({
      type: 'smtp',
      hello: 'HELO',
      domain: 'localhost',
    });
    expect(one(['option tcp-check', 'tcp-check connect port 6379'], { check: true }, 0).port).toBe(6379);
  });

  it('names what is wrong', () => {
    expect(err(['option pgsql-check'])).toBe(
      "backend 'app', 'option pgsql-check': 'option pgsql-check' expects 'user <username>' as argument",
    );
    expect(err(['option mysql-check login x'])).toMatch(
      /only supports optional values: 'user' \(got 'login'\)/,
    );
    expect(err(['option tcp-check', 'tcp-check send x', 'tcp-check connect port 80'])).toMatch(
      /first step must also be a 'connect'/,
    );
    expect(err(['option httpchk', 'http-check expect status'])).toBe(
      "backend 'app', 'http-check expect status': 'http-check expect status' expects a pattern as argument",
    );
    expect(err(['option httpchk', 'http-check expect binary 00'])).toMatch(
      /'binary' is not a http-check match/,
    );
    expect(err(['tcp-check expect rstring ('])).toMatch(/invalid regular expression/);
    expect(err(['http-check send hdr X-A %[src]'])).toMatch(/log-format expressions are not supported/);
    expect(err(['option external-check'])).toMatch(/'option external-check' is not supported/);
    expect(err([], { check: true, inter: 'fast' })).toBe(
      "backend 'app', server 's1': 'inter' expects a time (e.g. 100, 2s, 500ms), got 'fast'",
    );
    expect(err([], { check: true, rise: '0' })).toMatch(/'rise' expects an integer from 1/);
    expect(err([], { check: true }, 0)).toMatch(/has neither service port nor check port/);
    expect(err([], { 'agent-check': true })).toMatch(/'agent-check' needs 'agent-port'/);
    expect(err([], { check: true, 'check-proto': 'h2' })).toMatch(/'check-proto' is not supported/);
    expect(err([], { check: true, 'init-state': 'down' })).toMatch(/does not exist in HAProxy 2\.6/);
    expect(err([], { check: true, observe: 'layer5' })).toMatch(/'observe' expects one of/);
  });
});
