// Differential test: the real HAProxy 2.6 logs a few requests (option httplog with captures
// and every syslog header format, option httplog clf, option tcplog, a custom log-format
// with nearly every alias, the default accept-time line, a 503 without server, a bad
// request); our formatter, given a LogRecord built from the same facts (addresses and ports
// as the sockets saw them, names, status, bytes counted by the client, the request line,
// captures; the timers, which depend on timing, as HAProxy printed them), must print the
// same line byte for byte, and our header (given HAProxy's pid and timestamp) the same
// header. Skipped when haproxy is not installed.

import { connect } from 'node:net';
import { hostname } from 'node:os';
import { createVarStore, type SampleEnv } from '@hap/sample';
import {
  cleanupAll,
  freePorts,
  haproxyAvailable,
  type SyslogSink,
  startHttpBackend,
  startProxy,
  startSyslogSink,
  startTcpEchoBackend,
  writeConfig,
} from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSyslogHeader,
  CLF_HTTP_LOG_FORMAT,
  createLogRecord,
  defaultConnectLine,
  HTTP_LOG_FORMAT,
  httpLogBytes,
  type LogRecord,
  parseLogFormat,
  type SyslogFormat,
  TCP_LOG_FORMAT,
} from '../src/index.ts';

// one haproxy for the whole file: cleaned up after the last test, not after each
afterAll(cleanupAll);
const haproxy = haproxyAvailable();

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "25/Nov/2026:19:15:04.846" (UTC: the test sets TZ for both programs) → ms. */
function parseLogDate(s: string): number {
  const m = /^(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?/.exec(s);
  if (!m) throw new Error(`bad date ${s}`);
  return Date.UTC(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7] : 0);
}

/** Sends raw bytes, reads until the server closes; returns what came back and the local port. */
function exchange(
  port: number,
  data: string,
  halfClose = false,
): Promise<{ reply: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let reply = '';
    let localPort = 0;
    s.setEncoding('latin1');
    s.on('connect', () => {
      localPort = s.localPort ?? 0;
      s.write(data, 'latin1');
    });
    s.on('data', (d: string) => {
      reply += d;
      if (halfClose && reply.length >= data.length) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve({ reply, localPort }));
    setTimeout(() => s.destroy(new Error('exchange timed out')), 5000).unref();
  });
}

/** What HAProxy counts for a raw HTTP/1 message (see httpLogBytes). */
function logBytes(wire: string): number {
  const end = wire.indexOf('\r\n\r\n');
  const [start, ...lines] = wire.slice(0, end).split('\r\n');
  const headers = lines.flatMap((l) => {
    const c = l.indexOf(':');
    return [l.slice(0, c), l.slice(c + 1).trim()];
  });
  let body = wire.slice(end + 4);
  const chunked = headers.some((h, i) => i % 2 === 1 && /chunked/i.test(h));
  if (chunked) {
    let payload = 0;
    for (;;) {
      const eol = body.indexOf('\r\n');
      const size = Number.parseInt(body.slice(0, eol), 16);
      if (!size) break;
      payload += size;
      body = body.slice(eol + 2 + size + 2);
    }
    return httpLogBytes(start!, headers, payload, true);
  }
  return httpLogBytes(start!, headers, body.length, false);
}

/** Splits a datagram into header and message as HAProxy built it for `format`. */
const HEADER: Record<string, RegExp> = {
  local: /^(<\d+>)(\w{3} [ \d]\d \d\d:\d\d:\d\d) (haproxy)\[(\d+)\]: /,
  rfc3164: /^(<\d+>)(\w{3} [ \d]\d \d\d:\d\d:\d\d) localhost (haproxy)\[(\d+)\]: /,
  rfc5424: /^(<\d+>)1 (\S+) - (haproxy) (\d+) - - /,
  priority: /^(<\d+>)()()()/,
  short: /^(<\d+>)()()()/,
  timed: /^(<\d+>)(\S+) ()()/,
  iso: /^()(\S+) ()()/,
  raw: /^()()()()/,
};

function headerDate(format: string, text: string): number {
  if (text === '') return 0;
  if (format === 'local' || format === 'rfc3164') {
    const m = /^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d)$/.exec(text)!;
    return Date.UTC(
      new Date().getUTCFullYear(),
      MONTHS.indexOf(m[1]!),
      +m[2]!.trim(),
      +m[3]!,
      +m[4]!,
      +m[5]!,
    );
  }
  // 2026-11-25T19:15:04.854532+00:00
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\+00:00$/.exec(text)!;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + +m[7]! / 1000;
}

/** Checks a datagram: our header from its pid and date, then our message, byte for byte. */
function checkDatagram(
  format: SyslogFormat | undefined,
  facility: number,
  level: number,
  datagram: string,
  message: string,
): void {
  const name = format ?? 'local';
  const m = HEADER[name]!.exec(datagram);
  expect(m, `${name}: ${datagram}`).not.toBeNull();
  const now = headerDate(name, m![2]!);
  const header = buildSyslogHeader(
    format,
    level,
    facility,
    { tag: 'haproxy', pid: m![4] || '0', hostname: undefined },
    now,
  );
  expect(datagram).toBe(header + message);
}

function env(r: LogRecord, vars: Record<string, string>, method: string, target: string): SampleEnv {
  const store = createVarStore(new Map());
  for (const [k, v] of Object.entries(vars)) store.set(k, v);
  return {
    src: r.clientAddress ?? '',
    srcPort: r.clientPort,
    dst: r.frontendAddress ?? '',
    dstPort: r.frontendPort,
    frontend: r.frontend,
    backend: r.backend,
    server: r.server,
    req: { method, target, version: 'HTTP/1.1', status: 0, headers: [], body: undefined },
    res: undefined,
    ssl: undefined,
    vars: store,
    world: { nbsrv: () => 1, beConn: () => 0, queue: () => 0, feConn: () => 1, serverUp: () => true },
  };
}

const FORMATS: ReadonlyArray<SyslogFormat | undefined> = [
  undefined,
  'rfc3164',
  'rfc5424',
  'priority',
  'short',
  'timed',
  'iso',
  'raw',
];

const CUSTOM =
  '%ci:%cp %{+Q}o %f %ft %b %s %HM %HU %HP %HPO %HQ %HV %{-Q}ST %U %B %ts %tsc %rt %lc ' +
  '%{+X}ci %{+X}cp %fi %fp %si %sp %bi %bp %ID %[src] %[var(txn.none)] %{+E}[var(txn.e)] %[method] ' +
  '%H %Ts %ms %{+X}Ts %{+X}ms %t %T %Tl %pid %{+X}pid %{+X}rt %Th/%Ti/%TR/%Tq/%Tw/%Tc/%Tr/%Ta/%Tt/%Tu/%Td ' +
  '%hr %hs %hrl %hsl %CC %CS %ac/%fc/%bc/%sc/%{-Q}rc %sq/%bq %{-Q}r %{+Q}HU %{+Q}HQ %%';

describe.skipIf(!haproxy.available)('log lines compared with HAProxy 2.6', () => {
  let sinks: SyslogSink[] = [];
  let ports: number[] = [];
  let http: Awaited<ReturnType<typeof startHttpBackend>>;
  let echo: Awaited<ReturnType<typeof startTcpEchoBackend>>;
  let pid = '';
  let streams = 0;

  beforeAll(async () => {
    process.env['TZ'] = 'UTC';
    sinks = [];
    for (let i = 0; i < FORMATS.length; i++) sinks.push(await startSyslogSink());
    http = await startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'SID=abc; path=/' });
      res.end('hello');
    });
    echo = await startTcpEchoBackend();
    ports = await freePorts(5);
    const logLines = FORMATS.map(
      (f, i) => `  log ${sinks[i]!.addr}${f ? ` format ${f}` : ''} local${i}`,
    ).join('\n');
    const cfg = writeConfig(`
global
  log ${sinks[0]!.addr} local0
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
  log global
frontend fh
  bind 127.0.0.1:${ports[0]}
  no log
${logLines}
  option httplog
  capture request header Host len 12
  capture request header User-Agent len 5
  capture response header Content-Type len 10
  capture cookie SID len 10
  use_backend nosrv if { path_beg /nosrv }
  default_backend be
frontend fc
  bind 127.0.0.1:${ports[1]}
  option httplog clf
  capture request header Host len 40
  default_backend be
frontend ft
  bind 127.0.0.1:${ports[2]}
  mode tcp
  option tcplog
  default_backend bt
frontend fx
  bind 127.0.0.1:${ports[3]}
  http-request set-var(txn.e) req.hdr(x-e)
  capture request header X-E len 30
  log-format "${CUSTOM.replace(/"/g, '\\"')}"
  default_backend be
frontend fd
  bind 127.0.0.1:${ports[4]}
  default_backend be
backend be
  server s1 ${http.addr}
backend nosrv
backend bt
  mode tcp
  server e1 ${echo.addr}
`);
    const proc = await startProxy('haproxy', cfg, { readyPorts: ports, env: { ...process.env, TZ: 'UTC' } });
    pid = String(proc.pid);
    streams = 0;
  });

  /** The next line of the sink whose message part matches, after the request. */
  async function lineOf(sink: SyslogSink, pattern: RegExp): Promise<string> {
    return sink.waitFor(pattern, 5000);
  }

  it('option httplog, every header format', async () => {
    const req =
      'GET /a/b?x=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0\r\nCookie: SID=xyz\r\n' +
      'Connection: close\r\n\r\n';
    const { reply, localPort } = await exchange(ports[0]!, req);
    const rt = streams++;
    expect(rt).toBeGreaterThanOrEqual(0);
    const lines = await Promise.all(sinks.map((s) => lineOf(s, new RegExp(`:${localPort} \\[`))));
    const msg = /127\.0\.0\.1:\d+ \[.*$/.exec(lines[0]!)![0];
    const m = /^127\.0\.0\.1:\d+ \[([^\]]+)\] fh be\/s1 (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+) /.exec(
      msg,
    );
    expect(m, msg).not.toBeNull();
    const [TR, Tw, Tc, Tr, Ta] = m!.slice(2, 7).map(Number) as [number, number, number, number, number];
    const r = createLogRecord('fh', parseLogDate(m![1]!));
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      backend: 'be',
      backendMode: 'http',
      server: 's1',
      tHandshake: 0,
      tIdle: 0,
      tRequest: TR,
      tQueue: TR + Tw,
      tConnect: TR + Tw + Tc,
      tData: TR + Tw + Tc + Tr,
      tClose: Ta,
      status: 200,
      bytesIn: logBytes(req),
      bytesOut: logBytes(reply),
      actconn: 1,
      feconn: 1,
      requestLine: 'GET /a/b?x=1 HTTP/1.1',
      requestCookie: 'SID=xyz',
      responseCookie: 'SID=abc',
      requestCaptures: ['www.example.', 'Mozil'],
      responseCaptures: ['text/plain'],
    } satisfies Partial<LogRecord>);
    const ours = parseLogFormat(HTTP_LOG_FORMAT).render(r);
    expect(ours).toBe(msg);
    FORMATS.forEach((f, i) => {
      checkDatagram(f, 16 + i, 6, lines[i]!, ours);
    });
    expect(lines[0]!.startsWith(`<134>`)).toBe(true);
    expect(lines[0]).toContain(`haproxy[${pid}]: `);
  });

  it('option httplog: a 503 without server and a bad request', async () => {
    const req = 'GET /nosrv HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    const a = await exchange(ports[0]!, req);
    streams++;
    const line = await lineOf(sinks[7]!, new RegExp(`^127\\.0\\.0\\.1:${a.localPort} `));
    const m = /^\S+ \[([^\]]+)\] fh nosrv\/<NOSRV> (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+) /.exec(line);
    expect(m, line).not.toBeNull();
    const [TR, Tw, , , Ta] = m!.slice(2, 7).map(Number) as [number, number, number, number, number];
    const r = createLogRecord('fh', parseLogDate(m![1]!));
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: a.localPort,
      backend: 'nosrv',
      backendMode: 'http',
      tIdle: 0,
      tRequest: TR,
      tQueue: Tw < 0 ? -1 : TR + Tw,
      tClose: Ta,
      status: 503,
      bytesIn: logBytes(req),
      bytesOut: logBytes(a.reply),
      termCause: 'server-abort',
      termPhase: 'connect',
      actconn: 1,
      feconn: 1,
      requestLine: 'GET /nosrv HTTP/1.1',
      requestCaptures: ['h', undefined],
      responseCaptures: [undefined],
    } satisfies Partial<LogRecord>);
    expect(a.reply.startsWith('HTTP/1.1 503 ')).toBe(true);
    expect(parseLogFormat(HTTP_LOG_FORMAT).render(r)).toBe(line);

    // a request the HTTP parser refuses: logged without a stream, nothing counted as sent
    const b = await exchange(ports[0]!, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n');
    streams++;
    const bad = await lineOf(sinks[7]!, new RegExp(`^127\\.0\\.0\\.1:${b.localPort} `));
    const mb = /^\S+ \[([^\]]+)\] fh fh\/<NOSRV> -1\/-1\/-1\/-1\/(\d+) /.exec(bad);
    expect(mb, bad).not.toBeNull();
    const rb = createLogRecord('fh', parseLogDate(mb![1]!));
    Object.assign(rb, {
      clientAddress: '127.0.0.1',
      clientPort: b.localPort,
      backendMode: 'http',
      tIdle: 0,
      tClose: Number(mb![2]),
      status: 400,
      termCause: 'proxy',
      termPhase: 'request',
      actconn: 1,
      feconn: 1,
    } satisfies Partial<LogRecord>);
    expect(b.reply.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(parseLogFormat(HTTP_LOG_FORMAT).render(rb)).toBe(bad);
  });

  it('option httplog clf', async () => {
    const req = 'GET /clf?q=1 HTTP/1.1\r\nHost: clf.example\r\nConnection: close\r\n\r\n';
    const { reply, localPort } = await exchange(ports[1]!, req);
    streams++;
    const line = await lineOf(sinks[0]!, new RegExp(` ${localPort} \\d{3} "fc"`));
    const msg = /127\.0\.0\.1 - - .*$/.exec(line)![0];
    const m = /^\S+ - - \[([^\]]+)\] .* (\d{3}) "fc" "be" "s1" (-?\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+) /.exec(
      msg,
    );
    expect(m, msg).not.toBeNull();
    const [TR, Tw, Tc, Tr, Ta] = m!.slice(3, 8).map(Number) as [number, number, number, number, number];
    const r = createLogRecord('fc', parseLogDate(m![1]!) + Number(m![2]));
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      backend: 'be',
      backendMode: 'http',
      server: 's1',
      tIdle: 0,
      tRequest: TR,
      tQueue: TR + Tw,
      tConnect: TR + Tw + Tc,
      tData: TR + Tw + Tc + Tr,
      tClose: Ta,
      status: 200,
      bytesOut: logBytes(reply),
      actconn: 1,
      feconn: 1,
      requestLine: 'GET /clf?q=1 HTTP/1.1',
      requestCaptures: ['clf.example'],
    } satisfies Partial<LogRecord>);
    expect(parseLogFormat(CLF_HTTP_LOG_FORMAT).render(r)).toBe(msg);
    checkDatagram(undefined, 16, 6, line, msg);
  });

  it('option tcplog', async () => {
    const { reply, localPort } = await exchange(ports[2]!, 'hello tcp\n', true);
    streams++;
    expect(reply).toBe('hello tcp\n');
    const line = await lineOf(sinks[0]!, new RegExp(`:${localPort} \\[`));
    const msg = /127\.0\.0\.1:\d+ \[.*$/.exec(line)![0];
    const m = /^\S+ \[([^\]]+)\] ft bt\/e1 (-?\d+)\/(-?\d+)\/(\d+) /.exec(msg);
    expect(m, msg).not.toBeNull();
    const [Tw, Tc, Tt] = m!.slice(2, 5).map(Number) as [number, number, number];
    const r = createLogRecord('ft', parseLogDate(m![1]!));
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      backend: 'bt',
      server: 'e1',
      tRequest: 0,
      tQueue: Tw,
      tConnect: Tw + Tc,
      tClose: Tt,
      bytesOut: reply.length,
      actconn: 1,
      feconn: 1,
    } satisfies Partial<LogRecord>);
    expect(parseLogFormat(TCP_LOG_FORMAT, { mode: 'tcp' }).render(r)).toBe(msg);
  });

  it('a custom log-format with nearly every alias', async () => {
    const xe = 'a"b]c\\d{|}';
    const req = `GET /p/q?z=2 HTTP/1.1\r\nHost: h\r\nX-E: ${xe}\r\nConnection: close\r\n\r\n`;
    const { reply, localPort } = await exchange(ports[3]!, req);
    streams++;
    const line = await lineOf(sinks[0]!, new RegExp(`^<\\d+>.*?: 127\\.0\\.0\\.1:${localPort} `));
    const msg = line.slice(line.indexOf(': ') + 2);
    // %rt is HAProxy's process-wide stream counter: taken from its line, like the timers
    // (its error paths may count a stream more than the requests sent here)
    const rt = Number(/ ---- (\d+) 0 7F000001 /.exec(msg)?.[1] ?? -1);
    expect(rt).toBeGreaterThanOrEqual(streams - 1);
    const t =
      /\] (\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}) /.exec(` ]${msg}`) ??
      / (\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}) /.exec(msg);
    const timers =
      / (\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(\d+)\/(\d+)\/(-?\d+) /.exec(
        msg,
      );
    expect(t, msg).not.toBeNull();
    expect(timers, msg).not.toBeNull();
    const [Th, Ti, TR, Tq, Tw, Tc, Tr, , Tt] = timers!.slice(1).map(Number) as number[];
    const served = http.requests.at(-1)!;
    const r = createLogRecord('fx', parseLogDate(t![1]!));
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      frontendAddress: '127.0.0.1',
      frontendPort: ports[3]!,
      backend: 'be',
      backendMode: 'http',
      server: 's1',
      serverAddress: http.host,
      serverPort: http.port,
      backendSourceAddress: served.remoteAddress,
      backendSourcePort: served.remotePort,
      tHandshake: Th!,
      tIdle: Ti!,
      tRequest: Tq!,
      tQueue: TR! < 0 ? -1 : Tq! + Tw!,
      tConnect: Tc! < 0 ? -1 : Tq! + Tw! + Tc!,
      tData: Tr! < 0 ? -1 : Tq! + Tw! + Tc! + Tr!,
      tClose: Tt!,
      status: 200,
      bytesIn: logBytes(req),
      bytesOut: logBytes(reply),
      actconn: 1,
      feconn: 1,
      requestCounter: rt,
      logCounter: 0,
      requestLine: 'GET /p/q?z=2 HTTP/1.1',
      requestCaptures: [xe],
    } satisfies Partial<LogRecord>);
    r.env = env(r, { 'txn.e': xe }, 'GET', '/p/q?z=2');
    const ours = parseLogFormat(CUSTOM, { hostname: hostname(), pid: Number(pid) }).render(r);
    expect(ours).toBe(msg);
  });

  it('no log format: the line at accept time', async () => {
    const { localPort } = await exchange(ports[4]!, 'GET / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
    streams++;
    const line = await lineOf(sinks[0]!, new RegExp(`Connect from 127\\.0\\.0\\.1:${localPort} `));
    const msg = line.slice(line.indexOf(': ') + 2);
    const r = createLogRecord('fd', 0);
    Object.assign(r, {
      clientAddress: '127.0.0.1',
      clientPort: localPort,
      frontendAddress: '127.0.0.1',
      frontendPort: ports[4]!,
    });
    expect(defaultConnectLine(r, 'http')).toBe(msg);
    checkDatagram(undefined, 16, 6, line, msg);
  });
});
