// End-to-end, differential: HTTP/2 on frontends. Every case runs the same configuration in
// the real HAProxy 2.6 (the reference) and in haproxyd, with certificates made by openssl at
// set-up, and compares what HTTP/2 clients (curl and node:http2) and the HTTP/1.1 servers
// behind see: ALPN's choice, bodies of a few MB both ways byte for byte, several streams at
// once on one connection, rules (set-header, deny, use_backend by path) applied to h2
// requests, the response heads, the log line of an h2 request, a server error answered on
// its stream, cleartext `proto h2`, and malformed requests answered with RST_STREAM/GOAWAY.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import * as http2 from 'node:http2';
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Server,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
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
import { type H2Answer, h2Request as sharedRequest } from './h2-client.ts';
import { killAllRuns, settleLeftovers } from './helpers.ts';
import { makePki, type Pki } from './tls-fixtures.ts';

useTestkit();
let pki: Pki;
/** Two HTTP/1.1 servers: `be1` and `be2` (use_backend by path). */
const servers: HttpServer[] = [];
const serverPorts: number[] = [];

/** A deterministic body of `n` bytes (the same in both runs). */
function bodyOf(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The server: answers with what it received (method, target, head as received, body digest). */
function serve(name: string) {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    res.sendDate = false;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      if (url.startsWith('/slow')) {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4 });
          res.end('slow');
        }, 600);
        return;
      }
      if (url.startsWith('/trailers')) {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' });
        res.write('part1-');
        res.addTrailers({ 'x-sum': 'abc' });
        res.end('part2');
        return;
      }
      if (url.startsWith('/broken')) {
        // not HTTP: the proxy answers 502
        req.socket.end('garbage\r\n\r\n');
        return;
      }
      const m = /[?&]n=(\d+)/.exec(url);
      if (m !== null) {
        const body = bodyOf(Number(m[1]));
        if (url.includes('chunked')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-srv': name });
          res.write(body.subarray(0, body.length >> 1));
          res.end(body.subarray(body.length >> 1));
        } else {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': body.length,
            'x-srv': name,
          });
          res.end(body);
        }
        return;
      }
      const body = Buffer.concat(parts);
      const text = JSON.stringify({
        srv: name,
        head: `${req.method} ${url} HTTP/${req.httpVersion}`,
        headers: req.rawHeaders,
        length: body.length,
        sha: sha(body),
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-srv': name,
        ...(url.includes('cookie') ? { 'set-cookie': ['a=1', 'b=2'] } : {}),
      });
      res.end(text);
    });
  };
}

/** A server written by hand: a fixed response, no connection-management headers. */
let rawServer: Server;
let rawPort = 0;
function rawAnswer(sock: Socket): void {
  let head = '';
  sock.setEncoding('latin1');
  sock.on('error', () => sock.destroy());
  sock.on('data', (d: string) => {
    head += d;
    while (head.includes('\r\n\r\n')) {
      head = head.slice(head.indexOf('\r\n\r\n') + 4);
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-srv: raw\r\n\r\nok');
    }
  });
}

/** A server that accepts a CONNECT (200) and then echoes the tunnel's bytes. */
let tunnelServer: Server;
/** The head of the last websocket upgrade the tunnel server saw (its key replaced). */
let lastUpgrade = '';
let tunnelPort = 0;
function tunnelAnswer(sock: Socket): void {
  let head = Buffer.alloc(0);
  let open = false;
  sock.on('error', () => sock.destroy());
  sock.on('data', (d: Buffer) => {
    if (open) {
      sock.write(d);
      return;
    }
    head = Buffer.concat([head, d]);
    const at = head.indexOf('\r\n\r\n');
    if (at < 0) return;
    open = true;
    const text = head.subarray(0, at).toString('latin1');
    const key = /^sec-websocket-key: *(.*)$/im.exec(text)?.[1];
    if (/^upgrade: *websocket/im.test(text) && key !== undefined) {
      lastUpgrade = text.replace(key, 'KEY');
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      sock.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    } else sock.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > at + 4) sock.write(head.subarray(at + 4));
  });
  sock.on('end', () => sock.end());
}

beforeAll(async () => {
  requireHaproxy();
  pki = makePki();
  rawServer = createNetServer(rawAnswer);
  await new Promise<void>((r) => rawServer.listen(0, '127.0.0.1', r));
  rawPort = (rawServer.address() as AddressInfo).port;
  tunnelServer = createNetServer({ allowHalfOpen: true }, tunnelAnswer);
  await new Promise<void>((r) => tunnelServer.listen(0, '127.0.0.1', r));
  tunnelPort = (tunnelServer.address() as AddressInfo).port;
  for (const name of ['be1', 'be2']) {
    const s = createHttpServer({ keepAliveTimeout: 5000 }, serve(name));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    serverPorts.push((s.address() as AddressInfo).port);
  }
});
afterAll(async () => {
  killAllRuns();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await new Promise((r) => rawServer?.close(r));
  await new Promise((r) => tunnelServer?.close(r));
  pki?.remove();
  expect(await settleLeftovers()).toEqual([]);
});

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/** The frontend: TLS with ALPN (port 0) and cleartext `proto h2` (port 1). */
function config(ports: number[], extra: readonly string[] = [], global: readonly string[] = []): string {
  const [tlsPort, h2cPort] = ports;
  return `${[
    'global',
    `  crt-base ${pki.dir}`,
    '  log stdout format raw local0',
    ...global,
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout client 5s',
    '  timeout server 5s',
    '  timeout connect 2s',
    'frontend fe',
    `  bind 127.0.0.1:${tlsPort} ssl crt www.pem alpn h2,http/1.1`,
    `  bind 127.0.0.1:${h2cPort} proto h2`,
    '  http-request set-header x-via proxy',
    '  http-request deny deny_status 403 if { path_beg /deny }',
    '  http-request return status 200 content-type text/plain lf-string "url=%[url] path=%[path] ver=%[req.ver] host=%[req.hdr(host)] alpn=%[ssl_fc_alpn]" if { path /info }',
    '  use_backend be2 if { path_beg /two }',
    '  use_backend be3 if { path_beg /raw }',
    '  use_backend be4 if METH_CONNECT || { path_beg /ws }',
    ...extra,
    '  default_backend be1',
    'backend be1',
    `  server s1 127.0.0.1:${serverPorts[0]}`,
    'backend be2',
    `  server s2 127.0.0.1:${serverPorts[1]}`,
    'backend be3',
    `  server s3 127.0.0.1:${rawPort}`,
    'backend be4',
    `  server s4 127.0.0.1:${tunnelPort}`,
  ].join('\n')}\n`;
}

/** Runs `probe` against the same configuration in each binary; results by binary. */
async function both<T>(
  cfgOf: (ports: number[]) => string,
  probe: (ports: number[], binary: Binary, proxy: ProxyHandle) => Promise<T>,
  /** The probe stops the proxy itself. */
  stops = false,
): Promise<Record<Binary, T>> {
  const out = {} as Record<Binary, T>;
  for (const b of BINARIES) {
    const ports = await freePorts(2);
    const proxy = await startProxy(b, writeConfig(cfgOf(ports)), { readyPorts: ports });
    try {
      pendingRequests.clear();
      // a probe that hangs says where (binary, requests without an answer)
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([
        probe(ports, b, proxy),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${b}: no answer within 20 s to ${[...pendingRequests].join(', ')}`)),
            20_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      // the ports of each run are named, so both runs read alike
      let text = JSON.stringify(got);
      ports.forEach((p, i) => {
        text = text.replaceAll(`:${p}`, `:P${i}`);
      });
      out[b] = JSON.parse(text) as T;
      if (!stops) expect(proxy.exitStatus(), `${b} exited`).toBeNull();
    } finally {
      await proxy.stop();
    }
  }
  return out;
}

/** One request on an HTTP/2 session (node:http2), listed as pending until it ends. */
function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<H2Answer> {
  const label = `${String(headers[':method'] ?? 'GET')} ${String(headers[':path'])}`;
  pendingRequests.add(label);
  return sharedRequest(session, headers, body).finally(() => pendingRequests.delete(label));
}

/** Requests sent by h2Request and not answered yet (for a probe that hangs). */
const pendingRequests = new Set<string>();

function h2Connect(port: number, tls: boolean): Promise<http2.ClientHttp2Session> {
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

function closeSession(s: http2.ClientHttp2Session): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** curl's answer: `%{http_version} %{http_code}`, then the headers and body it printed. */
function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sk', '--max-time', '10', '-w', '\n[%{http_version} %{http_code}]', ...args],
      { encoding: 'latin1', maxBuffer: 16 << 20 },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
}

/** A JSON answer of the servers without what differs by design between runs (ports). */
function echoed(a: H2Answer): unknown {
  const j = JSON.parse(a.body.toString('utf8')) as { headers: string[] };
  j.headers = j.headers.map((h) => h.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT'));
  return { status: a.status, headers: a.headers, json: j };
}

describe('ALPN', () => {
  it('h2 is chosen when the client offers it, http/1.1 otherwise, and -c accepts the lines', async () => {
    const ports = await freePorts(2);
    const cfg = writeConfig(config(ports));
    for (const b of BINARIES) {
      const c = await checkConfig(b, [cfg]);
      expect(c.code, `${b} -c: ${c.stderr}`).toBe(0);
      expect(c.alerts, b).toEqual([]);
    }
    const r = await both(config, async ([p]) => {
      const alpn = async (protocols: string[]) =>
        new Promise<string>((resolve) => {
          const s = tlsConnect({
            port: p!,
            host: '127.0.0.1',
            rejectUnauthorized: false,
            servername: 'www.example.test',
            ALPNProtocols: protocols,
          });
          s.once('secureConnect', () => {
            resolve(String(s.alpnProtocol));
            s.destroy();
          });
          s.once('error', (e) => resolve(`error ${e.message}`));
        });
      return [
        await alpn(['h2', 'http/1.1']),
        await alpn(['http/1.1', 'h2']),
        await alpn(['http/1.1']),
        await curl(['--http2', `https://127.0.0.1:${p}/info`]),
        await curl(['--http1.1', `https://127.0.0.1:${p}/info`]),
      ];
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.slice(0, 3)).toEqual(['h2', 'h2', 'http/1.1']);
    expect(r.haproxy[3]).toBe(
      'url=https://127.0.0.1:P0/info path=/info ver=2.0 host=127.0.0.1:P0 alpn=h2\n[2 200]',
    );
    expect(r.haproxy[4]).toBe('url=/info path=/info ver=1.1 host=127.0.0.1:P0 alpn=http/1.1\n[1.1 200]');
  });
});

describe('streams through the HTTP engine', () => {
  it('GET and POST bodies of a few MB, byte-exact, several streams at once on one connection', async () => {
    const up = bodyOf(3 << 20, 11);
    const small = Buffer.from('hello h2');
    const r = await both(config, async ([p]) => {
      const s = await h2Connect(p!, true);
      try {
        const answers = await Promise.all([
          h2Request(s, { ':path': '/dl?n=2500000' }),
          h2Request(s, { ':path': '/dl-chunked?n=1500001' }),
          h2Request(s, { ':method': 'POST', ':path': '/up', 'content-type': 'application/octet-stream' }, up),
          h2Request(
            s,
            { ':method': 'POST', ':path': '/up?len', 'content-length': String(small.length) },
            small,
          ),
          h2Request(s, { ':method': 'POST', ':path': '/empty' }, Buffer.alloc(0)),
          h2Request(s, { ':path': '/two/x?cookie=1', cookie: ['c1=a', 'c2=b'], 'x-many': ['1', '2'] }),
          h2Request(s, { ':method': 'HEAD', ':path': '/dl?n=10' }),
          // denied while the upload goes on: the answer comes, the connection serves on
          h2Request(s, { ':method': 'POST', ':path': '/deny/upload' }, up).then(
            (a) => ({ ...a, body: Buffer.from(`${a.status}`) }),
            (e: Error) => ({ status: 0, headers: {}, body: Buffer.from(e.message) }),
          ),
        ]);
        answers.push(await h2Request(s, { ':path': '/after?cookie=no' }));
        return answers.map((a, i) =>
          i < 2 || i === 6 || i === 7
            ? { status: a.status, headers: a.headers, length: a.body.length, sha: sha(a.body) }
            : echoed(a),
        );
      } finally {
        await closeSession(s);
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    // and the bytes are the ones the server sent / the client sent
    const a = r.haproxy as { length?: number; sha?: string; json?: { length: number; sha: string } }[];
    expect(a[0]).toMatchObject({ length: 2500000, sha: sha(bodyOf(2500000)) });
    expect(a[1]).toMatchObject({ length: 1500001, sha: sha(bodyOf(1500001)) });
    expect(a[2]!.json).toMatchObject({ length: up.length, sha: sha(up) });
    expect(a[7]).toMatchObject({ status: 403 });
    expect(a[8]).toMatchObject({ status: 200 });
  });

  it('rules: set-header, deny, a return with url/req.ver/ssl_fc_alpn, use_backend by path', async () => {
    const r = await both(config, async ([p, q]) => {
      const out: unknown[] = [];
      for (const [port, tls] of [
        [p!, true],
        [q!, false],
      ] as const) {
        const s = await h2Connect(port, tls);
        try {
          const deny = await h2Request(s, { ':path': '/deny/me' });
          const info = await h2Request(s, { ':path': '/info', ':authority': 'example.test' });
          out.push(
            { status: deny.status, headers: deny.headers, body: deny.body.toString('latin1') },
            { status: info.status, headers: info.headers, body: info.body.toString('latin1') },
            echoed(await h2Request(s, { ':path': '/two/a' })),
            echoed(await h2Request(s, { ':path': '/one/b' })),
          );
        } finally {
          await closeSession(s);
        }
      }
      return out;
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    const ref = r.haproxy as { status: number; body?: string; json?: { srv: string; headers: string[] } }[];
    expect(ref[0]!.status).toBe(403);
    expect(ref[1]!.body).toBe('url=https://example.test/info path=/info ver=2.0 host=example.test alpn=h2');
    expect(ref[2]!.json!.srv).toBe('be2');
    expect(ref[3]!.json!.srv).toBe('be1');
    expect(ref[3]!.json!.headers).toContain('x-via');
  });

  it('the log line of an h2 request says HTTP/2.0 with the absolute URI', async () => {
    const r = await both(config, async ([p, q], _b, proxy) => {
      const s = await h2Connect(p!, true);
      await h2Request(s, { ':path': '/raw/logged?x=1' });
      await h2Request(s, { ':path': '/info' });
      await closeSession(s);
      // the same request in HTTP/1.1, for comparison
      await curl(['--http1.1', `https://127.0.0.1:${p}/raw/logged?x=1`]);
      const c = await h2Connect(q!, false);
      await h2Request(c, { ':method': 'POST', ':path': '/deny' }, Buffer.from('x'));
      await closeSession(c);
      await proxy.waitForOutput(/deny HTTP\/2\.0"/, 5000, 'stdout');
      const lines = proxy.stdout();
      // client port, dates and timers vary by run
      return lines
        .trim()
        .split('\n')
        .map((l) =>
          l
            .replace(/^127\.0\.0\.1:\d+ \[[^\]]+\]/, 'CLIENT [DATE]')
            .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/-?\d+ /, ' TIMERS '),
        );
    });
    // %B included: the h2 lines count as HAProxy counts them
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[0]).toMatch(
      / be3\/s3 .*"GET https:\/\/www\.example\.test:P0\/raw\/logged\?x=1 HTTP\/2\.0"$/,
    );
    expect(r.haproxy[1]).toMatch(
      / fe\/<NOSRV> .* LR-- .*"GET https:\/\/www\.example\.test:P0\/info HTTP\/2\.0"$/,
    );
    expect(r.haproxy[2]).toMatch(/"GET \/raw\/logged\?x=1 HTTP\/1\.1"$/);
  });

  it('a server that does not answer HTTP: 502 on the stream, the connection serves on; trailers', async () => {
    const r = await both(config, async ([p]) => {
      const s = await h2Connect(p!, true);
      try {
        const bad = await h2Request(s, { ':path': '/broken' });
        const good = await h2Request(s, { ':path': '/after' });
        const t = await h2Request(s, { ':path': '/trailers' });
        return [
          { status: bad.status, headers: bad.headers, body: bad.body.toString('latin1') },
          echoed(good),
          { status: t.status, headers: t.headers, body: t.body.toString('latin1'), trailers: t.trailers },
        ];
      } finally {
        await closeSession(s);
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect((r.haproxy[0] as { status: number }).status).toBe(502);
    // the server's trailers reach the h2 client
    expect(r.haproxy[2]).toMatchObject({ body: 'part1-part2', trailers: { 'x-sum': 'abc' } });
  });

  it('curl: --http2 over TLS and --http2-prior-knowledge on proto h2, with bodies', async () => {
    const r = await both(config, async ([p, q]) => [
      await curl(['--http2', '-i', '-H', 'x-test: 1', `https://127.0.0.1:${p}/two/curl`]),
      await curl(['--http2-prior-knowledge', '-i', `http://127.0.0.1:${q}/info`]),
      await curl(['--http2-prior-knowledge', '-i', '--data-binary', 'abc', `http://127.0.0.1:${q}/post`]),
      await curl(['--http2', '-i', `https://127.0.0.1:${p}/deny`]),
    ]);
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[1]).toContain('ver=2.0');
  });
});

// --- hand-made frames: requests node:http2 and curl refuse to send ----------------------------

const FRAME_NAMES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
];

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** An HPACK literal field without indexing, new name, no Huffman coding (short strings). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x00, name.length]),
    Buffer.from(name, 'latin1'),
    Buffer.from([value.length]),
    Buffer.from(value, 'latin1'),
  ]);
}

/** `:authority` from the static table's name (index 1), literal value. */
const authority = (v: string) => Buffer.concat([Buffer.from([0x01, v.length]), Buffer.from(v, 'latin1')]);
const GET = 0x82;
const HTTP = 0x86;
const SLASH = 0x84;

/**
 * Sends the preface, SETTINGS and one HEADERS block (stream 1, END_STREAM), then reports the
 * frames the proxy answers with on stream 1 and the connection (RST_STREAM/GOAWAY with their
 * error codes, a response's HEADERS), until the connection closes or a second passes.
 */
function rawH2(port: number, block: Buffer, withSettings = false): Promise<string[]> {
  return new Promise((resolve) => {
    const seen: string[] = [];
    let buf = Buffer.alloc(0);
    const s = netConnect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(seen);
    };
    const timer = setTimeout(done, 1500);
    s.on('error', done);
    s.on('close', done);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3]!;
        const frameFlags = buf[4]!;
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        const p = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        const name = FRAME_NAMES[type] ?? `type ${type}`;
        if (type === 4 && withSettings) {
          if ((frameFlags & 1) === 0) {
            const kv: string[] = [];
            for (let i = 0; i + 6 <= p.length; i += 6)
              kv.push(`${p.readUInt16BE(i)}=${p.readUInt32BE(i + 2)}`);
            seen.push(`SETTINGS ${kv.sort().join(' ')}`);
          }
        } else if (type === 3) seen.push(`${name} stream ${stream} code ${p.readUInt32BE(0)}`);
        else if (type === 7)
          seen.push(`${name} last ${p.readUInt32BE(0) & 0x7fffffff} code ${p.readUInt32BE(4)}`);
        else if (stream !== 0) {
          // how the body is cut into DATA frames is the sender's choice: consecutive ones count once
          const f = `${name} stream ${stream}${frameFlags & 1 ? ' END_STREAM' : ''}`;
          if (f !== seen[seen.length - 1] || type !== 0) seen.push(f);
        }
      }
      if (seen.some((x) => x.startsWith('GOAWAY') || x.startsWith('RST_STREAM') || x.startsWith('HEADERS')))
        setTimeout(done, 100);
    });
    s.write(
      Buffer.concat([
        Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
        frame(4, 0, 0, Buffer.alloc(0)),
        frame(1, 0x5, 1, block),
      ]),
    );
  });
}

describe('malformed requests', () => {
  it('are answered as HAProxy does (RST_STREAM / GOAWAY and their codes), the daemon serves on', async () => {
    const cases: Record<string, Buffer> = {
      good: Buffer.concat([Buffer.from([GET, HTTP, SLASH]), authority('a.test')]),
      // a chunked response: its frames (no empty trailers)
      chunked: Buffer.concat([
        Buffer.from([GET, HTTP]),
        Buffer.from([0x04, 16]),
        Buffer.from('/dl-chunked?n=10', 'latin1'),
        authority('a.test'),
      ]),
      'no :path': Buffer.concat([Buffer.from([GET, HTTP]), authority('a.test')]),
      'upper-case name': Buffer.concat([
        Buffer.from([GET, HTTP, SLASH]),
        authority('a.test'),
        literal('X-Upper', 'v'),
      ]),
      'connection field': Buffer.concat([
        Buffer.from([GET, HTTP, SLASH]),
        authority('a.test'),
        literal('connection', 'close'),
      ]),
      'pseudo-header after a field': Buffer.concat([
        Buffer.from([GET, HTTP]),
        literal('x-a', 'b'),
        Buffer.from([SLASH]),
      ]),
      'no :method': Buffer.concat([Buffer.from([HTTP, SLASH]), authority('a.test')]),
      'unknown HPACK index': Buffer.from([GET, HTTP, SLASH, 0xbf]),
    };
    const r = await both(config, async ([, q]) => {
      const out: Record<string, string[]> = {};
      for (const [name, block] of Object.entries(cases)) {
        // the last stream id of a GOAWAY is nghttp2's choice (1, the stream that failed; HAProxy
        // says 0): a known difference, left out of the comparison
        out[name] = (await rawH2(q!, block)).map((f) => f.replace(/^GOAWAY last \d+/, 'GOAWAY last N'));
      }
      // still serving
      out['after'] = [await curl(['--http2-prior-knowledge', `http://127.0.0.1:${q}/info`])];
      return out;
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy['good']).toEqual(['HEADERS stream 1', 'DATA stream 1 END_STREAM']);
    // a malformed request is a stream error (PROTOCOL_ERROR, 1); a bad HPACK block ends the
    // connection (GOAWAY COMPRESSION_ERROR, 9)
    for (const n of [
      'no :path',
      'upper-case name',
      'connection field',
      'pseudo-header after a field',
      'no :method',
    ])
      expect(r.haproxy[n], n).toEqual(['RST_STREAM stream 1 code 1']);
    expect(r.haproxy['unknown HPACK index']![0]).toBe('GOAWAY last N code 9');
  });
});

describe('tune.h2', () => {
  it('the settings announced follow tune.h2.*, and -c checks their ranges', async () => {
    const tuned = [
      '  tune.h2.max-concurrent-streams 7',
      '  tune.h2.initial-window-size 100000',
      '  tune.h2.header-table-size 8192',
      '  tune.h2.max-frame-size 32768',
    ];
    const good = Buffer.concat([Buffer.from([GET, HTTP, SLASH]), authority('a.test')]);
    const settings = async ([, q]: number[]) =>
      (await rawH2(q!, good, true)).filter((f) => f.startsWith('SETTINGS'));
    const byDefault = await both((ports) => config(ports), settings);
    const r = await both((ports) => config(ports, [], tuned), settings);
    // SETTINGS_MAX_CONCURRENT_STREAMS (3), _INITIAL_WINDOW_SIZE (4), _HEADER_TABLE_SIZE (1) as
    // configured; the frame size stays at a buffer's (16384, not announced)
    expect(byDefault.haproxy).toEqual(['SETTINGS 3=100 8=1']);
    expect(r.haproxy).toEqual(['SETTINGS 1=8192 3=7 4=100000 8=1']);
    // and SETTINGS_ENABLE_CONNECT_PROTOCOL (8=1): websockets over h2
    expect(byDefault.haproxyd).toEqual(byDefault.haproxy);
    expect(r.haproxyd).toEqual(r.haproxy);
    const bad = writeConfig(
      config(await freePorts(2), [], ['  tune.h2.header-table-size 100', '  tune.h2.max-frame-size 99']),
    );
    const [h, d] = await Promise.all([checkConfig('haproxy', [bad]), checkConfig('haproxyd', [bad])]);
    expect(h.code).not.toBe(0);
    expect(d.code).not.toBe(0);
    const texts = (c: typeof h) =>
      c.alerts.map((a) => a.message.replace(/^.*?: /, '')).filter((m) => m.includes('tune.h2'));
    expect(texts(h)).toEqual([
      "'tune.h2.header-table-size' expects a numeric value between 4096 and 65536.",
      "'tune.h2.max-frame-size' expects a numeric value between 16384 and 16777215.",
    ]);
    expect(texts(d)).toEqual(texts(h));
  });
});

describe('configuration checks', () => {
  it.each([
    ['frontend', ['frontend fe', '  mode tcp', '  bind 127.0.0.1:PORT proto h2', '  default_backend be']],
    ['listen', ['listen fe', '  mode tcp', '  bind 127.0.0.1:PORT proto h2', '  server s 127.0.0.1:9']],
  ])('proto h2 on a %s in mode tcp is refused by -c as HAProxy does', async (_kind, lines) => {
    const [p] = await freePorts(1);
    const cfg = writeConfig(
      `${[
        'defaults',
        '  timeout client 1s',
        '  timeout server 1s',
        '  timeout connect 1s',
        ...lines,
        'backend be',
        '  mode tcp',
        '  server s 127.0.0.1:9',
      ]
        .join('\n')
        .replace('PORT', String(p))}\n`,
    );
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const alerts = (r: typeof h) => r.alerts.map((a) => a.message);
    expect(alerts(h).some((m) => m.includes("MUX protocol 'h2' is not usable"))).toBe(true);
    expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
  });

  // HTTP/2 to servers (`proto h2`, `alpn h2` on server lines) is served: h2-server.test.ts
});

describe('stats', () => {
  it('an h2 connection with several streams counts as HAProxy counts it (show stat)', async () => {
    const sock = join(tmpdir(), `hap-h2-${process.pid}-${Date.now()}.sock`);
    const r = await both(
      (ports) => config(ports, [], [`  stats socket ${sock}-${ports[0]} level admin`]),
      async ([p]) => {
        const s = await h2Connect(p!, true);
        await Promise.all([
          h2Request(s, { ':path': '/a' }),
          h2Request(s, { ':path': '/two/b' }),
          h2Request(s, { ':path': '/deny' }),
          h2Request(s, { ':path': '/info' }),
        ]);
        await closeSession(s);
        // one HTTP/1.1 connection besides
        await curl(['--http1.1', `https://127.0.0.1:${p}/c`]);
        // the proxy has seen the connections close
        await new Promise((res) => setTimeout(res, 300));
        const csv = await cliCommand(`${sock}-${p}`, 'show stat');
        const lines = csv.split('\n');
        const cols = lines[0]!.replace(/^# /, '').split(',');
        // (dreq and intercepted are not counted by the HTTP engine yet, HTTP/1.1 or not)
        const pick = ['scur', 'stot', 'conn_tot', 'req_tot', 'hrsp_2xx', 'hrsp_4xx'];
        const out: Record<string, Record<string, string>> = {};
        for (const l of lines.slice(1)) {
          const v = l.split(',');
          if (v.length < cols.length || !['FRONTEND', 'BACKEND'].includes(v[1]!)) continue;
          const row: Record<string, string> = {};
          for (const c of pick) {
            const i = cols.indexOf(c);
            if (i >= 0 && v[i] !== '') row[c] = v[i]!;
          }
          out[`${v[0]}/${v[1]}`] = row;
        }
        return out;
      },
    );
    for (const f of readdirSync(tmpdir()))
      if (f.startsWith(basename(sock))) rmSync(join(tmpdir(), f), { force: true });
    expect(r.haproxyd).toEqual(r.haproxy);
    // two connections, five requests
    expect(r.haproxy['fe/FRONTEND']).toMatchObject({ conn_tot: '2', stot: '2', req_tot: '5' });
  });
});

/** One runtime API command over a unix stats socket: its whole answer. */
function cliCommand(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = netConnect(path);
    let text = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      text += d;
    });
    c.on('error', reject);
    c.on('close', () => resolve(text));
    c.end(`${command}\n`);
  });
}

describe('soft stop', () => {
  it('GOAWAY to h2 clients at once; a stream in flight completes, then the process leaves', async () => {
    const r = await both(
      config,
      async ([p], _b, proxy) => {
        const s = await h2Connect(p!, true);
        const first = await h2Request(s, { ':path': '/a' });
        const events: string[] = [];
        s.once('goaway', (code: number) => events.push(`GOAWAY code ${code}`));
        const slow = h2Request(s, { ':path': '/slow' });
        // the request has reached the server
        await new Promise((res) => setTimeout(res, 200));
        proxy.signal('SIGUSR1');
        events.push(
          await slow.then(
            (a) => `${a.status} ${a.body.toString('latin1')}`,
            (e: Error) => `error ${e.message}`,
          ),
        );
        const exit = await proxy.waitForExit(5000);
        s.destroy();
        return { first: first.status, events, exit: exit.code };
      },
      true,
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    // the GOAWAY comes before the answer of the stream in flight
    expect(r.haproxy).toEqual({ first: 200, events: ['GOAWAY code 0', '200 slow'], exit: 0 });
  });
});

describe('concurrent streams', () => {
  it('count as one connection (scur, feconn), each a request on the backend (beconn)', async () => {
    const sock = join(tmpdir(), `hap-h2c-${process.pid}-${Date.now()}.sock`);
    const r = await both(
      (ports) => config(ports, [], [`  stats socket ${sock}-${ports[0]} level admin`]),
      async ([p], _b, proxy) => {
        const s = await h2Connect(p!, true);
        const inFlight = [1, 2, 3].map((i) => h2Request(s, { ':path': `/slow/${i}` }));
        // the requests have reached the server
        await new Promise((res) => setTimeout(res, 300));
        const csv = await cliCommand(`${sock}-${p}`, 'show stat');
        await Promise.all(inFlight);
        await closeSession(s);
        const cols = csv.split('\n')[0]!.replace(/^# /, '').split(',');
        const fe = csv
          .split('\n')
          .find((l) => l.startsWith('fe,FRONTEND,'))!
          .split(',');
        const be = csv
          .split('\n')
          .find((l) => l.startsWith('be1,BACKEND,'))!
          .split(',');
        await proxy.waitForOutput(/slow\/3 HTTP\/2\.0"/, 5000, 'stdout');
        // the connection counts of each log line: actconn/feconn/beconn/srv_conn/retries
        const counts = proxy
          .stdout()
          .trim()
          .split('\n')
          .map((l) => / [-A-Za-z]{4} (\d+\/\d+\/\d+\/\d+\/\d+) /.exec(l)?.[1])
          .sort();
        return { feScur: fe[cols.indexOf('scur')], beScur: be[cols.indexOf('scur')], counts };
      },
    );
    for (const f of readdirSync(tmpdir()))
      if (f.startsWith(basename(sock))) rmSync(join(tmpdir(), f), { force: true });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.feScur).toBe('1');
    expect(r.haproxy.beScur).toBe('3');
    // every line says one frontend connection while the three streams were served
    expect(r.haproxy.counts).toHaveLength(3);
    for (const c of r.haproxy.counts) expect(c).toMatch(/^1\/1\/\d\/\d\/0$/);
  });
});

describe('CONNECT', () => {
  it('a 2xx opens a tunnel on the stream: bytes both ways, END_STREAM as the half-close', async () => {
    const r = await both(config, async ([p]) => {
      const s = await h2Connect(p!, true);
      try {
        const got = await new Promise<string>((resolve) => {
          const req = s.request(
            { ':method': 'CONNECT', ':authority': 'tunnel.test:443' },
            { endStream: false },
          );
          const parts: Buffer[] = [];
          let status = '';
          req.on('response', (h) => {
            status = String(h[':status']);
            req.write('ping-1 ');
            setTimeout(() => req.end('ping-2'), 100);
          });
          req.on('data', (c: Buffer) => parts.push(c));
          req.on('end', () => resolve(`${status} ${Buffer.concat(parts).toString('latin1')}`));
          req.on('error', (e) => resolve(`error ${e.message}`));
        });
        // the connection serves on
        const after = await h2Request(s, { ':path': '/info' });
        return [got, after.status];
      } finally {
        await closeSession(s);
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy).toEqual(['200 ping-1 ping-2', 200]);
  });
});

describe('websockets over h2 (RFC 8441)', () => {
  it('an extended CONNECT becomes an HTTP/1.1 upgrade; 101 is told 200, then bytes both ways', async () => {
    const r = await both(config, async ([p]) => {
      const s = await h2Connect(p!, true);
      try {
        lastUpgrade = '';
        const got = await new Promise<string>((resolve) => {
          const req = s.request(
            {
              ':method': 'CONNECT',
              ':protocol': 'websocket',
              ':scheme': 'https',
              ':path': '/ws/chat',
              ':authority': 'www.example.test',
              'sec-websocket-version': '13',
            },
            { endStream: false },
          );
          const parts: Buffer[] = [];
          let head = '';
          req.on('response', (h) => {
            // the accept value follows the key, random
            head = JSON.stringify(Object.entries(h)).replace(
              /"sec-websocket-accept","[^"]+"/,
              '"sec-websocket-accept","ACCEPT"',
            );
            req.write('frame-1 ');
            setTimeout(() => req.end('frame-2'), 100);
          });
          req.on('data', (c: Buffer) => parts.push(c));
          req.on('end', () => resolve(`${head} ${Buffer.concat(parts).toString('latin1')}`));
          req.on('error', (e) => resolve(`error ${e.message}`));
        });
        // (HAProxy spells the key it adds "Sec-Websocket-Key", haproxyd in lower case: names
        // compared without their case)
        const enabled = s.remoteSettings.enableConnectProtocol;
        return {
          enabled,
          got,
          server: lastUpgrade.split('\r\n').map((l) => l.replace(/^([^: ]+):/, (n) => n.toLowerCase())),
        };
      } finally {
        await closeSession(s);
      }
    });
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy.enabled).toBe(true);
    expect(r.haproxy.got).toMatch(/":status",200.* frame-1 frame-2$/);
  });
});
