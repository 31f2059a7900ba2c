/**
 * The HTTP engine on real loopback sockets: an HttpFrontend behind a plain listener,
 * raw backends that record the exact bytes they receive, raw clients.
 */
import net from 'node:net';
import { HttpRuleList } from '@hap/rules';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Backend,
  HttpFrontend,
  type HttpProxySettings,
  type HttpSession,
  setBackendHttp,
} from '../src/index.ts';
import { Harness, resourceCount, waitFor } from './harness.ts';

const HOST = '127.0.0.1';
const h = new Harness();
afterEach(() => h.cleanup());

interface HttpProxyOpts {
  servers: { name: string; host: string; port: number; maxconn?: number }[];
  queue?: number;
  retries?: number;
  connect?: number;
  server?: number;
  client?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  http?: Partial<HttpProxySettings>;
  reuse?: 'never' | 'safe' | 'always';
  redispatch?: boolean;
}

const listeners: net.Server[] = [];
const frontends: HttpFrontend[] = [];
afterEach(async () => {
  // kept-alive server connections would hold the backends open for the idle purge delay
  for (const f of frontends.splice(0)) f.destroyAll();
  await Promise.all(listeners.map((l) => new Promise((r) => l.close(r))));
  listeners.length = 0;
});

async function httpProxy(o: HttpProxyOpts) {
  const backend = new Backend({
    name: 'be',
    servers: o.servers,
    retries: o.retries ?? 3,
    timeouts: { connect: o.connect ?? 2000, server: o.server ?? 5000, tunnel: 0, queue: o.queue ?? 0 },
    reuse: o.reuse ?? 'safe',
    redispatch: o.redispatch ?? false,
  });
  const settings: HttpProxySettings = {
    mode: 'keep-alive',
    forwardFor: undefined,
    errorFiles: new Map(),
    bufferRequest: false,
    rules: undefined,
    ...o.http,
  };
  setBackendHttp(backend, {
    mode: 'keep-alive',
    forwardFor: undefined,
    errorFiles: new Map(),
    bufferRequest: false,
    rules: undefined,
  });
  const closed: HttpSession[] = [];
  const frontend = new HttpFrontend({
    name: 'fe',
    backend,
    timeouts: {
      client: o.client ?? 5000,
      httpRequest: o.httpRequest ?? 0,
      httpKeepAlive: o.httpKeepAlive ?? 0,
    },
    http: settings,
    hooks: { streamOpened() {}, streamClosed: (_f, s) => closed.push(s) },
    world: {
      nbsrv: () => undefined,
      beConn: () => undefined,
      queue: () => undefined,
      feConn: () => undefined,
      serverUp: () => undefined,
    },
  });
  const listener = net.createServer({ allowHalfOpen: true }, (s) => frontend.handleConnection(s));
  listeners.push(listener);
  frontends.push(frontend);
  await new Promise<void>((r) => listener.listen(0, HOST, () => r()));
  const port = (listener.address() as net.AddressInfo).port;
  return { frontend, backend, port, closed };
}

/** A backend that records what each connection received and answers each request head with `reply(n)`. */
async function recordingBackend(reply: (n: number, head: string) => string | null = () => okReply('ok')) {
  const received: string[] = [];
  let n = 0;
  const be = await h.backend('rec', (s) => {
    const idx = received.push('') - 1;
    let pending = '';
    s.on('data', (d: Buffer) => {
      received[idx] += d.toString('latin1');
      pending += d.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = pending.slice(0, end);
        // bodies in these tests are small and sent with the head or right after: take them by CL or chunked end
        let used = end + 4;
        const cl = /content-length: (\d+)/i.exec(head);
        if (cl) used += Number(cl[1]);
        else if (/transfer-encoding: chunked/i.test(head)) {
          const z = pending.indexOf('0\r\n', end + 4);
          const stop = pending.indexOf('\r\n\r\n', z);
          if (z < 0 || stop < 0) break;
          used = stop + 4;
        }
        if (pending.length < used) break;
        pending = pending.slice(used);
        const r = reply(n++, head);
        if (r !== null) s.write(r);
      }
    });
  });
  return { be, received };
}

function okReply(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
}

async function exchange(
  port: number,
  data: string | Buffer,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  const s = h.client(port);
  s.write(data);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  const closed = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}

describe('HTTP forwarding', () => {
  it('forwards a request with lower-cased names and trimmed values, and the response back', async () => {
    const { be, received } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    const r = await exchange(
      p.port,
      'GET /a?b HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nConnection: keep-alive\r\n\r\n',
      300,
    );
    expect(received[0]).toBe('GET /a?b HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n\r\n');
    expect(r.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    expect(r.closed).toBe(false);
  });

  it('keeps one server connection for a keep-alive client and answers pipelined requests in order', async () => {
    const { be, received } = await recordingBackend((n) => okReply(`r${n}`));
    const p = await httpProxy({ servers: [be.target] });
    const reqs = Array.from({ length: 5 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const r = await exchange(p.port, reqs, 400);
    expect(r.text).toBe(
      [0, 1, 2, 3, 4].map((i) => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nr' + i).join(''),
    );
    expect(be.accepted.length).toBe(1);
    expect(received[0]).toContain('GET /4 HTTP/1.1');
  });

  it('re-frames a chunked request (extensions dropped, trailers kept) and a chunked response', async () => {
    const { be, received } = await recordingBackend(
      () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n\r\n',
    );
    const p = await httpProxy({ servers: [be.target] });
    const r = await exchange(
      p.port,
      'POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nT: 1\r\n\r\n',
      300,
    );
    expect(received[0]).toBe(
      'POST /p HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nt: 1\r\n\r\n',
    );
    expect(r.text).toBe('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  });

  it('drops Content-Length when Transfer-Encoding is present, and closes after the response', async () => {
    const { be, received } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    const r = await exchange(
      p.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n',
    );
    expect(received[0]).toBe(
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n',
    );
    expect(r.text).toContain('connection: close');
    expect(r.closed).toBe(true);
  });

  it('HTTP/1.0: keep-alive to the server, close to the client unless it asked for keep-alive', async () => {
    const { be, received } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    const a = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(received[0]).toBe('GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n');
    expect(a.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    expect(a.closed).toBe(true);
    const b = await exchange(p.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', 300);
    expect(b.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
    expect(b.closed).toBe(false);
  });

  it('adds X-Forwarded-For (option forwardfor), except for the excluded network, and with if-none', async () => {
    const { be, received } = await recordingBackend();
    const p = await httpProxy({
      servers: [be.target],
      http: { forwardFor: { header: 'x-forwarded-for', ifNone: true, except: undefined } },
    });
    await exchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 200);
    await exchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n', 200);
    expect(received.join('')).toContain('host: x\r\nx-forwarded-for: 127.0.0.1\r\n\r\n');
    expect(received.join('')).toContain('x-forwarded-for: 1.2.3.4\r\n\r\n');
    expect(received.join('').match(/x-forwarded-for/g)?.length).toBe(2);
    const q = await recordingBackend();
    const p2 = await httpProxy({
      servers: [q.be.target],
      http: { forwardFor: { header: 'x-real-ip', ifNone: false, except: [0x7f000000, 0xff000000] } },
    });
    await exchange(p2.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 200);
    expect(q.received[0]).toBe('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  });

  it('answers a local reply without a server, keeping the connection', async () => {
    const p = await httpProxy({
      servers: [],
      http: {
        rules: {
          tcpContent: undefined,
          request: HttpRuleList.compile(
            'http-request',
            [
              {
                file: 't.cfg',
                line: 1,
                ruleSet: 'http-request',
                action: 'return',
                args: ['status', '200', 'content-type', 'text/plain', 'string', 'hi\n'],
                condition: undefined,
              },
            ],
            {
              resolvePath: (x) => x,
              named: () => undefined,
              loadErrorFile: () => Buffer.alloc(0),
              httpErrors: () => null,
            },
            'fe',
            (e) => {
              throw e;
            },
          ),
          redirects: undefined,
          response: undefined,
          afterResponse: undefined,
          tarpit: 1,
        },
      },
    });
    const r = await exchange(
      p.port,
      'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n',
      300,
    );
    expect(r.text).toBe(
      'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-type: text/plain\r\n\r\nhi\n'.repeat(2),
    );
    expect(r.closed).toBe(false);
  });

  it('switches to a tunnel after 101 Switching Protocols', async () => {
    const be = await h.backend('ws', (s) => {
      let upgraded = false;
      s.on('end', () => s.end());
      s.on('data', (d: Buffer) => {
        if (!upgraded) {
          upgraded = true;
          s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
          return;
        }
        s.write(Buffer.concat([Buffer.from('echo:'), d]));
      });
    });
    const p = await httpProxy({ servers: [be.target] });
    const c = h.client(p.port);
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    c.write(
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await waitFor(() => Buffer.concat(got).includes('\r\n\r\n'), '101');
    c.write('\x00\x01raw');
    await waitFor(() => Buffer.concat(got).includes('echo:'), 'tunnel echo');
    expect(Buffer.concat(got).toString('latin1')).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\necho:\x00\x01raw',
    );
    c.end();
    await waitFor(() => p.frontend.streams.size === 0, 'session end');
  });
});

describe('HTTP errors and timeouts', () => {
  it('a malformed request gets 400 and never reaches the server', async () => {
    const { be, received } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    const r = await exchange(
      p.port,
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    );
    expect(r.text).toMatch(/^HTTP\/1\.[01] 400 /);
    expect(r.closed).toBe(true);
    expect(received.length).toBe(0);
  });

  it('no server: 503; connection refused: retried `retries` times, then 503', async () => {
    const empty = await httpProxy({ servers: [] });
    // like HAProxy, the connection stays open after a 503 to a complete request
    const e = await exchange(empty.port, 'GET / HTTP/1.1\r\n\r\n', 300);
    expect(e.text).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(e.text).toContain('No server is available to handle this request.');
    expect(e.closed).toBe(false);
    const port = await h.refusedPort();
    // HAProxy waits min(timeout connect, 1 s) between attempts after a connection error
    const p = await httpProxy({ servers: [{ name: 's', host: HOST, port }], retries: 2, connect: 150 });
    const t0 = Date.now();
    const r = await exchange(p.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r.text).toMatch(/^HTTP\/1\.[01] 503 /);
    expect(r.text).toContain('connection: close');
    expect(r.closed).toBe(true);
    expect(p.backend.servers[0]!.totalConns).toBe(3);
  });

  it('option redispatch: the last retry goes to another server', async () => {
    const port = await h.refusedPort();
    const { be } = await recordingBackend();
    const p = await httpProxy({
      servers: [{ name: 'dead', host: HOST, port }, be.target],
      retries: 2,
      redispatch: true,
      connect: 100,
    });
    const r = await exchange(p.port, 'GET / HTTP/1.1\r\n\r\n', 600);
    expect(r.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    // two attempts on the dead server, the last one redispatched
    expect(p.backend.servers[0]!.totalConns).toBe(2);
    expect(p.backend.servers.map((s) => s.served)).toEqual([0, 0]);
  });

  it('a server that never answers: 504 at timeout server', async () => {
    const { be } = await recordingBackend(() => null);
    const p = await httpProxy({ servers: [be.target], server: 300 });
    const t0 = Date.now();
    const r = await exchange(p.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.[01] 504 /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('half a request line: 408 at timeout http-request; an idle keep-alive client is closed silently', async () => {
    const { be } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target], httpRequest: 300, httpKeepAlive: 200 });
    const r = await exchange(p.port, 'GET /a');
    expect(r.text).toMatch(/^HTTP\/1\.[01] 408 /);
    expect(r.closed).toBe(true);
    const k = await exchange(p.port, 'GET / HTTP/1.1\r\n\r\n', 1500);
    expect(k.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    expect(k.closed).toBe(true);
  });

  it('an invalid response gets 502; a server dying mid-body truncates the client without a hang', async () => {
    const { be } = await recordingBackend(() => 'garbage\r\n\r\n');
    const p = await httpProxy({ servers: [be.target] });
    expect((await exchange(p.port, 'GET / HTTP/1.1\r\n\r\n', 300)).text).toMatch(/^HTTP\/1\.[01] 502 /);
    const dying = await h.backend('dying', (s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
        setTimeout(() => s.destroy(), 50);
      });
    });
    const p2 = await httpProxy({ servers: [dying.target] });
    const r = await exchange(p2.port, 'GET / HTTP/1.1\r\n\r\n');
    expect(r.closed).toBe(true);
    expect(r.text).toBe('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
  });

  it('faults leak no socket', async () => {
    const before = resourceCount();
    const { be } = await recordingBackend(() => null);
    const p = await httpProxy({ servers: [be.target], server: 100, httpRequest: 100 });
    for (let i = 0; i < 5; i++) {
      await exchange(p.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
      await exchange(p.port, 'GET /');
    }
    await waitFor(() => p.frontend.streams.size === 0, 'sessions to end');
    await h.cleanup();
    await Promise.all(listeners.map((l) => new Promise((r) => l.close(r))));
    listeners.length = 0;
    await waitFor(() => resourceCount().tcp <= before.tcp, 'sockets to be released');
  });
});

describe('server maxconn and the backend queue', () => {
  it('a request beyond the server maxconn waits in the queue and is served when a slot frees', async () => {
    const answer: net.Socket[] = [];
    const be = await h.backend('slow', (s) => {
      s.on('data', () => answer.push(s));
    });
    const p = await httpProxy({ servers: [{ ...be.target, maxconn: 1 }] });
    const a = exchange(p.port, 'GET /a HTTP/1.1\r\n\r\n', 1500);
    await waitFor(() => answer.length === 1, 'first request at the server');
    const b = exchange(p.port, 'GET /b HTTP/1.1\r\n\r\n', 1500);
    await new Promise((r) => setTimeout(r, 150));
    // the second request is queued: it has not reached the server
    expect(answer.length).toBe(1);
    expect(p.backend.queue.length).toBe(1);
    answer[0]!.write(okReply('A'));
    await waitFor(() => answer.length === 2, 'second request at the server after the first response');
    answer[1]!.write(okReply('B'));
    expect((await a).text).toContain('\r\n\r\nA');
    expect((await b).text).toContain('\r\n\r\nB');
    expect(p.backend.servers[0]!.served).toBe(0);
  });

  it('timeout queue: a request that waits too long gets 503', async () => {
    const be = await h.backend('stuck', () => {});
    const p = await httpProxy({ servers: [{ ...be.target, maxconn: 1 }], queue: 200 });
    const a = exchange(p.port, 'GET /a HTTP/1.1\r\n\r\n', 800);
    await waitFor(() => be.accepted.length === 1, 'first connection');
    const t0 = Date.now();
    const b = await exchange(p.port, 'GET /b HTTP/1.1\r\n\r\n', 2000);
    expect(b.text).toMatch(/^HTTP\/1\.[01] 503 /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(p.backend.queue.length).toBe(0);
    await a;
  });
});

describe('error captures (show errors)', () => {
  it('keeps the last refused request in the frontend, numbered by the shared counter', async () => {
    const { be } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    expect(p.frontend.invalidReq).toBeNull();
    const first = await exchange(p.port, 'GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n');
    expect(first.text).toMatch(/^HTTP\/1\.1 400 /);
    const a = p.frontend.invalidReq;
    expect(a?.event).toBe(0);
    expect(a?.message.bytes.toString('latin1')).toBe('GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n');
    expect(a?.message.errorPos).toBe(18);
    expect(a?.src).toBe(HOST);
    expect(a?.srcPort).toBeGreaterThan(0);
    // the head came with the error: the request had not reached a backend
    expect(a?.otherEnd).toBeNull();
    expect(a?.server).toBeNull();
    await exchange(p.port, 'GET / HTTP/1.x\r\nHost: a\r\n\r\n');
    expect(p.frontend.invalidReq?.event).toBe(1);
    expect(p.frontend.invalidReq?.message.errorPos).toBe(13);
    expect(p.frontend.errorEvents.count).toBe(2);
    expect(p.backend.invalidRep).toBeNull();
  });

  it('keeps the last refused response in the backend, with its server and frontend', async () => {
    const { be } = await recordingBackend(
      () => 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n',
    );
    const p = await httpProxy({ servers: [be.target] });
    const r = await exchange(p.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 500);
    expect(r.text).toMatch(/^HTTP\/1\.1 502 /);
    const s = p.backend.invalidRep;
    expect(s?.event).toBe(0);
    expect(s?.server).toBe(p.backend.servers[0]);
    expect(s?.otherEnd).toBe(p.frontend);
    expect(s?.message.errorPos).toBe(20);
    expect(s?.message.flags).toBe(0x1414);
    expect(p.frontend.invalidReq).toBeNull();
  });

  it('a request body refused in a later read names the backend it reached', async () => {
    const { be, received } = await recordingBackend(() => null);
    const p = await httpProxy({ servers: [be.target] });
    const s = h.client(p.port);
    s.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    await waitFor(() => (received[0] ?? '').includes('\r\n\r\n'), 'the head at the server');
    s.write('zz\r\n');
    await waitFor(() => p.frontend.invalidReq !== null, 'the capture');
    expect(p.frontend.invalidReq?.otherEnd).toBe(p.backend);
    expect(p.frontend.invalidReq?.message.bytes.toString('latin1')).toBe('zz\r\n');
    expect(p.frontend.invalidReq?.message.stateName).toBe('MSG_CHUNK_SIZE');
  });

  it('a request cut short by the client is not captured', async () => {
    const { be } = await recordingBackend();
    const p = await httpProxy({ servers: [be.target] });
    const s = h.client(p.port);
    s.write('GET / HTTP/1.1\r\nHost: a\r\n');
    await waitFor(() => p.frontend.streams.size === 1, 'the session');
    s.destroy();
    await waitFor(() => p.closed.length === 1, 'the end of the session');
    expect(p.frontend.invalidReq).toBeNull();
    expect(p.frontend.errorEvents.count).toBe(0);
  });
});

describe('a bug met in one session', () => {
  it('ends that session only: the frontend counts an internal error and serves the next client', async () => {
    const { be } = await recordingBackend(() => okReply('ok', 'Content-Type: text/plain\r\n'));
    // settings that make the response path throw (a type list that fails when read): a
    // stand-in for any bug on the path from the server's bytes to the client
    const types = {
      length: 1,
      some() {
        throw new TypeError('a bug');
      },
    };
    const broken = { algorithms: ['gzip'], types, offload: false } as unknown as NonNullable<
      HttpProxySettings['compression']
    >;
    const p = await httpProxy({ servers: [be.target], http: { compression: broken } });
    const said: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      said.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let first: { text: string; closed: boolean };
    try {
      first = await exchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n', 2000);
    } finally {
      process.stderr.write = write;
    }
    expect(first.closed).toBe(true);
    expect(first.text).toBe('');
    expect(p.frontend.counters.eint).toBe(1);
    expect(said.join('')).toMatch(/internal error in frontend 'fe', connection closed: TypeError/);
    // the next client, without Accept-Encoding, does not take the broken path
    const next = await exchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    expect(next.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
