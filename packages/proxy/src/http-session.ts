/**
 * HTTP/1.1 forwarding: one `HttpSession` per client connection, carrying its requests one
 * after the other (HAProxy: a session and its successive streams), and one `ServerConn`
 * per connection to a server.
 *
 *   client connection
 *     WAIT ──first byte──► HEAD ──head parsed──► TXN ──response sent──┬─ keep-alive ─► WAIT
 *      │ timeout http-keep-alive │ timeout http-request  │           └─ close ──────► CLOSED
 *      │ (first request: 408)    └─► 408                 ├─ 101 / 2xx to CONNECT ───► TUNNEL
 *      └─► CLOSED                                        └─ error ─► 400/502/503/504 ► CLOSED
 *
 * In TXN the request head is written to a server connection (an idle one this session
 * holds, one from the server's idle list when `http-reuse` allows, or a new one, with
 * `retries` on connect failures), then the request body as it arrives (chunked bodies are
 * re-framed), then the response comes back the same way. A pipelined request waits, unparsed,
 * until the current response has been sent. Back-pressure pauses the side that reads.
 *
 * Every timeout of a session is one deadline on the frontend's timer wheel, re-armed by a field
 * write. Socket events reach the session through a symbol on the socket, and the parsers call
 * the session and connection objects directly: nothing is allocated per request but the head
 * strings and the parser's header list.
 */

import type { Socket } from 'node:net';
import {
  type ConnectionHeader,
  chunkHeader,
  connectionErrorPage,
  type ErrorMessage,
  type ExtraHeader,
  errorMessage,
  type HeadInfo,
  type HttpHandler,
  type HttpParseError,
  HttpParser,
  headerValue,
  lastChunk,
  normalizeDefaultPort,
  requestHead,
  responseHead,
} from '@hap/http';
import type { LogRecord } from '@hap/log';
import { formatRequestLine, htxHeadBytes, htxTrailerBytes } from '@hap/log/engine';
import type {
  HttpMessage,
  HttpRuleList,
  HttpService,
  RedirectRules,
  ReplySpec,
  ServiceReply,
  ServiceRequest,
} from '@hap/rules';
import {
  pageReply,
  V_ALLOW,
  V_CONTINUE,
  V_DENY,
  V_REJECT,
  V_REPLY,
  V_SERVICE,
  V_TARPIT,
} from '@hap/rules/engine';
import type { CaptureSlots, Condition, ProxyWorld } from '@hap/sample';
import type { ProxyCounters } from '@hap/stats';
import { countHttpStatus, countRate } from '@hap/stats/engine';
import { connectionAddresses } from './accept-proxy.ts';
import type { Backend, QueuedRequest, RequestKey } from './backend.ts';
import { captureHeaders, type HttpCaptures } from './capture.ts';
import {
  type CompressionAlgorithm,
  type CompressionSettings,
  Compressor,
  chooseAlgorithm,
  compressedHead,
  compressible,
} from './compression.ts';
import {
  type CookieCapture,
  type CookiePersistence,
  CookieTxn,
  insertCookie,
  PERSIST_FORCE,
  PERSIST_IGNORE,
  requestCookies,
  responseCookies,
} from './cookie.ts';
import {
  captureRequestError,
  captureResponseError,
  type ErrorEvents,
  type ErrorSnapshot,
} from './error-capture.ts';
import { readBufferWritten } from './read-buffer.ts';
import { type H2Share, openServerSocket, proxyHeaderFor, readyEvent, type Server } from './server.ts';
import { type FrontendLog, newLogRecord, setTermination } from './stream.ts';
import { StreamEnv } from './stream-env.ts';
import type { TimerWheel, WheelEntry } from './timer-wheel.ts';

/** No server to name (a cookie scan made only to capture). */
const NO_SERVERS = { servers: [], isRunning: () => false };

/** The %tsc letters of a request that never reached the cookie step of its backend. */
const NO_COOKIE = { client: 'none', server: 'none' } as const;

/** `option http-keep-alive` (default), `option http-server-close`, `option httpclose`. */
export type HttpConnectionMode = 'keep-alive' | 'server-close' | 'close';

/** `option forwardfor [except <net>] [header <name>] [if-none]`. */
export interface ForwardFor {
  /** Lower-case header name (default x-forwarded-for). */
  header: string;
  ifNone: boolean;
  /** IPv4 network whose clients get no header: [network, mask] as unsigned ints. */
  except: [number, number] | undefined;
}

/**
 * A response made by the proxy itself: its head without the final empty line (a `connection`
 * line may follow; '' sends nothing and closes), and its body.
 */
export interface LocalReply {
  head: string;
  body: Buffer;
  /** The client connection closes after it (an error page that says so, or has no length). */
  close?: boolean;
}

/** The HTTP rules of one proxy section (its defaults section's rules first). */
export interface ProxyHttpRules {
  /** `tcp-request content` rules: in HTTP mode they run on each request, before `http-request`. */
  readonly tcpContent: HttpRuleList | undefined;
  readonly request: HttpRuleList | undefined;
  /** The `redirect` keyword's rules, evaluated after `http-request`. */
  readonly redirects: RedirectRules | undefined;
  readonly response: HttpRuleList | undefined;
  readonly afterResponse: HttpRuleList | undefined;
  /** `timeout tarpit` in ms (`timeout connect` when unset, as HAProxy). */
  readonly tarpit: number;
}

/** HTTP settings a frontend or a backend contributes to a transaction. */
export interface HttpProxySettings {
  mode: HttpConnectionMode;
  forwardFor: ForwardFor | undefined;
  /** `errorfile` / `errorloc` / static `http-error` responses by status. */
  errorFiles: Map<number, ErrorMessage>;
  /** `http-error` replies rendered per request (log-format parts), by status; a status is in one map only. */
  errorReplies?: Map<number, ReplySpec>;
  /** `option http-buffer-request`: a request body is received whole before a server is chosen. */
  bufferRequest: boolean;
  /** Its rules, or undefined when it has none. */
  rules: ProxyHttpRules | undefined;
  /**
   * A service of the proxy that takes the requests it claims (`stats uri`): asked after the
   * proxy's `http-request` rules and before its `redirect` rules, as HAProxy does.
   */
  intercept?: InterceptService | undefined;
  /** A frontend's `capture` lines (for its log lines); undefined without any. */
  captures?: HttpCaptures | undefined;
  /** `compression algo|type|offload`; undefined without any. */
  compression?: CompressionSettings | undefined;
}

/** A service attached to a proxy that takes the requests it claims (HAProxy's stats applet). */
export interface InterceptService extends HttpService {
  /** Whether the request is for the service (its method and target as the rules left them). */
  claims(method: string, target: string): boolean;
}

/** `monitor-uri <uri>` and its `monitor fail` conditions. */
export interface MonitorSettings {
  readonly uri: string;
  readonly fail: readonly Condition[];
}

export interface HttpFrontendTimeouts {
  /** ms, 0 = none */
  client: number;
  httpRequest: number;
  httpKeepAlive: number;
}

/** What a session needs from its frontend. */
export interface HttpSessionOwner {
  readonly name: string;
  /** `show stat` counters of the frontend. */
  readonly counters: ProxyCounters;
  readonly wheel: TimerWheel;
  readonly timeouts: HttpFrontendTimeouts;
  readonly http: HttpProxySettings;
  /** The backend for a request: the first `use_backend` rule that applies, else the default one. */
  backendFor(session: HttpSession): Backend;
  /** Whether requests go through the rule engine (rules, switching, monitor-uri anywhere). */
  readonly hasRules: boolean;
  readonly monitor: MonitorSettings | undefined;
  readonly world: ProxyWorld;
  /** True once the proxy is stopping: connections are closed after their current response. */
  readonly stopping: boolean;
  /** The traffic log, when the frontend logs. */
  readonly log?: FrontendLog | undefined;
  /** The last request refused and the process's error counter (`show errors`). */
  invalidReq: ErrorSnapshot | null;
  readonly errorEvents: ErrorEvents;
  sessionClosed(session: HttpSession): void;
}

// session states
const ST_WAIT = 0;
const ST_HEAD = 1;
const ST_TXN = 2;
const ST_TUNNEL = 3;
const ST_CLOSED = 4;

// what the session's deadline stands for
const T_NONE = 0;
const T_HTTP_REQUEST = 1;
const T_KEEP_ALIVE = 2;
const T_CLIENT = 3;
const T_CONNECT = 4;
const T_SERVER = 5;
const T_TUNNEL = 6;
const T_QUEUE = 7;
/** A request body is being sent: the client and the server may both time out. */
const T_UPLOAD = 8;
/** Waiting before the next connect attempt (HAProxy: min(timeout connect, 1 s)). */
const T_RETRY = 9;
/** A tarpitted request is held until its answer is due. */
const T_TARPIT = 10;

const SESSION = Symbol('hap.http-session');
/** Registered: an HTTP/2 server connection (h2-server.ts) reads the session of its request through it. */
const CONN = Symbol.for('hap.server-conn');

/**
 * Set on a client socket that carries one HTTP/2 stream as an HTTP/1.1 exchange: its request
 * target is the absolute URI HAProxy builds from `:scheme` and `:authority` (what rules and logs
 * see), and servers are sent the origin form.
 */
export const H2_STREAM: unique symbol = Symbol.for('hap.h2-stream');

interface ClientSocket extends Socket {
  [SESSION]?: HttpSession;
  [H2_STREAM]?: true;
}
interface ServerSocket extends Socket {
  [CONN]?: ServerConn;
}

const CRLF = '\r\n';
const EMPTY_BODY = Buffer.alloc(0);
const NO_HEADERS: string[] = [];
const NO_TYPES: readonly string[] = [];
/** `option http-buffer-request` waits for at most this much body (tune.bufsize - tune.maxrewrite). */
const BUFFER_REQUEST_LIMIT = 15360;
/** The largest request body a service is given (HAProxy's applets see one buffer's worth). */
const SERVICE_BODY_LIMIT = BUFFER_REQUEST_LIMIT;
/** How long an error page may take to leave when no `timeout client` is set. */
const LINGER_MS = 10_000;

/** `scheme://authority/path` becomes `/path` (an authority-form or origin-form target stays). */
function originForm(info: HeadInfo): void {
  const t = info.target;
  if (t.charCodeAt(0) === 0x2f || info.method === 'CONNECT') return;
  const s = t.indexOf('://');
  if (s < 0) return;
  const p = t.indexOf('/', s + 3);
  const q = t.indexOf('?', s + 3);
  info.target = p >= 0 && (q < 0 || p < q) ? t.slice(p) : q >= 0 ? `/${t.slice(q)}` : '/';
}

/** Moves the field `name` (lower case) to the end of a flat header list. */
function moveLast(headers: string[], name: string): void {
  for (let i = 0; i < headers.length - 2; i += 2) {
    if ((headers[i] as string).toLowerCase() !== name) continue;
    const [n, v] = headers.splice(i, 2);
    headers.push(n!, v!);
    return;
  }
}

function destroySocket(this: Socket): void {
  this.destroy();
}

/** One connection to a server, with its response parser. Reused for several requests. */
export class ServerConn implements HttpHandler {
  readonly socket: ServerSocket;
  readonly server: Server;
  readonly parser: HttpParser;
  session: HttpSession | null;
  connected: boolean;
  /** Carried at least one complete transaction (a later failure may be a stale keep-alive). */
  reused: boolean;
  closed: boolean;
  idleIndex: number;
  /** Parser offset when the current request was sent (nothing received since: a stale keep-alive). */
  startOffset: number;
  /** The server's addrGen when this connection was opened (an older one goes to an old address). */
  readonly addrGen: number;
  /** `sni <expr>`: the name this connection was opened with (it serves only requests giving the same). */
  readonly sni: string | undefined;

  constructor(server: Server, session: HttpSession) {
    this.server = server;
    this.addrGen = server.addrGen;
    const sniOf = server.tls?.sniOf;
    this.sni = sniOf !== undefined ? sniOf(session.requestEnv()) : undefined;
    this.session = session;
    this.connected = false;
    this.reused = false;
    this.closed = false;
    this.idleIndex = -1;
    this.startOffset = 0;
    this.parser = new HttpParser('response', this);
    const s = (
      server.h2 !== undefined
        ? openServerSocket(server, false, onServerRead, session.client, h2Share(session))
        : this.sni !== undefined
          ? openServerSocket(server, false, onServerRead, session.client, 'own', this.sni)
          : openServerSocket(server, false, onServerRead, session.client)
    ) as ServerSocket;
    this.socket = s;
    s[CONN] = this;
    s.setNoDelay(true);
    s.once(readyEvent(server), onServerConnect);
    s.on('drain', onServerDrain);
    s.on('error', onServerError);
    s.on('close', onServerClose);
    s.on('timeout', onServerIdleTimeout);
    server.currentConns++;
    server.totalConns++;
  }

  // response parser events, handed to the session using this connection
  onStatusLine(_maj: number, _min: number, _status: number, reason: string): void {
    if (this.session) this.session.respReason = reason;
  }
  onHeadersComplete(info: HeadInfo): void {
    this.session?.onResponseHead(info);
  }
  onBody(slice: Buffer): void {
    this.session?.onResponseBody(slice);
  }
  onTrailers(trailers: string[]): void {
    if (this.session) this.session.respTrailers = trailers;
  }
  onMessageComplete(): void {
    this.session?.onResponseComplete(this);
  }
  onError(error: HttpParseError): void {
    this.session?.onResponseError(this, error);
  }
  onTunnel(rest: Buffer): void {
    this.session?.onResponseTunnel(this, rest);
  }

  /** Closes the connection now. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.session = null;
    this.server.currentConns--;
    this.socket.destroy();
  }
}

/** What `http-reuse` lets a new HTTP/2 server connection share (see H2Share). */
function h2Share(session: HttpSession): H2Share {
  const reuse = session.backend?.reuse ?? 'safe';
  if (reuse === 'never') return 'private';
  return reuse === 'always' || reuse === 'aggressive' || session.requests > 1 ? 'shared' : 'own';
}

function onServerConnect(this: ServerSocket): void {
  const c = this[CONN];
  if (!c) return;
  c.connected = true;
  c.session?.onServerConnected(c);
}

/** Server bytes arrive in the shared read buffer (onread); nothing of them is kept once handled. */
function onServerRead(this: ServerSocket, nread: number, buf: Buffer): undefined {
  const c = this[CONN];
  if (!c) return;
  const st = c.session;
  if (st === null) {
    // an idle connection must not speak: whatever it sends makes it unusable
    retire(c);
    return;
  }
  try {
    st.onServerData(c, buf.subarray(0, nread));
  } catch (err) {
    st.internalError(err);
  }
  readBufferWritten(st.client);
}

function onServerDrain(this: ServerSocket): void {
  const st = this[CONN]?.session;
  // the server took what was queued: read the client again
  if (st && (st.state === ST_TXN || st.state === ST_TUNNEL) && st.pendingIn === null) st.client.resume();
}

function onServerError(this: ServerSocket): void {
  // 'close' follows and does the work
}

function onServerClose(this: ServerSocket): void {
  const c = this[CONN];
  if (!c || c.closed) return;
  const st = c.session;
  c.closed = true;
  c.server.currentConns--;
  if (st === null) {
    c.server.dropIdle(c);
    return;
  }
  c.session = null;
  st.onServerClosed(c);
}

function onServerIdleTimeout(this: ServerSocket): void {
  const c = this[CONN];
  if (c && c.session === null) retire(c);
}

/** An idle connection that closed, spoke or aged out leaves the idle list. */
function retire(c: ServerConn): void {
  c.server.dropIdle(c);
  c.destroy();
}

// ------------------------------------------------------------------------------------------
// client side

export class HttpSession implements HttpHandler, WheelEntry, QueuedRequest {
  readonly owner: HttpSessionOwner;
  readonly client: ClientSocket;
  parser: HttpParser | null;
  state: number;
  /** Requests started on this connection. */
  requests: number;
  /** Why the session ended (for logs). */
  endReason: string;

  // wheel entry
  expire: number;
  wheelNext: WheelEntry | null;
  wheelPrev: WheelEntry | null;
  wheelSlot: number;
  wheelTick: number;
  timerKind: number;

  // the current transaction
  backend: Backend | null;
  server: Server | null;
  /** The server whose maxconn slot this request holds. */
  slot: Server | null;
  /** Waiting in the backend's queue for a slot. */
  queued: boolean;
  /** While queued: the server the request waits for (its persistence cookie's), null: any. */
  waitsFor: Server | null;
  conn: ServerConn | null;
  /** Idle connections this session opened, kept for its next requests. */
  ownConns: ServerConn[];
  reqHead: string;
  reqMethod: string;
  /** The current request's target and header list (for a hash-based balance). */
  reqTarget: string;
  reqHeaders: string[];
  reqChunked: boolean;
  reqHasBody: boolean;
  reqKeepAlive: boolean;
  reqUpgrade: boolean;
  reqComplete: boolean;
  /** Everything of the request has been written to the current server connection. */
  reqForwarded: boolean;
  reqTrailers: string[] | undefined;
  /** Request bytes waiting for the server connection (head string, body slices). */
  pendingOut: (string | Buffer)[];
  /** Response bytes for the client gathered while one server read is handled. */
  respOut: (string | Buffer)[];
  /** Inside parse(): server-bound bytes are gathered and written once at its end. */
  batching: boolean;
  attempts: number;
  respStarted: boolean;
  respChunked: boolean;
  respReason: string;
  respTrailers: string[] | undefined;
  respKeepAlive: boolean;
  /** The response switched protocols (101, 2xx to CONNECT). */
  respTunnel: boolean;
  reqHttp10: boolean;
  /** The request head was written to a server (a parse error after it is answered by the stream). */
  reqHeadSent: boolean;
  /** The client shut its sending side: close once the response is sent, without announcing it. */
  clientShut: boolean;
  /** Response bytes have been written to the client. */
  respSent: boolean;
  /** The server connection closes after this response. */
  srvClose: boolean;
  /** `Expect: 100-continue` and no body byte received yet. */
  reqExpect: boolean;
  reqBodyBytes: number;
  /**
   * The current request's and response's bytes as HAProxy counts them (its internal message
   * sizes): `%U` and `%B`, and the `bin`/`bout` of the frontend, backend and server.
   */
  txIn: number;
  txOut: number;
  /** The current request's compression algorithm and types (null: its response is not compressed). */
  compAlgo: CompressionAlgorithm | null;
  compTypes: readonly string[];
  /** The current response's compressor, while its body passes. */
  compressor: Compressor | null;
  /** What HAProxy also counts into the compressor at the end: the end of a chunked body (1). */
  compEnd: number;
  /** The client left after a complete request: the response is read and dropped (no abortonclose). */
  orphan: boolean;
  /** The response ended before the request (an early answer): the request body still goes on. */
  respDone: boolean;
  /**
   * The server is chosen once the request is read: a request without a body (its end follows
   * its head at once, so an error such as 503 answers a complete request), or a body gathered
   * by `option http-buffer-request`.
   */
  buffering: boolean;
  /** The client connection closes once the current response is sent. */
  closeAfter: boolean;
  /** Unparsed bytes after a complete request (pipelining), parsed after the response. */
  pendingIn: Buffer | null;
  localReply: LocalReply | undefined;
  /** The answer of a tarpitted request, sent when `timeout tarpit` expires. */
  tarpitReply: LocalReply | null;
  /**
   * A response rule replaced the server's response: the reply sent once the server's bytes at
   * hand are handled (the rest of its response is read and dropped, so that its connection
   * may serve again when the response ends there).
   */
  dropReply: LocalReply | null;
  /** The dropped server response ended. */
  dropDone: boolean;
  /**
   * `option http-buffer-request` with rules: the request head waits here while its body is
   * gathered, so that the rules see it (`req.body`); then the request goes on as usual.
   */
  heldHead: HeadInfo | null;
  heldBody: Buffer[];
  mode: HttpConnectionMode;
  /** What rules read: made on the first request of a connection that goes through rules. */
  env: StreamEnv | null;
  /** The current request's cookie persistence facts; null when its backend has no `cookie`. */
  ck: CookieTxn | null;
  /** The object `ck` points to, kept for the connection's next requests. */
  ckTxn: CookieTxn | null;
  /** The current transaction's capture slots; null when the frontend declares none. */
  captures: CaptureSlots | null;
  /** The current request's cookies are scanned (backend `cookie` or frontend `capture cookie`). */
  ckScan: boolean;
  /** The current request's log line (only when the frontend logs). */
  log: LogRecord | null;
  /** When the connection became ready for the current request: performance.now() and Date.now(). */
  logT0: number;
  logDate: number;
  /** option logasap: the response headers came, the line goes when this server read is handled. */
  logEarly: boolean;
  /** The service answering the current request (`use-service`, `stats uri`), once its body is read. */
  service: HttpService | null;
  serviceBody: Buffer[] | null;

  constructor(owner: HttpSessionOwner, client: Socket) {
    this.owner = owner;
    this.client = client as ClientSocket;
    // made on the first byte: a connection that sends nothing costs no parser
    this.parser = null;
    this.state = ST_WAIT;
    this.requests = 0;
    this.endReason = '';
    this.expire = 0;
    this.wheelNext = null;
    this.wheelPrev = null;
    this.wheelSlot = -1;
    this.wheelTick = 0;
    this.timerKind = T_NONE;
    this.backend = null;
    this.server = null;
    this.slot = null;
    this.queued = false;
    this.waitsFor = null;
    this.conn = null;
    this.ownConns = [];
    this.reqHead = '';
    this.reqMethod = '';
    this.reqTarget = '';
    this.reqHeaders = NO_HEADERS;
    this.reqChunked = false;
    this.reqHasBody = false;
    this.reqKeepAlive = false;
    this.reqUpgrade = false;
    this.reqComplete = false;
    this.reqForwarded = false;
    this.reqTrailers = undefined;
    this.pendingOut = [];
    this.respOut = [];
    this.batching = false;
    this.attempts = 0;
    this.respStarted = false;
    this.respChunked = false;
    this.respReason = '';
    this.respTrailers = undefined;
    this.respKeepAlive = false;
    this.respTunnel = false;
    this.reqHttp10 = false;
    this.reqHeadSent = false;
    this.clientShut = false;
    this.respSent = false;
    this.srvClose = false;
    this.reqExpect = false;
    this.reqBodyBytes = 0;
    this.txIn = 0;
    this.txOut = 0;
    this.compAlgo = null;
    this.compTypes = NO_TYPES;
    this.compressor = null;
    this.compEnd = 0;
    this.orphan = false;
    this.respDone = false;
    this.buffering = false;
    this.closeAfter = false;
    this.pendingIn = null;
    this.localReply = undefined;
    this.tarpitReply = null;
    this.dropReply = null;
    this.dropDone = false;
    this.heldHead = null;
    this.heldBody = [];
    this.mode = 'keep-alive';
    this.env = null;
    this.ck = null;
    this.ckTxn = null;
    this.ckScan = false;
    this.captures = null;
    this.log = null;
    this.logT0 = 0;
    this.logDate = 0;
    this.logEarly = false;
    this.service = null;
    this.serviceBody = null;
    if (owner.log !== undefined) {
      this.logT0 = performance.now();
      this.logDate = Date.now();
    }
    const c = this.client;
    c[SESSION] = this;
    c.setNoDelay(true);
    c.on('data', onClientData);
    c.on('drain', onClientDrain);
    c.on('error', onClientError);
    c.on('close', onClientClose);
    c.on('end', onClientEnd);
    // a socket handed over paused (after its PROXY header) reads again
    if (c.isPaused()) c.resume();
    this.armWait(true);
  }

  // --- timers ---------------------------------------------------------------------------

  private arm(kind: number, ms: number): void {
    this.timerKind = kind;
    // the wheel's clock may lag behind a busy loop: deadlines start from now
    if (ms > 0) this.owner.wheel.now = performance.now();
    if (ms > 0) this.owner.wheel.arm(this, ms);
    else if (this.wheelSlot >= 0) this.owner.wheel.disarm(this);
  }

  /** The request's version as the rules see it (`req.ver`): an HTTP/2 stream's is HTTP/2.0. */
  private reqVersion(): string {
    return this.reqHttp10 ? 'HTTP/1.0' : this.client[H2_STREAM] === true ? 'HTTP/2.0' : 'HTTP/1.1';
  }

  /** Waiting for a request: the first one under timeout http-request, later ones under http-keep-alive. */
  private armWait(first: boolean): void {
    const t = this.owner.timeouts;
    if (first) this.arm(T_HTTP_REQUEST, t.httpRequest || t.client);
    else {
      const ms = t.httpKeepAlive || t.httpRequest || t.client;
      // stopping: an idle connection waits at most a second for a last request
      this.arm(T_KEEP_ALIVE, this.owner.stopping ? Math.min(ms || 1000, 1000) : ms);
    }
  }

  /** Activity on a side: moves the deadline of an inactivity timeout. */
  private touch(kind: number): void {
    if (this.timerKind !== kind) return;
    const t = this.owner.timeouts;
    const ms =
      kind === T_CLIENT
        ? t.client
        : kind === T_SERVER
          ? (this.backend?.timeouts.server ?? 0)
          : kind === T_TUNNEL
            ? this.tunnelTimeout()
            : 0;
    if (ms > 0) this.expire = performance.now() + ms;
  }

  /** The upload deadline: the sooner of the client and server timeouts, and the status it gives. */
  private uploadTimeout(): number {
    const c = this.owner.timeouts.client;
    const s = this.backend?.timeouts.server ?? 0;
    if (c === 0) return s;
    if (s === 0) return c;
    return Math.min(c, s);
  }

  private tunnelTimeout(): number {
    const be = this.backend?.timeouts;
    return be && be.tunnel > 0 ? be.tunnel : this.owner.timeouts.client || (be?.server ?? 0);
  }

  onExpire(): void {
    try {
      this.onDeadline();
    } catch (err) {
      this.internalError(err);
    }
  }

  /**
   * A bug met while handling this session: the session ends (its client sees the connection
   * close), the frontend counts an internal error, the first ones are said on stderr; the
   * process and every other session go on.
   */
  internalError(err: unknown): void {
    this.owner.counters.eint++;
    if (internalErrorsSaid < 10) {
      internalErrorsSaid++;
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(
        `[ALERT]    (${process.pid}) : internal error in frontend '${this.owner.name}', connection closed: ${text}\n`,
      );
    }
    try {
      this.close('internal error');
    } catch {
      this.client.destroy();
    }
  }

  private onDeadline(): void {
    const kind = this.timerKind;
    this.timerKind = T_NONE;
    switch (kind) {
      case T_HTTP_REQUEST:
        // HAProxy answers 408 to a first request that did not arrive in time, even an empty one
        this.replyError(408, 'timeout http-request');
        return;
      case T_KEEP_ALIVE:
        this.close('timeout http-keep-alive');
        return;
      case T_CLIENT:
        if (!this.respStarted) this.replyError(408, 'timeout client');
        else this.close('timeout client');
        return;
      case T_CONNECT:
        this.connectFailed('timeout connect', true);
        return;
      case T_SERVER:
        if (this.server !== null) this.backend?.observe?.(this.server, 'http-read-timeout');
        if (!this.respStarted) this.replyError(504, 'timeout server');
        else this.close('timeout server');
        return;
      case T_TUNNEL:
        this.close('timeout tunnel');
        return;
      case T_QUEUE:
        this.replyError(503, 'timeout queue');
        return;
      case T_UPLOAD: {
        // the server side timed out first (or with the client): HAProxy answers 504
        const s = this.backend?.timeouts.server ?? 0;
        const c = this.owner.timeouts.client;
        this.closeAfter = true;
        if (s > 0 && (c === 0 || s <= c)) this.replyError(504, 'timeout server');
        else this.replyError(408, 'timeout client');
        return;
      }
      case T_RETRY:
        if (this.state === ST_TXN && this.server) this.openConn(this.server);
        return;
      case T_TARPIT: {
        const reply = this.tarpitReply;
        this.tarpitReply = null;
        if (reply !== null && this.state === ST_TXN) {
          // the connection stays open after the answer when the request was read whole
          if (!this.reqComplete) this.closeAfter = true;
          this.sendLocalReply(reply);
        } else this.close('tarpit');
        return;
      }
    }
  }

  // --- client bytes ----------------------------------------------------------------------

  onClientData(chunk: Buffer): void {
    const st = this.state;
    if (st === ST_TUNNEL) {
      this.touch(T_TUNNEL);
      this.txIn += chunk.length;
      const conn = this.conn;
      if (conn && !conn.socket.write(chunk)) this.client.pause();
      return;
    }
    if (st === ST_CLOSED) return;
    if (st === ST_WAIT) {
      this.state = ST_HEAD;
      if (this.owner.log !== undefined) this.beginRequestLog();
      if (this.requests > 0 || this.timerKind !== T_HTTP_REQUEST) {
        const t = this.owner.timeouts;
        this.arm(T_HTTP_REQUEST, t.httpRequest || t.client);
      }
    } else if (st === ST_TXN) this.touch(T_CLIENT);
    this.parse(chunk);
  }

  private parse(chunk: Buffer): void {
    if (this.pendingIn !== null) {
      // still waiting for the current response: keep the bytes in order
      this.pendingIn = Buffer.concat([this.pendingIn, chunk]);
      return;
    }
    this.batching = true;
    this.parser ??= new HttpParser('request', this);
    const used = this.parser.execute(chunk);
    this.batching = false;
    const conn = this.conn;
    if (
      conn?.connected &&
      this.state === ST_TXN &&
      (this.pendingOut.length > 0 || (this.reqComplete && !this.reqForwarded))
    )
      this.flushPending(conn);
    if (this.localReply !== undefined && this.state === ST_TXN && !this.reqComplete) {
      // HAProxy answers at once and does not wait for the rest of the body
      this.closeAfter = true;
      this.sendLocalReply(this.localReply);
      return;
    }
    if (used < chunk.length && this.state !== ST_CLOSED) {
      const ps = this.parser!.state;
      if (ps === 'paused') {
        // a request is complete and more bytes follow: they wait for the response
        this.pendingIn = chunk.subarray(used);
        this.client.pause();
      }
    }
  }

  // --- request parser events ----------------------------------------------------------------

  onHeadersComplete(info: HeadInfo): void {
    // the version ("HTTP/1.1", "HTTP/2.0") has 8 characters
    this.txIn = htxHeadBytes(info.method.length + info.target.length + 8, info.headers);
    const r = this.log;
    if (r !== null) {
      r.tRequest = this.logTime();
      r.requestLine = formatRequestLine(
        info.method,
        info.target,
        `HTTP/${info.versionMajor}.${info.versionMinor}`,
      );
    }
    if (
      info.versionMajor === 1 &&
      info.versionMinor === 0 &&
      info.bodyKind !== 'none' &&
      (info.method === 'GET' || info.method === 'HEAD' || info.method === 'DELETE')
    ) {
      // HAProxy's HTTP/1 layer refuses a body on these HTTP/1.0 methods
      this.captureRequest();
      this.replyError(413, 'body on an HTTP/1.0 GET/HEAD/DELETE');
      return;
    }
    this.state = ST_TXN;
    this.requests++;
    this.owner.counters.req_tot++;
    countRate(this.owner.counters.req_per_sec);
    const owner = this.owner;
    const fhttp = owner.http;
    const caps = fhttp.captures;
    if (caps !== undefined) this.newCaptures(caps, info.headers);
    this.reqMethod = info.method;
    this.reqTarget = info.target;
    this.reqHeaders = info.headers;
    this.reqChunked = info.chunked;
    this.reqHasBody = info.bodyKind !== 'none';
    this.reqKeepAlive = info.keepAlive;
    this.reqUpgrade = info.upgrade || info.method === 'CONNECT';
    this.reqComplete = false;
    this.reqForwarded = false;
    this.reqTrailers = undefined;
    this.respStarted = false;
    this.respChunked = false;
    this.respReason = '';
    this.respTrailers = undefined;
    this.respKeepAlive = false;
    this.respTunnel = false;
    this.reqHttp10 = info.versionMajor === 1 && info.versionMinor === 0;
    this.reqHeadSent = false;
    this.respSent = false;
    this.reqExpect = info.expectContinue;
    this.reqBodyBytes = 0;
    this.respDone = false;
    this.mode = fhttp.mode;
    this.closeAfter = !info.keepAlive || this.mode === 'close' || owner.stopping;
    this.attempts = 0;
    this.ck = null;
    this.ckScan = false;
    this.localReply = undefined;
    this.service = null;
    // error pages and after-response rules follow the backend once it is chosen
    this.backend = null;
    this.server = null;
    // the client's inactivity now counts (request body)
    this.arm(T_CLIENT, owner.timeouts.client);
    // rules see the target as HAProxy's HTTP/1 layer leaves it
    if (info.target.charCodeAt(0) !== 0x2f) normalizeDefaultPort(info);
    if (owner.hasRules && this.reqHasBody && fhttp.bufferRequest) {
      // option http-buffer-request: the rules run once the body is here (or the buffer is full)
      if (info.expectContinue) {
        this.client.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
        dropHeader(info.headers, 'expect');
        info.expectContinue = false;
        this.reqExpect = false;
      }
      this.heldHead = info;
      return;
    }
    this.startRequest(info, undefined);
  }

  /** The rules saw the gathered body: the request goes on (head and body parts to forward). */
  private releaseHeld(): void {
    const info = this.heldHead!;
    const parts = this.heldBody;
    this.heldHead = null;
    this.heldBody = [];
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (!this.startRequest(info, body)) return;
    const out = this.pendingOut;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (this.reqChunked) out.push(chunkHeader(part.length), part, CRLF);
      else out.push(part);
    }
  }

  /**
   * The request's rules, its backend, and the head to forward; `body`: what
   * `option http-buffer-request` gathered. False when a rule answered, held or refused it.
   */
  private startRequest(info: HeadInfo, body: Buffer | undefined): boolean {
    const owner = this.owner;
    const fhttp = owner.http;
    let backend: Backend | null;
    if (owner.hasRules) {
      backend = this.requestRules(info, body);
      if (backend === null) return false; // answered, held or refused by a rule
    } else backend = owner.backendFor(this);
    this.backend = backend;
    if (this.log !== null) this.log.backend = backend.name;
    const cookie = backend.cookie;
    const capture = fhttp.captures?.cookie ?? null;
    this.ckScan = cookie !== undefined || capture !== null;
    if (this.ckScan) this.clientCookies(info, backend, cookie ?? null, capture);
    else this.ck = null;
    backend.counters.stot++;
    countRate(backend.counters.sess_per_sec);
    backend.counters.req_tot++;
    const bhttp = backendHttp(backend);
    if (bhttp !== undefined && bhttp !== fhttp) {
      this.mode = strongerMode(this.mode, bhttp.mode);
      if (this.mode === 'close') this.closeAfter = true;
    }
    this.compAlgo = null;
    if (fhttp.compression !== undefined || bhttp?.compression !== undefined)
      this.chooseCompression(info, fhttp, bhttp);
    let conn: ConnectionHeader = 'none';
    if (info.upgrade) conn = 'none';
    else if (this.mode !== 'keep-alive') {
      if (!this.reqHttp10) conn = 'close';
    } else if (this.reqHttp10 && !info.chunked) conn = 'keep-alive';
    // an HTTP/1.0 request with a chunked body: the server connection is not kept (as HAProxy)
    this.srvClose = this.mode !== 'keep-alive' || (this.reqHttp10 && info.chunked);
    const buffer = this.reqHasBody && (fhttp.bufferRequest || bhttp?.bufferRequest === true);
    if (buffer && info.expectContinue) {
      // http-buffer-request: the proxy says 100 Continue itself and the server never sees Expect
      this.client.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      dropHeader(info.headers, 'expect');
    }
    // an HTTP/2 request reaches servers in origin form (HAProxy's normalized URI), its
    // chunked framing announced last (HAProxy's HTTP/1 side adds it when writing the head)
    if (this.client[H2_STREAM] === true) {
      originForm(info);
      if (info.chunked) moveLast(info.headers, 'transfer-encoding');
      // the key of a websocket over h2 is made by the h2 layer: written last, as HAProxy
      else if (info.upgrade) moveLast(info.headers, 'sec-websocket-key');
    }
    this.reqHead = requestHead(info, conn, forwardedFor(this, info, fhttp, bhttp));
    this.pendingOut.length = 0;
    this.pendingOut.push(this.reqHead);
    if (buffer || !this.reqHasBody) this.buffering = true;
    else this.assignServer();
    return true;
  }

  /**
   * The compression algorithm for the request's response (the backend's algorithms and types
   * when it has some, else the frontend's): none for HTTP/1.0 and HEAD. `offload` hides the
   * request's Accept-Encoding from the server once an algorithm is chosen.
   */
  private chooseCompression(
    info: HeadInfo,
    fhttp: HttpProxySettings,
    bhttp: HttpProxySettings | undefined,
  ): void {
    if (this.reqHttp10 || info.method === 'HEAD') return;
    const fc = fhttp.compression;
    const bc = bhttp?.compression;
    const algorithms = bc !== undefined && bc.algorithms.length > 0 ? bc.algorithms : (fc?.algorithms ?? []);
    const algo = chooseAlgorithm(info.headers, algorithms);
    // identity changes nothing
    if (algo === undefined || algo === 'identity') return;
    this.compAlgo = algo;
    this.compTypes = bc !== undefined && bc.types.length > 0 ? bc.types : (fc?.types ?? NO_TYPES);
    if (fc?.offload === true || bc?.offload === true) dropHeader(info.headers, 'accept-encoding');
  }

  /**
   * `cookie`: the request's persistence cookie chooses its server; indirect/prefix rewrite it.
   * `capture cookie` of the frontend is taken by the same scan (`cookie` null: only that).
   */
  private clientCookies(
    info: HeadInfo,
    be: Backend,
    cookie: CookiePersistence | null,
    capture: CookieCapture | null,
  ): void {
    let t = this.ckTxn;
    if (t === null) {
      t = new CookieTxn();
      this.ckTxn = t;
    }
    t.reset();
    if (cookie === null) {
      this.ck = null;
      const got = requestCookies(info.headers, null, t, be, 0, capture);
      if (got !== undefined && this.log !== null) this.log.requestCookie = got;
      this.reqHeaders = info.headers;
      return;
    }
    this.ck = t;
    const rules = cookie.persistRules;
    if (rules !== undefined && this.env !== null) {
      const v = rules(this.env);
      t.force = v === PERSIST_FORCE;
      t.ignore = v === PERSIST_IGNORE;
    }
    const env = this.env;
    if (be.useServer !== undefined && env !== null) {
      // use-server comes first (HAProxy's order): the cookie is then only "unused"
      const name = be.useServer.select(env);
      const forced = name !== undefined ? be.servers.find((x) => x.name === name) : undefined;
      if (forced !== undefined && (be.isRunning(forced) || cookie.persistDown || t.force)) {
        t.assigned = forced;
        t.direct = true;
      }
    }
    const got = requestCookies(info.headers, cookie, t, be, Math.floor(Date.now() / 1000), capture);
    if (got !== undefined && this.log !== null) this.log.requestCookie = got;
    this.reqHeaders = info.headers;
  }

  /**
   * `cookie`, response side: the server's Set-Cookie of our name, then the inserted one; the
   * frontend's `capture cookie` reads the Set-Cookie headers in the same scan.
   */
  private serverCookies(info: HeadInfo): void {
    const t = this.ckTxn!;
    const cookie = this.ck !== null ? this.backend!.cookie! : null;
    const got = responseCookies(
      info.headers,
      cookie,
      t,
      this.server,
      this.owner.http.captures?.cookie ?? null,
    );
    if (got !== undefined && this.log !== null) this.log.responseCookie = got;
    if (cookie === null) return;
    insertCookie(
      info.headers,
      cookie,
      t,
      this.server,
      this.reqMethod,
      info.status,
      Math.floor(Date.now() / 1000),
    );
  }

  /**
   * The request's way through the rules, in HAProxy's order: monitor-uri, the frontend's
   * `http-request` then `redirect` rules, `use_backend`, then the backend's. Returns the
   * backend, or null when a rule answered, held or refused the request.
   */
  private requestRules(info: HeadInfo, body: Buffer | undefined): Backend | null {
    const owner = this.owner;
    let env = this.env;
    if (env === null) {
      env = new StreamEnv(owner.name, this.client, owner.world);
      this.env = env;
    }
    const msg = env.reqMsg;
    msg.method = info.method;
    msg.target = info.target;
    msg.version = this.reqVersion();
    msg.headers = info.headers;
    msg.body = body;
    env.req = msg;
    env.res = undefined;
    env.backend = owner.name;
    env.server = undefined;
    env.captures = this.captures ?? undefined;
    // the request line as received, for capture.req.* (rules may change msg)
    const line = env.reqLine;
    if (line === undefined) env.reqLine = { method: info.method, target: info.target, version: msg.version };
    else {
      line.method = info.method;
      line.target = info.target;
      line.version = msg.version;
    }
    env.firstRequest = this.requests === 1;
    env.vars.newTransaction();
    // stick counters: the previous request's tracking ends, the session's entries count this one
    env.newStream();
    const mon = owner.monitor;
    if (mon !== undefined && monitorMatches(mon.uri, info.target)) {
      let status = 200;
      for (let i = 0; i < mon.fail.length; i++) {
        if (mon.fail[i]!.test(env)) {
          status = 503;
          break;
        }
      }
      // the monitor page is an answer like another: the connection may stay open
      const reply = this.pageReply(status, undefined);
      if (reply === undefined) {
        this.closeAfter = true;
        this.replyError(status, 'monitor-uri');
      } else this.localReply = reply;
      return null;
    }
    const fhttp = owner.http;
    if (this.proxyPass(fhttp, env, msg, body)) return null;
    const backend = owner.backendFor(this);
    this.backend = backend;
    env.backend = backend.name;
    const bhttp = backendHttp(backend);
    if (
      bhttp !== undefined &&
      bhttp !== fhttp &&
      (bhttp.rules !== undefined || bhttp.intercept !== undefined)
    ) {
      // an answer made by the backend's rules follows the backend's connection mode too
      this.mode = strongerMode(this.mode, bhttp.mode);
      if (this.mode === 'close') this.closeAfter = true;
      if (this.proxyPass(bhttp, env, msg, body)) return null;
    }
    info.method = msg.method;
    info.target = msg.target;
    info.headers = msg.headers;
    this.reqMethod = msg.method;
    this.reqTarget = msg.target;
    this.reqHeaders = msg.headers;
    return backend;
  }

  /**
   * One proxy's pass over the request (HAProxy's http_process_req_common): its `http-request`
   * rules, then its intercepting service (`stats uri`), then its `redirect` rules. True when
   * the request was answered, held, refused or handed to a service.
   */
  private proxyPass(
    http: HttpProxySettings,
    env: StreamEnv,
    msg: StreamEnv['reqMsg'],
    body: Buffer | undefined,
  ): boolean {
    const rules = http.rules;
    if (rules !== undefined && this.ruleVerdict(rules, env, msg, false, body)) return true;
    const svc = http.intercept;
    if (svc?.claims(msg.method, msg.target)) {
      this.startService(svc, body, http === this.owner.http);
      return true;
    }
    return (
      rules !== undefined && rules.redirects !== undefined && this.ruleVerdict(rules, env, msg, true, body)
    );
  }

  /** Runs one proxy's `http-request` rules, or its `redirect` rules; true when they ended the request. */
  private ruleVerdict(
    rules: ProxyHttpRules,
    env: StreamEnv,
    msg: StreamEnv['reqMsg'],
    redirects: boolean,
    body: Buffer | undefined,
  ): boolean {
    const out = env.outcome;
    let v: number;
    if (redirects) v = rules.redirects !== undefined ? rules.redirects.run(env, msg, out) : V_CONTINUE;
    else {
      if (rules.tcpContent !== undefined && rules.tcpContent.run(env, msg, out) === V_REJECT) {
        this.close('rejected by a tcp-request content rule');
        return true;
      }
      v = rules.request !== undefined ? rules.request.run(env, msg, out) : V_CONTINUE;
    }
    // a denied or tarpitted request still has its cookie captured for the log (as HAProxy)
    if ((v === V_DENY || v === V_TARPIT) && this.log !== null && this.owner.http.captures?.cookie != null)
      this.captureDeniedCookie(msg.headers);
    switch (v) {
      case V_SERVICE: {
        const svc = out.service!;
        out.service = undefined;
        // use-service in a frontend is an interception by the frontend (HAProxy's count)
        this.startService(svc, body, this.backend === null);
        return true;
      }
      case V_REPLY:
      case V_DENY: {
        // a redirect does not wait for a request body: it closes the connection instead
        if (out.closeWithBody && this.reqHasBody) this.closeAfter = true;
        // the connection stays open after the answer unless its page says otherwise (400)
        const reply = out.reply ?? this.pageReply(out.status, v === V_REPLY ? out.extraHeader : undefined);
        if (reply === undefined) {
          this.closeAfter = true;
          this.replyError(out.status, v === V_REPLY ? 'answered by a rule' : 'denied by a rule');
        } else {
          this.localReply = reply; // sent once the request is read
          // the log says who answered (PR for a deny, LR for a return or redirect)
          if (this.log !== null)
            this.terminate(this.log, v === V_REPLY ? 'answered by a rule' : 'denied by a rule');
        }
        return true;
      }
      case V_TARPIT:
        this.tarpitReply = out.reply ?? this.pageReply(out.status, undefined) ?? null;
        this.arm(T_TARPIT, rules.tarpit);
        return true;
      case V_REJECT:
        this.close('rejected by a rule');
        return true;
      default:
        return false;
    }
  }

  /** Hands the request to a service: it answers once the request's body is read. */
  private startService(svc: HttpService, body: Buffer | undefined, byFrontend: boolean): void {
    this.service = svc;
    this.serviceBody = body !== undefined && body.length > 0 ? [body] : [];
    if (byFrontend) this.owner.counters.intercepted++;
    if (this.reqExpect) {
      // the service wants the body: the proxy says 100 Continue itself
      this.client.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      this.reqExpect = false;
    }
  }

  /** The request is read whole: the service answers it (now, or when its promise settles). */
  private runService(): void {
    const svc = this.service!;
    const parts = this.serviceBody ?? [];
    const truncated = this.reqBodyBytes > SERVICE_BODY_LIMIT;
    this.service = null;
    this.serviceBody = null;
    const env = this.env!;
    const msg = env.reqMsg;
    const req: ServiceRequest = {
      method: msg.method,
      target: msg.target,
      version: this.reqVersion(),
      headers: msg.headers,
      body: parts.length === 0 ? EMPTY_BODY : parts.length === 1 ? parts[0]! : Buffer.concat(parts),
      truncated,
      env,
    };
    let answer: ServiceReply | Promise<ServiceReply>;
    try {
      answer = svc.serve(req);
    } catch {
      answer = { status: 500 };
    }
    if (answer instanceof Promise) {
      const n = this.requests;
      answer.then(
        (r) => this.serviceDone(r, n),
        () => this.serviceDone({ status: 500 }, n),
      );
      return;
    }
    this.serviceDone(answer, this.requests);
  }

  /** Sends a service's answer, if the request it answers is still the current one. */
  private serviceDone(r: ServiceReply, request: number): void {
    if (this.state !== ST_TXN || this.requests !== request || this.respStarted) return;
    const reply: LocalReply | undefined =
      r.head !== undefined
        ? { head: r.head, body: r.body ?? EMPTY_BODY }
        : this.pageReply(r.status, r.extraHeader);
    if (reply === undefined) {
      this.closeAfter = true;
      this.replyError(r.status, 'answered by a service');
      return;
    }
    this.sendLocalReply(reply);
  }

  /**
   * The transaction's capture slots (the frontend declares some): request header captures
   * from the head as it arrived, before any rule; the rules and the response fill the rest.
   */
  private newCaptures(caps: HttpCaptures, headers: readonly string[]): void {
    const slots: CaptureSlots = {
      req: new Array<string | undefined>(caps.request.length).fill(undefined),
      res: new Array<string | undefined>(caps.response.length).fill(undefined),
    };
    captureHeaders(headers, caps.request, slots.req);
    this.captures = slots;
    if (this.env !== null) this.env.captures = slots;
    const r = this.log;
    if (r !== null) {
      if (caps.request.length > 0) r.requestCaptures = slots.req;
      if (caps.response.length > 0) r.responseCaptures = slots.res;
    }
  }

  /** `capture cookie` of a request a rule refused. */
  private captureDeniedCookie(headers: string[]): void {
    let t = this.ckTxn;
    if (t === null) {
      t = new CookieTxn();
      this.ckTxn = t;
    }
    t.reset();
    const got = requestCookies(headers, null, t, NO_SERVERS, 0, this.owner.http.captures!.cookie);
    if (got !== undefined) this.log!.requestCookie = got;
  }

  /**
   * The proxy's answer for `status` (plus a header line): the backend's `http-error` or
   * `errorfile`/`errorloc` page, else the frontend's, else the built-in page; undefined when
   * HAProxy has no page for that status.
   */
  private pageReply(status: number, extra: string | undefined): LocalReply | undefined {
    const fe = this.owner.http;
    const be = this.backend !== null ? backendHttp(this.backend) : undefined;
    const src =
      be !== undefined && (be.errorFiles.has(status) || be.errorReplies?.has(status) === true) ? be : fe;
    const dynamic = src.errorReplies?.get(status);
    let reply: LocalReply;
    if (dynamic !== undefined) reply = dynamic.fixed ?? dynamic.build(this.requestEnv());
    else {
      const m = src.errorFiles.get(status) ?? errorMessage(status);
      if (m === undefined) return undefined;
      reply = pageReply(m);
    }
    if (extra === undefined || reply.head === '') return reply;
    return { head: reply.head + extra, body: reply.body, close: reply.close === true };
  }

  /** The sample env of the current request (a reply rendered per request, `sni <expr>`), made now if the proxy has no rules. */
  requestEnv(): StreamEnv {
    let env = this.env;
    if (env === null) {
      env = new StreamEnv(this.owner.name, this.client, this.owner.world);
      this.env = env;
    }
    if (!this.owner.hasRules) {
      // no rule fills the request message: it is the current request as received
      const msg = env.reqMsg;
      msg.method = this.reqMethod;
      msg.target = this.reqTarget;
      msg.version = this.reqVersion();
      msg.headers = this.reqHeaders;
      env.req = msg;
      env.res = undefined;
      env.backend = this.backend?.name ?? this.owner.name;
      env.server = this.server?.name;
      env.reqLine = { method: this.reqMethod, target: this.reqTarget, version: msg.version };
      env.firstRequest = this.requests === 1;
    }
    return env;
  }

  /**
   * Puts a reply the proxy made into the response bytes: the `http-after-response` rules of
   * the backend then the frontend, the `connection` line HAProxy's HTTP/1 layer adds, and no
   * body in answer to HEAD.
   */
  private pushReply(reply: LocalReply): void {
    if (reply.close === true) this.closeAfter = true;
    let head = reply.head;
    if (this.env !== null) head = this.afterResponse(head);
    // the proxy's own answers count for the frontend, and the backend when one was chosen
    const status = Number(head.slice(9, 12));
    countHttpStatus(this.owner.counters, status);
    if (this.backend !== null) countHttpStatus(this.backend.counters, status);
    const ver11 = head.startsWith('HTTP/1.1');
    const conn = this.closeAfter
      ? ver11
        ? 'connection: close\r\n'
        : ''
      : this.reqHttp10 || !ver11
        ? 'connection: keep-alive\r\n'
        : '';
    this.respOut.push(`${head}${conn}\r\n`);
    if (reply.body.length > 0 && this.reqMethod !== 'HEAD') this.respOut.push(reply.body);
    this.txOut += headLogBytes(head) + (this.reqMethod !== 'HEAD' ? reply.body.length : 0);
    if (this.log !== null) this.log.status = status;
  }

  /** The `http-after-response` rules applied to a reply's head (unchanged when there are none). */
  private afterResponse(head: string): string {
    const fhttp = this.owner.http;
    const fr = fhttp.rules?.afterResponse;
    const bhttp = this.backend !== null ? backendHttp(this.backend) : undefined;
    const br = bhttp !== undefined && bhttp !== fhttp ? bhttp.rules?.afterResponse : undefined;
    if (fr === undefined && br === undefined) return head;
    const env = this.env!;
    const msg = env.resMsg;
    parseReplyHead(head, msg);
    env.res = msg;
    env.server = undefined;
    env.vars.newResponse();
    const out = env.outcome;
    if (br !== undefined) br.run(env, msg, out);
    if (fr !== undefined) fr.run(env, msg, out);
    let text = `${msg.version} ${msg.status} ${msg.reason}\r\n`;
    const h = msg.headers;
    for (let i = 0; i < h.length; i += 2) text += `${(h[i] as string).toLowerCase()}: ${h[i + 1]}\r\n`;
    return text;
  }

  onBody(slice: Buffer): void {
    this.reqBodyBytes += slice.length;
    this.txIn += slice.length;
    if (this.heldHead !== null) {
      this.heldBody.push(Buffer.from(slice));
      if (this.reqBodyBytes < BUFFER_REQUEST_LIMIT) return;
      // the buffer is full: the rules see what is there, the rest is forwarded as it comes
      this.releaseHeld();
      if (
        this.state === ST_TXN &&
        this.buffering &&
        this.localReply === undefined &&
        this.tarpitReply === null &&
        this.service === null
      ) {
        this.buffering = false;
        this.assignServer();
      }
      return;
    }
    const sb = this.serviceBody;
    if (sb !== null) {
      // past one buffer the rest is read and dropped: the service is told its body is cut
      if (this.reqBodyBytes <= SERVICE_BODY_LIMIT) sb.push(Buffer.from(slice));
      return;
    }
    if (this.localReply !== undefined || this.tarpitReply !== null) return;
    // an early answer closed the server connection: the rest of the body is read and dropped
    if (this.respDone && this.conn === null) return;
    if (this.buffering && this.reqBodyBytes >= BUFFER_REQUEST_LIMIT) {
      // the buffer is full: forward what is there and the rest as it comes (as HAProxy)
      this.buffering = false;
      if (this.reqChunked) this.pendingOut.push(chunkHeader(slice.length), slice, CRLF);
      else this.pendingOut.push(slice);
      this.assignServer();
      return;
    }
    if (this.reqChunked) this.pendingOut.push(chunkHeader(slice.length), slice, CRLF);
    else this.pendingOut.push(slice);
    // outside parse() (never today) the bytes would wait for the next flush
  }

  onTrailers(trailers: string[]): void {
    this.reqTrailers = trailers;
  }

  onMessageComplete(): void {
    this.reqComplete = true;
    if (this.reqChunked) this.txIn += Math.max(1, htxTrailerBytes(this.reqTrailers));
    if (this.heldHead !== null) {
      this.releaseHeld();
      if (this.state !== ST_TXN || this.respStarted) return; // refused or answered at once
    }
    if (this.service !== null) {
      this.parser!.pause();
      this.runService();
      return;
    }
    if (this.tarpitReply !== null) {
      this.parser!.pause();
      return;
    }
    if (this.localReply !== undefined) {
      this.parser!.pause();
      this.sendLocalReply(this.localReply);
      return;
    }
    if (this.reqChunked) this.pendingOut.push(lastChunk(this.reqTrailers));
    // the next request (pipelining) waits for this response; an upgrade request waits for the answer
    if (!this.reqUpgrade) this.parser!.pause();
    if (this.buffering) {
      // the whole request is here: now a server
      this.buffering = false;
      this.assignServer();
      return;
    }
    if (this.respDone) {
      // the answer came first: the request's tail goes to the server, then the transaction ends
      const c = this.conn;
      if (c?.connected && this.pendingOut.length > 0) writeBatch(c.socket, this.pendingOut);
      this.reqForwarded = true;
      this.finishTransaction();
      return;
    }
    if (this.timerKind === T_CLIENT || this.timerKind === T_UPLOAD) {
      const ms = this.backend?.timeouts.server ?? 0;
      this.arm(T_SERVER, ms);
    }
  }

  onError(error: HttpParseError): void {
    // a truncated request is not captured (HAProxy keeps only messages it found invalid)
    if (error.code !== 'HAP_ERR_HTTP_TRUNCATED') this.captureRequest(error);
    // an error in the same read as its head: the connection layer answers, as in HAProxy
    if (!this.reqHeadSent) this.state = ST_HEAD;
    this.replyError(error.status, error.code);
  }

  /** Error path: keeps the refused request (the head just read, without `error`) for `show errors`. */
  private captureRequest(error?: HttpParseError): void {
    const p = this.parser;
    if (p === null) return;
    const message = p.captureMessage(error, this.reqBodyBytes);
    // the request reached its backend when its head came in an earlier read (HAProxy's stream)
    captureRequestError(this.owner, this.client, message.startsWithHead ? null : this.backend, message);
  }

  // --- choosing and reaching a server ------------------------------------------------------

  private assignServer(): void {
    const be = this.backend!;
    const ck = this.ck;
    if (ck !== null && ck.assigned !== null) {
      // the persistence cookie named this server (stopped ones only with option persist/force-persist)
      const s = ck.assigned;
      if (!s.full) {
        be.take(s);
        if (be.persist !== undefined && this.env !== null) be.persist.store(this.env, s);
        this.proceed(s);
        return;
      }
      // the server is full: the request waits for it in its own queue (HAProxy's server
      // queue; `option redispatch` does not send it elsewhere either)
      this.enqueue(be, s);
      return;
    }
    if (!be.hasUsableServer()) {
      this.replyError(503, 'no server available');
      return;
    }
    if (be.useServer !== undefined && this.env !== null) {
      // use-server: the named server when it is up and has a free slot
      const name = be.useServer.select(this.env);
      const forced = name !== undefined ? be.servers.find((x) => x.name === name) : undefined;
      if (forced !== undefined && be.isUsable(forced) && !forced.full) {
        be.take(forced);
        this.proceed(forced);
        return;
      }
    }
    const persist = be.persist;
    if (persist !== undefined && this.env !== null) {
      // stick match / stick on: the server remembered for this key, when it can take the request
      const stuck = persist.match(this.env);
      if (stuck !== undefined && be.isUsable(stuck) && !stuck.full) {
        be.take(stuck);
        persist.store(this.env, stuck);
        this.proceed(stuck);
        return;
      }
    }
    const server = be.pickServer(be.needsKey ? this.requestKey() : undefined);
    if (server !== undefined && persist !== undefined && this.env !== null) persist.store(this.env, server);
    if (!server) {
      // every server is at its maxconn: wait for a slot in the backend's queue
      this.enqueue(be, null);
      return;
    }
    be.take(server);
    be.counters.lbtot++;
    server.counters.lbtot++;
    this.proceed(server);
  }

  /** What a hash-based `balance` reads of the current request. */
  private requestKey(): RequestKey {
    const headers = this.reqHeaders;
    return {
      clientIp: connectionAddresses(this.client).src,
      uri: this.reqTarget,
      method: this.reqMethod,
      header: (name) => headerValue(headers, name),
    };
  }

  /** Waits for a slot on `server` (null: any server of the backend), at most `timeout queue`. */
  private enqueue(be: Backend, server: Server | null): void {
    this.queued = true;
    this.waitsFor = server;
    be.queue.push(this);
    this.client.pause();
    this.arm(T_QUEUE, be.queueTimeout);
  }

  /** A slot on `server` was given to this queued request. */
  dequeued(server: Server): void {
    this.queued = false;
    this.waitsFor = null;
    this.proceed(server);
  }

  private proceed(server: Server): void {
    const be = this.backend!;
    this.slot = server;
    this.server = server;
    const r = this.log;
    if (r !== null) {
      r.tQueue = this.logTime();
      r.server = server.name;
    }
    // a connection this session already holds to that server
    const own = this.ownConns;
    for (let i = own.length - 1; i >= 0; i--) {
      const c = own[i]!;
      if (c.closed) {
        own.splice(i, 1);
        continue;
      }
      if (c.server === server) {
        own.splice(i, 1);
        // opened before `set server … addr`: HAProxy lets only a private (`never`) one serve on;
        // one opened for another server name (`sni <expr>`) serves no other name
        if (
          (c.addrGen !== server.addrGen && be.reuse !== 'never') ||
          (server.tls?.sniOf !== undefined && c.sni !== server.tls.sniOf(this.requestEnv()))
        ) {
          c.destroy();
          break;
        }
        this.useConn(c);
        return;
      }
    }
    // HAProxy's 'safe': a session's first request never goes over another client's connection
    const reuse = be.reuse;
    if (reuse === 'always' || reuse === 'aggressive' || (reuse === 'safe' && this.requests > 1)) {
      const idle = server.takeIdle() as ServerConn | undefined;
      if (idle !== undefined) {
        idle.session = this;
        this.useConn(idle);
        return;
      }
    }
    this.openConn(server);
  }

  private openConn(server: Server): void {
    this.attempts++;
    // a server's sessions: each connection attempt, as HAProxy counts them
    server.counters.stot++;
    countRate(server.counters.sess_per_sec);
    const c = new ServerConn(server, this);
    this.conn = c;
    const ms = this.backend!.timeouts.connect;
    this.arm(T_CONNECT, ms);
    // request bytes wait in pendingOut; stop reading the client until connected
    this.client.pause();
  }

  private useConn(c: ServerConn): void {
    // a connection already established: no connect time (HAProxy's Tc 0)
    if (this.log !== null) this.log.tConnect = this.logTime();
    c.server.counters.stot++;
    countRate(c.server.counters.sess_per_sec);
    c.session = this;
    this.conn = c;
    c.parser.resume();
    c.startOffset = c.parser.offset;
    c.parser.responseTo(this.reqMethod);
    // inside parse() the request is written once the chunk is parsed
    if (!this.batching) this.flushPending(c);
    if (this.pendingIn === null && this.client.isPaused()) this.client.resume();
  }

  /** The request no longer needs its server slot (or its place in the queue). */
  private releaseSlot(): void {
    const be = this.backend;
    if (be === null) return;
    if (this.queued) {
      this.queued = false;
      be.leaveQueue(this);
    }
    const s = this.slot;
    if (s !== null) {
      this.slot = null;
      be.releaseSlot(s);
    }
  }

  onServerConnected(c: ServerConn): void {
    if (c !== this.conn) return;
    this.backend?.observe?.(c.server, 'l4-ok');
    if (this.log !== null) this.log.tConnect = this.logTime();
    c.parser.responseTo(this.reqMethod);
    // send-proxy: the PROXY header opens the connection, before the request
    if (c.server.sendProxy !== 0) this.pendingOut.unshift(proxyHeaderFor(c.server, this.client));
    this.flushPending(c);
    if (this.state === ST_TXN && this.pendingIn === null) this.client.resume();
  }

  private flushPending(c: ServerConn): void {
    if (this.pendingOut.length > 0 && !writeBatch(c.socket, this.pendingOut)) this.client.pause();
    this.reqHeadSent = true;
    if (this.reqComplete) {
      this.reqForwarded = true;
      if (this.timerKind !== T_SERVER) this.arm(T_SERVER, this.backend!.timeouts.server);
    } else this.arm(T_UPLOAD, this.uploadTimeout());
  }

  /** A connect failed or timed out: retry (same server, as HAProxy without redispatch) or 503. */
  private connectFailed(reason: string, immediate = false): void {
    const c = this.conn;
    if (c) c.destroy();
    this.conn = null;
    if (this.state !== ST_TXN) return;
    const be = this.backend!;
    if (this.server !== null) be.observe?.(this.server, 'l4-error');
    if (this.attempts <= be.retries && this.server) {
      be.counters.wretr++;
      this.server.counters.wretr++;
      // the request bytes were not sent yet: they wait in pendingOut for the next attempt.
      // Retries go to the same server; with 'option redispatch' the last one may go elsewhere.
      let server = this.server;
      const ck = this.ck;
      // a stopped server the cookie insisted on is left at the first retry, the others at the last
      if (
        be.redispatch &&
        (ck === null || !ck.force) &&
        (this.attempts === be.retries || !be.isRunning(server))
      ) {
        const other = be.pickServer(be.needsKey ? this.requestKey() : undefined, server);
        if (other !== undefined && other !== server) {
          if (ck !== null) ck.direct = false;
          be.counters.wredis++;
          this.releaseSlot();
          be.take(other);
          this.slot = other;
          this.server = other;
          server = other;
        }
      }
      if (immediate) this.openConn(server);
      else {
        // HAProxy waits min(timeout connect, 1 s) before trying again after a connection error
        this.conn = null;
        this.arm(T_RETRY, Math.min(be.timeouts.connect || 1000, 1000));
      }
      return;
    }
    // econ counts the requests whose connection failed for good, not each attempt
    be.counters.econ++;
    if (this.server !== null) this.server.counters.econ++;
    this.replyError(503, reason);
  }

  onServerClosed(c: ServerConn): void {
    if (c !== this.conn) {
      // one of this session's idle connections
      const i = this.ownConns.indexOf(c);
      if (i >= 0) this.ownConns.splice(i, 1);
      return;
    }
    if (this.state === ST_TUNNEL) {
      this.conn = null;
      this.finishTunnel('server closed');
      return;
    }
    if (this.state !== ST_TXN) return;
    if (!c.connected) {
      this.connectFailed('connection refused');
      return;
    }
    this.conn = null;
    if (!this.respStarted) {
      // a kept-alive connection the server had closed: send the request again on a new one
      // (an HTTP/2 server's stream reset is its answer: not sent again, as HAProxy; a request
      // its HTTP/2 connection could no longer take never left: it goes on a new one)
      const h2 = c.server.h2 !== undefined;
      if (
        (h2
          ? (c.socket as Socket & { unsent?: boolean }).unsent === true
          : c.reused && c.parser.offset === c.startOffset && this.pendingIn === null) &&
        !this.reqHasBody
      ) {
        this.pendingOut.length = 0;
        this.pendingOut.push(this.reqHead);
        if (this.reqComplete) this.reqForwarded = false;
        this.attempts = 0;
        this.openConn(c.server);
        return;
      }
      // a server gone in the middle of an upload: HAProxy closes without a page
      if (!this.reqComplete) this.close('server closed during the upload');
      else {
        this.backend?.observe?.(c.server, 'http-broken-pipe');
        this.replyError(502, 'server closed before responding');
      }
      return;
    }
    // after an early answer the request body is still read (and dropped)
    if (this.respDone) return;
    // mid-response: an until-close body ends here, anything else is truncated
    c.parser.finish();
    if (this.state === ST_TXN && this.conn === null) this.close('server closed mid-response');
  }

  onServerData(c: ServerConn, chunk: Buffer): void {
    if (this.state === ST_TUNNEL) {
      this.touch(T_TUNNEL);
      this.txOut += chunk.length;
      if (!this.client.write(chunk)) c.socket.pause();
      return;
    }
    if (this.timerKind === T_SERVER) this.touch(T_SERVER);
    const used = c.parser.execute(chunk);
    if (this.logEarly) this.sendEarlyLog();
    if (used < chunk.length && c.parser.state === 'paused') {
      // the server sent more than its response: the connection cannot carry another one
      const own = this.ownConns.indexOf(c);
      if (own >= 0) this.ownConns.splice(own, 1);
      if (this.conn === c) this.conn = null;
      c.destroy();
    }
    if (this.dropReply !== null) this.finishDrop();
    else if (this.respOut.length > 0) this.flushResponse();
  }

  /** Writes what the response handlers gathered, in one write when it is small. */
  private flushResponse(): void {
    if (this.orphan) {
      this.respOut.length = 0;
      return;
    }
    if (this.respStarted) this.respSent = true;
    if (writeBatch(this.client, this.respOut)) return;
    // the client cannot take more now: stop reading the server until it drains
    this.conn?.socket.pause();
    this.arm(T_CLIENT, this.owner.timeouts.client);
  }

  // --- response parser events ----------------------------------------------------------------

  onResponseHead(info: HeadInfo): void {
    const status = info.status;
    // the response as the server sent it, interim ones included, whatever the rules change
    this.txOut += htxHeadBytes(11 + this.respReason.length, info.headers);
    // a response read from HTTP/2 frames came without the transfer-encoding added to it here
    if (info.chunked && this.server?.h2 !== undefined && h2Framed(this.conn)) this.txOut -= 24;
    if (status >= 100 && status < 200 && status !== 101) {
      // interim response (100 Continue, 103): forwarded as it came
      this.respOut.push(responseHead(info, this.respReason, 'none', false));
      return;
    }
    if (status === 101 && !this.reqUpgrade) {
      this.replyError(502, 'switching protocols without an upgrade request');
      return;
    }
    if ((info.chunked || info.bodyKind === 'until-close') && !plainChunked(info.headers)) {
      // HAProxy accepts no transfer-coding but 'chunked' alone in a response
      this.replyError(502, 'response transfer-encoding other than chunked');
      return;
    }
    if (!this.reqComplete && this.reqExpect && this.reqBodyBytes === 0) {
      // the client waited for 100 Continue and got a final answer: it sends no body, the
      // request ends here (as in HAProxy, which keeps both connections)
      this.reqComplete = true;
      this.reqForwarded = true;
      this.parser!.reset();
      this.parser!.pause();
    }
    const caps = this.owner.http.captures;
    // capture response header: the response as the server sent it
    if (caps !== undefined && this.captures !== null && caps.response.length > 0)
      captureHeaders(info.headers, caps.response, this.captures.res);
    if (this.env !== null) {
      this.env.countResponse(info.status);
      const store = this.backend?.persist?.storeResponse;
      if (store !== undefined && this.server !== null) {
        // stick store-response reads the response as the server sent it
        this.responseEnv(info);
        store(this.env, this.server);
      }
      if (this.responseRules(info)) return;
    } else if (this.ckScan) this.serverCookies(info);
    countHttpStatus(this.owner.counters, info.status);
    if (this.backend !== null) countHttpStatus(this.backend.counters, info.status);
    if (this.server !== null) {
      countHttpStatus(this.server.counters, info.status);
      this.server.counters.req_tot++;
      // observe layer7: a 5xx but 501 and 505 counts against the server
      const st = info.status;
      this.backend?.observe?.(this.server, st >= 500 && st !== 501 && st !== 505 ? 'http-status' : 'http-ok');
    }
    this.respStarted = true;
    this.respChunked = info.bodyKind === 'chunked';
    if (this.compAlgo !== null && compressible(info, this.compTypes))
      this.startCompression(info, this.compAlgo);
    this.respTunnel = status === 101 || (this.reqMethod === 'CONNECT' && status >= 200 && status < 300);
    this.respKeepAlive = info.keepAlive && !this.srvClose;
    if (status === 101 || info.bodyKind === 'until-close') this.closeAfter = true;
    // HAProxy announces what differs from the default of the response's version
    const resp10 = info.versionMajor === 1 && info.versionMinor === 0;
    let conn: ConnectionHeader = 'none';
    if (this.respTunnel) conn = 'none';
    else if (this.closeAfter) conn = resp10 || this.clientShut ? 'none' : 'close';
    else if (resp10 || this.reqHttp10) conn = 'keep-alive';
    const head = responseHead(info, this.respReason, conn, status === 204);
    this.respOut.push(head);
    const r = this.log;
    if (r !== null) {
      r.tData = this.logTime();
      r.status = info.status;
      // option logasap: the line goes once this read of the server is handled, with the body
      // bytes it brought (HAProxy logs what its buffer holds after the response analysers)
      if (this.owner.log!.early !== undefined) this.logEarly = true;
    }
  }

  /** The response goes out compressed, chunked; the frontend and backend count it. */
  private startCompression(info: HeadInfo, algo: CompressionAlgorithm): void {
    compressedHead(info, algo);
    this.respChunked = true;
    this.compressor = new Compressor(algo);
    this.compEnd = info.bodyKind === 'chunked' ? 1 : 0;
    this.owner.counters.comp_rsp++;
    if (this.backend !== null) this.backend.counters.comp_rsp++;
  }

  /** Compressed body bytes: counted in and out on the frontend and backend, sent as a chunk. */
  private sendCompressed(data: Buffer, fed: number): void {
    const fe = this.owner.counters;
    const be = this.backend?.counters;
    fe.comp_in += fed;
    fe.comp_out += data.length;
    if (be !== undefined) {
      be.comp_in += fed;
      be.comp_out += data.length;
    }
    if (data.length > 0) this.respOut.push(chunkHeader(data.length), data, CRLF);
  }

  /** option logasap: the line of the current request, now, timed at its response headers. */
  private sendEarlyLog(): void {
    this.logEarly = false;
    const r = this.log;
    if (r === null) return;
    r.tClose = r.tData;
    this.fillLogCounters(r);
    if (this.owner.log!.samples) r.env = this.requestEnv();
    this.owner.log!.early!(r);
  }

  /**
   * The backend's then the frontend's `http-response` rules, then their `http-after-response`
   * rules, on a final response. True when a rule replaced or refused the response.
   */
  private responseRules(info: HeadInfo): boolean {
    const fr = this.owner.http.rules;
    const bhttp = this.backend !== null ? backendHttp(this.backend) : undefined;
    const br = bhttp !== undefined && bhttp !== this.owner.http ? bhttp.rules : undefined;
    if (fr === undefined && br === undefined) {
      if (this.ckScan) this.serverCookies(info);
      return false;
    }
    const env = this.env!;
    const msg = this.responseEnv(info);
    const out = env.outcome;
    let v = br?.response !== undefined ? br.response.run(env, msg, out) : V_CONTINUE;
    if ((v === V_CONTINUE || v === V_ALLOW) && fr?.response !== undefined) v = fr.response.run(env, msg, out);
    if (v === V_CONTINUE || v === V_ALLOW) {
      if (this.ckScan) {
        // the persistence cookie comes after http-response rules, before http-after-response
        info.status = msg.status;
        info.headers = msg.headers;
        this.serverCookies(info);
        msg.headers = info.headers;
      }
      if (br?.afterResponse !== undefined) br.afterResponse.run(env, msg, out);
      if (fr?.afterResponse !== undefined) fr.afterResponse.run(env, msg, out);
      info.status = msg.status;
      info.headers = msg.headers;
      this.respReason = msg.reason;
      return false;
    }
    if (v !== V_REPLY && v !== V_DENY) {
      this.close('response rejected by a rule');
      return true;
    }
    // the server's response is read to its end and dropped; the reply goes once this read is handled
    this.dropReply = out.reply ??
      this.pageReply(out.status, v === V_REPLY ? out.extraHeader : undefined) ?? {
        head: '',
        body: EMPTY_BODY,
      };
    this.dropDone = false;
    this.respKeepAlive = info.keepAlive && !this.srvClose;
    return true;
  }

  /** The sample env reads the server's response (`res.hdr`, `status`, ...). */
  private responseEnv(info: HeadInfo): StreamEnv['resMsg'] {
    const env = this.env!;
    const msg = env.resMsg;
    msg.status = info.status;
    msg.reason = this.respReason;
    msg.version = info.versionMajor === 1 && info.versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1';
    msg.headers = info.headers;
    env.res = msg;
    env.server = this.server?.name;
    env.vars.newResponse();
    return msg;
  }

  /** Sends the reply that replaced the server's response; its connection is kept when that response ended. */
  private finishDrop(): void {
    const reply = this.dropReply!;
    this.dropReply = null;
    const c = this.conn;
    if (c !== null) {
      this.conn = null;
      if (this.dropDone && this.respKeepAlive && this.reqForwarded && !c.closed) {
        c.reused = true;
        c.session = null;
        this.keepConn(c);
      } else c.destroy();
    }
    this.dropDone = false;
    if (!this.reqComplete) this.closeAfter = true;
    this.sendLocalReply(reply);
  }

  onResponseBody(slice: Buffer): void {
    // counted as it came, even when a rule refused the response and the body is dropped
    this.txOut += slice.length;
    if (this.dropReply !== null) return;
    const z = this.compressor;
    if (z !== null) this.sendCompressed(z.write(slice), slice.length);
    else if (this.respChunked) this.respOut.push(chunkHeader(slice.length), slice, CRLF);
    else this.respOut.push(slice);
  }

  onResponseComplete(c: ServerConn): void {
    if (this.dropReply !== null) {
      // a dropped response ended: its connection may serve again (see finishDrop)
      this.dropDone = true;
      c.parser.pause();
      return;
    }
    if (!this.respStarted) {
      // an interim response ended: the final one follows on the same connection
      c.parser.responseTo(this.reqMethod);
      return;
    }
    if (this.respTunnel) return; // onResponseTunnel follows
    // logasap: the whole response came in the read of its headers, the stream still holds its server
    if (this.logEarly) this.sendEarlyLog();
    // bytes after the response (more than its length, a body to HEAD) are not a next response
    c.parser.pause();
    const z = this.compressor;
    if (z !== null) {
      this.compressor = null;
      this.sendCompressed(z.end(), this.compEnd);
    }
    if (this.respChunked) {
      this.respOut.push(lastChunk(this.respTrailers));
      // HTTP/2 frames end a body without a last chunk: only trailers count there
      const trailers = htxTrailerBytes(this.respTrailers);
      this.txOut += this.server?.h2 !== undefined && h2Framed(c) ? trailers : Math.max(1, trailers);
    }
    // sent before anything the next (pipelined) request may write
    this.flushResponse();
    if (!this.reqComplete) {
      if (!this.respKeepAlive) {
        // an early answer from a server that closes: HAProxy closes the client too
        this.closeAfter = true;
        this.reqComplete = true;
        this.finishTransaction();
        return;
      }
      // an early answer: the rest of the request body is still forwarded (as HAProxy does)
      this.respDone = true;
      return;
    }
    this.finishTransaction();
  }

  /** Both messages are done: the server connection is kept for this session or closed, then the next request. */
  private finishTransaction(): void {
    const c = this.conn;
    if (c !== null) {
      this.conn = null;
      if (this.respKeepAlive && this.reqForwarded && !c.closed) {
        c.reused = true;
        c.session = null;
        this.keepConn(c);
      } else c.destroy();
    }
    this.endTransaction();
  }

  onResponseError(c: ServerConn, error: HttpParseError): void {
    const be = this.backend;
    if (be !== null && error.code !== 'HAP_ERR_HTTP_TRUNCATED')
      captureResponseError(this.owner, be, c.server, this.client, c.parser.captureMessage(error));
    this.backend?.observe?.(c.server, 'http-invalid');
    this.respOut.length = 0;
    this.conn = null;
    c.destroy();
    // nothing sent yet (head and bad body in one read): still time for a 502
    if (!this.respSent) {
      this.respStarted = false;
      this.replyError(502, error.code);
    } else this.close('invalid response body');
  }

  onResponseTunnel(c: ServerConn, rest: Buffer): void {
    // 101 Switching Protocols (or 2xx to CONNECT): both sides now carry raw bytes
    this.state = ST_TUNNEL;
    if (rest.length > 0) this.respOut.push(rest);
    this.flushResponse();
    this.arm(T_TUNNEL, this.tunnelTimeout());
    const early = this.pendingIn;
    this.pendingIn = null;
    if (early !== null && early.length > 0) c.socket.write(early);
    this.client.resume();
  }

  private finishTunnel(reason: string): void {
    const c = this.client;
    this.state = ST_CLOSED;
    c.end();
    this.done(reason);
  }

  private keepConn(c: ServerConn): void {
    const own = this.ownConns;
    own.push(c);
    // HAProxy's max-session-srv-conns (10): older ones go to the server's idle list
    if (own.length > 10) this.release(own.shift()!);
  }

  /** A connection this session no longer needs: to the server's idle list, or closed. */
  private release(c: ServerConn): void {
    c.session = null;
    if (c.closed) return;
    // a connection that announced this client's addresses (send-proxy) serves no other client
    // one opened before `set server … addr` goes to the old address: no one takes it again
    // one whose server name came from this client (`sni ssl_fc_sni`, `sni <expr>`) is not shared
    if (
      this.backend?.reuse === 'never' ||
      this.owner.stopping ||
      c.server.sendProxy !== 0 ||
      c.addrGen !== c.server.addrGen ||
      c.sni !== undefined ||
      c.server.tls?.forwardClientSni === true
    )
      c.destroy();
    else if (!c.server.putIdle(c)) c.destroy();
  }

  // --- end of a transaction -----------------------------------------------------------------

  private endTransaction(): void {
    this.releaseSlot();
    // HAProxy's counters in the line no longer count this request
    if (this.log !== null) this.emitLog('');
    this.countTraffic();
    // a stop announced the close with the response (closeAfter is set from `stopping`)
    if (this.closeAfter || !this.reqComplete) {
      this.state = ST_CLOSED;
      this.disarm();
      this.client.end();
      // the rest of an unread request body is read and dropped (ST_CLOSED): a socket left paused
      // would close with bytes unread, and the kernel's reset could take the response with it
      this.client.resume();
      // a client that keeps sending without ever closing is cut, as after an error page
      this.client.setTimeout(this.owner.timeouts.client || LINGER_MS);
      this.client.once('timeout', destroySocket);
      this.done('closed after response');
      return;
    }
    this.state = ST_WAIT;
    if (this.owner.log !== undefined) {
      this.logT0 = performance.now();
      this.logDate = Date.now();
    }
    this.armWait(false);
    this.parser!.resume();
    const rest = this.pendingIn;
    this.pendingIn = null;
    if (rest !== null) {
      this.state = ST_HEAD;
      // a pipelined request: its line starts now, as the first byte is already here
      if (this.owner.log !== undefined) this.beginRequestLog();
      const t = this.owner.timeouts;
      this.arm(T_HTTP_REQUEST, t.httpRequest || t.client);
      this.parse(rest);
    }
    if ((this.state === ST_WAIT || this.state === ST_HEAD) && this.pendingIn === null) this.client.resume();
  }

  private sendLocalReply(reply: LocalReply): void {
    this.respStarted = true;
    if (reply.head === '') {
      // an empty errorfile: nothing is sent, the connection is closed
      if (this.respOut.length > 0) this.flushResponse();
      this.close('empty error page');
      return;
    }
    this.pushReply(reply);
    this.flushResponse();
    this.endTransaction();
  }

  /** Answers with an error page (the `errorfile` one if configured) and closes the connection. */
  /**
   * Answers with an error. Before a request head was parsed (400, 408 of timeout http-request)
   * HAProxy's connection layer sends its raw page and closes. Once a request exists, the page
   * (or the `errorfile` one) is a response like another: the connection stays open when the
   * request was complete and both sides allow it, as HAProxy does after a 503.
   */
  replyError(status: number, reason: string): void {
    if (this.state === ST_CLOSED) return;
    if (this.owner.log !== undefined) {
      // a request timed out before its first byte is logged too
      if (this.log === null) this.startLog();
      this.terminate(this.log!, reason);
    }
    if (this.conn) {
      this.conn.destroy();
      this.conn = null;
    }
    if (this.respOut.length > 0) writeBatch(this.client, this.respOut);
    if (this.state === ST_TXN && !this.respStarted) {
      this.respStarted = true;
      if (!this.reqComplete) this.closeAfter = true;
      const reply = this.pageReply(status, undefined);
      if (reply !== undefined && reply.head !== '') {
        this.pushReply(reply);
        writeBatch(this.client, this.respOut);
        if (!this.closeAfter) {
          this.parser!.pause();
          this.endTransaction();
          return;
        }
      }
    } else if (this.state !== ST_TXN) {
      // logged with its status, and 0 bytes (as HAProxy counts the connection layer's pages)
      if (this.log !== null) this.log.status = status;
      const page = connectionErrorPage(status);
      if (page !== undefined) this.client.write(page);
    }
    this.state = ST_CLOSED;
    this.disarm();
    // ends our side once the page is written, then closes; a client that never reads is cut later
    const c = this.client;
    c.setTimeout(this.owner.timeouts.client || LINGER_MS);
    c.once('timeout', destroySocket);
    c.destroySoon();
    this.done(reason);
  }

  private disarm(): void {
    this.timerKind = T_NONE;
    if (this.wheelSlot >= 0) this.owner.wheel.disarm(this);
  }

  /** Ends the session now (error, timeout, hard stop). Idempotent. */
  close(reason: string): void {
    if (this.state === ST_CLOSED && this.endReason !== '') return;
    this.state = ST_CLOSED;
    this.disarm();
    if (this.conn) {
      this.conn.destroy();
      this.conn = null;
    }
    this.client.destroy();
    this.done(reason);
  }

  private done(reason: string): void {
    if (this.endReason !== '') return;
    this.endReason = reason;
    this.compressor = null;
    this.env?.releaseAll();
    this.disarm();
    this.releaseSlot();
    if (this.log !== null) this.emitLog(reason);
    this.countTraffic();
    const own = this.ownConns;
    for (let i = 0; i < own.length; i++) this.release(own[i]!);
    own.length = 0;
    this.owner.sessionClosed(this);
  }

  // --- traffic log ---------------------------------------------------------------------------

  /** The current request's log record, from its first byte. */
  private startLog(): void {
    const r = newLogRecord(this.owner.name, this.client, this.logDate);
    r.backendMode = 'http';
    const caps = this.owner.http.captures;
    if (caps !== undefined) {
      // declared captures show as empty until something is captured
      r.requestCaptures = caps.emptyRequest;
      r.responseCaptures = caps.emptyResponse;
    }
    r.tIdle = this.logTime();
    this.log = r;
  }

  /**
   * A request's first byte came: its record starts, and a proxy without a log format logs
   * HAProxy's accept-time line (one per stream, so one per request).
   */
  private beginRequestLog(): void {
    this.startLog();
    this.owner.log!.accepted?.(this.log!);
  }

  /** ms since the connection became ready for the current request. */
  private logTime(): number {
    return Math.round(performance.now() - this.logT0);
  }

  /** The termination letters for why the request ended (the first reason given wins). */
  private terminate(r: LogRecord, reason: string): void {
    if (r.termCause !== 'none') return;
    const phase = r.tData >= 0 ? 'data' : r.tConnect >= 0 ? 'headers' : r.tQueue >= 0 ? 'connect' : 'request';
    switch (reason) {
      case 'no server available':
      case 'connection refused':
        setTermination(r, 'server-abort', 'connect');
        break;
      case 'timeout connect':
        setTermination(r, 'server-timeout', 'connect');
        break;
      case 'timeout queue':
        setTermination(r, 'server-timeout', 'queue');
        break;
      case 'timeout server':
        setTermination(r, 'server-timeout', phase === 'data' ? 'data' : 'headers');
        break;
      case 'timeout client':
      case 'timeout http-request':
        setTermination(r, 'client-timeout', phase === 'data' ? 'data' : 'request');
        break;
      case 'timeout tunnel':
        setTermination(r, 'client-timeout', 'data');
        break;
      case 'server closed before responding':
        setTermination(r, 'server-abort', 'headers');
        break;
      case 'server closed mid-response':
      case 'server closed':
        setTermination(r, 'server-abort', 'data');
        break;
      case 'client closed':
      case 'client aborted':
      case 'client error':
        setTermination(r, 'client-abort', phase);
        break;
      case 'denied by a rule':
      case 'response rejected by a rule':
        setTermination(r, 'proxy', phase === 'data' || phase === 'headers' ? 'headers' : 'request');
        break;
      case 'answered by a rule':
      case 'monitor-uri':
        setTermination(r, 'local', 'request');
        break;
      case 'hard stop':
        setTermination(r, 'killed', phase);
        break;
      case '':
      case 'closed after response':
      case 'soft stop':
      case 'timeout http-keep-alive':
        break;
      default:
        // the HTTP parsers' refusals (400, 413, 501, 502 of a bad response)
        setTermination(r, 'proxy', r.tConnect >= 0 ? 'headers' : 'request');
    }
  }

  /** The request ended: its line goes to the frontend's log. */
  private emitLog(reason: string): void {
    const r = this.log!;
    this.log = null;
    this.terminate(r, reason);
    if (this.logEarly) {
      // logasap, and the response ended in the read that brought its headers: timed as early
      this.logEarly = false;
      r.tClose = r.tData;
    } else r.tClose = this.logTime();
    this.fillLogCounters(r);
    if (this.owner.log!.samples) r.env = this.requestEnv();
    this.owner.log!.emit(r);
  }

  /** The transaction's bytes go to the `bin`/`bout` of its frontend, backend and server. */
  private countTraffic(): void {
    const bin = this.txIn;
    const bout = this.txOut;
    if (bin === 0 && bout === 0) return;
    this.txIn = 0;
    this.txOut = 0;
    const fe = this.owner.counters;
    fe.bin += bin;
    fe.bout += bout;
    const be = this.backend;
    if (be === null) return;
    be.counters.bin += bin;
    be.counters.bout += bout;
    const srv = this.server;
    if (srv === null) return;
    srv.counters.bin += bin;
    srv.counters.bout += bout;
  }

  /** The request's and response's bytes, retries and the backend and server counts, as the line reports them now. */
  private fillLogCounters(r: LogRecord): void {
    r.bytesIn = this.txIn;
    r.bytesOut = this.txOut;
    r.retries = this.attempts > 0 ? this.attempts - 1 : 0;
    const be = this.backend;
    r.beconn = be !== null ? be.currentConns() : 0;
    r.srvconn = this.server !== null ? this.server.served : 0;
    const ck = this.ck;
    if (be !== null && be.cookie?.logged === true)
      r.cookie = ck !== null ? { client: ck.client, server: ck.server } : NO_COOKIE;
  }

  /** Between requests, nothing received yet (a soft stop closes such connections at once). */
  isIdle(): boolean {
    return this.state === ST_WAIT && this.requests > 0;
  }

  /** The client went away. */
  onClientGone(reason: string): void {
    if (this.endReason !== '') return;
    if (this.state === ST_TXN && this.reqComplete && this.conn !== null && !this.respStarted) {
      // HAProxy (without option abortonclose) lets the server answer, then drops the answer
      this.orphan = true;
      if (this.log !== null) setTermination(this.log, 'client-abort', 'headers');
      this.closeAfter = true;
      return;
    }
    if (this.state === ST_TUNNEL) {
      const c = this.conn;
      this.conn = null;
      if (c) c.socket.end();
      this.state = ST_CLOSED;
      this.done(reason);
      return;
    }
    this.close(reason);
  }

  /** The client shut its sending side: fine between requests only if nothing is pending. */
  onClientEnd(): void {
    if (this.state === ST_TUNNEL) {
      this.conn?.socket.end();
      return;
    }
    if (this.state === ST_WAIT) {
      this.close('client closed');
      return;
    }
    if (this.state === ST_HEAD) {
      // a request cut by the client: HAProxy's "CR" even when its parser answers 400
      if (this.log !== null) setTermination(this.log, 'client-abort', 'request');
      this.parser!.finish();
      // finish() may have answered 400 and closed
      if (this.endReason === '') this.close('client closed');
      return;
    }
    // in a transaction: HAProxy still sends the response of a complete request, and closes
    // silently when the body was cut
    if (this.state === ST_TXN && !this.reqComplete) {
      this.close('client aborted');
      return;
    }
    this.clientShut = true;
    this.closeAfter = true;
  }
}

/** Largest batch joined into one string for a single write (bigger ones are written part by part, corked). */
const BATCH_COPY_MAX = 4096;

/** Writes the parts in order and empties the list; returns false when the socket asks to wait (drain). */
function writeBatch(s: Socket, parts: (string | Buffer)[]): boolean {
  const n = parts.length;
  if (n === 1) {
    const x = parts[0]!;
    parts.length = 0;
    return typeof x === 'string' ? s.write(x, 'latin1') : s.write(x);
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += parts[i]!.length;
  let ok = true;
  if (total <= BATCH_COPY_MAX) {
    let text = '';
    for (let i = 0; i < n; i++) {
      const x = parts[i]!;
      text += typeof x === 'string' ? x : x.latin1Slice(0, x.length);
    }
    ok = s.write(text, 'latin1');
  } else {
    s.cork();
    for (let i = 0; i < n; i++) {
      const x = parts[i]!;
      ok = typeof x === 'string' ? s.write(x, 'latin1') : s.write(x);
    }
    s.uncork();
  }
  parts.length = 0;
  return ok;
}

function onClientData(this: ClientSocket, chunk: Buffer): void {
  const st = this[SESSION];
  if (st === undefined) return;
  try {
    st.onClientData(chunk);
  } catch (err) {
    st.internalError(err);
  }
}

/** Internal errors said on stderr so far (a bug hit by every request must not flood it). */
let internalErrorsSaid = 0;

function onClientDrain(this: ClientSocket): void {
  const st = this[SESSION];
  if (!st) return;
  // the client took the response bytes: read the server again
  const c = st.conn;
  if (c && !c.closed) c.socket.resume();
}

function onClientError(this: ClientSocket): void {
  // 'close' follows
}

function onClientClose(this: ClientSocket): void {
  this[SESSION]?.onClientGone('client closed');
}

function onClientEnd(this: ClientSocket): void {
  this[SESSION]?.onClientEnd();
}

// --- helpers --------------------------------------------------------------------------------

const HTTP_SETTINGS = Symbol('hap.backend-http');

/** HTTP settings attached to a backend (set by the application when the backend is `mode http`). */
export function setBackendHttp(backend: Backend, settings: HttpProxySettings): void {
  (backend as Backend & { [HTTP_SETTINGS]?: HttpProxySettings })[HTTP_SETTINGS] = settings;
}

function backendHttp(backend: Backend): HttpProxySettings | undefined {
  return (backend as Backend & { [HTTP_SETTINGS]?: HttpProxySettings })[HTTP_SETTINGS];
}

const MODE_RANK: Record<HttpConnectionMode, number> = { 'keep-alive': 0, 'server-close': 1, close: 2 };

/**
 * `monitor-uri`: a value starting with '/' is compared with the path and its query (so
 * `/health?x` is not `/health`), any other with the whole target.
 */
function monitorMatches(uri: string, target: string): boolean {
  if (uri.charCodeAt(0) !== 0x2f) return uri === target;
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const scheme = target.indexOf('://');
    if (scheme < 0) return false;
    start = target.indexOf('/', scheme + 3);
    if (start < 0) return false;
  }
  return target.length - start === uri.length && target.startsWith(uri, start);
}

/** Reads a reply head (`HTTP/1.1 200 OK\r\nname: value\r\n…`) into a message for the after-response rules. */
function parseReplyHead(head: string, msg: HttpMessage): void {
  let eol = head.indexOf('\r\n');
  if (eol < 0) eol = head.length;
  const line = head.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  msg.version = line.slice(0, sp1);
  msg.status = Number(line.slice(sp1 + 1, sp2 < 0 ? line.length : sp2));
  msg.reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
  const headers: string[] = [];
  let at = eol + 2;
  while (at < head.length) {
    let end = head.indexOf('\r\n', at);
    if (end < 0) end = head.length;
    const colon = head.indexOf(':', at);
    if (colon > at && colon < end) headers.push(head.slice(at, colon), head.slice(colon + 1, end).trim());
    at = end + 2;
  }
  msg.headers = headers;
  msg.body = undefined;
}

function strongerMode(a: HttpConnectionMode, b: HttpConnectionMode): HttpConnectionMode {
  return MODE_RANK[a] >= MODE_RANK[b] ? a : b;
}

/** Removes every field of that (lower-case) name from a flat header list. */
function dropHeader(headers: string[], lowerName: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if ((headers[r] as string).toLowerCase() === lowerName) continue;
    headers[w++] = headers[r] as string;
    headers[w++] = headers[r + 1] as string;
  }
  headers.length = w;
}

/** No Transfer-Encoding, or exactly `chunked`. */
function plainChunked(headers: string[]): boolean {
  const te = headerValue(headers, 'transfer-encoding');
  return te === undefined || te.trim().toLowerCase() === 'chunked';
}

function ipv4ToInt(ip: string): number {
  let v = 0;
  let part = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      v = v * 256 + part;
      part = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) part = part * 10 + (c - 0x30);
    else return -1;
  }
  return dots === 3 ? (v * 256 + part) >>> 0 : -1;
}

function forwardedFor(
  session: HttpSession,
  info: HeadInfo,
  front: HttpProxySettings,
  back: HttpProxySettings | undefined,
): ExtraHeader | undefined {
  const ff = back?.forwardFor ?? front.forwardFor;
  if (ff === undefined) return undefined;
  const ip = connectionAddresses(session.client).src;
  if (ff.except !== undefined) {
    const v = ipv4ToInt(ip);
    if (v >= 0 && (v & ff.except[1]) >>> 0 === ff.except[0]) return undefined;
  }
  if (ff.ifNone && headerValue(info.headers, ff.header) !== undefined) return undefined;
  return { name: ff.header, value: ip };
}

/** A message head's size as HAProxy counts it for %U/%B: each header line 4 bytes less than on the wire. */
/** Whether a server connection carries its responses as HTTP/2 streams (not HTTP/1.1 chosen by ALPN). */
function h2Framed(c: ServerConn | null): boolean {
  return c !== null && (c.socket as Socket & { h2Framed?: boolean }).h2Framed === true;
}

/** A reply made here ("start line\r\nname: value\r\n…") as HAProxy counts it (htxHeadBytes). */
function headLogBytes(head: string): number {
  const lines = head.split('\r\n');
  const fields: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon > 0) fields.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  // the two spaces between the start line's parts are not counted
  return htxHeadBytes((lines[0] as string).length - 2, fields);
}
