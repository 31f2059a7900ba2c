// What a traffic log line is made of: one LogRecord per logged stream (per request in
// HTTP), filled by the proxy as the stream goes on, rendered when it ends (or as soon as
// possible with `option logasap`). The timers follow HAProxy's strm_logs: each one is the
// moment an event happened, in milliseconds since the accept date, or -1 when it did not;
// the %T* aliases are differences between them.
//
//   accept   handshake  idle    request   queue     connect   response   close
//     |---- Th ---|---- Ti ----|--- TR ---|-- Tw --|-- Tc --|--- Tr ---|--- Td ---|
//     0      tHandshake  tHandshake+tIdle tRequest  tQueue   tConnect   tData     tClose
import type { SampleEnv } from '@hap/sample';
import type { CookieStates, TerminationCause, TerminationPhase } from './termination.ts';

export interface LogRecord {
  // --- when (set at accept; in HTTP, for each request after the first, the moment the
  // connection was ready for it: end of the previous response) ---
  /** The accept date, ms since the epoch (%t, %T, %Tl, %Ts, %ms; %tr adds Th + Ti). */
  acceptDate: number;

  // --- timers: ms since acceptDate, -1 when the event did not happen ---
  /** Th: handshakes (PROXY protocol, TLS) done; 0 without any, and for later requests. */
  tHandshake: number;
  /** Ti: idle time before the first byte of the request (HTTP); -1 when nothing came. */
  tIdle: number;
  /** When the request headers were complete (HTTP), or the connection attempt began (TCP); -1: never. */
  tRequest: number;
  /** When the stream left the queues (a server slot was granted); -1: never. */
  tQueue: number;
  /** When the server connection was established; -1: never. */
  tConnect: number;
  /** When the complete response headers arrived (HTTP); -1: never. */
  tData: number;
  /** When the stream ended (both sides closed), or when the log was emitted with logasap. */
  tClose: number;

  // --- the client connection (set at accept, after any PROXY header) ---
  /** %ci: IPv4 dotted quad or IPv6 text; 'unix' for a unix socket; undefined: unknown ('-'). */
  clientAddress: string | undefined;
  /** %cp: the port; for a unix socket, the listener's id. */
  clientPort: number;
  /** %fi: the address the client connected to (same conventions). */
  frontendAddress: string | undefined;
  /** %fp. */
  frontendPort: number;
  /** %f, %ft: the frontend (or listen section) name. */
  frontend: string;
  /** The listener is TLS (`bind … ssl`): %ft ends with '~'. */
  frontendSsl: boolean;
  /** %sslv: the TLS version (e.g. "TLSv1.3"); undefined without TLS. */
  sslVersion: string | undefined;
  /** %sslc: the TLS cipher name; undefined without TLS. */
  sslCipher: string | undefined;
  // The connection facts `option httpslog` and `error-log-format` print with %[fc_err],
  // %[ssl_fc_err], %[ssl_c_err], %[ssl_c_ca_err], %[ssl_fc_is_resumed] and %[ssl_fc_sni]: the
  // log renders them from here (not from the sample environment), so whoever terminates TLS
  // fills them and every log format sees them. Without TLS they stay as createLogRecord sets
  // them, and render as HAProxy renders a clear connection: "0/-/-/-/0 -".
  /** %[fc_err]: HAProxy's connection error code (CO_ER_*), 0 when none. */
  connError: number;
  /** %[ssl_fc_err]: the OpenSSL error of the front connection (0: none); undefined without TLS ('-'). */
  sslError: number | undefined;
  /** %[ssl_c_err]: the first client-certificate verification error (0: none); undefined without TLS. */
  sslClientCertError: number | undefined;
  /** %[ssl_c_ca_err]: the first CA-chain verification error (0: none); undefined without TLS. */
  sslClientCaError: number | undefined;
  /** %[ssl_fc_is_resumed]: the TLS session was resumed (false also without TLS, printed 0). */
  sslResumed: boolean;
  /** %[ssl_fc_sni]: the SNI the client sent; undefined without TLS or without SNI. */
  sslSni: string | undefined;

  // --- the backend side (set when a backend is chosen, a server connection made) ---
  /** %b: the backend name; the frontend's name until a switching rule picks another. */
  backend: string;
  /** The backend's mode (%Td measures from tData in HTTP, from tConnect in TCP). */
  backendMode: 'tcp' | 'http';
  /** %s: the server that got the stream last; undefined: "<NOSRV>". An applet's name ("<STATS>", "<CACHE>") goes here too. */
  server: string | undefined;
  /** %bi, %bp: the source address and port of the server connection; undefined: '-'. */
  backendSourceAddress: string | undefined;
  backendSourcePort: number;
  /** %si, %sp: the server's address and port; undefined: '-'. */
  serverAddress: string | undefined;
  serverPort: number;

  // --- counters (read when the log is built) ---
  /** %ac: connections on the process. */
  actconn: number;
  /** %fc: connections on the frontend. */
  feconn: number;
  /** %bc: connections on the backend (served and queued). */
  beconn: number;
  /** %sc: connections on the server; 0 without a server. */
  srvconn: number;
  /** %rc: connection retries. */
  retries: number;
  /** A redispatch happened: %rc gets a '+' in front. */
  redispatched: boolean;
  /** %sq, %bq: requests processed before this one in the server queue, in the backend queue. */
  srvQueue: number;
  backendQueue: number;
  /** %rt: the stream's number, counted from 0 over the process (HAProxy's uniq_id). */
  requestCounter: number;
  /** %lc: lines the frontend logged before this one. */
  logCounter: number;

  // --- bytes ---
  /** %U: bytes from the client (request, body included). */
  bytesIn: number;
  /** %B: bytes to the client (response headers and body; with logasap, what was sent so far). */
  bytesOut: number;

  // --- outcome ---
  /** %ST: the HTTP status sent to the client; 0 in TCP and before any status, -1 when unknown. */
  status: number;
  /** %ts, %tsc: who ended the stream and in which phase. */
  termCause: TerminationCause;
  termPhase: TerminationPhase;
  /** The persistence cookie letters of %tsc; undefined when the backend has no `cookie` ("--"). */
  cookie: CookieStates | undefined;

  // --- HTTP (undefined in TCP or when nothing was captured) ---
  /**
   * %r and %H*: the request line "METHOD URI VERSION" as HAProxy rebuilds it (HTTP/2
   * requests get "HTTP/2.0"), at most 1023 bytes (`tune.http.logurilen`); undefined when no
   * valid request was received ("<BADREQ>").
   */
  requestLine: string | undefined;
  /** %CC: `capture cookie` in the request, "name=value" cut to its `len`; undefined: '-'. */
  requestCookie: string | undefined;
  /** %CS: the same cookie in the response's Set-Cookie. */
  responseCookie: string | undefined;
  /**
   * %hr/%hrl: one entry per `capture request header` of the frontend, in declaration
   * order, each cut to its `len` (undefined when the header was absent); undefined when the
   * frontend declares no request capture.
   */
  requestCaptures: ReadonlyArray<string | undefined> | undefined;
  /** %hs/%hsl: the same for `capture response header`. */
  responseCaptures: ReadonlyArray<string | undefined> | undefined;
  /** %ID: the request's unique id (`unique-id-format`); undefined: '-'. */
  uniqueId: string | undefined;

  /** What %[sample] expressions read; undefined: every %[…] prints '-'. */
  env: SampleEnv | undefined;
  /**
   * The line went out already (`option logasap` sent it early, or `set-log-level silent`
   * dropped it): the end of the stream sends nothing more.
   */
  sent: boolean;
}

/**
 * A record with nothing happened yet: every timer -1 (Th 0), no server, no bytes. The
 * proxy creates one per stream at accept and fills it as events come.
 */
export function createLogRecord(frontend: string, acceptDate: number): LogRecord {
  return {
    acceptDate,
    tHandshake: 0,
    tIdle: -1,
    tRequest: -1,
    tQueue: -1,
    tConnect: -1,
    tData: -1,
    tClose: 0,
    clientAddress: undefined,
    clientPort: 0,
    frontendAddress: undefined,
    frontendPort: 0,
    frontend,
    frontendSsl: false,
    sslVersion: undefined,
    sslCipher: undefined,
    connError: 0,
    sslError: undefined,
    sslClientCertError: undefined,
    sslClientCaError: undefined,
    sslResumed: false,
    sslSni: undefined,
    backend: frontend,
    backendMode: 'tcp',
    server: undefined,
    backendSourceAddress: undefined,
    backendSourcePort: 0,
    serverAddress: undefined,
    serverPort: 0,
    actconn: 0,
    feconn: 0,
    beconn: 0,
    srvconn: 0,
    retries: 0,
    redispatched: false,
    srvQueue: 0,
    backendQueue: 0,
    requestCounter: 0,
    logCounter: 0,
    bytesIn: 0,
    bytesOut: 0,
    status: 0,
    termCause: 'none',
    termPhase: 'none',
    cookie: undefined,
    requestLine: undefined,
    requestCookie: undefined,
    responseCookie: undefined,
    requestCaptures: undefined,
    responseCaptures: undefined,
    uniqueId: undefined,
    env: undefined,
    sent: false,
  };
}

/** HAProxy's request line for %r: "METHOD URI VERSION", cut to `max` bytes (default 1023). */
export function formatRequestLine(method: string, uri: string, version: string, max = 1023): string {
  const line = `${method} ${uri} ${version}`;
  return line.length > max ? line.slice(0, max) : line;
}

/**
 * What HAProxy's internal message adds to the text of a start line and its headers: the start
 * line's block (its three parts without separators, plus 20) and the end of the headers (1).
 */
const HTX_HEAD_OVERHEAD = 21;

/**
 * An HTTP message head's size as HAProxy counts it for `%U`/`%B` and for the `bin`/`bout`
 * counters: its internal sizes, not the bytes on the wire. `startParts` is the length of the
 * start line's three parts together (method + URI + version, or version + status + reason);
 * `headers` the flat `[name0, value0, …]` list as received. Each header counts its name and
 * value, except that HAProxy's HTTP/1 layer takes the `close` and `keep-alive` tokens out of
 * `Connection` (the header goes when nothing is left).
 */
export function htxHeadBytes(startParts: number, headers: readonly string[]): number {
  let n = startParts + HTX_HEAD_OVERHEAD;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    // 'c' first: user-agent and keep-alive have ten letters too
    if (name.length === 10 && (name.charCodeAt(0) | 0x20) === 0x63 && name.toLowerCase() === 'connection')
      n += connectionBytes(value);
    else n += name.length + value.length;
  }
  return n;
}

/** Trailers as HAProxy counts them: each name and value, and their end (1). */
export function htxTrailerBytes(trailers: readonly string[] | undefined): number {
  if (trailers === undefined || trailers.length === 0) return 0;
  let n = 1;
  for (let i = 0; i < trailers.length; i++) n += (trailers[i] as string).length;
  return n;
}

/** A `Connection` header's count once `close` and `keep-alive` are out of it (0: it goes). */
function connectionBytes(value: string): number {
  const v = connectionValue(value);
  return v === '' ? 0 : 10 + v.length;
}

const DROPPED_TOKEN = /^[ \t]*(?:close|keep-alive)[ \t]*$/i;

/**
 * The value HAProxy keeps: untouched when it has neither token; otherwise what precedes the
 * first one stays as written, and each later token that stays follows with a bare comma
 * ("a, close, b" keeps "a,b"; "a , b , close" keeps "a , b ").
 */
function connectionValue(value: string): string {
  if (!/close|keep-alive/i.test(value)) return value;
  const parts = value.split(',');
  const first = parts.findIndex((p) => DROPPED_TOKEN.test(p));
  if (first < 0) return value;
  let out = parts.slice(0, first).join(',');
  for (let i = first + 1; i < parts.length; i++) {
    const p = parts[i] as string;
    if (DROPPED_TOKEN.test(p)) continue;
    const token = p.replace(/^[ \t]+/, '');
    if (token === '') continue;
    out = out === '' ? token : `${out},${token}`;
  }
  return out;
}

/**
 * A whole HTTP/1 message as HAProxy counts it (see htxHeadBytes): `startLine` as written
 * ("GET / HTTP/1.1", "HTTP/1.1 200 OK"), the body's payload without chunk framing, and for a
 * chunked body its end (1) and its trailers.
 */
export function httpLogBytes(
  startLine: string,
  headers: readonly string[],
  bodyBytes: number,
  chunked: boolean,
  trailers?: readonly string[],
): number {
  // the two spaces that separate the start line's parts are not counted
  const n = htxHeadBytes(startLine.length - 2, headers) + bodyBytes;
  return chunked ? n + Math.max(1, htxTrailerBytes(trailers)) : n;
}
