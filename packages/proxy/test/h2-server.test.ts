/**
 * HTTP/2 to servers (@hap/proxy/h2) on real loopback sockets: an HttpFrontend whose server
 * speaks HTTP/2 (a node:http2 server that records what it receives), raw HTTP/1.1 clients.
 */
import * as http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2ServerConnector } from '../src/h2-server.ts';
import { Backend, HttpFrontend, type HttpProxySettings, setBackendHttp } from '../src/index.ts';
import { Harness, waitFor } from './harness.ts';

const HOST = '127.0.0.1';
const h = new Harness();
const frontends: HttpFrontend[] = [];
const listeners: net.Server[] = [];
const h2servers: http2.Http2Server[] = [];
afterEach(async () => {
  for (const f of frontends.splice(0)) f.destroyAll();
  for (const s of h2servers.splice(0)) await new Promise((r) => s.close(r));
  await Promise.all(listeners.splice(0).map((l) => new Promise((r) => l.close(r))));
  await h.cleanup();
});

interface Seen {
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** A cleartext HTTP/2 server: answers `body: <what it got>` after `?delay=` ms; `/rst` resets the stream. */
async function h2Server(o: { goawayAfterAnswer?: boolean } = {}) {
  const seen: Seen[] = [];
  const sessions: http2.ServerHttp2Session[] = [];
  const resets: string[] = [];
  const srv = http2.createServer();
  srv.on('session', (s) => {
    sessions.push(s);
    s.on('error', () => {});
  });
  srv.on('stream', (st, headers) => {
    st.on('error', () => {});
    const path = String(headers[':path']);
    if (path.startsWith('/rst')) {
      resets.push(path);
      st.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    let body = '';
    st.setEncoding('latin1');
    st.on('data', (d: string) => {
      body += d;
    });
    st.on('end', () => {
      seen.push({ headers, body });
      const delay = Number(/delay=(\d+)/.exec(path)?.[1] ?? 0);
      setTimeout(() => {
        if (st.closed) return;
        const text = `body: ${body}`;
        st.respond(
          path.includes('length')
            ? { ':status': 200, 'content-length': text.length, 'x-a': ['1', '2'] }
            : { ':status': 200, 'x-a': ['1', '2'] },
          { sendDate: false } as http2.ServerStreamResponseOptions,
        );
        st.end(text);
        // a server that ends each connection gracefully after one answer (GOAWAY)
        if (o.goawayAfterAnswer) st.session?.close();
      }, delay);
    });
  });
  h2servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  return { port: (srv.address() as net.AddressInfo).port, seen, sessions, resets };
}

async function proxyTo(port: number, reuse: 'never' | 'safe' | 'always', retries = 3, maxReuse = -1) {
  const h2 = new H2ServerConnector({ alpn: false, maxReuse });
  const settings = (): HttpProxySettings => ({
    mode: 'keep-alive',
    forwardFor: undefined,
    errorFiles: new Map(),
    bufferRequest: false,
    rules: undefined,
  });
  const backend = new Backend({
    name: 'be',
    servers: [{ name: 's1', host: HOST, port, h2 }],
    retries,
    timeouts: { connect: 500, server: 5000, tunnel: 0, queue: 0 },
    reuse,
    redispatch: false,
  });
  setBackendHttp(backend, settings());
  const frontend = new HttpFrontend({
    name: 'fe',
    backend,
    timeouts: { client: 5000, httpRequest: 0, httpKeepAlive: 0 },
    http: settings(),
    hooks: { streamOpened() {}, streamClosed() {} },
    world: {
      nbsrv: () => undefined,
      beConn: () => undefined,
      queue: () => undefined,
      feConn: () => undefined,
      serverUp: () => undefined,
    },
  });
  frontends.push(frontend);
  const listener = net.createServer({ allowHalfOpen: true }, (s) => frontend.handleConnection(s));
  listeners.push(listener);
  await new Promise<void>((r) => listener.listen(0, HOST, () => r()));
  return { port: (listener.address() as net.AddressInfo).port, h2, backend };
}

/** Sends raw bytes, reads until the proxy closes. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST);
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('error', reject);
    s.on('end', () => {
      s.destroy();
      resolve(out);
    });
    s.write(bytes);
  });
}

describe('HTTP/2 to servers', () => {
  it('converts an HTTP/1.1 request to a stream and the stream back to HTTP/1.1', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'safe');
    const got = await exchange(
      px.port,
      'POST /p?q=1 HTTP/1.1\r\nHost: site\r\nTE: gzip, trailers\r\nKeep-Alive: 5\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello',
    );
    expect(got).toBe(
      'HTTP/1.1 200 \r\nx-a: 1, 2\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nB\r\nbody: hello\r\n0\r\n\r\n',
    );
    const s = srv.seen[0]!;
    expect(s.body).toBe('hello');
    expect(s.headers[':method']).toBe('POST');
    expect(s.headers[':scheme']).toBe('https');
    expect(s.headers[':path']).toBe('/p?q=1');
    expect(s.headers[':authority']).toBeUndefined();
    expect(s.headers['host']).toBe('site');
    expect(s.headers['te']).toBe('trailers');
    expect(s.headers['keep-alive']).toBeUndefined();
    expect(s.headers['connection']).toBeUndefined();
  });

  it('an absolute target gives :scheme and :authority, and no Host; a chunked upload becomes DATA', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'safe');
    const got = await exchange(
      px.port,
      'POST http://site:8080/a HTTP/1.1\r\nHost: site:8080\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
    );
    expect(got).toMatch(/^HTTP\/1\.1 200 \r\n/);
    const s = srv.seen[0]!;
    expect(s.body).toBe('abcde');
    expect(s.headers[':scheme']).toBe('http');
    expect(s.headers[':authority']).toBe('site:8080');
    expect(s.headers['host']).toBeUndefined();
    expect(s.headers['transfer-encoding']).toBeUndefined();
  });

  it('http-reuse always: concurrent requests share one connection; keep-alive requests reuse it', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'always');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        exchange(px.port, `GET /c${i}?delay=200&length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      ),
    );
    for (const a of answers)
      expect(a).toMatch(/^HTTP\/1\.1 200 \r\n[\s\S]*content-length: 6\r\n[\s\S]*\r\n\r\nbody: $/);
    expect(srv.seen).toHaveLength(8);
    expect(srv.sessions).toHaveLength(1);
    expect(px.h2.opened).toBe(1);
  });

  it('http-reuse never: a connection serves one client connection only, and closes with it', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'never');
    await Promise.all([
      exchange(px.port, 'GET /a?delay=100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      exchange(px.port, 'GET /b?delay=100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]);
    expect(srv.sessions).toHaveLength(2);
    await waitFor(() => srv.sessions.every((s) => s.closed || s.destroyed), 'private connections closed');
    expect(px.h2.links).toHaveLength(0);
  });

  it('max-reuse: a connection takes max-reuse + 1 streams, a keep-alive client then gets a new one', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'safe', 3, 1);
    const s = net.connect(px.port, HOST);
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
    });
    for (let i = 0; i < 5; i++) {
      s.write(`GET /r${i}?length HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor(() => (out.match(/body: /g) ?? []).length > i, `answer ${i}`);
    }
    s.destroy();
    expect(out.match(/HTTP\/1\.1 200 /g)).toHaveLength(5);
    expect(srv.seen).toHaveLength(5);
    expect(srv.sessions).toHaveLength(3);
    expect(px.h2.opened).toBe(3);
  });

  it('pipelined requests: each goes once its predecessor is answered, on the same connection or, past max-reuse, a new one', async () => {
    const srv = await h2Server();
    for (const [maxReuse, sessions] of [
      [-1, 1],
      [0, 3],
    ] as const) {
      srv.seen.length = 0;
      srv.sessions.length = 0;
      const px = await proxyTo(srv.port, 'safe', 3, maxReuse);
      const got = await exchange(
        px.port,
        'GET /p1?length HTTP/1.1\r\nHost: x\r\n\r\nGET /p2?length HTTP/1.1\r\nHost: x\r\n\r\nGET /p3?length HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(got.match(/HTTP\/1\.1 200 /g), `max-reuse ${maxReuse}`).toHaveLength(3);
      expect(srv.seen.map((x) => x.headers[':path'])).toEqual(['/p1?length', '/p2?length', '/p3?length']);
      expect(srv.sessions, `max-reuse ${maxReuse}`).toHaveLength(sessions);
    }
  });

  it('set server addr: new requests go to the new address, not over the old connection', async () => {
    const a = await h2Server();
    const b = await h2Server();
    const px = await proxyTo(a.port, 'always');
    await exchange(px.port, 'GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    px.backend.servers[0]!.setAddress(HOST, b.port);
    await exchange(px.port, 'GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(a.seen.map((x) => x.headers[':path'])).toEqual(['/one']);
    expect(b.seen.map((x) => x.headers[':path'])).toEqual(['/two']);
  });

  it('a request node:http2 cannot send (CONNECT) is a 502, tried once', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'safe');
    const got = await exchange(px.port, 'CONNECT site:443 HTTP/1.1\r\nHost: site:443\r\n\r\n');
    expect(got).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(srv.seen).toHaveLength(0);
  });

  it('a server that says GOAWAY after each answer: the next requests go on new connections', async () => {
    const srv = await h2Server({ goawayAfterAnswer: true });
    const px = await proxyTo(srv.port, 'always');
    const s = net.connect(px.port, HOST);
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
    });
    for (let i = 0; i < 4; i++) {
      s.write(`GET /g${i}?length HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor(() => (out.match(/HTTP\/1\.1 /g) ?? []).length > i, `answer ${i}`);
    }
    s.destroy();
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual(Array(4).fill('HTTP/1.1 200'));
    expect(srv.seen).toHaveLength(4);
    expect(srv.sessions).toHaveLength(4);
  });

  it('a reset stream is a 502, not sent again on a reused connection', async () => {
    const srv = await h2Server();
    const px = await proxyTo(srv.port, 'safe');
    const s = net.connect(px.port, HOST);
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
    });
    s.write('GET /ok?length HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => out.includes('body: '), 'first answer');
    s.write('GET /rst HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => out.includes('502 Bad Gateway'), 'the 502');
    s.destroy();
    // one stream for /ok; /rst was reset once and not sent again
    expect(srv.seen.map((x) => x.headers[':path'])).toEqual(['/ok?length']);
    expect(srv.resets).toEqual(['/rst']);
    expect(srv.sessions).toHaveLength(1);
  });

  it('a refused connection is retried, then 503', async () => {
    const port = await h.refusedPort();
    const px = await proxyTo(port, 'safe', 1);
    const got = await exchange(px.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(got).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(px.backend.servers[0]!.counters.wretr).toBe(1);
    expect(px.h2.opened).toBe(2);
  });
});
