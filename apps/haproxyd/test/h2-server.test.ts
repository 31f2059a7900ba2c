// End-to-end, differential: HTTP/2 to servers (`server … proto h2`, `server … ssl alpn
// h2,http/1.1`, `alpn h2` on a crt-list line). Every case runs the same configuration in the
// real HAProxy 2.6 (the reference) and in haproxyd, in front of real HTTP/2 servers made with
// node:http2 (cleartext, and TLS with ALPN on certificates made by openssl at set-up), and
// compares what the servers received (pseudo-headers, headers, bodies) and what HTTP/1.1 and
// HTTP/2 clients got back (status, heads, bodies byte for byte), how many server connections
// concurrent requests used, and what a server that resets its stream, sends GOAWAY or refuses
// connections makes of a request (status, log termination state).

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import {
  type Binary,
  checkConfig,
  freePorts,
  type ProxyHandle,
  requireHaproxy,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type H2Answer, h2Request } from './h2-client.ts';
import { killAllRuns, runBinary, settleLeftovers, sleep, waitFor } from './helpers.ts';
import { makePki, type Pki } from './tls-fixtures.ts';

useTestkit();

/** A deterministic body of `n` bytes (the same in both runs). */
function bodyOf(n: number, seed = 11): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

/** What an HTTP/2 server saw of one request. */
interface Seen {
  server: string;
  /** The ALPN protocol or 'h2c'; 'http/1.1' for an HTTP/1.1 request on the TLS server. */
  proto: string;
  pseudo: Record<string, string>;
  headers: string[];
  length: number;
  sha: string;
}

/** One server's record: its connections and the requests each test case sent. */
class Record_ {
  sessions = 0;
  readonly seen: Seen[] = [];
  reset(): void {
    this.sessions = 0;
    this.seen.length = 0;
  }
}

type Behaviour = 'serve' | 'rst' | 'goaway';

/** Answers a stream: the request described back, or a body of `?n=` bytes, after `?delay=` ms. */
function answer(
  name: string,
  rec: Record_,
  proto: string,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  behaviour: Behaviour,
): void {
  stream.on('error', () => {});
  if (behaviour === 'rst') {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  if (behaviour === 'goaway') {
    stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, 0);
    stream.session?.destroy();
    return;
  }
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  stream.on('error', () => {});
  stream.on('end', () => {
    const body = Buffer.concat(parts);
    const pseudo: Record<string, string> = {};
    const list: string[] = [];
    for (const [k, v] of Object.entries(headers)) {
      if (k.startsWith(':')) pseudo[k] = String(v);
      else for (const one of Array.isArray(v) ? v : [v]) list.push(`${k}: ${String(one)}`);
    }
    list.sort();
    const seen: Seen = { server: name, proto, pseudo, headers: list, length: body.length, sha: sha(body) };
    rec.seen.push(seen);
    const path = String(headers[':path'] ?? '');
    const delay = Number(/[?&]delay=(\d+)/.exec(path)?.[1] ?? 0);
    setTimeout(() => {
      if (stream.destroyed || stream.closed) return;
      const n = /[?&]n=(\d+)/.exec(path);
      if (n !== null) {
        const out = bodyOf(Number(n[1]));
        const chunked = path.includes('chunked');
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/octet-stream',
            'x-srv': name,
            ...(chunked ? {} : { 'content-length': out.length }),
          },
          { sendDate: false } as http2.ServerStreamResponseOptions,
        );
        stream.end(out);
        return;
      }
      if (path.startsWith('/trailers')) {
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-srv': name }, {
          sendDate: false,
          waitForTrailers: true,
        } as http2.ServerStreamResponseOptions);
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-sum': 'abc' }));
        stream.end('with trailers');
        return;
      }
      if (path.startsWith('/early'))
        stream.additionalHeaders({ ':status': 103, link: '</a.css>; rel=preload' });
      const text = JSON.stringify(seen);
      stream.respond(
        {
          ':status': path.startsWith('/created') ? 201 : 200,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          'set-cookie': ['a=1', 'b=2'],
          'x-srv': name,
        },
        { sendDate: false } as http2.ServerStreamResponseOptions,
      );
      stream.end(text);
    }, delay);
  });
}

interface H2Server {
  port: number;
  rec: Record_;
  close(): Promise<void>;
}

async function h2Server(
  name: string,
  opts: { tls?: boolean; behaviour?: Behaviour; h1Only?: boolean } = {},
): Promise<H2Server> {
  const rec = new Record_();
  const behaviour = opts.behaviour ?? 'serve';
  let srv: http2.Http2Server | http2.Http2SecureServer | import('node:https').Server;
  if (opts.h1Only) {
    // a TLS server that speaks HTTP/1.1 only (no h2 in its ALPN)
    srv = createHttpsServer({
      key: pki.read('www.key'),
      cert: pki.read('www.crt'),
      ALPNProtocols: ['http/1.1'],
    });
    srv.on('connection', () => rec.sessions++);
    srv.on('request', (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        const seen: Seen = {
          server: name,
          proto: `HTTP/${req.httpVersion}`,
          pseudo: { method: req.method ?? '', path: req.url ?? '' },
          headers: Object.entries(req.headers)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .sort(),
          length: body.length,
          sha: sha(body),
        };
        rec.seen.push(seen);
        res.sendDate = false;
        res.writeHead(200, { 'content-type': 'application/json', 'x-srv': name });
        res.end(JSON.stringify(seen));
      });
    });
  } else {
    srv = opts.tls
      ? http2.createSecureServer({ key: pki.read('www.key'), cert: pki.read('www.crt'), allowHTTP1: true })
      : http2.createServer();
    srv.on('session', (s: http2.ServerHttp2Session) => {
      rec.sessions++;
      s.on('error', () => {});
    });
    srv.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const sock = stream.session?.socket as { alpnProtocol?: string | false } | undefined;
      answer(name, rec, opts.tls ? String(sock?.alpnProtocol) : 'h2c', stream, headers, behaviour);
    });
    if (opts.tls) {
      // an HTTP/1.1 client of the TLS server (ALPN chose http/1.1)
      srv.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        if (req.httpVersion === '2.0') return;
        req.resume();
        req.on('end', () => {
          rec.seen.push({ server: name, proto: 'http/1.1', pseudo: {}, headers: [], length: 0, sha: '' });
          res.end('h1');
        });
      });
    }
  }
  srv.on('error', () => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    rec,
    close: () =>
      new Promise<void>((r) => {
        (srv as { closeAllConnections?: () => void }).closeAllConnections?.();
        srv.close(() => r());
        // sessions of an http2 server are not closed by close(): they end with the process' tests
        setTimeout(r, 500).unref();
      }),
  };
}

let pki: Pki;
let h2c: H2Server;
let h2cAlways: H2Server;
let h2tls: H2Server;
let h1tls: H2Server;
let rst: H2Server;
let goaway: H2Server;
let limited: H2Server;
let refusedPort = 0;
const all = (): H2Server[] => [h2c, h2cAlways, h2tls, h1tls, rst, goaway, limited];

beforeAll(async () => {
  requireHaproxy();
  pki = makePki();
  h2c = await h2Server('h2c');
  h2cAlways = await h2Server('always');
  h2tls = await h2Server('tls', { tls: true });
  h1tls = await h2Server('h1tls', { h1Only: true });
  rst = await h2Server('rst', { behaviour: 'rst' });
  goaway = await h2Server('goaway', { behaviour: 'goaway' });
  limited = await h2Server('limited');
  refusedPort = (await freePorts(1))[0]!;
  // a crt-list whose line offers h2 (the bind line offers only http/1.1)
  writeFileSync(join(pki.dir, 'h2list.txt'), `${pki.path('www.pem')} [alpn h2,http/1.1] www.example.test\n`);
});

afterAll(async () => {
  killAllRuns();
  for (const s of all()) await s?.close();
  pki?.remove();
  expect(await settleLeftovers()).toEqual([]);
});

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/**
 * Ports: 0 HTTP/1.1, 1 cleartext `proto h2`, 2 TLS whose crt-list line offers h2.
 * Backends by path prefix.
 */
function config(
  ports: number[],
  extra: { backend?: readonly string[]; global?: readonly string[] } = {},
): string {
  const [h1Port, h2Port, tlsPort] = ports;
  return `${[
    'global',
    '  log stdout format raw local0',
    ...(extra.global ?? []),
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout connect 1s',
    'frontend fe',
    `  bind 127.0.0.1:${h1Port}`,
    `  bind 127.0.0.1:${h2Port} proto h2`,
    `  bind 127.0.0.1:${tlsPort} ssl crt-list ${pki.path('h2list.txt')} alpn http/1.1`,
    '  use_backend be_always if { path_beg /always }',
    '  use_backend be_tls if { path_beg /tls }',
    '  use_backend be_h1tls if { path_beg /h1tls }',
    '  use_backend be_rst if { path_beg /rst }',
    '  use_backend be_goaway if { path_beg /goaway }',
    '  use_backend be_refused if { path_beg /refused }',
    '  use_backend be_limited if { path_beg /limited }',
    '  default_backend be_h2c',
    'backend be_h2c',
    `  server s1 127.0.0.1:${h2c.port} proto h2`,
    'backend be_always',
    '  http-reuse always',
    '  default-server proto h2',
    `  server s1 127.0.0.1:${h2cAlways.port}`,
    'backend be_tls',
    `  server s1 127.0.0.1:${h2tls.port} ssl verify none alpn h2,http/1.1`,
    'backend be_h1tls',
    `  server s1 127.0.0.1:${h1tls.port} ssl verify none alpn h2,http/1.1`,
    'backend be_rst',
    `  server s1 127.0.0.1:${rst.port} proto h2`,
    'backend be_goaway',
    `  server s1 127.0.0.1:${goaway.port} proto h2`,
    'backend be_limited',
    '  http-reuse always',
    `  server s1 127.0.0.1:${limited.port} proto h2 max-reuse 2`,
    'backend be_refused',
    '  retries 1',
    `  server s1 127.0.0.1:${refusedPort} proto h2`,
    ...(extra.backend ?? []),
  ].join('\n')}\n`;
}

/** Runs `probe` against the same configuration in each binary; results by binary. */
async function both<T>(
  probe: (ports: number[], binary: Binary, proxy: ProxyHandle) => Promise<T>,
  cfgOf: (ports: number[]) => string = (p) => config(p),
): Promise<Record<Binary, T>> {
  const out = {} as Record<Binary, T>;
  for (const b of BINARIES) {
    const ports = await freePorts(3);
    for (const s of all()) s.rec.reset();
    const proxy = await startProxy(b, writeConfig(cfgOf(ports)), { readyPorts: ports });
    try {
      const got = await probe(ports, b, proxy);
      let text = JSON.stringify(got);
      ports.forEach((p, i) => {
        text = text.replaceAll(`:${p}`, `:P${i}`);
      });
      out[b] = JSON.parse(text) as T;
      expect(proxy.exitStatus(), `${b} exited`).toBeNull();
    } finally {
      await proxy.stop();
    }
  }
  return out;
}

// --- HTTP/1.1 client -----------------------------------------------------------------------

interface H1Answer {
  status: string;
  /** Header lines in lower case, sorted (the proxy's own additions are compared as a set). */
  headers: string[];
  body: Buffer;
}

/** One request on a fresh connection (`connection: close`), the whole answer read. */
function h1(port: number, head: string, body?: Buffer): Promise<H1Answer> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('error', reject);
    s.on('end', () => {
      s.destroy();
      const all = Buffer.concat(parts);
      const at = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, at).toString('latin1').split('\r\n');
      const status = lines.shift() ?? '';
      const headers = lines.map((l) => l.toLowerCase()).sort();
      let rest: Buffer = all.subarray(at + 4);
      if (headers.includes('transfer-encoding: chunked')) rest = dechunk(rest);
      resolve({ status, headers, body: rest });
    });
    s.write(head.replaceAll('\n', '\r\n'));
    if (body !== undefined) s.end(body);
  });
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    const size = Number.parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function chunked(body: Buffer, size = 60_000): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    out.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

// --- HTTP/2 client -------------------------------------------------------------------------

function h2Connect(port: number, tls = false): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = tls
      ? http2.connect(`https://127.0.0.1:${port}`, {
          rejectUnauthorized: false,
          servername: 'www.example.test',
        })
      : http2.connect(`http://127.0.0.1:${port}`);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The log lines a proxy wrote for requests whose line names `path`. */
async function logLine(proxy: ProxyHandle, path: string): Promise<string> {
  await waitFor(() => proxy.stdout().includes(` ${path} HTTP`), `the log line of ${path}`);
  return (
    proxy
      .stdout()
      .split('\n')
      .find((l) => l.includes(` ${path} HTTP`)) ?? ''
  );
}

/** A log line's status, termination state and retries, which both proxies must agree on. */
function logFacts(line: string): { status: string; bytes: string; termination: string; retries: string } {
  // ... be/srv Tq/Tw/Tc/Tr/Tt status bytes - - TERM act/fe/be/srv/retries ...
  const m = / (\d{3}) (\d+) \S+ \S+ (\S{4}) \d+\/\d+\/\d+\/\d+\/(\+?\d+) /.exec(line);
  return { status: m?.[1] ?? line, bytes: m?.[2] ?? '', termination: m?.[3] ?? '', retries: m?.[4] ?? '' };
}

// -------------------------------------------------------------------------------------------

describe('HTTP/2 to servers: configuration', () => {
  it('-c accepts proto h2 and alpn h2 in mode http, and both refuse proto h2 in mode tcp', async () => {
    const [a, b, c] = await freePorts(3);
    const ok = writeConfig(config([a!, b!, c!]));
    for (const bin of BINARIES) {
      const r = await checkConfig(bin, [ok]);
      expect(r.code, `${bin}: ${r.stderr}`).toBe(0);
    }
    const tcp = writeConfig(
      [
        'defaults',
        '  mode tcp',
        '  timeout client 1s',
        '  timeout server 1s',
        '  timeout connect 1s',
        'listen px',
        `  bind 127.0.0.1:${a}`,
        `  server s1 127.0.0.1:${b} proto h2`,
        '',
      ].join('\n'),
    );
    for (const bin of BINARIES) {
      const r = await checkConfig(bin, [tcp]);
      expect(r.code, bin).not.toBe(0);
      expect(r.stderr, bin).toContain("MUX protocol 'h2' is not usable for server 's1'");
    }
  });

  it('haproxyd refuses what it does not do yet: other server protos, send-proxy to h2, HTTP checks over h2', async () => {
    const [a, b] = await freePorts(2);
    const base = (server: readonly string[]) =>
      writeConfig(
        [
          'defaults',
          '  mode http',
          '  timeout client 1s',
          '  timeout server 1s',
          '  timeout connect 1s',
          'listen px',
          `  bind 127.0.0.1:${a}`,
          ...server,
          '',
        ].join('\n'),
      );
    // refused when the runtime is planned (at start), as the other server options it lacks
    const fcgi = runBinary('haproxyd', ['-db', '-f', base([`  server s1 127.0.0.1:${b} proto fcgi`])]);
    expect((await fcgi.closed).code).not.toBe(0);
    expect(fcgi.stderr()).toContain("option 'proto fcgi' is not supported yet");
    const proxied = runBinary('haproxyd', [
      '-db',
      '-f',
      base([`  server s1 127.0.0.1:${b} proto h2 send-proxy`]),
    ]);
    expect((await proxied.closed).code).not.toBe(0);
    expect(proxied.stderr()).toContain("'send-proxy' to an HTTP/2 server is not supported yet");
    const chk = await checkConfig('haproxyd', [
      base(['  option httpchk GET /health', `  server s1 127.0.0.1:${b} proto h2 check`]),
    ]);
    expect(chk.code).not.toBe(0);
    expect(chk.stderr).toContain('not supported');
    expect(chk.stderr).toContain("'proto h2'");
  });
});

describe('HTTP/2 to servers: requests', () => {
  it('an HTTP/1.1 request reaches the h2 server converted as HAProxy does, and its answer comes back', async () => {
    const r = await both(async (ports) => {
      const get = await h1(
        ports[0]!,
        'GET /plain?x=1 HTTP/1.1\nHost: site.test\nX-Foo: bar\nX-Drop: 1\nConnection: close, x-drop\nTE: gzip, trailers\nKeep-Alive: 300\nCookie: a=1\nCookie: b=2\n\n',
      );
      const abs = await h1(
        ports[0]!,
        'GET http://site.test/abs HTTP/1.1\nHost: site.test\nConnection: close\n\n',
      );
      const created = await h1(ports[0]!, 'GET /created HTTP/1.1\nHost: site.test\nConnection: close\n\n');
      const early = await h1(ports[0]!, 'GET /early HTTP/1.1\nHost: site.test\nConnection: close\n\n');
      return {
        get,
        abs,
        created,
        early: { status: early.status, headers: early.headers, body: early.body.toString('latin1') },
        seen: h2c.rec.seen.map((s) => ({ ...s })),
      };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    // what HAProxy does, pinned: no :authority for an origin-form request, hop-by-hop fields gone
    const seen = r.haproxy.seen[0]!;
    expect(seen.pseudo).toEqual({ ':method': 'GET', ':scheme': 'https', ':path': '/plain?x=1' });
    expect(seen.headers).toContain('host: site.test');
    expect(seen.headers).toContain('te: trailers');
    // the fields Connection names stay (HAProxy 2.6 drops only the connection-specific ones)
    expect(seen.headers).toContain('x-drop: 1');
    expect(seen.headers.some((h) => h.startsWith('keep-alive') || h.startsWith('connection'))).toBe(false);
    expect(r.haproxy.seen[1]!.pseudo[':authority']).toBe('site.test');
    expect(r.haproxy.get.status).toBe('HTTP/1.1 200 ');
    expect(r.haproxy.early.body).toContain('"/early"');
  });

  it('bodies of 1 MB go both ways byte for byte (content-length and chunked)', async () => {
    const up = bodyOf(MB, 3);
    const r = await both(async (ports, _b, proxy) => {
      const post = await h1(
        ports[0]!,
        `POST /up HTTP/1.1\nHost: site.test\nContent-Length: ${up.length}\nConnection: close\n\n`,
        up,
      );
      const postChunked = await h1(
        ports[0]!,
        'POST /upc HTTP/1.1\nHost: site.test\nTransfer-Encoding: chunked\nConnection: close\n\n',
        chunked(up),
      );
      const down = await h1(ports[0]!, `GET /down?n=${MB} HTTP/1.1\nHost: site.test\nConnection: close\n\n`);
      const downChunked = await h1(
        ports[0]!,
        `GET /down?n=${MB}&chunked HTTP/1.1\nHost: site.test\nConnection: close\n\n`,
      );
      const trailers = await h1(
        ports[0]!,
        'GET /trailers HTTP/1.1\nHost: site.test\nTE: trailers\nConnection: close\n\n',
      );
      const sum = (a: H1Answer) => ({
        status: a.status,
        headers: a.headers,
        length: a.body.length,
        sha: sha(a.body),
      });
      return {
        post: JSON.parse(post.body.toString()) as Seen,
        postChunked: JSON.parse(postChunked.body.toString()) as Seen,
        down: sum(down),
        downChunked: sum(downChunked),
        trailers: sum(trailers),
        // the bytes the log line counts for a response with a length and one without
        logged: [
          logFacts(await logLine(proxy, `/down?n=${MB}`)),
          logFacts(await logLine(proxy, `/down?n=${MB}&chunked`)),
          logFacts(await logLine(proxy, '/trailers')),
        ],
      };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.post.sha).toBe(sha(up));
    expect(r.haproxy.postChunked.sha).toBe(sha(up));
    expect(r.haproxy.down.sha).toBe(sha(bodyOf(MB)));
    expect(r.haproxy.down.headers).toContain(`content-length: ${MB}`);
    expect(r.haproxy.downChunked.headers).toContain('transfer-encoding: chunked');
  });

  it('an HTTP/2 client reaches the h2 server with its authority and scheme, 1 MB both ways', async () => {
    const up = bodyOf(MB, 5);
    const r = await both(async (ports) => {
      const s = await h2Connect(ports[1]!);
      try {
        const get = await h2Request(s, {
          ':method': 'GET',
          ':path': '/via-h2?q=1',
          ':authority': 'site.test',
          ':scheme': 'http',
          'x-foo': 'bar',
          cookie: ['a=1', 'b=2'],
        });
        const post = await h2Request(
          s,
          { ':method': 'POST', ':path': '/up2', ':authority': 'site.test', ':scheme': 'http' },
          up,
        );
        const down = await h2Request(s, {
          ':method': 'GET',
          ':path': `/down2?n=${MB}&chunked`,
          ':authority': 'site.test',
          ':scheme': 'http',
        });
        const trailers = await h2Request(s, {
          ':method': 'GET',
          ':path': '/trailers',
          ':authority': 'site.test',
          ':scheme': 'http',
          te: 'trailers',
        });
        return {
          get: { status: get.status, headers: get.headers, body: JSON.parse(get.body.toString()) as Seen },
          post: JSON.parse(post.body.toString()) as Seen,
          down: { status: down.status, length: down.body.length, sha: sha(down.body), headers: down.headers },
          trailers: { status: trailers.status, body: trailers.body.toString(), trailers: trailers.trailers },
        };
      } finally {
        s.close();
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.get.body.pseudo).toEqual({
      ':method': 'GET',
      ':scheme': 'http',
      ':authority': 'site.test',
      ':path': '/via-h2?q=1',
    });
    expect(r.haproxy.post.sha).toBe(sha(up));
    expect(r.haproxy.down.sha).toBe(sha(bodyOf(MB)));
  });

  it('TLS with ALPN: h2 when the server picks it, HTTP/1.1 over TLS when it does not', async () => {
    const r = await both(async (ports) => {
      const tls = await h1(ports[0]!, 'GET /tls/a HTTP/1.1\nHost: site.test\nConnection: close\n\n');
      const h1tlsAnswer = await h1(
        ports[0]!,
        'POST /h1tls/b HTTP/1.1\nHost: site.test\nContent-Length: 3\nConnection: close\n\n',
        Buffer.from('abc'),
      );
      return {
        tls: { status: tls.status, seen: JSON.parse(tls.body.toString()) as Seen },
        h1tls: { status: h1tlsAnswer.status, seen: JSON.parse(h1tlsAnswer.body.toString()) as Seen },
      };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.tls.seen.proto).toBe('h2');
    expect(r.haproxy.h1tls.seen.proto).toBe('HTTP/1.1');
    expect(r.haproxy.h1tls.seen.length).toBe(3);
  });

  it('alpn h2 on a crt-list line: HTTP/2 clients are served on that certificate', async () => {
    const r = await both(async (ports) => {
      const s = await h2Connect(ports[2]!, true);
      try {
        const alpn = (s.socket as unknown as { alpnProtocol: string }).alpnProtocol;
        const a = await h2Request(s, {
          ':method': 'GET',
          ':path': '/crtlist',
          ':authority': 'www.example.test',
          ':scheme': 'https',
        });
        return { alpn, status: a.status, seen: JSON.parse(a.body.toString()) as Seen };
      } finally {
        s.close();
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.alpn).toBe('h2');
    expect(r.haproxy.seen.pseudo[':scheme']).toBe('https');
  });
});

describe('HTTP/2 to servers: connections', () => {
  it('concurrent requests are multiplexed on few connections with http-reuse always', async () => {
    const N = 12;
    const r = await both(async (ports) => {
      const answers = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          h1(ports[0]!, `GET /always/${i}?delay=400 HTTP/1.1\nHost: site.test\nConnection: close\n\n`),
        ),
      );
      const s = await h2Connect(ports[1]!);
      const before = h2cAlways.rec.sessions;
      let streams: H2Answer[];
      try {
        streams = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            h2Request(s, {
              ':method': 'GET',
              ':path': `/always/s${i}?delay=400`,
              ':authority': 'site.test',
              ':scheme': 'http',
            }),
          ),
        );
      } finally {
        s.close();
      }
      return {
        statuses: [...answers.map((a) => a.status), ...streams.map((a) => String(a.status))],
        requests: h2cAlways.rec.seen.length,
        connections: h2cAlways.rec.sessions,
        newForStreams: h2cAlways.rec.sessions - before,
      };
    });
    for (const b of BINARIES) {
      expect(r[b].requests, b).toBe(2 * N);
      expect(new Set(r[b].statuses), b).toEqual(new Set(['HTTP/1.1 200 ', '200']));
      // both multiplex: far fewer connections than requests
      expect(r[b].connections, b).toBeLessThan(N);
    }
    expect(r.haproxyd.connections).toBeLessThanOrEqual(r.haproxy.connections);
  });

  it('http-reuse safe: each first request of a session opens its own connection, as HAProxy', async () => {
    const N = 10;
    const r = await both(async (ports, _b, proxy) => {
      await Promise.all(
        Array.from({ length: N }, (_, i) =>
          h1(ports[0]!, `GET /safe/${i}?delay=300 HTTP/1.1\nHost: site.test\nConnection: close\n\n`),
        ),
      );
      // and a keep-alive client's next requests go over its connection again
      const s = netConnect(ports[0]!, '127.0.0.1');
      let got = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        got += d;
      });
      for (let i = 0; i < 3; i++) {
        s.write(`GET /safe/ka${i} HTTP/1.1\r\nHost: site.test\r\n\r\n`);
        await waitFor(() => (got.match(/HTTP\/1\.1 200/g) ?? []).length > i, `keep-alive answer ${i}`);
      }
      s.destroy();
      return {
        connections: h2c.rec.sessions,
        requests: h2c.rec.seen.length,
        // a kept-alive response (no connection field written): the bytes the log line counts
        logged: logFacts(await logLine(proxy, '/safe/ka1')),
      };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.connections).toBe(N + 1);
  });

  it('max-reuse: a connection carries max-reuse + 1 streams, then a new one is opened', async () => {
    const r = await both(async (ports) => {
      const statuses: string[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push(
          (await h1(ports[0]!, `GET /limited/${i} HTTP/1.1\nHost: site.test\nConnection: close\n\n`)).status,
        );
      return { statuses, connections: limited.rec.sessions, requests: limited.rec.seen.length };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy).toMatchObject({ connections: 3, requests: 7 });
  });
});

describe('HTTP/2 to servers: errors', () => {
  it('RST_STREAM and GOAWAY give a 502 (SH--), a refused connection a 503 (SC--) after retries', async () => {
    const r = await both(async (ports, _b, proxy) => {
      const rstAnswer = await h1(ports[0]!, 'GET /rst/x HTTP/1.1\nHost: site.test\nConnection: close\n\n');
      const goawayAnswer = await h1(
        ports[0]!,
        'GET /goaway/x HTTP/1.1\nHost: site.test\nConnection: close\n\n',
      );
      const refused = await h1(ports[0]!, 'GET /refused/x HTTP/1.1\nHost: site.test\nConnection: close\n\n');
      return {
        statuses: [rstAnswer.status, goawayAnswer.status, refused.status],
        rst: logFacts(await logLine(proxy, '/rst/x')),
        goaway: logFacts(await logLine(proxy, '/goaway/x')),
        refused: logFacts(await logLine(proxy, '/refused/x')),
        rstSeen: rst.rec.seen.length,
      };
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.statuses).toEqual([
      'HTTP/1.1 502 Bad Gateway',
      'HTTP/1.1 502 Bad Gateway',
      'HTTP/1.1 503 Service Unavailable',
    ]);
    expect(r.haproxy.rst.termination).toBe('SH--');
    expect(r.haproxy.refused).toMatchObject({ status: '503', termination: 'SC--', retries: '1' });
  });
});

describe('HTTP/2 to servers: counters and checks', () => {
  it('show stat counts the requests and responses of an h2 server; a TCP check keeps it up', async () => {
    const r = await both(
      async (ports) => {
        for (let i = 0; i < 3; i++)
          await h1(ports[0]!, `GET /c${i} HTTP/1.1\nHost: site.test\nConnection: close\n\n`);
        await h1(ports[0]!, 'GET /rst/c HTTP/1.1\nHost: site.test\nConnection: close\n\n');
        await sleep(300);
        const csv = await showStat(ports);
        const row = (px: string) => {
          const line = csv.find((l) => l.startsWith(`${px},s1,`))?.split(',') ?? [];
          const head = csv[0]!.replace(/^# /, '').split(',');
          const col = (n: string) => line[head.indexOf(n)];
          return {
            status: col('status'),
            req_tot: col('req_tot'),
            hrsp_2xx: col('hrsp_2xx'),
            hrsp_5xx: col('hrsp_5xx'),
            // ('* ' marks a check running at that instant: a matter of timing)
            check: col('check_status')?.replace(/^\* /, ''),
          };
        };
        return { h2c: row('be_h2c'), rst: row('be_rst'), checked: row('be_checked') };
      },
      (p) =>
        config(p, {
          global: [`  stats socket ${join(pki.dir, `stats-${p[0]}.sock`)} level admin`],
          backend: [
            'backend be_checked',
            '  default-server check inter 200',
            `  server s1 127.0.0.1:${h2c.port} proto h2`,
          ],
        }),
    );
    expect(r.haproxyd.h2c).toEqual(r.haproxy.h2c);
    expect(r.haproxyd.rst).toEqual(r.haproxy.rst);
    expect(r.haproxyd.checked).toEqual(r.haproxy.checked);
    expect(r.haproxy.h2c).toMatchObject({ req_tot: '3', hrsp_2xx: '3' });
    expect(r.haproxy.checked).toMatchObject({ status: 'UP', check: 'L4OK' });
  });
});

/** `show stat` over the stats socket of the run whose first port is ports[0]. */
async function showStat(ports: number[]): Promise<string[]> {
  const path = join(pki.dir, `stats-${ports[0]}.sock`);
  return new Promise((resolve, reject) => {
    const s = netConnect(path);
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('error', reject);
    s.on('end', () => resolve(out.split('\n').filter((l) => l !== '')));
    s.end('show stat\n');
  });
}
