/**
 * Test harness: backend servers, a plain listener standing in for
 * `@hap/listeners`, clients, bounded waits, and a cleanup that closes all of it.
 * Everything listens on 127.0.0.1 with an ephemeral port.
 */

import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { Backend, TcpFrontend, type TcpStream } from '../src/index.ts';

const HOST = '127.0.0.1';

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Resolves once `cond()` holds; rejects after `ms` (a bounded wait, not a speed check). */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the event's arguments; rejects after `ms`. */
export function nextEvent(emitter: NodeJS.EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const on = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/** Everything a socket receives until it closes (either end or error), bounded. */
export function collect(
  socket: net.Socket,
  ms = 10_000,
): Promise<{ data: Buffer; error: Error | undefined }> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', (e) => {
    error = e;
  });
  return nextEvent(socket, 'close', ms).then(() => ({ data: Buffer.concat(chunks), error }));
}

/** Reads the first line a socket receives. */
export function firstLine(socket: net.Socket, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line within ${ms} ms`)), ms);
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(buf.slice(0, nl));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before a line (got ${JSON.stringify(buf)})`)));
  });
}

/** TCP handles and file descriptors of this process, to show streams release their sockets. */
export function resourceCount(): { tcp: number; fds: number } {
  const tcp = process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
  let fds = -1;
  try {
    fds = readdirSync('/proc/self/fd').length;
  } catch {
    // not Linux: the handle count alone
  }
  return { tcp, fds };
}

export interface TestBackend {
  server: net.Server;
  port: number;
  name: string;
  /** Server-side sockets accepted so far. */
  accepted: net.Socket[];
  target: { name: string; host: string; port: number };
}

export interface ProxySpec {
  servers: Array<{ name: string; host: string; port: number; maxconn?: number }>;
  queue?: number;
  clientFin?: number;
  serverFin?: number;
  retries?: number;
  client?: number;
  connect?: number;
  server?: number;
  tunnel?: number;
}

export interface TestProxy {
  frontend: TcpFrontend;
  backend: Backend;
  port: number;
  listener: net.Server;
  opened: TcpStream[];
  closed: TcpStream[];
  /** Proxy-side client sockets, as accepted by the listener. */
  accepted: net.Socket[];
}

export class Harness {
  private readonly servers: net.Server[] = [];
  private readonly sockets: net.Socket[] = [];
  private readonly proxies: TestProxy[] = [];
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  /** A backend server; `onConnection` receives every accepted socket. */
  async backend(
    name: string,
    onConnection: (s: net.Socket) => void,
    opts: net.ServerOpts = { allowHalfOpen: true },
  ): Promise<TestBackend> {
    const accepted: net.Socket[] = [];
    const server = net.createServer(opts, (s) => {
      accepted.push(s);
      this.sockets.push(s);
      s.on('error', () => {});
      onConnection(s);
    });
    this.servers.push(server);
    await listen(server);
    const port = (server.address() as net.AddressInfo).port;
    return { server, port, name, accepted, target: { name, host: HOST, port } };
  }

  /** A port nothing listens on (connections are refused). */
  async refusedPort(): Promise<number> {
    const s = net.createServer();
    await listen(s);
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  /**
   * A port whose connections never complete: a listener with `backlog: 1` in a
   * worker whose event loop is blocked (so it never accepts), with its accept
   * queue filled. Further SYNs are dropped by the kernel, so connect() hangs.
   */
  async blackholePort(): Promise<number> {
    const wake = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const srv = require('node:net').createServer(() => {});
       srv.listen({ port: 0, host: '${HOST}', backlog: 1 }, () => {
         parentPort.postMessage(srv.address().port);
         Atomics.wait(workerData, 0, 0);
         srv.close();
       });`,
      { eval: true, workerData: wake },
    );
    this.cleanups.push(async () => {
      Atomics.store(wake, 0, 1);
      Atomics.notify(wake, 0);
      await worker.terminate();
    });
    const [port] = (await nextEvent(worker, 'message')) as [number];
    // fill the accept queue (backlog + 1) until a connect no longer completes
    for (let i = 0; i < 8; i++) {
      const s = this.client(port);
      const connected = await Promise.race([
        nextEvent(s, 'connect', 60_000).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
      ]);
      s.on('error', () => {});
      if (!connected) {
        s.destroy();
        return port;
      }
    }
    throw new Error('could not fill the accept queue of the blackhole listener');
  }

  /** A frontend over a backend, behind a plain listener (the stand-in for `@hap/listeners`). */
  async proxy(spec: ProxySpec): Promise<TestProxy> {
    const backend = new Backend({
      name: 'be',
      servers: spec.servers,
      retries: spec.retries ?? 3,
      timeouts: {
        connect: spec.connect ?? 2000,
        server: spec.server ?? 0,
        tunnel: spec.tunnel ?? 0,
        queue: spec.queue ?? 0,
        serverFin: spec.serverFin ?? 0,
      },
    });
    const opened: TcpStream[] = [];
    const closed: TcpStream[] = [];
    const accepted: net.Socket[] = [];
    const frontend = new TcpFrontend({
      name: 'fe',
      backend,
      clientTimeout: spec.client ?? 0,
      clientFinTimeout: spec.clientFin ?? 0,
      hooks: {
        streamOpened: (_fe, st) => opened.push(st),
        streamClosed: (_fe, st) => closed.push(st),
      },
    });
    const listener = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (s) => {
      accepted.push(s);
      frontend.handleConnection(s);
    });
    this.servers.push(listener);
    await listen(listener);
    const port = (listener.address() as net.AddressInfo).port;
    const p = { frontend, backend, port, listener, opened, closed, accepted };
    this.proxies.push(p);
    return p;
  }

  /** A client connection (tracked for cleanup). */
  client(port: number, opts: { allowHalfOpen?: boolean } = {}): net.Socket {
    const s = net.connect({ host: HOST, port, allowHalfOpen: opts.allowHalfOpen ?? false });
    this.sockets.push(s);
    return s;
  }

  /**
   * Closes clients and backends, then checks that every stream of every frontend
   * ended on its own (no destroyAll() here: a stream that outlives both peers is a leak).
   */
  async cleanup(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const c of this.cleanups) await c();
    let leftover = '';
    for (const p of this.proxies) {
      try {
        await waitFor(() => p.frontend.streams.size === 0, 'streams to end after both peers closed');
      } catch {
        leftover += `${p.frontend.streams.size} stream(s) left open; `;
        p.frontend.destroyAll();
      }
    }
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
    this.sockets.length = 0;
    this.proxies.length = 0;
    this.cleanups.length = 0;
    if (leftover) throw new Error(leftover);
  }
}

function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
