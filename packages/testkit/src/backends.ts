// Throw-away servers behind the proxy under test, recording what reached them.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { register } from './registry.ts';

export interface Backend<R> {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `host:port`, as written on a `server` line. */
  readonly addr: string;
  /** What reached this backend, in arrival order (see each start function). */
  readonly requests: R[];
  /** Stops listening and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Shows up in the default HTTP response; default `<kind>-<port>`. */
  readonly name?: string;
}

/** One TCP connection seen by a TCP backend. */
export interface RecordedConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Every byte received so far (echo backend only; empty for raw backends). */
  data: Buffer;
  /** Whether the connection has closed. */
  closed: boolean;
}

export interface RecordedHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  /** Lower-cased header names, as node:http presents them. */
  readonly headers: IncomingMessage['headers'];
  /** Names and values as received, alternating. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export type HttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedHttpRequest,
) => void | Promise<void>;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

function closer(name: string, server: Server, sockets: Set<Socket>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  let unregister: () => void = () => {};
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }).finally(() => unregister());
    return closing;
  };
  unregister = register({ name, close });
  return close;
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
}

function makeBackend<R>(
  kind: string,
  server: Server,
  sockets: Set<Socket>,
  requests: R[],
  opts: BackendOptions,
): Promise<Backend<R>> {
  const host = opts.host ?? '127.0.0.1';
  return listen(server, host).then((port) => {
    const name = opts.name ?? `${kind}-${port}`;
    const close = closer(`${kind} backend ${name} on ${host}:${port}`, server, sockets);
    return { name, host, port, addr: `${host}:${port}`, requests, close };
  });
}

/** A TCP server echoing every byte back; `requests` records each connection and its bytes. */
export function startTcpEchoBackend(opts: BackendOptions = {}): Promise<Backend<RecordedConnection>> {
  const sockets = new Set<Socket>();
  const requests: RecordedConnection[] = [];
  const server = createServer((socket) => {
    track(sockets, socket);
    const rec: RecordedConnection = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      data: Buffer.alloc(0),
      closed: false,
    };
    requests.push(rec);
    socket.on('data', (chunk: Buffer) => {
      rec.data = Buffer.concat([rec.data, chunk]);
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
    socket.once('close', () => {
      rec.closed = true;
    });
  });
  return makeBackend('echo', server, sockets, requests, opts);
}

/**
 * An HTTP/1.1 server (node:http). The request body is read before `handler` runs and the
 * request is recorded in `requests`. The default handler answers 200 with a JSON body
 * `{ backend, method, url, httpVersion, headers, body }` and an `x-backend` header, so a
 * test sees exactly what the proxy forwarded.
 */
export function startHttpBackend(
  handler?: HttpHandler,
  opts: BackendOptions = {},
): Promise<Backend<RecordedHttpRequest>> {
  const sockets = new Set<Socket>();
  const requests: RecordedHttpRequest[] = [];
  let name = '';
  const defaultHandler: HttpHandler = (_req, res, rec) => {
    const body = JSON.stringify({
      backend: name,
      method: rec.method,
      url: rec.url,
      httpVersion: rec.httpVersion,
      headers: rec.headers,
      body: rec.body,
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-backend': name,
    });
    res.end(body);
  };
  const h = handler ?? defaultHandler;
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const rec: RecordedHttpRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks).toString('utf8'),
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
    };
    requests.push(rec);
    try {
      await h(req, res, rec);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`testkit backend handler failed: ${String(e)}`);
    }
  });
  server.on('connection', (socket: Socket) => track(sockets, socket));
  server.on('clientError', (_err, socket) => socket.destroy());
  return makeBackend('http', server, sockets, requests, opts).then((b) => {
    name = b.name;
    return b;
  });
}

/**
 * A bare TCP server for hand-written protocol tests: `onConnection` gets each socket.
 * `requests` records each connection (address, closed flag); bytes are not recorded so
 * the handler keeps full control of reading.
 */
export function startRawBackend(
  onConnection: (socket: Socket) => void,
  opts: BackendOptions = {},
): Promise<Backend<RecordedConnection>> {
  const sockets = new Set<Socket>();
  const requests: RecordedConnection[] = [];
  const server = createServer((socket) => {
    track(sockets, socket);
    const rec: RecordedConnection = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      data: Buffer.alloc(0),
      closed: false,
    };
    requests.push(rec);
    socket.on('error', () => {});
    socket.once('close', () => {
      rec.closed = true;
    });
    try {
      onConnection(socket);
    } catch {
      socket.destroy();
    }
  });
  return makeBackend('raw', server, sockets, requests, opts);
}
