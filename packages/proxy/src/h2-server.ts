/**
 * @hap/proxy/h2 — HTTP/2 to servers (`server … proto h2`, `server … ssl alpn h2,http/1.1`).
 *
 * The HTTP/1.1 engine (http-session.ts) knows one kind of server connection: a socket that
 * takes a request's bytes and gives a response's bytes. An HTTP/2 server is given to it the
 * same way: each connection the engine opens is an `H2Channel`, a socket-like object that
 * parses the engine's HTTP/1.1 request (with @hap/http's parser), sends it as one stream of a
 * shared HTTP/2 connection (`H2Link`, a node:http2 client session), and writes the stream's
 * response back as HTTP/1.1 bytes through the engine's read callback, where the engine's own
 * response parser reads it as from any server. Rules, logs, counters, retries and error pages
 * stay the engine's.
 *
 *   engine ── HTTP/1.1 request ──▶ H2Channel ── HEADERS/DATA ──▶ H2Link (one TCP/TLS connection)
 *   engine ◀─ HTTP/1.1 response ── H2Channel ◀── HEADERS/DATA ──┘   shared by many channels
 *
 * The conversions are HAProxy 2.6's (measured against it): an origin-form request goes with
 * `:scheme https` and its Host header, an absolute one (or one from an HTTP/2 client) with its
 * scheme and `:authority` and no Host; connection-specific fields and the ones `Connection`
 * names stay, as in HAProxy), `te` kept only as `trailers`; a response without content-length comes
 * back chunked, with an empty reason phrase.
 *
 * Sharing follows `http-reuse` (see H2Share): a channel stays on its link for life and dies
 * with it (GOAWAY, error, idle close), which the engine sees as a server connection closing.
 * With `alpn`, the TLS handshake decides: h2 makes a link, anything else leaves the channel a
 * plain pass-through for HTTP/1.1 over that TLS connection.
 *
 * This module (and node:http2 with it) is loaded only when a configuration has such a server.
 */

import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { type HeadInfo, type HttpHandler, type HttpParseError, HttpParser } from '@hap/http';
import { CONNECTION_FIELDS, h2Trailers, lastChunk } from './h2-fields.ts';
import {
  clientServerName,
  type H2Share,
  IDLE_PURGE_MS,
  type ServerH2Connector,
  type ServerTarget,
} from './server.ts';

/** The engine's mark on a server connection (http-session.ts CONN, a registered symbol). */
const CONN = Symbol.for('hap.server-conn');
/** The mark of a client socket carrying an HTTP/2 stream (http-session.ts H2_STREAM). */
const H2_STREAM = Symbol.for('hap.h2-stream');

type OnRead = (this: Socket, nread: number, buf: Buffer) => boolean | undefined;

/** How the connector reaches its server. */
export { CONNECTION_FIELDS, h2Trailers, lastChunk } from './h2-fields.ts';

export interface H2ServerOptions {
  /**
   * `alpn`: TLS offering h2 (and maybe http/1.1); HTTP/2 only when the server picks h2. false:
   * HTTP/2 from the first byte (`proto h2`), over TLS when the server has `ssl`.
   */
  alpn: boolean;
  /** SETTINGS sent to the server (HAProxy's tune.h2.*: what differs from the defaults). */
  settings?: http2.Settings;
  /** How long a connection without streams stays open (default: the idle purge delay). */
  idleTimeout?: number;
  /**
   * `max-reuse`: a connection carries at most this many streams after its first one (-1 or
   * absent: no limit), then closes once they are done.
   */
  maxReuse?: number;
  /** Streams at once when the server announces no limit (tune.h2.max-concurrent-streams, 100). */
  maxConcurrentStreams?: number;
}

/** What a request's trailers never carry to an h2 server: the HTTP/1-only fields, and Host. */
const NOT_TRAILERS: ReadonlySet<string> = new Set([...CONNECTION_FIELDS, 'host']);

function noop(): void {}

/** The HTTP/2 connections to one server, and the channels the engine opens on them. */
export class H2ServerConnector implements ServerH2Connector {
  readonly alpn: boolean;
  readonly settings: http2.Settings;
  readonly idleTimeout: number;
  /** Most streams a connection carries in its life (Infinity: no limit). */
  readonly maxStreams: number;
  /** Most streams at once on a connection whose server announces no limit. */
  readonly streamsLimit: number;
  /** Live connections that other channels may join. */
  readonly links: H2Link[];
  /** Every connection made so far (for tests and stats). */
  opened: number;

  constructor(options: H2ServerOptions) {
    this.alpn = options.alpn;
    this.settings = options.settings ?? {};
    this.idleTimeout = options.idleTimeout ?? IDLE_PURGE_MS;
    const reuse = options.maxReuse ?? -1;
    this.streamsLimit = options.maxConcurrentStreams ?? 100;
    this.maxStreams = reuse < 0 ? Number.POSITIVE_INFINITY : reuse + 1;
    this.links = [];
    this.opened = 0;
  }

  open(t: ServerTarget, onRead: OnRead, client: Socket | undefined, share: H2Share): Socket {
    const ch = new H2Channel(onRead, client);
    // a connection serves requests for the address it went to (`set server … addr` changes it)
    // and, with `sni ssl_fc_sni`, for the server name it sent
    const sni = t.tls?.forwardClientSni === true ? clientServerName(client) : undefined;
    const key = `${t.path ?? `${t.host}:${t.port}`}${sni !== undefined ? `\0${sni}` : ''}`;
    ch.key = key;
    if (share === 'shared') {
      const link = this.roomyLink(key);
      if (link !== undefined) {
        link.attach(ch);
        return ch as unknown as Socket;
      }
    }
    const sock = this.transport(t, sni);
    if (this.alpn) {
      // the server's ALPN choice decides what this connection becomes
      ch.tlsPending = sock as TLSSocket;
      ch.share = share;
      ch.connector = this;
      sock.once('secureConnect', onAlpnDone);
      sock.once('close', onAlpnFailed);
      sock.on('error', noop);
      (sock as AlpnSocket)[ALPN_CHANNEL] = ch;
      return ch as unknown as Socket;
    }
    const link = this.newLink(sock, share !== 'private', key);
    link.attach(ch);
    if (share === 'private') ch.ownLink = true;
    return ch as unknown as Socket;
  }

  /** A live link with room for one more stream. */
  private roomyLink(key: string): H2Link | undefined {
    const links = this.links;
    for (let i = links.length - 1; i >= 0; i--) {
      const l = links[i]!;
      if (l.key === key && !l.dead && l.load < l.capacity() && l.streams + l.load < this.maxStreams) return l;
    }
    return undefined;
  }

  /** The TCP or TLS connection to the server (TLS offers h2 first when `alpn` is set). */
  private transport(t: ServerTarget, sni: string | undefined): Socket {
    const where = t.path !== undefined ? { path: t.path } : { host: t.host, port: t.port };
    const tls = t.tls;
    if (tls === undefined) return netConnect(where);
    // (`ssl proto h2` without `alpn` offers no protocol, as HAProxy: the server must take h2 so)
    return tls.connect({ ...(where as ConnectionOptions), ...tls.connectOptions(sni) });
  }

  /** A link over `sock` (connected or not); `shared`: other channels may join it. */
  newLink(sock: Socket, shared: boolean, key: string): H2Link {
    this.opened++;
    const link = new H2Link(this, sock, shared, key);
    if (shared) this.links.push(link);
    return link;
  }

  /** A link is dead: no channel joins it any more. */
  forget(link: H2Link): void {
    const i = this.links.indexOf(link);
    if (i >= 0) this.links.splice(i, 1);
  }

  /** Soft stop: connections without streams close now, the others once their streams are done. */
  closeIdle(): void {
    for (const l of [...this.links]) l.end();
  }

  /** Closes every connection now (hard stop). */
  destroyAll(): void {
    for (const l of [...this.links]) l.session.destroy();
  }
}

const ALPN_CHANNEL = Symbol('hap.h2-alpn-channel');
interface AlpnSocket extends TLSSocket {
  [ALPN_CHANNEL]?: H2Channel | undefined;
}

function onAlpnDone(this: AlpnSocket): void {
  const ch = this[ALPN_CHANNEL];
  this[ALPN_CHANNEL] = undefined;
  this.removeListener('close', onAlpnFailed);
  if (ch === undefined || ch.closed) {
    this.destroy();
    return;
  }
  ch.tlsPending = undefined;
  const connector = ch.connector!;
  if (this.alpnProtocol === 'h2') {
    const link = connector.newLink(this, ch.share !== 'private', ch.key);
    if (ch.share === 'private') ch.ownLink = true;
    link.attach(ch);
    return;
  }
  // HTTP/1.1 (or no ALPN answer): the channel passes bytes through as a plain connection
  ch.passThrough(this);
}

function onAlpnFailed(this: AlpnSocket): void {
  const ch = this[ALPN_CHANNEL];
  this[ALPN_CHANNEL] = undefined;
  ch?.fail();
}

// --- one HTTP/2 connection ---------------------------------------------------------------

const LINK = Symbol('hap.h2-link');
interface LinkSession extends http2.ClientHttp2Session {
  [LINK]?: H2Link;
}

/** One HTTP/2 connection to a server, carrying the streams of several channels. */
export class H2Link {
  readonly connector: H2ServerConnector;
  readonly session: LinkSession;
  readonly shared: boolean;
  /** Where it goes (address, and server name when the client's is forwarded). */
  readonly key: string;
  /** The server's SETTINGS arrived: streams may be opened. */
  ready: boolean;
  /** Closing or closed (GOAWAY, error, idle): no new stream. */
  dead: boolean;
  /** Channels attached to this link. */
  readonly channels: Set<H2Channel>;
  /** Streams open, plus channels waiting for the connection. */
  load: number;
  /** Streams opened in the connection's life (`max-reuse`). */
  streams: number;

  constructor(connector: H2ServerConnector, sock: Socket, shared: boolean, key: string) {
    this.connector = connector;
    this.shared = shared;
    this.key = key;
    this.ready = false;
    this.dead = false;
    this.channels = new Set();
    this.load = 0;
    this.streams = 0;
    const session = http2.connect('http://server', {
      createConnection: () => sock,
      settings: connector.settings,
      // the engine bounds what it holds itself; nghttp2's default would refuse big uploads early
      maxSessionMemory: 64,
    }) as LinkSession;
    this.session = session;
    session[LINK] = this;
    session.on('error', noop);
    session.once('remoteSettings', onLinkReady);
    session.once('goaway', onLinkGoaway);
    session.once('close', onLinkClose);
    session.setTimeout(connector.idleTimeout, onLinkIdle);
  }

  /** Most streams at once, as the server announced (100 until it says). */
  capacity(): number {
    const n = this.ready ? this.session.remoteSettings.maxConcurrentStreams : undefined;
    // a server that announces no limit gets tune.h2.max-concurrent-streams at once, as in HAProxy
    return n === undefined || n >= 0xffffffff ? this.connector.streamsLimit : n;
  }

  attach(ch: H2Channel): void {
    ch.link = this;
    this.channels.add(ch);
    if (this.ready) process.nextTick(emitConnect, ch);
    else {
      ch.waitingLink = true;
      this.load++;
    }
  }

  detach(ch: H2Channel): void {
    if (ch.waitingLink) {
      ch.waitingLink = false;
      this.load--;
    }
    this.channels.delete(ch);
    // a private link serves its channel only
    if (!this.shared && this.channels.size === 0) this.end();
  }

  /**
   * A stream was opened: at the connection's `max-reuse`, no channel takes it again (those
   * between requests close, the others once their answer is done) and it closes after.
   */
  opened(): void {
    this.streams++;
    if (this.streams < this.connector.maxStreams) return;
    this.dead = true;
    this.connector.forget(this);
    for (const ch of [...this.channels]) if (ch.stream === null) ch.fail();
  }

  /** A stream ended: a connection no channel may use closes once it carries none. */
  streamDone(): void {
    this.load--;
    if (this.dead && this.load <= 0) this.end();
  }

  /** No new stream; the connection closes once its streams are done. */
  end(): void {
    if (!this.dead) {
      this.dead = true;
      this.connector.forget(this);
    }
    if (!this.session.closed && !this.session.destroyed) this.session.close();
  }
}

function emitConnect(ch: H2Channel): void {
  if (ch.closed) return;
  ch.connected = true;
  ch.emit('connect');
}

function onLinkReady(this: LinkSession): void {
  const link = this[LINK];
  if (link === undefined || link.dead) return;
  link.ready = true;
  for (const ch of link.channels) {
    if (!ch.waitingLink) continue;
    ch.waitingLink = false;
    link.load--;
    emitConnect(ch);
  }
}

function onLinkGoaway(this: LinkSession): void {
  const link = this[LINK];
  if (link === undefined) return;
  link.dead = true;
  link.connector.forget(link);
  // channels between requests die now; a stream the server still answers goes on
  for (const ch of [...link.channels]) if (ch.stream === null) ch.fail();
}

function onLinkClose(this: LinkSession): void {
  const link = this[LINK];
  if (link === undefined) return;
  link.dead = true;
  link.connector.forget(link);
  for (const ch of [...link.channels]) ch.fail();
}

function onLinkIdle(this: LinkSession): void {
  const link = this[LINK];
  if (link === undefined) return;
  if (link.load > 0) return;
  link.end();
}

// --- one engine connection ----------------------------------------------------------------

const CHANNEL = Symbol('hap.h2-channel');
interface ChannelStream extends http2.ClientHttp2Stream {
  [CHANNEL]?: H2Channel | undefined;
}

/** What the channel reads of the engine's mark (http-session.ts ServerConn). */
interface EngineConn {
  session: { client: Socket & { [H2_STREAM]?: true; encrypted?: boolean } } | null;
}

/**
 * One server connection as the engine sees it: requests in, responses out, one stream per
 * request on its link. Implements what the engine calls on a server socket.
 */
export class H2Channel extends EventEmitter implements HttpHandler {
  private readonly onRead: OnRead;
  private readonly client: Socket | undefined;
  link: H2Link | null;
  /** Waiting for its link's SETTINGS (counted in the link's load). */
  waitingLink: boolean;
  /** The link was made for this channel alone (`http-reuse never`). */
  ownLink: boolean;
  /** `alpn`: the TLS connection whose handshake decides, and what the channel may share. */
  tlsPending: TLSSocket | undefined;
  share: H2Share;
  /** Where its connection goes (H2Link.key). */
  key: string;
  connector: H2ServerConnector | undefined;
  /** HTTP/1.1 chosen by ALPN: bytes go through this socket as they are. */
  raw: Socket | null;
  connected: boolean;
  closed: boolean;
  /** Responses come from HTTP/2 frames (false once ALPN chose HTTP/1.1): read by the engine's log. */
  h2Framed: boolean;
  /**
   * The channel closed before the current request was sent (its connection was going away):
   * read by the engine, which then sends the request again on a new connection.
   */
  unsent: boolean;
  /** The stream of the request in progress. */
  stream: ChannelStream | null;
  private readonly parser: HttpParser;
  /** The request's method (HEAD: no body in the response). */
  private method: string;
  private respChunked: boolean;
  private respTrailers: http2.IncomingHttpHeaders | undefined;
  private reqTrailers: Record<string, string | string[]> | undefined;
  private needDrain: boolean;
  private timer: NodeJS.Timeout | undefined;

  constructor(onRead: OnRead, client: Socket | undefined) {
    super();
    this.onRead = onRead;
    this.client = client;
    this.link = null;
    this.waitingLink = false;
    this.ownLink = false;
    this.tlsPending = undefined;
    this.share = 'own';
    this.key = '';
    this.connector = undefined;
    this.raw = null;
    this.connected = false;
    this.closed = false;
    this.h2Framed = true;
    this.unsent = false;
    this.stream = null;
    this.parser = new HttpParser('request', this);
    this.method = 'GET';
    this.respChunked = false;
    this.respTrailers = undefined;
    this.reqTrailers = undefined;
    this.needDrain = false;
    this.timer = undefined;
  }

  // --- what the engine calls on a socket ---------------------------------------------------

  setNoDelay(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}

  write(data: string | Buffer, enc?: BufferEncoding | (() => void)): boolean {
    if (this.closed) return false;
    const buf = typeof data === 'string' ? Buffer.from(data, typeof enc === 'string' ? enc : 'latin1') : data;
    const raw = this.raw;
    if (raw !== null) return raw.write(buf);
    this.needDrain = false;
    this.parser.execute(buf);
    return !this.needDrain;
  }

  pause(): this {
    if (this.raw !== null) this.raw.pause();
    else this.stream?.pause();
    return this;
  }

  resume(): this {
    if (this.raw !== null) this.raw.resume();
    else this.stream?.resume();
    return this;
  }

  setTimeout(ms: number): this {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = ms > 0 ? setTimeout(onChannelTimeout, ms, this) : undefined;
    return this;
  }

  /** Only tunnels end a server connection's sending side: over HTTP/2 there is none. */
  end(): this {
    if (this.raw !== null) this.raw.end();
    else this.destroy();
    return this;
  }

  destroy(): this {
    if (this.closed) return this;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const st = this.stream;
    this.stream = null;
    if (st !== null) {
      st[CHANNEL] = undefined;
      if (!st.closed && !st.destroyed) st.close(http2.constants.NGHTTP2_CANCEL);
      this.link?.streamDone();
    }
    const link = this.link;
    this.link = null;
    if (link !== null) {
      link.detach(this);
      if (this.ownLink) link.end();
    }
    this.tlsPending?.destroy();
    this.tlsPending = undefined;
    this.raw?.destroy();
    process.nextTick(emitClose, this);
    return this;
  }

  /** The connection or the stream failed: the engine sees its server connection close. */
  fail(): void {
    this.destroy();
  }

  // --- ALPN chose HTTP/1.1 ----------------------------------------------------------------

  passThrough(sock: Socket): void {
    this.raw = sock;
    this.h2Framed = false;
    (sock as RawSocket)[CHANNEL] = this;
    sock.on('data', onRawData);
    sock.on('drain', onRawDrain);
    sock.on('close', onRawClose);
    sock.on('error', noop);
    emitConnect(this);
  }

  // --- request: engine → HTTP/2 stream -----------------------------------------------------

  onHeadersComplete(info: HeadInfo): void {
    // the engine read the whole previous answer (its length) before the stream's END_STREAM
    // event: that stream is done for this channel
    if (this.stream !== null) this.leaveStream();
    const link = this.link;
    if (link === null || link.dead) {
      // nothing reached the server: the engine may send the request again elsewhere
      this.unsent = true;
      this.fail();
      return;
    }
    this.method = info.method;
    const h = this.requestHeaders(info);
    let st: ChannelStream;
    try {
      st = link.session.request(h, {
        endStream: info.bodyKind === 'none',
        waitForTrailers: info.chunked,
      }) as ChannelStream;
    } catch (e) {
      // the connection was going away (GOAWAY read, closed): the request never left; a head
      // node:http2 refuses (a CONNECT, a field it forbids) goes nowhere else either: 502
      const code = (e as { code?: string }).code;
      if (code === 'ERR_HTTP2_GOAWAY_SESSION' || code === 'ERR_HTTP2_INVALID_SESSION') this.unsent = true;
      this.fail();
      return;
    }
    link.load++;
    this.stream = st;
    link.opened();
    this.respChunked = false;
    this.respTrailers = undefined;
    this.reqTrailers = undefined;
    st[CHANNEL] = this;
    st.on('response', onStreamResponse);
    st.on('headers', onStreamInterim);
    st.on('data', onStreamData);
    st.on('trailers', onStreamTrailers);
    st.on('end', onStreamEnd);
    st.on('close', onStreamClose);
    st.on('drain', onStreamDrain);
    st.on('wantTrailers', onStreamWantTrailers);
    st.on('error', noop);
  }

  /** HAProxy's HTTP/1 → HTTP/2 request head (see the top of this file). */
  private requestHeaders(info: HeadInfo): http2.OutgoingHttpHeaders {
    const target = info.target;
    let scheme = 'https';
    let authority: string | undefined;
    let path = target;
    const list = info.headers;
    const sep = target.charCodeAt(0) === 0x2f ? -1 : target.indexOf('://');
    if (sep > 0) {
      scheme = target.slice(0, sep).toLowerCase();
      const rest = sep + 3;
      let end = rest;
      while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
      authority = target.slice(rest, end);
      path = end < target.length ? target.slice(end) : '/';
      if (path.charCodeAt(0) === 0x3f) path = `/${path}`;
    } else {
      // a request of an HTTP/2 client keeps its authority and scheme (HAProxy's absolute URI)
      const cl = (this as { [CONN]?: EngineConn })[CONN]?.session?.client;
      if (cl !== undefined && cl[H2_STREAM] === true) {
        scheme = cl.encrypted === true ? 'https' : 'http';
        for (let i = 0; i < list.length; i += 2) {
          if ((list[i] as string).toLowerCase() === 'host') {
            authority = list[i + 1] as string;
            break;
          }
        }
      }
    }
    const h: http2.OutgoingHttpHeaders = { ':method': info.method, ':scheme': scheme };
    if (authority !== undefined) h[':authority'] = authority;
    h[':path'] = path;
    for (let i = 0; i < list.length; i += 2) {
      const name = (list[i] as string).toLowerCase();
      let value = list[i + 1] as string;
      // an origin-form request keeps its Host (HAProxy sends no :authority then)
      if (CONNECTION_FIELDS.has(name) || (name === 'host' && authority !== undefined)) continue;
      if (name === 'te') {
        if (!/(^|[\s,])trailers\s*(;|,|$)/i.test(value)) continue;
        value = 'trailers';
      }
      const had = h[name];
      if (had === undefined) h[name] = value;
      else if (Array.isArray(had)) had.push(value);
      else h[name] = [String(had), value];
    }
    return h;
  }

  onBody(slice: Buffer): void {
    const st = this.stream;
    if (st === null || st.destroyed) return;
    // a copy: the engine may reuse what it wrote once write() returns
    if (!st.write(Buffer.copyBytesFrom(slice))) this.needDrain = true;
  }

  onTrailers(trailers: string[]): void {
    this.reqTrailers = h2Trailers(trailers, NOT_TRAILERS);
  }

  onMessageComplete(): void {
    const st = this.stream;
    if (st !== null && !st.destroyed && !st.writableEnded) st.end();
  }

  onError(_error: HttpParseError): void {
    this.fail();
  }

  sendTrailers(st: ChannelStream): void {
    const t = this.reqTrailers;
    this.reqTrailers = undefined;
    st.sendTrailers(t ?? {});
  }

  // --- response: HTTP/2 stream → engine -----------------------------------------------------

  /** Hands HTTP/1.1 bytes to the engine as a read of its socket. */
  private give(text: string, body?: Buffer): void {
    if (this.closed) return;
    const head = Buffer.from(text, 'latin1');
    const buf = body === undefined ? head : Buffer.concat([head, body]);
    this.onRead.call(this as unknown as Socket, buf.length, buf);
  }

  response(headers: http2.IncomingHttpHeaders): void {
    const status = Number(headers[':status']);
    let out = `HTTP/1.1 ${status} \r\n`;
    let length = false;
    for (const name of Object.keys(headers)) {
      if (name.charCodeAt(0) === 0x3a) continue;
      const v = headers[name];
      if (v === undefined) continue;
      if (name === 'content-length') length = true;
      if (Array.isArray(v)) for (const one of v) out += `${name}: ${one}\r\n`;
      else out += `${name}: ${v}\r\n`;
    }
    if (status >= 200) {
      const bodyless = status === 204 || status === 304 || this.method === 'HEAD';
      // no length: the body goes chunked (HAProxy's HTTP/1 side does the same)
      this.respChunked = !length && !bodyless;
      if (this.respChunked) out += 'transfer-encoding: chunked\r\n';
    }
    this.give(`${out}\r\n`);
  }

  data(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.respChunked) this.give(`${chunk.length.toString(16)}\r\n`, Buffer.concat([chunk, CRLF]));
    else this.pass(chunk);
  }

  /** Bytes as they came (a body with a length, or HTTP/1.1 over a pass-through). */
  pass(chunk: Buffer): void {
    if (!this.closed) this.onRead.call(this as unknown as Socket, chunk.length, chunk);
  }

  trailers(t: http2.IncomingHttpHeaders): void {
    this.respTrailers = t;
  }

  /** The current stream no longer speaks to this channel (its answer was read whole). */
  private leaveStream(): void {
    const st = this.stream!;
    this.stream = null;
    st[CHANNEL] = undefined;
    this.link?.streamDone();
  }

  /** The stream ended (END_STREAM from the server): the response is complete. */
  ended(): void {
    const st = this.stream;
    if (st === null) return;
    this.stream = null;
    st[CHANNEL] = undefined;
    this.link?.streamDone();
    if (this.respChunked) this.give(lastChunk(this.respTrailers));
    // the link went away while this stream finished: the channel goes with it
    if (this.link === null || this.link.dead) this.fail();
  }

  /** The stream closed before its END_STREAM (RST_STREAM, GOAWAY, connection lost). */
  broken(): void {
    this.stream = null;
    this.link?.streamDone();
    this.fail();
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');

function emitClose(ch: H2Channel): void {
  ch.emit('close', false);
}

function onChannelTimeout(ch: H2Channel): void {
  ch.emit('timeout');
}

function onStreamResponse(this: ChannelStream, headers: http2.IncomingHttpHeaders): void {
  this[CHANNEL]?.response(headers);
}

function onStreamInterim(this: ChannelStream, headers: http2.IncomingHttpHeaders): void {
  const ch = this[CHANNEL];
  const status = Number(headers[':status']);
  // 1xx (100 Continue, 103 Early Hints): forwarded as the engine forwards interim responses
  if (ch !== undefined && status >= 100 && status < 200) ch.response(headers);
}

function onStreamData(this: ChannelStream, chunk: Buffer): void {
  this[CHANNEL]?.data(chunk);
}

function onStreamTrailers(this: ChannelStream, t: http2.IncomingHttpHeaders): void {
  this[CHANNEL]?.trailers(t);
}

function onStreamEnd(this: ChannelStream): void {
  this[CHANNEL]?.ended();
}

function onStreamClose(this: ChannelStream): void {
  const ch = this[CHANNEL];
  if (ch === undefined) return;
  this[CHANNEL] = undefined;
  if (ch.stream === this) ch.broken();
}

function onStreamDrain(this: ChannelStream): void {
  this[CHANNEL]?.emit('drain');
}

function onStreamWantTrailers(this: ChannelStream): void {
  const ch = this[CHANNEL];
  if (ch !== undefined) ch.sendTrailers(this);
  else this.sendTrailers({});
}

interface RawSocket extends Socket {
  [CHANNEL]?: H2Channel;
}

function onRawData(this: RawSocket, chunk: Buffer): void {
  this[CHANNEL]?.pass(chunk);
}

function onRawDrain(this: RawSocket): void {
  this[CHANNEL]?.emit('drain');
}

function onRawClose(this: RawSocket): void {
  this[CHANNEL]?.fail();
}
