/**
 * HTTP/2 on frontends: `bind … ssl alpn h2,…` (the client picks h2 by ALPN) and `bind … proto
 * h2` (HTTP/2 from the first byte, with or without TLS). node:http2 speaks the protocol (frames,
 * HPACK, flow control, the checks RFC 9113 asks of a request); each stream becomes one HTTP/1.1
 * exchange that goes through the same engine as any HTTP/1.1 request (rules, use_backend,
 * server choice, logs, counters, error pages), over an in-process duplex:
 *
 *   h2 client ── HEADERS/DATA ──▶ H2Exchange (request head + body as HTTP/1.1, `HTTP/2.0`)
 *                                   │ readable side ──▶ HttpSession (the HTTP/1.1 engine)
 *   h2 client ◀─ HEADERS/DATA ─── H2Exchange ◀── writable side: the engine's HTTP/1.1 response,
 *                                   read back by an HttpParser into :status, headers, body
 *
 * As HAProxy builds it, the request's target is the absolute URI `scheme://authority/path` (what
 * `url`, `%r` and the rules see; servers get the origin form), the Host header is the authority,
 * cookies split by the client are joined, and a body without content-length goes chunked.
 * A CONNECT answered 2xx, and a websocket over h2 (RFC 8441: an HTTP/1.1 upgrade to the server,
 * its 101 told 200 to the client), turn the stream into a tunnel: raw bytes both ways.
 * HTTP/2 to servers (`server … proto h2`, `server … ssl alpn h2,…`) is @hap/proxy/h2's: this
 * module makes one connector per such server (serverH2For).
 * This module, and node:http2 with it, is loaded only when a configuration uses HTTP/2.
 */

import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { BindModel, ConfigModel, Diagnostic, ProxyModel, ServerModel } from '@hap/config';
import { type HeadInfo, type HttpHandler, type HttpParseError, HttpParser } from '@hap/http';
import {
  connectionAddresses,
  H2_STREAM,
  type HttpFrontend,
  type ServerH2Connector,
  type StreamEnv,
} from '@hap/proxy';
import { CONNECTION_FIELDS, H2ServerConnector, h2Trailers, lastChunk } from '@hap/proxy/h2';
import { alertAt } from './alerts.ts';
import { isH2Server } from './features.ts';

/** HAProxy's `tune.h2.*` settings (2.6 defaults). */
export interface H2Tuning {
  headerTableSize: number;
  initialWindowSize: number;
  maxConcurrentStreams: number;
  maxFrameSize: number;
}

const TUNE_RANGES: Record<string, { key: keyof H2Tuning; min: number; max: number; says: string }> = {
  'tune.h2.header-table-size': {
    key: 'headerTableSize',
    min: 4096,
    max: 65536,
    says: 'a numeric value between 4096 and 65536',
  },
  'tune.h2.initial-window-size': {
    key: 'initialWindowSize',
    min: 0,
    max: 2 ** 31 - 1,
    says: 'a positive numeric value',
  },
  'tune.h2.max-concurrent-streams': {
    key: 'maxConcurrentStreams',
    min: 0,
    max: 2 ** 31 - 1,
    says: 'a positive numeric value',
  },
  'tune.h2.max-frame-size': {
    key: 'maxFrameSize',
    min: 16384,
    max: 16777215,
    says: 'a numeric value between 16384 and 16777215',
  },
};

const tunings = new WeakMap<ConfigModel, H2Tuning>();

function readTuning(model: ConfigModel, out: Diagnostic[]): H2Tuning {
  const known = tunings.get(model);
  if (known !== undefined) return known;
  const t: H2Tuning = {
    headerTableSize: 4096,
    initialWindowSize: 65535,
    maxConcurrentStreams: 100,
    maxFrameSize: 16384,
  };
  for (const d of model.global.directives) {
    const r = TUNE_RANGES[d.keyword];
    if (r === undefined) continue;
    d.supported = true;
    const raw = d.args[1] ?? '';
    const n = Number.parseInt(raw, 10);
    if (!/^\d+$/.test(raw) || n < r.min || n > r.max) {
      alertAt(out, 'HAP_CFG_BAD_VALUE', d, d.keyword, `'${d.keyword}' expects ${r.says}.`);
      continue;
    }
    t[r.key] = n;
  }
  // never more than a buffer (tune.bufsize), as HAProxy
  const bufsize = model.global.directives.find((d) => d.keyword === 'tune.bufsize')?.args[1];
  const buf = bufsize !== undefined && /^\d+$/.test(bufsize) ? Number(bufsize) : 16384;
  t.maxFrameSize = Math.max(16384, Math.min(t.maxFrameSize, buf));
  tunings.set(model, t);
  return t;
}

/**
 * Phase 1c (`-c` too): the `tune.h2.*` lines, checked as HAProxy does, and `proto h2` only on a
 * frontend in mode http (HTTP/2 is an HTTP multiplexer).
 */
export function checkH2(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  readTuning(model, out);
  for (const p of model.proxies) {
    if (p.kind !== 'defaults' && p.mode === 'http') honourMaxReuse(p);
    if (p.kind === 'defaults' || p.mode === 'http') continue;
    for (const s of p.servers) {
      if (s.options['proto'] !== 'h2') continue;
      // as HAProxy: an HTTP/2 server needs an HTTP proxy
      out.push({
        level: 'alert',
        code: 'HAP_CFG_MUX_UNUSABLE',
        keyword: 'server',
        message: `${p.kind === 'listen' ? 'proxy' : p.kind} '${p.name}' : MUX protocol 'h2' is not usable for server '${s.name}' at [${s.file}:${s.line}].`,
      });
    }
    if (p.kind !== 'frontend' && p.kind !== 'listen') continue;
    for (const b of p.binds) {
      if (!isH2Only(b)) continue;
      out.push({
        level: 'alert',
        code: 'HAP_CFG_MUX_UNUSABLE',
        keyword: 'bind',
        message: `${p.kind === 'listen' ? 'proxy' : p.kind} '${p.name}' : MUX protocol 'h2' is not usable for 'bind ${b.addresses.map((a) => a.raw).join(',')}' at [${b.file}:${b.line}].`,
      });
    }
  }
  return out;
}

/**
 * `max-reuse` is honoured on HTTP/2 servers (HAProxy's manual: at least HTTP/2 connections
 * respect it): no "has no effect" notice for their lines. HTTP/1.1 servers keep it.
 */
function honourMaxReuse(p: ProxyModel): void {
  for (const s of p.servers) {
    if (s.options['max-reuse'] === undefined || !isH2Server(s)) continue;
    for (const d of p.directives) {
      if (d.file !== s.file || d.line !== s.line || d.unhonoured === undefined) continue;
      d.unhonoured = d.unhonoured.filter((o) => o !== 'max-reuse');
    }
  }
}

/** The settings announced to HTTP/2 clients. */
export function h2Tuning(model: ConfigModel): H2Tuning {
  return readTuning(model, []);
}

/** Every connector made, for the hard stop. */
const connectors = new Set<H2ServerConnector>();

/**
 * The HTTP/2 side of a server of an HTTP backend, or undefined (HTTP/1.1): `proto h2` speaks
 * HTTP/2 from the first byte (over TLS with `ssl`), `ssl alpn h2,…` when the server picks h2.
 */
export function serverH2For(
  model: ConfigModel,
  be: ProxyModel,
  s: ServerModel,
): ServerH2Connector | undefined {
  if (be.mode !== 'http' || !isH2Server(s)) return undefined;
  const t = readTuning(model, []);
  const reuse = s.options['max-reuse'];
  const c = new H2ServerConnector({
    alpn: s.options['proto'] !== 'h2',
    ...(typeof reuse === 'string' ? { maxReuse: Number(reuse) } : {}),
    // 0 in HAProxy: no limit
    maxConcurrentStreams: t.maxConcurrentStreams === 0 ? 1024 : t.maxConcurrentStreams,
    settings: {
      ...(t.headerTableSize !== 4096 ? { headerTableSize: t.headerTableSize } : {}),
      ...(t.initialWindowSize !== 65535 ? { initialWindowSize: t.initialWindowSize } : {}),
      ...(t.maxFrameSize !== 16384 ? { maxFrameSize: t.maxFrameSize } : {}),
      // a server does not open streams to us (HAProxy announces no push either)
      enablePush: false,
    },
  });
  connectors.add(c);
  return c;
}

/** Whether a bind line takes HTTP/2 only (`proto h2`): no ALPN choice, h2 from the first byte. */
export const isH2Only = (b: BindModel): boolean => b.options['proto'] === 'h2';

// --- one connection ---------------------------------------------------------------------------

const GATEWAY = Symbol('hap.h2-gateway');
const EXCHANGE = Symbol('hap.h2-exchange');
const ACTIVE = Symbol('hap.h2-active');

interface GatewaySession extends http2.ServerHttp2Session {
  [GATEWAY]?: H2Gateway;
  /** Streams open on the connection. */
  [ACTIVE]?: number;
}
interface ExchangeStream extends http2.ServerHttp2Stream {
  [EXCHANGE]?: H2Exchange | undefined;
}

function noop(): void {}

/** Every open HTTP/2 connection, for the soft and hard stops. */
const sessions = new Set<http2.ServerHttp2Session>();

function onSessionClose(this: GatewaySession): void {
  sessions.delete(this);
  this[GATEWAY]?.frontend.connectionClosed();
}

/**
 * Soft stop: every HTTP/2 connection, from clients and to servers, is told GOAWAY (no new
 * stream); it closes once its open streams are done (each one holds the process as any
 * request does).
 */
export function softStopH2(): void {
  for (const s of sessions) if (!s.closed) s.close();
  // connections to HTTP/2 servers: GOAWAY too, each closing once its streams are done
  for (const c of connectors) c.closeIdle();
}

/** Hard stop: every HTTP/2 connection ends now. */
export function destroyH2(): void {
  for (const s of [...sessions]) s.destroy();
  sessions.clear();
  for (const c of connectors) c.destroyAll();
}

/** The HTTP/2 side of one bind line of an HTTP frontend. */
export class H2Gateway {
  readonly frontend: HttpFrontend;
  private readonly options: http2.ServerOptions;
  readonly idleTimeout: number;

  constructor(frontend: HttpFrontend, tuning: H2Tuning, clientTimeout: number) {
    this.frontend = frontend;
    this.idleTimeout = clientTimeout;
    this.options = {
      // what differs from the protocol's defaults is announced (as HAProxy)
      settings: {
        ...(tuning.headerTableSize !== 4096 ? { headerTableSize: tuning.headerTableSize } : {}),
        ...(tuning.initialWindowSize !== 65535 ? { initialWindowSize: tuning.initialWindowSize } : {}),
        // 0 in HAProxy: no limit
        maxConcurrentStreams: tuning.maxConcurrentStreams === 0 ? 2 ** 32 - 1 : tuning.maxConcurrentStreams,
        ...(tuning.maxFrameSize !== 16384 ? { maxFrameSize: tuning.maxFrameSize } : {}),
        // RFC 8441: websockets over h2 (extended CONNECT), announced as HAProxy does
        enableConnectProtocol: true,
      },
      // flow control bounds what a stream may hold; the default (10 MiB) would refuse streams
      // of a busy connection before HAProxy would
      maxSessionMemory: 64,
    };
  }

  /** Takes an accepted connection (TLS done, ALPN h2 or `proto h2`): its streams go to the frontend. */
  serve(socket: Socket, env: StreamEnv | undefined): void {
    let session: GatewaySession;
    try {
      session = http2.performServerHandshake(socket, this.options) as GatewaySession;
    } catch {
      env?.releaseAll();
      socket.destroy();
      return;
    }
    this.frontend.countConnection();
    session[GATEWAY] = this;
    session[ACTIVE] = 0;
    session.on('stream', onStream);
    session.on('error', noop);
    sessions.add(session);
    session.once('close', onSessionClose);
    // the connection's tcp-request session state is not carried to its streams: released with it
    if (env !== undefined) session.once('close', () => env.releaseAll());
    if (this.idleTimeout > 0) session.setTimeout(this.idleTimeout, onSessionTimeout);
  }
}

/**
 * No frame for `timeout client` while no stream is open: GOAWAY, then the connection closes
 * (a stream waiting for its server is under the stream's own timeouts).
 */
function onSessionTimeout(this: GatewaySession): void {
  const gw = this[GATEWAY];
  if ((this[ACTIVE] ?? 0) > 0 && gw !== undefined) {
    this.setTimeout(gw.idleTimeout, onSessionTimeout);
    return;
  }
  this.close();
  // streams that still wait do not hold the connection forever
  setTimeout(destroySession, 1000, this).unref();
}

function destroySession(s: http2.ServerHttp2Session): void {
  if (!s.destroyed) s.destroy();
}

function onStream(
  this: GatewaySession,
  stream: ExchangeStream,
  headers: http2.IncomingHttpHeaders,
  _flags: number,
  rawHeaders: string[],
): void {
  const gw = this[GATEWAY];
  if (gw === undefined) {
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    return;
  }
  const protocol = headers[':protocol'];
  if (protocol !== undefined && protocol !== 'websocket') {
    // an extended CONNECT for another protocol than websocket: not served
    stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  this[ACTIVE] = (this[ACTIVE] ?? 0) + 1;
  const x = new H2Exchange(stream, this.socket as Socket, headers, rawHeaders);
  stream[EXCHANGE] = x;
  stream.on('data', onStreamData);
  stream.on('end', onStreamEnd);
  stream.on('trailers', onStreamTrailers);
  stream.on('close', onStreamClose);
  stream.on('error', noop);
  stream.on('wantTrailers', onWantTrailers);
  // the engine uses of a client socket what H2Exchange implements (data, write, pause, addresses)
  gw.frontend.handleStream(x as unknown as Socket);
}

function onStreamData(this: ExchangeStream, chunk: Buffer): void {
  this[EXCHANGE]?.requestData(chunk);
}
function onStreamTrailers(this: ExchangeStream, trailers: http2.IncomingHttpHeaders): void {
  const x = this[EXCHANGE];
  if (x !== undefined) x.reqTrailers = trailers;
}
function onStreamEnd(this: ExchangeStream): void {
  this[EXCHANGE]?.requestEnd();
}
function onStreamClose(this: ExchangeStream): void {
  const session = this.session as GatewaySession | undefined;
  if (session !== undefined) session[ACTIVE] = (session[ACTIVE] ?? 1) - 1;
  const x = this[EXCHANGE];
  this[EXCHANGE] = undefined;
  // the client reset the stream (or the connection went away) before the response was done
  if (x !== undefined && !x.destroyed && !x.respDone) x.destroy();
}
function onWantTrailers(this: ExchangeStream): void {
  const x = this[EXCHANGE];
  const t = x?.respTrailers;
  this.sendTrailers(t ?? {});
}
function onExchangeDrain(this: ExchangeStream): void {
  const x = this[EXCHANGE];
  const cb = x?.waiting;
  if (x === undefined || cb === undefined) return;
  x.waiting = undefined;
  cb();
}
function onExchangeTimeout(x: H2Exchange): void {
  x.timer = undefined;
  x.emit('timeout');
}

/**
 * One HTTP/2 stream seen by the HTTP/1.1 engine as a client socket: its readable side gives the
 * request as HTTP/1.1 bytes, its writable side takes the engine's response and sends it as
 * HTTP/2 frames. Addresses and TLS facts are those of the connection.
 */
class H2Exchange extends Duplex implements HttpHandler {
  readonly [H2_STREAM] = true as const;
  readonly stream: ExchangeStream;
  private readonly conn: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteFamily: string;
  readonly encrypted: boolean;
  bytesRead: number;
  bytesWritten: number;
  private readonly parser: HttpParser;
  /** The request body goes chunked (no content-length). */
  private readonly chunked: boolean;
  /** A CONNECT request: once a 2xx answers it, the stream carries a tunnel's bytes both ways. */
  private readonly connect: boolean;
  private tunnel: boolean;
  /** RFC 8441: a websocket over h2, an HTTP/1.1 upgrade (GET, 101) to the server. */
  private readonly websocket: boolean;
  reqTrailers: http2.IncomingHttpHeaders | undefined;
  respTrailers: Record<string, string | string[]> | undefined;
  private responded: boolean;
  respDone: boolean;
  /** The engine's write callback, held until the h2 stream drains. */
  waiting: ((err?: Error | null) => void) | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(stream: ExchangeStream, conn: Socket, headers: http2.IncomingHttpHeaders, raw: string[]) {
    super({ allowHalfOpen: true });
    this.stream = stream;
    this.conn = conn;
    const a = connectionAddresses(conn);
    this.remoteAddress = a.src;
    this.remotePort = a.srcPort;
    this.localAddress = a.dst;
    this.localPort = a.dstPort;
    this.remoteFamily = a.src.includes(':') ? 'IPv6' : 'IPv4';
    this.encrypted = (conn as Socket & { encrypted?: boolean }).encrypted === true;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.reqTrailers = undefined;
    this.respTrailers = undefined;
    this.responded = false;
    this.respDone = false;
    this.waiting = undefined;
    this.timer = undefined;
    this.parser = new HttpParser('response', this);
    const method = String(headers[':method'] ?? 'GET');
    this.parser.responseTo(method);
    const hasBody = !stream.endAfterHeaders;
    this.connect = method === 'CONNECT';
    this.websocket = this.connect && headers[':protocol'] === 'websocket';
    this.tunnel = false;
    this.chunked = hasBody && !this.connect && headers['content-length'] === undefined;
    const head = requestHead(method, headers, raw, this.chunked, this.websocket);
    this.bytesRead += head.length;
    this.push(Buffer.from(head, 'latin1'));
  }

  // --- what the engine asks of a socket ------------------------------------------------------

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(ms: number, cb?: () => void): this {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (cb !== undefined) this.once('timeout', cb);
    if (ms > 0) this.timer = setTimeout(onExchangeTimeout, ms, this);
    return this;
  }
  // the TLS facts of the connection (ssl_fc_* fetches)
  get alpnProtocol(): string | false {
    return (this.conn as TLSSocket).alpnProtocol ?? false;
  }
  get servername(): string | false {
    return (this.conn as TLSSocket & { servername?: string | false }).servername ?? false;
  }
  get authorized(): boolean {
    return (this.conn as TLSSocket).authorized;
  }
  get authorizationError(): Error {
    return (this.conn as TLSSocket).authorizationError;
  }
  getProtocol(): string | null {
    return (this.conn as TLSSocket).getProtocol();
  }
  getCipher(): ReturnType<TLSSocket['getCipher']> {
    return (this.conn as TLSSocket).getCipher();
  }
  getPeerX509Certificate(): ReturnType<TLSSocket['getPeerX509Certificate']> {
    return (this.conn as TLSSocket).getPeerX509Certificate();
  }
  getX509Certificate(): ReturnType<TLSSocket['getX509Certificate']> {
    return (this.conn as TLSSocket).getX509Certificate();
  }
  isSessionReused(): boolean {
    return (this.conn as TLSSocket).isSessionReused();
  }

  // --- request: h2 stream → engine -----------------------------------------------------------

  requestData(chunk: Buffer): void {
    // answered before the request ended (a deny on an upload): the rest is read and dropped
    if (this.respDone) return;
    this.bytesRead += chunk.length;
    let more: boolean;
    if (this.chunked) {
      if (chunk.length === 0) return;
      more = this.push(
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]),
      );
    } else more = this.push(chunk);
    if (!more) this.stream.pause();
  }

  requestEnd(): void {
    // the client's END_STREAM on a tunnel is its half-close
    if (this.connect && !this.respDone) this.push(null);
    if (!this.chunked || this.respDone) return;
    this.push(Buffer.from(lastChunk(this.reqTrailers), 'latin1'));
  }

  override _read(): void {
    if (this.stream.isPaused()) this.stream.resume();
  }

  // --- response: engine → h2 stream ----------------------------------------------------------

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    if (this.respDone) {
      cb();
      return;
    }
    const s = this.stream;
    if (this.tunnel) {
      if (!s.destroyed && !s.closed) s.write(Buffer.copyBytesFrom(chunk));
    } else this.parser.execute(chunk);
    if (!s.destroyed && s.writableNeedDrain) {
      this.waiting = cb;
      s.once('drain', onExchangeDrain);
      return;
    }
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.tunnel && !this.respDone) {
      // the server side of the tunnel closed: END_STREAM
      this.respDone = true;
      const s = this.stream;
      if (!s.destroyed && !s.closed && !s.writableEnded) s.end();
      cb();
      return;
    }
    // a body delimited by the end of the connection ends here
    if (!this.respDone) this.parser.finish();
    if (!this.respDone) this.abort();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const w = this.waiting;
    this.waiting = undefined;
    if (!this.respDone) this.abort();
    w?.();
    cb(err);
  }

  /** The response cannot be completed: the stream is reset (the client sees it was cut). */
  private abort(): void {
    this.respDone = true;
    const s = this.stream;
    if (!s.destroyed && !s.closed) s.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }

  onHeadersComplete(info: HeadInfo): void {
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    const h: http2.OutgoingHttpHeaders = { ':status': info.status };
    const list = info.headers;
    for (let i = 0; i < list.length; i += 2) {
      const name = (list[i] as string).toLowerCase();
      if (CONNECTION_FIELDS.has(name)) continue;
      const value = list[i + 1] as string;
      const had = h[name];
      if (had === undefined) h[name] = value;
      else if (Array.isArray(had)) had.push(value);
      else h[name] = [String(had), value];
    }
    try {
      if (info.status === 101 && this.websocket) {
        // the server switched to websocket: the h2 client is told 200, the stream is the tunnel
        h[':status'] = 200;
        this.responded = true;
        this.tunnel = true;
        s.respond(h, { endStream: false, sendDate: false } as http2.ServerStreamResponseOptions);
        return;
      }
      if (info.status < 200) {
        if (info.status !== 101) s.additionalHeaders(h);
        return;
      }
      this.responded = true;
      if (this.connect && info.status < 300) {
        // the tunnel is open: what follows is the server's bytes, sent as DATA
        this.tunnel = true;
        s.respond(h, { endStream: false, sendDate: false } as http2.ServerStreamResponseOptions);
        return;
      }
      s.respond(h, {
        endStream: info.bodyKind === 'none',
        waitForTrailers: info.chunked,
        sendDate: false,
      } as http2.ServerStreamResponseOptions);
    } catch {
      // a field node:http2 refuses (a repeated single-value one): the stream cannot carry it
      this.abort();
    }
  }

  onBody(slice: Buffer): void {
    const s = this.stream;
    // a copy: the engine's server reads share one buffer, reused once the write returns
    if (!s.destroyed && !s.closed && this.responded) s.write(Buffer.copyBytesFrom(slice));
  }

  onTrailers(trailers: string[]): void {
    this.respTrailers = h2Trailers(trailers, CONNECTION_FIELDS);
  }

  onTunnel(rest: Buffer): void {
    const s = this.stream;
    if (rest.length > 0 && !s.destroyed && !s.closed) s.write(Buffer.copyBytesFrom(rest));
  }

  onMessageComplete(): void {
    // an interim (1xx) response, or the head that opened a tunnel
    if (!this.responded || this.tunnel) return;
    this.respDone = true;
    const s = this.stream;
    if (!s.destroyed && !s.closed && !s.writableEnded) s.end();
    // the client may still be sending: flow control lets it finish, its bytes are dropped
    if (s.isPaused()) s.resume();
    // one exchange per stream: the engine sees its client leave once the response is out
    this.push(null);
  }

  onError(_error: HttpParseError): void {
    this.abort();
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * The HTTP/1.1 head of an HTTP/2 request, as HAProxy's h2 layer builds it: `HTTP/2.0`, the
 * absolute URI when :authority is given, Host first, cookies joined, chunked when the length
 * is not known.
 */
function requestHead(
  method: string,
  headers: http2.IncomingHttpHeaders,
  raw: readonly string[],
  chunked: boolean,
  websocket: boolean,
): string {
  const authority = headers[':authority'];
  const path = String(headers[':path'] ?? '');
  const scheme = String(headers[':scheme'] ?? 'http');
  let target: string;
  if (method === 'CONNECT' && !websocket) target = String(authority ?? '');
  else if (authority !== undefined) target = `${scheme}://${authority}${path}`;
  else target = path;
  let out = `${websocket ? 'GET' : method} ${target} HTTP/2.0\r\n`;
  if (authority !== undefined) out += `host: ${authority}\r\n`;
  let cookie: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 0x3a) continue;
    if (name === 'host' && authority !== undefined) continue;
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      // RFC 9113 §8.2.3: the crumbs are joined into one field, placed last as HAProxy does
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    }
    out += `${name}: ${value}\r\n`;
  }
  if (cookie !== undefined) out += `cookie: ${cookie}\r\n`;
  if (websocket) {
    // the HTTP/1.1 form of the upgrade; a server wants a key (h2 clients send none)
    out += 'upgrade: websocket\r\nconnection: upgrade\r\n';
    if (headers['sec-websocket-key'] === undefined)
      out += `sec-websocket-key: ${randomBytes(16).toString('base64')}\r\n`;
  }
  if (chunked) out += 'transfer-encoding: chunked\r\n';
  return `${out}\r\n`;
}
