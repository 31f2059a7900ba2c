import { type HttpErrorCode, HttpParseError } from './errors.ts';
import {
  BY_LENGTH,
  H_CONNECTION,
  H_CONTENT_LENGTH,
  H_EXPECT,
  H_HOST,
  H_OTHER,
  H_SEC_WEBSOCKET_KEY,
  H_TRANSFER_ENCODING,
  H_UPGRADE,
  HEXVAL,
  METHOD_NAMES,
  METHODS_BY_LENGTH,
  TCHAR,
  URICHAR,
} from './tables.ts';

/*
 * The parser is one state machine over the bytes it is given.
 *
 *            ┌──────────────── next message (pipelining) ─────────────────┐
 *            v                                                            │
 *   HEAD ──(empty line)──> onHeadersComplete ─┬─ none ────────────────> COMPLETE
 *     │ start line, header lines              ├─ length ─> BODY_LENGTH ──>│
 *     │ (copied into the head buffer,         ├─ chunked ─> CHUNK_SIZE <─────────┐
 *     │  parsed one line at a time)           │     │ size>0      │ size=0       │
 *     v                                       │     v             v              │
 *   ERROR (sticky)                            │  CHUNK_DATA ──> DATA_END ────────┘
 *                                             │                TRAILERS ──> COMPLETE
 *                                             └─ until-close ─> UNTIL_CLOSE ── finish() ─> COMPLETE
 *
 *   COMPLETE ─┬─ request with Upgrade / CONNECT ──> PAUSED (resume() → HEAD)
 *             ├─ response 101, 2xx to CONNECT ────> TUNNEL (onTunnel(rest), stop)
 *             └─ otherwise ───────────────────────> HEAD
 *
 * Head bytes (start line, headers, trailers) are copied into one preallocated buffer
 * (the equivalent of HAProxy's input buffer), so a line may arrive in any number of
 * pieces; body bytes are never copied: onBody receives subarrays of the input.
 */

const S_HEAD = 0;
const S_TRAILERS = 1;
const S_BODY_LENGTH = 2;
const S_UNTIL_CLOSE = 3;
const S_CHUNK_SIZE = 4;
const S_CHUNK_SIZE_MORE = 5;
const S_CHUNK_SIZE_WS = 6;
const S_CHUNK_EXT = 7;
const S_CHUNK_SIZE_CR = 8;
const S_CHUNK_DATA = 9;
const S_CHUNK_DATA_END = 10;
const S_CHUNK_DATA_CR = 11;
const S_PAUSED = 12;
const S_TUNNEL = 13;
const S_ERROR = 14;
const S_CLOSED = 15;

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const BSLASH = 0x5c;

// Transfer-Encoding flags, as HAProxy's H1_MF_XFER_ENC / TE_CHUNKED / CHNK / TE_OTHER.
const TE_PRESENT = 1;
const TE_CHUNKED = 2;
const TE_LAST_CHUNKED = 4;
const TE_OTHER = 8;

/** Chunk sizes of 2^52 and more are refused (HAProxy: "never more than 13 hex digits"). */
const MAX_CHUNK_SIZE = 2 ** 52;
const MAX_CONTENT_LENGTH = 2n ** 63n - 1n;

/**
 * What a header block costs in HAProxy's internal (HTX) representation besides the
 * names and values: a fixed part, 8 bytes per block (start line, each header, end of
 * headers) and 24 bytes of start-line descriptor. Measured against HAProxy 2.6.12 with
 * tune.bufsize 16384 / tune.maxrewrite 1024: heads whose accounted size exceeds
 * 15360 are refused, every other head is accepted (see the README).
 */
const HTX_FIXED = 45;
const HTX_BLOCK = 8;
const HTX_START_LINE = 24;

/** HAProxy keeps header names of at most 255 bytes. */
const MAX_NAME_LENGTH = 255;

/** Head bytes are copied into the head buffer this many at a time. */
const HEAD_WINDOW = 2048;

/**
 * Head buffers are lent to a parser only while it reads a head, so a connection that is idle
 * or inside a body holds none: 10,000 idle keep-alive connections do not pin 160 MB.
 * Buffers of the default size are kept for the next parser.
 */
const EMPTY_HEAD = Buffer.alloc(0);
const DEFAULT_BUFFER_SIZE = 16384;
const HEAD_POOL: Buffer[] = [];
const HEAD_POOL_MAX = 64;

/**
 * HAProxy's HTTP/1 message states (`enum h1m_state`), by number: `show errors` names the
 * state where an error was met.
 */
const H1_STATES = [
  'MSG_RQBEFORE',
  'MSG_RQBEFORE_CR',
  'MSG_RQMETH',
  'MSG_RQMETH_SP',
  'MSG_RQURI',
  'MSG_RQURI_SP',
  'MSG_RQVER',
  'MSG_RQLINE_END',
  'MSG_RPBEFORE',
  'MSG_RPBEFORE_CR',
  'MSG_RPVER',
  'MSG_RPVER_SP',
  'MSG_RPCODE',
  'MSG_RPCODE_SP',
  'MSG_RPREASON',
  'MSG_RPLINE_END',
  'MSG_HDR_FIRST',
  'MSG_HDR_NAME',
  'MSG_HDR_COL',
  'MSG_HDR_L1_SP',
  'MSG_HDR_L1_LF',
  'MSG_HDR_L1_LWS',
  'MSG_HDR_VAL',
  'MSG_HDR_L2_LF',
  'MSG_HDR_L2_LWS',
  'MSG_LAST_LF',
  'MSG_CHUNK_SIZE',
  'MSG_DATA',
  'MSG_CHUNK_CRLF',
  'MSG_TRAILERS',
  'MSG_DONE',
  'MSG_TUNNEL',
] as const;

// HAProxy's H1 message flags (H1_MF_*), as `show errors` prints them.
const MF_CLEN = 0x1;
const MF_CHNK = 0x2;
const MF_RESP = 0x4;
const MF_VER_11 = 0x10;
const MF_CONN_CLO = 0x20;
const MF_CONN_KAL = 0x40;
const MF_CONN_UPG = 0x80;
const MF_XFER_LEN = 0x100;
const MF_XFER_ENC = 0x200;
/** NO_PHDR | CLEAN_CONN_HDR: how HAProxy's HTTP/1 layer always parses. */
const MF_ALWAYS = 0x1400;
const MF_METH_CONNECT = 0x2000;
const MF_METH_HEAD = 0x4000;
const MF_UPG_WEBSOCKET = 0x8000;
const MF_TE_CHUNKED = 0x10000;
const MF_TE_OTHER = 0x20000;

/**
 * HAProxy's HTTP/1 input buffer holds at most tune.bufsize less this many bytes (room kept
 * for its internal message header): what `show errors` shows of a message never goes beyond.
 */
const INPUT_BUFFER_RESERVE = 64;

/** Characters HAProxy accepts inside a request's version token (A-Z, 0-9, '.', '/'). */
function isVersionChar(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2f)
  );
}

/**
 * A rejected message as HAProxy's `show errors` reports it: the bytes its input buffer held,
 * where the error is in them, and the HTTP/1 parser's state and figures at that point.
 */
export interface MessageCapture {
  /** The message's bytes received so far, from its first byte (a copy). */
  readonly bytes: Buffer;
  /** Where the error is in `bytes`. */
  readonly errorPos: number;
  /**
   * `bytes` begin with the message's head (it was read, at least partly, by the read being
   * parsed); false: they are only the body bytes a later read brought.
   */
  readonly startsWithHead: boolean;
  /** HAProxy's H1 message state number and name (`MSG_HDR_NAME`, 17). */
  readonly state: number;
  readonly stateName: string;
  /** HAProxy's H1 message flags (H1_MF_*) that hold for what was parsed. */
  readonly flags: number;
  /**
   * HAProxy's "chunk len" and "body len": the Content-Length seen (both), or in a chunked
   * body 0 and the body bytes received before the error.
   */
  readonly chunkLen: number;
  readonly bodyLen: number;
}

export type HttpParserKind = 'request' | 'response';
export type BodyKind = 'none' | 'length' | 'chunked' | 'until-close';
export type HttpParserState = 'head' | 'body' | 'trailers' | 'paused' | 'tunnel' | 'error' | 'closed';

/** The head of a message as the parser understood it. One object per parser, refilled per message. */
export interface HeadInfo {
  /** Fields in arrival order, `[name0, value0, name1, value1, ...]`: names in the case received, values trimmed of
   * surrounding blanks, folded lines joined with spaces, bytes as latin1. A new array per message: keep it freely. */
  headers: string[];
  /** The message's Content-Length, -1 when absent or overridden by Transfer-Encoding. */
  contentLength: number;
  /** Both Content-Length and Transfer-Encoding were present: the length is ignored (HAProxy removes it). */
  contentLengthIgnored: boolean;
  chunked: boolean;
  bodyKind: BodyKind;
  /** The connection may carry another message after this one (version, Connection tokens, framing). */
  keepAlive: boolean;
  /** `Connection: upgrade` and an `Upgrade` header are present. */
  upgrade: boolean;
  /** HTTP/1.1 request with `Expect: 100-continue`. */
  expectContinue: boolean;
  /** The request's Host header value (the first one), or null. */
  host: string | null;
  versionMajor: number;
  versionMinor: number;
  /** Request method ('' for a response). */
  method: string;
  /** Request target ('' for a response). */
  target: string;
  /** Response status (0 for a request). */
  status: number;
}

/** Receives a parser's events. The parser calls it synchronously from execute()/finish(); it must not throw. */
export interface HttpHandler {
  onMessageBegin?(): void;
  onRequestLine?(method: string, target: string, versionMajor: number, versionMinor: number): void;
  onStatusLine?(versionMajor: number, versionMinor: number, status: number, reason: string): void;
  /** `info` is reused for the next message: copy what must outlive the callback (its `headers` array may be kept). */
  onHeadersComplete(info: HeadInfo): void;
  /** A slice of the Buffer given to execute() (no copy): valid as long as that Buffer is. */
  onBody(slice: Buffer): void;
  /** Trailer fields of a chunked message, flat like `headers`; only called when there is at least one. */
  onTrailers?(trailers: string[]): void;
  onMessageComplete(): void;
  /** The message is invalid; the parser stops for good. */
  onError(error: HttpParseError): void;
  /** A response switched protocols (101, or 2xx to CONNECT): `rest` is what followed its head in this chunk. */
  onTunnel?(rest: Buffer): void;
}

export interface HttpParserOptions {
  /** Largest accounted head (tune.bufsize - tune.maxrewrite). Default 15360. */
  maxHeaderBytes?: number;
  /** Largest raw head in bytes, from the start line to the empty line (tune.bufsize). Default 16384. */
  bufferSize?: number;
  /** tune.http.maxhdr: a head may hold at most maxHeaders - 1 fields. Default 101. */
  maxHeaders?: number;
}

declare global {
  interface Buffer {
    /** Node's own latin1 decoder without the argument checks of toString(). */
    latin1Slice(start: number, end: number): string;
  }
}

function isLws(c: number | undefined): boolean {
  return c === SP || c === HT;
}

export class HttpParser {
  readonly kind: HttpParserKind;
  private readonly handler: HttpHandler;
  private readonly maxHeaderBytes: number;
  private readonly bufferSize: number;
  private readonly maxHeaders: number;
  private readonly isResponse: boolean;
  /** The head buffer while a head is being read; EMPTY_HEAD between heads (see takeHead). */
  private head: Buffer;
  /** The Buffer execute() is working on (EMPTY_HEAD outside it): read only on the error path. */
  private input: Buffer;
  private readonly info: HeadInfo;

  private st: number;
  /** Bytes consumed by previous execute() calls: stream offset of the current chunk's first byte. */
  private consumed: number;
  private headLen: number;
  private headStreamOffset: number;
  private lineStart: number;
  private startLineDone: boolean;
  private pendStart: number;
  private pendEnd: number;
  private pendFolded: boolean;
  private fieldCount: number;
  private accounted: number;
  private fields: string[];
  private targetOffset: number;
  private authorityStart: number;
  private authorityEnd: number;
  private scheme: string;
  // semantics of the current head
  private clSeen: boolean;
  private clValue: number;
  private clBig: bigint;
  private te: number;
  private connClose: boolean;
  private connKeepAlive: boolean;
  private connUpgrade: boolean;
  private hasUpgrade: boolean;
  private upgradeWebsocket: boolean;
  private hasWsKey: boolean;
  // body
  private remaining: number;
  private chunkLineLen: number;
  private tunnelReported: boolean;
  private requestMethod: string;

  constructor(kind: HttpParserKind, handler: HttpHandler, options: HttpParserOptions = {}) {
    this.kind = kind;
    this.handler = handler;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 15360;
    this.bufferSize = options.bufferSize ?? 16384;
    this.maxHeaders = options.maxHeaders ?? 101;
    this.isResponse = kind === 'response';
    this.head = EMPTY_HEAD;
    this.input = EMPTY_HEAD;
    this.info = {
      headers: [],
      contentLength: -1,
      contentLengthIgnored: false,
      chunked: false,
      bodyKind: 'none',
      keepAlive: false,
      upgrade: false,
      expectContinue: false,
      host: null,
      versionMajor: 1,
      versionMinor: 1,
      method: '',
      target: '',
      status: 0,
    };
    this.st = S_HEAD;
    this.consumed = 0;
    this.headLen = 0;
    this.headStreamOffset = 0;
    this.lineStart = 0;
    this.startLineDone = false;
    this.pendStart = -1;
    this.pendEnd = 0;
    this.pendFolded = false;
    this.fieldCount = 0;
    this.accounted = HTX_FIXED;
    this.fields = this.info.headers;
    this.targetOffset = 0;
    this.authorityStart = -1;
    this.authorityEnd = -1;
    this.scheme = '';
    this.clSeen = false;
    this.clValue = -1;
    this.clBig = 0n;
    this.te = 0;
    this.connClose = false;
    this.connKeepAlive = false;
    this.connUpgrade = false;
    this.hasUpgrade = false;
    this.upgradeWebsocket = false;
    this.hasWsKey = false;
    this.remaining = 0;
    this.chunkLineLen = 0;
    this.tunnelReported = false;
    this.requestMethod = 'GET';
  }

  /**
   * For HAProxy's `show errors`: the current message as its input buffer would hold it, with
   * the position of `error` in it (no error: the position just after the head, for a message
   * the caller refuses from onHeadersComplete). Only meaningful from inside a handler callback
   * (onError, onHeadersComplete), while execute() holds the bytes: it copies them.
   * `bodyBytes`: the body bytes of this message the handler received (onBody) so far.
   */
  captureMessage(error?: HttpParseError, bodyBytes = 0): MessageCapture {
    const chunk = this.input;
    const cs = this.consumed;
    const hs = this.headStreamOffset;
    let start = cs;
    let parts: Buffer[] = [chunk];
    let startsWithHead = true;
    if (hs >= cs && hs <= cs + chunk.length) {
      // the message began in this chunk
      start = hs;
      parts = [chunk.subarray(hs - cs)];
    } else if (hs < cs && this.head !== EMPTY_HEAD && cs - hs <= this.head.length) {
      // its head began in earlier chunks: their bytes are in the head buffer
      start = hs;
      parts = [this.head.subarray(0, cs - hs), chunk];
    } else startsWithHead = false;
    let bytes = Buffer.concat(parts);
    const room = Math.max(0, this.bufferSize - INPUT_BUFFER_RESERVE);
    if (bytes.length > room) bytes = bytes.subarray(0, room);
    const at = error === undefined ? hs + this.headLen : error.offset;
    const errorPos = Math.min(Math.max(0, at - start), bytes.length);
    const code = error?.code;
    // the head was read whole when the error was found (HAProxy checks these after it)
    const afterHead =
      code === undefined ||
      code === 'HAP_ERR_HTTP_WEBSOCKET_KEY' ||
      code === 'HAP_ERR_HTTP_TE_UNSUPPORTED' ||
      code === 'HAP_ERR_HTTP_CHUNK_SIZE' ||
      code === 'HAP_ERR_HTTP_CHUNK_CRLF' ||
      (code === 'HAP_ERR_HTTP_TRANSFER_ENCODING' && at >= hs + this.headLen);
    const info = this.info;
    const resp = this.isResponse;
    const lineOk = resp ? info.status !== 0 : info.method !== '';
    const chunkedLast = (this.te & TE_LAST_CHUNKED) !== 0;
    let flags = MF_ALWAYS;
    if (resp) {
      flags |= MF_RESP;
      if (this.requestMethod === 'HEAD') flags |= MF_METH_HEAD;
      if (this.requestMethod === 'CONNECT') flags |= MF_METH_CONNECT;
    }
    if (lineOk && (info.versionMajor > 1 || (info.versionMajor === 1 && info.versionMinor >= 1)))
      flags |= MF_VER_11;
    else if (resp && !lineOk && this.startLineDone && this.head.length >= 9 && isLws(this.head[8])) {
      // HAProxy notes a response's version as soon as it is followed by a blank
      const v = this.version(0);
      if (v >= 11) flags |= MF_VER_11;
    }
    if (this.clSeen) flags |= MF_CLEN;
    if (this.te & TE_PRESENT) flags |= MF_XFER_ENC;
    if (this.te & TE_CHUNKED) flags |= MF_TE_CHUNKED;
    if (this.te & TE_OTHER) flags |= MF_TE_OTHER;
    if (this.connClose) flags |= MF_CONN_CLO;
    if (this.connKeepAlive) flags |= MF_CONN_KAL;
    if (this.connUpgrade) flags |= MF_CONN_UPG;
    if (!resp && this.upgradeWebsocket) flags |= MF_UPG_WEBSOCKET;
    // the length is known once the head passed HAProxy's post-parsing
    const postParsed = afterHead && code !== 'HAP_ERR_HTTP_TRANSFER_ENCODING';
    if (postParsed) {
      if (chunkedLast) flags |= MF_CHNK | MF_XFER_LEN;
      else if ((this.clSeen && !(this.te & TE_PRESENT)) || (!resp && !(this.te & TE_PRESENT)))
        flags |= MF_XFER_LEN;
    }
    let state: number;
    switch (code) {
      case undefined:
      case 'HAP_ERR_HTTP_WEBSOCKET_KEY':
      case 'HAP_ERR_HTTP_TE_UNSUPPORTED':
        // the head was accepted: the state it led to
        state = chunkedLast ? 26 : this.clSeen && this.clValue > 0 ? 27 : 30;
        break;
      case 'HAP_ERR_HTTP_METHOD':
      case 'HAP_ERR_HTTP_REQUEST_LINE':
        state = 2;
        break;
      case 'HAP_ERR_HTTP_TARGET':
        state = 4;
        break;
      case 'HAP_ERR_HTTP_VERSION':
        // a character outside the version token stops the line; a malformed token (or none,
        // HTTP/0.9) is refused once the head is read
        state = error?.message !== 'invalid HTTP version' || this.isRequestVersionChar(at) ? 27 : 6;
        break;
      case 'HAP_ERR_HTTP_STATUS_LINE':
        state = error?.message === 'invalid status code' ? 12 : 10;
        break;
      case 'HAP_ERR_HTTP_HEADER_NAME':
      case 'HAP_ERR_HTTP_OBS_FOLD':
        state = 17;
        break;
      case 'HAP_ERR_HTTP_BARE_CR':
        state = this.startLineDone ? 23 : resp ? 14 : 4;
        break;
      case 'HAP_ERR_HTTP_HEAD_TOO_LARGE':
        state = 22;
        break;
      case 'HAP_ERR_HTTP_AUTHORITY_MISMATCH':
        state = 25;
        break;
      case 'HAP_ERR_HTTP_CHUNK_SIZE':
        state = 26;
        break;
      case 'HAP_ERR_HTTP_CHUNK_CRLF':
        state = 28;
        break;
      case 'HAP_ERR_HTTP_TRANSFER_ENCODING':
        state = afterHead ? 27 : 24;
        break;
      case 'HAP_ERR_HTTP_TRUNCATED':
        state = this.st === S_TRAILERS ? 29 : this.startLineDone ? 22 : resp ? 10 : 2;
        break;
      default:
        // Content-Length, Host, too many fields: found when the field line ends
        state = 24;
    }
    const chunkError = code === 'HAP_ERR_HTTP_CHUNK_SIZE' || code === 'HAP_ERR_HTTP_CHUNK_CRLF';
    const len = chunkError ? 0 : this.clSeen ? this.clValue : 0;
    return {
      bytes,
      errorPos,
      startsWithHead,
      state,
      stateName: H1_STATES[state]!,
      flags,
      chunkLen: len,
      bodyLen: chunkError ? bodyBytes : len,
    };
  }

  /** Whether the byte at stream offset `at` (in the head buffer) may be part of a version token. */
  private isRequestVersionChar(at: number): boolean {
    const k = at - this.headStreamOffset;
    return k >= 0 && k < this.head.length && isVersionChar(this.head[k]);
  }

  /** Where the parser is. 'head' between messages too. */
  get state(): HttpParserState {
    switch (this.st) {
      case S_HEAD:
        return 'head';
      case S_TRAILERS:
        return 'trailers';
      case S_PAUSED:
        return 'paused';
      case S_TUNNEL:
        return 'tunnel';
      case S_ERROR:
        return 'error';
      case S_CLOSED:
        return 'closed';
      default:
        return 'body';
    }
  }

  /** Total bytes consumed since creation or reset(). */
  get offset(): number {
    return this.consumed;
  }

  /**
   * Response parsers: the method of the request the next final response answers
   * (HEAD: no body; CONNECT: 2xx opens a tunnel). Reset to GET after each final response,
   * before onMessageComplete, so the handler may set it for the next one from there.
   */
  responseTo(method: string): void {
    this.requestMethod = method;
  }

  /** Request parsers: continue after a request that asked for an upgrade or CONNECT the server refused. */
  resume(): void {
    if (this.st === S_PAUSED) this.startMessage();
  }

  /**
   * Called from onMessageComplete: stop after this message, so execute() returns the offset
   * just after it (a pipelined request waits until the current response is sent).
   * resume() continues with the next message.
   */
  pause(): void {
    if (this.st !== S_ERROR && this.st !== S_CLOSED && this.st !== S_TUNNEL) this.st = S_PAUSED;
  }

  /** Back to the initial state, ready for a new connection. */
  reset(): void {
    this.consumed = 0;
    this.requestMethod = 'GET';
    this.startMessage();
  }

  /**
   * Parses `chunk`. Returns how many of its bytes were consumed: all of them, unless the
   * parser stopped (error, pause after an upgrade request, tunnel); then the offset where it stopped.
   * Nothing happens after a stop: execute() returns 0.
   */
  execute(chunk: Buffer): number {
    const len = chunk.length;
    this.input = chunk;
    let i = 0;
    loop: while (i < len) {
      switch (this.st) {
        case S_HEAD:
        case S_TRAILERS:
          i = this.readHead(chunk, i);
          break;
        case S_BODY_LENGTH: {
          const start = i;
          const n = Math.min(len - i, this.remaining);
          this.remaining -= n;
          i += n;
          this.handler.onBody(chunk.subarray(start, i));
          if (this.remaining === 0) this.complete();
          break;
        }
        case S_UNTIL_CLOSE:
          this.handler.onBody(chunk.subarray(i));
          i = len;
          break;
        case S_CHUNK_SIZE:
        case S_CHUNK_SIZE_MORE:
        case S_CHUNK_SIZE_WS:
        case S_CHUNK_EXT:
        case S_CHUNK_SIZE_CR:
        case S_CHUNK_DATA:
        case S_CHUNK_DATA_END:
        case S_CHUNK_DATA_CR:
          i = this.readChunked(chunk, i);
          break;
        default:
          break loop;
      }
    }
    if (this.st === S_TUNNEL && !this.tunnelReported) {
      this.tunnelReported = true;
      this.handler.onTunnel?.(chunk.subarray(i));
    }
    this.consumed += i;
    this.input = EMPTY_HEAD;
    if (this.head !== EMPTY_HEAD) {
      if (this.headLen === 0 || (this.st !== S_HEAD && this.st !== S_TRAILERS)) this.releaseHead();
      else if (this.head.length > this.headLen) this.shrinkHead();
    }
    return i;
  }

  /** The peer closed its side: completes an until-close body; a message cut short is an error. */
  finish(): void {
    switch (this.st) {
      case S_UNTIL_CLOSE:
        this.st = S_CLOSED;
        this.handler.onMessageComplete();
        return;
      case S_HEAD:
        if (this.headLen === 0 && !this.startLineDone) {
          this.st = S_CLOSED;
          return;
        }
        break;
      case S_PAUSED:
      case S_TUNNEL:
      case S_ERROR:
      case S_CLOSED:
        this.st = this.st === S_ERROR ? S_ERROR : S_CLOSED;
        return;
    }
    this.fail('HAP_ERR_HTTP_TRUNCATED', 'connection closed in the middle of a message', this.consumed, 400);
  }

  // ---------------------------------------------------------------------------------------
  // head

  private startMessage(): void {
    this.st = S_HEAD;
    this.headLen = 0;
    this.lineStart = 0;
    this.startLineDone = false;
    this.pendStart = -1;
    this.pendFolded = false;
    this.fieldCount = 0;
    this.accounted = HTX_FIXED;
    this.fields = [];
    this.authorityStart = -1;
    this.authorityEnd = -1;
    this.scheme = '';
    this.clSeen = false;
    this.clValue = -1;
    this.clBig = 0n;
    this.te = 0;
    this.connClose = false;
    this.connKeepAlive = false;
    this.connUpgrade = false;
    this.hasUpgrade = false;
    this.upgradeWebsocket = false;
    this.hasWsKey = false;
    this.remaining = 0;
    this.tunnelReported = false;
    const info = this.info;
    info.headers = this.fields;
    info.contentLength = -1;
    info.contentLengthIgnored = false;
    info.chunked = false;
    info.bodyKind = 'none';
    info.keepAlive = false;
    info.upgrade = false;
    info.expectContinue = false;
    info.host = null;
    info.method = '';
    info.target = '';
    info.status = 0;
  }

  private startTrailers(): void {
    this.st = S_TRAILERS;
    this.headLen = 0;
    this.lineStart = 0;
    this.pendStart = -1;
    this.pendFolded = false;
    this.fieldCount = 0;
    this.accounted = HTX_FIXED;
    this.fields = [];
  }

  private takeHead(): void {
    const size = this.bufferSize + 1;
    this.head = (size === DEFAULT_BUFFER_SIZE + 1 && HEAD_POOL.pop()) || Buffer.allocUnsafe(size);
  }

  /**
   * A head still incomplete after a chunk keeps only its bytes so far (a slow or idle client
   * holds a few hundred bytes, not a whole buffer); readHead() takes a full buffer again.
   */
  private shrinkHead(): void {
    const part = Buffer.allocUnsafe(this.headLen);
    this.head.copy(part, 0, 0, this.headLen);
    this.releaseHead();
    this.head = part;
  }

  private releaseHead(): void {
    const h = this.head;
    this.head = EMPTY_HEAD;
    if (h.length === DEFAULT_BUFFER_SIZE + 1 && HEAD_POOL.length < HEAD_POOL_MAX) HEAD_POOL.push(h);
  }

  /** Copies bytes into the head buffer up to each LF and handles every completed line. */
  private readHead(chunk: Buffer, i: number): number {
    const len = chunk.length;
    const st = this.st;
    if (this.head.length <= this.bufferSize) {
      // no buffer, or the bytes kept by shrinkHead(): continue in a full one
      const part = this.head;
      this.takeHead();
      if (this.headLen > 0) part.copy(this.head, 0, 0, this.headLen);
    }
    while (i < len) {
      if (this.headLen === 0) this.headStreamOffset = this.consumed + i;
      const base = this.headLen;
      const room = this.bufferSize - base;
      if (room === 0) {
        this.fail(
          'HAP_ERR_HTTP_HEAD_TOO_LARGE',
          `head larger than ${this.bufferSize} bytes`,
          this.consumed + i,
          400,
        );
        return i;
      }
      // one copy for a window of bytes (most heads fit in one), then the lines in it
      const stop = i + Math.min(len - i, room, HEAD_WINDOW);
      chunk.copy(this.head, base, i, stop);
      let from = i;
      let restart = false;
      const head = this.head;
      for (;;) {
        // scan the copy (a JS loop beats a native indexOf call on short lines)
        let q = base + (from - i);
        const qEnd = base + (stop - i);
        while (q < qEnd && head[q] !== LF) q++;
        if (q === qEnd) {
          // no line end yet: a CR followed by anything but LF will never become one
          const bad = head.indexOf(CR, base + (from - i));
          if (bad >= 0 && bad < qEnd - 1) {
            this.headLen = qEnd;
            this.fail('HAP_ERR_HTTP_BARE_CR', 'CR not followed by LF', this.at(bad + 1), 400);
            return stop;
          }
          break;
        }
        const lf = i + (q - base);
        this.headLen = base + (lf + 1 - i);
        this.lineDone();
        from = lf + 1;
        if (this.st !== st) return from;
        if (this.headLen === 0) {
          // an empty line before the message was dropped: copy again from here
          restart = true;
          break;
        }
      }
      if (restart) {
        i = from;
        continue;
      }
      this.headLen = base + (stop - i);
      i = stop;
    }
    return i;
  }

  private lineDone(): void {
    const head = this.head;
    const s = this.lineStart;
    let e = this.headLen - 1;
    if (e > s && head[e - 1] === CR) e--;
    this.lineStart = this.headLen;
    if (this.st === S_HEAD && !this.startLineDone) {
      if (e === s) {
        // empty lines before a message are skipped
        this.headLen = 0;
        this.lineStart = 0;
        return;
      }
      this.startLineDone = true;
      this.handler.onMessageBegin?.();
      if (this.isResponse) this.parseStatusLine(s, e);
      else this.parseRequestLine(s, e);
      return;
    }
    if (e === s) {
      if (this.pendStart >= 0 && !this.finishField()) return;
      if (this.st === S_TRAILERS) this.endOfTrailers();
      else this.endOfHead();
      return;
    }
    const c = head[s];
    if (c === SP || c === HT) {
      if (this.pendStart < 0) {
        this.fail(
          'HAP_ERR_HTTP_OBS_FOLD',
          'folded line without a header before it',
          this.headStreamOffset + s,
          400,
        );
        return;
      }
      this.pendEnd = e;
      this.pendFolded = true;
      return;
    }
    if (this.pendStart >= 0 && !this.finishField()) return;
    this.pendStart = s;
    this.pendEnd = e;
    this.pendFolded = false;
  }

  private str(s: number, e: number): string {
    return this.head.latin1Slice(s, e);
  }

  private at(pos: number): number {
    return this.headStreamOffset + pos;
  }

  /** `HTTP/d.d` at pos: returns major * 10 + minor, or -1. */
  private version(pos: number): number {
    const h = this.head;
    if (
      h[pos] !== 0x48 ||
      h[pos + 1] !== 0x54 ||
      h[pos + 2] !== 0x54 ||
      h[pos + 3] !== 0x50 ||
      h[pos + 4] !== 0x2f ||
      h[pos + 6] !== 0x2e
    ) {
      return -1;
    }
    const maj = (h[pos + 5] ?? 0) - 0x30;
    const min = (h[pos + 7] ?? 0) - 0x30;
    if (maj < 0 || maj > 9 || min < 0 || min > 9) return -1;
    return maj * 10 + min;
  }

  private parseRequestLine(s: number, e: number): boolean {
    const h = this.head;
    let p = s;
    while (p < e && TCHAR[h[p] ?? 0] === 1) p++;
    if (p === s) return this.fail('HAP_ERR_HTTP_METHOD', 'invalid character in method', this.at(p), 400);
    if (p === e)
      return this.fail('HAP_ERR_HTTP_REQUEST_LINE', 'request line without target', this.at(p), 400);
    if (!isLws(h[p])) return this.fail('HAP_ERR_HTTP_METHOD', 'invalid character in method', this.at(p), 400);
    const method = this.methodString(s, p);
    while (p < e && isLws(h[p])) p++;
    const ts = p;
    while (p < e && URICHAR[h[p] ?? 0] === 1) p++;
    if (p === ts) return this.fail('HAP_ERR_HTTP_TARGET', 'invalid character in target', this.at(p), 400);
    if (p === e) {
      return this.fail('HAP_ERR_HTTP_VERSION', 'HTTP/0.9 request (no version) refused', this.at(p), 400);
    }
    if (!isLws(h[p])) return this.fail('HAP_ERR_HTTP_TARGET', 'invalid character in target', this.at(p), 400);
    const te = p;
    while (p < e && isLws(h[p])) p++;
    const v = e - p === 8 ? this.version(p) : -1;
    if (v < 0) {
      // HAProxy points at the first byte that cannot be part of a version, else at the version
      let q = p;
      while (q < e && isVersionChar(h[q])) q++;
      return this.fail('HAP_ERR_HTTP_VERSION', 'invalid HTTP version', this.at(q < e ? q : p), 400);
    }
    if (!this.checkTargetForm(method, ts, te)) return false;
    const target = this.str(ts, te);
    const info = this.info;
    info.method = method;
    info.target = target;
    info.versionMajor = (v / 10) | 0;
    info.versionMinor = v % 10;
    this.targetOffset = this.at(ts);
    this.accounted = HTX_FIXED + HTX_BLOCK + HTX_START_LINE + method.length + (te - ts) + 8;
    this.handler.onRequestLine?.(method, target, info.versionMajor, info.versionMinor);
    return true;
  }

  private methodString(s: number, e: number): string {
    const list = METHODS_BY_LENGTH[e - s];
    if (list !== undefined) {
      const h = this.head;
      for (const m of list) {
        let k = 0;
        while (k < m.length && m[k] === h[s + k]) k++;
        if (k === m.length) return METHOD_NAMES.get(m) ?? this.str(s, e);
      }
    }
    return this.str(s, e);
  }

  /**
   * HAProxy 2.6: CONNECT takes `host:port` only; other methods take an origin-form
   * (`/...`), `*`, or an absolute-form `scheme://...` target.
   */
  private checkTargetForm(method: string, ts: number, te: number): boolean {
    const h = this.head;
    const c = h[ts] ?? 0;
    if (method === 'CONNECT') {
      let colon = -1;
      for (let p = ts; p < te; p++) {
        const b = h[p];
        if (b === 0x2f) colon = -2;
        if (b === COLON && colon !== -2) colon = p;
      }
      let ok = colon > ts && colon < te - 1;
      for (let p = colon + 1; ok && p < te; p++) {
        const b = h[p] ?? 0;
        if (b < 0x30 || b > 0x39) ok = false;
      }
      if (!ok) {
        this.fail(
          'HAP_ERR_HTTP_TARGET',
          'CONNECT needs an authority-form target (host:port)',
          this.at(ts),
          400,
        );
        return false;
      }
      this.authorityStart = ts;
      this.authorityEnd = te;
      return true;
    }
    if (c === 0x2f || c === 0x2a) return true;
    const isAlpha = (b: number) => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
    let p = ts;
    if (isAlpha(c)) {
      p++;
      while (p < te) {
        const b = h[p] ?? 0;
        if (isAlpha(b) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e) p++;
        else break;
      }
      if (p + 2 < te && h[p] === COLON && h[p + 1] === 0x2f && h[p + 2] === 0x2f) {
        this.scheme = this.str(ts, p).toLowerCase();
        let a = p + 3;
        let q = a;
        while (q < te && h[q] !== 0x2f) {
          if (h[q] === 0x40) a = q + 1;
          q++;
        }
        this.authorityStart = a;
        this.authorityEnd = q;
        return true;
      }
    }
    this.fail('HAP_ERR_HTTP_TARGET', 'target is neither origin-form nor absolute-form', this.at(ts), 400);
    return false;
  }

  private parseStatusLine(s: number, e: number): boolean {
    const h = this.head;
    const v = e - s >= 12 ? this.version(s) : -1;
    if (v < 0 || !isLws(h[s + 8])) {
      return this.fail('HAP_ERR_HTTP_STATUS_LINE', 'invalid status line', this.at(s), 502);
    }
    let p = s + 8;
    while (p < e && isLws(h[p])) p++;
    let status = 0;
    for (let k = 0; k < 3; k++) {
      const d = (h[p + k] ?? 0) - 0x30;
      if (p + k >= e || d < 0 || d > 9) {
        return this.fail('HAP_ERR_HTTP_STATUS_LINE', 'invalid status code', this.at(p + k), 502);
      }
      status = status * 10 + d;
    }
    p += 3;
    // RFC 9110: a status code is 100 to 599 (HAProxy forwards 0xx codes, haproxyd answers 502)
    if (status < 100 || (p < e && !isLws(h[p])))
      return this.fail('HAP_ERR_HTTP_STATUS_LINE', 'invalid status code', this.at(p - 3), 502);
    while (p < e && isLws(h[p])) p++;
    const cr = h.indexOf(CR, p);
    if (cr !== -1 && cr < e)
      return this.fail('HAP_ERR_HTTP_BARE_CR', 'CR not followed by LF', this.at(cr + 1), 502);
    const reason = this.str(p, e);
    const info = this.info;
    info.status = status;
    info.versionMajor = (v / 10) | 0;
    info.versionMinor = v % 10;
    this.accounted = HTX_FIXED + HTX_BLOCK + HTX_START_LINE + 8 + 3 + reason.length;
    this.handler.onStatusLine?.(info.versionMajor, info.versionMinor, status, reason);
    return true;
  }

  /** Validates the pending field line(s) and records the field. Returns false after an error. */
  private finishField(): boolean {
    const h = this.head;
    const ps = this.pendStart;
    const pe = this.pendEnd;
    const folded = this.pendFolded;
    this.pendStart = -1;
    let p = ps;
    while (p < pe && TCHAR[h[p] ?? 0] === 1) p++;
    if (p === ps || p === pe || h[p] !== COLON) {
      this.fail('HAP_ERR_HTTP_HEADER_NAME', 'invalid header name', this.at(p), 400);
      return false;
    }
    const nameEnd = p;
    if (nameEnd - ps > MAX_NAME_LENGTH) {
      this.fail(
        'HAP_ERR_HTTP_HEADER_NAME',
        `header name longer than ${MAX_NAME_LENGTH} bytes`,
        this.at(ps),
        400,
      );
      return false;
    }
    p++;
    if (folded) {
      // obs-fold: CR LF become spaces, as HAProxy does; any other CR is a bare CR
      for (let q = p; q < pe; q++) {
        const c = h[q];
        if (c === CR) {
          if (h[q + 1] !== LF) {
            this.fail('HAP_ERR_HTTP_BARE_CR', 'CR not followed by LF', this.at(q + 1), 400);
            return false;
          }
          h[q] = SP;
        } else if (c === LF) {
          h[q] = SP;
        }
      }
    } else {
      let cr = p;
      while (cr < pe && h[cr] !== CR) cr++;
      if (cr < pe) {
        this.fail('HAP_ERR_HTTP_BARE_CR', 'CR not followed by LF', this.at(cr + 1), 400);
        return false;
      }
    }
    while (p < pe && isLws(h[p])) p++;
    let ve = pe;
    while (ve > p && isLws(h[ve - 1])) ve--;
    if (++this.fieldCount >= this.maxHeaders) {
      this.fail(
        'HAP_ERR_HTTP_TOO_MANY_HEADERS',
        `more than ${this.maxHeaders - 1} header fields`,
        this.at(ps),
        400,
      );
      return false;
    }
    this.accounted += HTX_BLOCK + (nameEnd - ps) + (ve - p);
    if (this.accounted + HTX_BLOCK > this.maxHeaderBytes) {
      this.fail(
        'HAP_ERR_HTTP_HEAD_TOO_LARGE',
        `head larger than ${this.maxHeaderBytes} bytes`,
        this.at(ps),
        400,
      );
      return false;
    }
    // well-known names
    let id = H_OTHER;
    let name: string | undefined;
    const list = BY_LENGTH[nameEnd - ps];
    if (list !== undefined) {
      for (const k of list) {
        const lower = k.lower;
        const canon = k.canonical;
        let exactLower = true;
        let exactCanon = true;
        let j = 0;
        for (; j < lower.length; j++) {
          const b = h[ps + j] ?? 0;
          if ((b | 0x20) !== lower[j]) break;
          if (b !== lower[j]) exactLower = false;
          if (b !== canon[j]) exactCanon = false;
        }
        if (j === lower.length) {
          id = k.id;
          if (exactCanon) name = k.canonicalName;
          else if (exactLower) name = k.lowerName;
          break;
        }
      }
    }
    if (name === undefined) name = this.str(ps, nameEnd);
    const value = this.str(p, ve);
    this.fields.push(name, value);
    if (id !== H_OTHER && this.st === S_HEAD) return this.fieldSemantics(id, value, p, ve);
    return true;
  }

  private fieldSemantics(id: number, value: string, vs: number, ve: number): boolean {
    switch (id) {
      case H_CONTENT_LENGTH:
        return this.contentLength(vs, ve);
      case H_TRANSFER_ENCODING:
        return this.transferEncoding(vs, ve);
      case H_CONNECTION:
        this.connectionTokens(vs, ve);
        return true;
      case H_HOST:
        if (this.isResponse) return true;
        if (this.info.host === null) this.info.host = value;
        else if (this.info.host.toLowerCase() !== value.toLowerCase()) {
          this.fail('HAP_ERR_HTTP_HOST', 'several different Host headers', this.at(vs), 400);
          return false;
        }
        return true;
      case H_UPGRADE:
        this.hasUpgrade = true;
        for (const token of value.split(',')) {
          if (token.trim().toLowerCase() === 'websocket') this.upgradeWebsocket = true;
        }
        return true;
      case H_EXPECT:
        if (value.toLowerCase() === '100-continue') this.info.expectContinue = true;
        return true;
      case H_SEC_WEBSOCKET_KEY:
        this.hasWsKey = true;
        return true;
    }
    return true;
  }

  /** HAProxy's h1_parse_cont_len_header(): a comma list of identical decimal values. */
  private contentLength(vs: number, ve: number): boolean {
    const h = this.head;
    // every error points at the start of the value, as HAProxy's does
    let w = vs;
    for (;;) {
      if (w >= ve) return this.clError(vs);
      if (isLws(h[w])) {
        w++;
        continue;
      }
      let n = w;
      let cl = 0;
      for (; n < ve; n++) {
        const d = (h[n] ?? 0) - 0x30;
        if (d < 0 || d > 9) {
          if (n === w) return this.clError(vs);
          break;
        }
        cl = cl * 10 + d;
      }
      let big = 0n;
      if (n - w > 15) {
        big = BigInt(this.str(w, n));
        if (big > MAX_CONTENT_LENGTH) return this.clError(vs);
      }
      for (; n < ve; n++) {
        const c = h[n];
        if (!isLws(c)) {
          if (c !== COMMA) return this.clError(vs);
          break;
        }
      }
      if (this.clSeen && (cl !== this.clValue || big !== this.clBig)) return this.clError(vs);
      this.clSeen = true;
      this.clValue = cl;
      this.clBig = big;
      if (n === ve) return true;
      w = n + 1;
    }
  }

  private clError(pos: number): boolean {
    this.fail('HAP_ERR_HTTP_CONTENT_LENGTH', 'invalid or conflicting Content-Length', this.at(pos), 400);
    return false;
  }

  /** HAProxy's h1_parse_xfer_enc_header(). */
  private transferEncoding(vs: number, ve: number): boolean {
    const h = this.head;
    this.te |= TE_PRESENT;
    let w = vs - 1;
    while (++w < ve) {
      if (isLws(h[w])) continue;
      // end of this element: next comma outside a quoted string
      let n = w;
      let quoted = false;
      let pair = false;
      for (; n < ve; n++) {
        const c = h[n];
        if (pair) pair = false;
        else if (quoted) {
          if (c === BSLASH) pair = true;
          else if (c === DQUOTE) quoted = false;
        } else if (c === DQUOTE) quoted = true;
        else if (c === COMMA) break;
      }
      let we = n;
      while (we > w && isLws(h[we - 1])) we--;
      this.te &= ~TE_LAST_CHUNKED;
      if (we - w === 7 && this.isChunked(w)) {
        if (this.te & TE_CHUNKED) {
          this.fail('HAP_ERR_HTTP_TRANSFER_ENCODING', 'chunked applied more than once', this.at(w), 400);
          return false;
        }
        this.te |= TE_CHUNKED | TE_LAST_CHUNKED;
      } else {
        if (!this.isResponse && this.te & TE_CHUNKED) {
          this.fail('HAP_ERR_HTTP_TRANSFER_ENCODING', 'a transfer-coding after chunked', this.at(w), 400);
          return false;
        }
        this.te |= TE_OTHER;
      }
      w = n;
    }
    return true;
  }

  private isChunked(w: number): boolean {
    const h = this.head;
    const word = 'chunked';
    for (let k = 0; k < 7; k++) if (((h[w + k] ?? 0) | 0x20) !== word.charCodeAt(k)) return false;
    return true;
  }

  private connectionTokens(vs: number, ve: number): void {
    const h = this.head;
    let w = vs;
    while (w < ve) {
      while (w < ve && (isLws(h[w]) || h[w] === COMMA)) w++;
      let n = w;
      while (n < ve && h[n] !== COMMA) n++;
      let we = n;
      while (we > w && isLws(h[we - 1])) we--;
      const len = we - w;
      if (len === 5 && this.tokenIs(w, 'close')) this.connClose = true;
      else if (len === 10 && this.tokenIs(w, 'keep-alive')) this.connKeepAlive = true;
      else if (len === 7 && this.tokenIs(w, 'upgrade')) this.connUpgrade = true;
      w = n;
    }
  }

  private tokenIs(w: number, lower: string): boolean {
    const h = this.head;
    for (let k = 0; k < lower.length; k++) if (((h[w + k] ?? 0) | 0x20) !== lower.charCodeAt(k)) return false;
    return true;
  }

  private endOfHead(): boolean {
    const info = this.info;
    const req = !this.isResponse;
    if (req) {
      if (this.authorityStart >= 0 && this.authorityEnd > this.authorityStart && info.host !== null) {
        const authority = this.str(this.authorityStart, this.authorityEnd);
        if (!authorityMatchesHost(authority, info.host, info.method === 'CONNECT' ? null : this.scheme)) {
          return this.fail(
            'HAP_ERR_HTTP_AUTHORITY_MISMATCH',
            'the target authority differs from the Host header',
            this.hostValueOffset(),
            400,
          );
        }
      }
      if (this.connUpgrade && this.upgradeWebsocket && !this.hasWsKey) {
        return this.fail(
          'HAP_ERR_HTTP_WEBSOCKET_KEY',
          'websocket upgrade without Sec-WebSocket-Key',
          this.at(this.headLen),
          400,
        );
      }
      if (this.te & TE_PRESENT) {
        if (!(this.te & TE_LAST_CHUNKED)) {
          return this.fail(
            'HAP_ERR_HTTP_TRANSFER_ENCODING',
            'request Transfer-Encoding does not end with chunked',
            this.at(this.headLen),
            400,
          );
        }
        if (this.te & TE_OTHER) {
          return this.fail(
            'HAP_ERR_HTTP_TE_UNSUPPORTED',
            'transfer-coding other than chunked',
            this.at(this.headLen),
            422,
          );
        }
      }
    }
    const v11 = info.versionMajor > 1 || (info.versionMajor === 1 && info.versionMinor >= 1);
    const hasTe = (this.te & TE_PRESENT) !== 0;
    const chunked = (this.te & TE_LAST_CHUNKED) !== 0;
    info.contentLength = this.clSeen && !hasTe ? this.clValue : -1;
    info.contentLengthIgnored = this.clSeen && hasTe;
    let kind: BodyKind;
    let tunnel = false;
    if (req) {
      kind = chunked ? 'chunked' : info.contentLength > 0 ? 'length' : 'none';
      if (!v11) info.expectContinue = false;
    } else {
      const status = info.status;
      const m = this.requestMethod;
      if (status === 101 || (m === 'CONNECT' && status >= 200 && status < 300)) {
        kind = 'none';
        tunnel = true;
      } else if (m === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304)
        kind = 'none';
      else if (chunked) kind = 'chunked';
      else if (info.contentLength >= 0) kind = info.contentLength > 0 ? 'length' : 'none';
      else kind = 'until-close';
    }
    info.bodyKind = kind;
    info.chunked = chunked;
    info.upgrade = this.connUpgrade && this.hasUpgrade;
    info.keepAlive =
      (v11 ? !this.connClose : this.connKeepAlive && !this.connClose) &&
      !(this.clSeen && hasTe) &&
      kind !== 'until-close';
    this.handler.onHeadersComplete(info);
    if (this.st !== S_HEAD) return true;
    if (kind === 'length') {
      this.remaining = info.contentLength;
      this.st = S_BODY_LENGTH;
    } else if (kind === 'chunked') {
      this.st = S_CHUNK_SIZE;
      this.chunkLineLen = 0;
    } else if (kind === 'until-close') this.st = S_UNTIL_CLOSE;
    else this.complete(tunnel);
    return true;
  }

  /** Error path: the stream offset of the first Host header's value (HAProxy points there). */
  private hostValueOffset(): number {
    const h = this.head;
    const end = this.headLen;
    let ls = h.indexOf(LF) + 1;
    while (ls > 0 && ls < end) {
      const le = h.indexOf(LF, ls);
      if (le < 0 || le >= end) break;
      if (le - ls > 5 && this.tokenIs(ls, 'host') && h[ls + 4] === COLON) {
        let v = ls + 5;
        while (v < le && isLws(h[v])) v++;
        return this.at(v);
      }
      ls = le + 1;
    }
    return this.targetOffset;
  }

  private endOfTrailers(): void {
    if (this.fields.length > 0) this.handler.onTrailers?.(this.fields);
    this.complete();
  }

  private complete(tunnel = false): void {
    const info = this.info;
    let next = S_HEAD;
    if (this.isResponse) {
      if (tunnel) next = S_TUNNEL;
      // a final response consumes the request method; an interim one (1xx) does not
      // (a status below 100 is not interim: HAProxy forwards it as a final response)
      if (info.status >= 200 || info.status < 100 || info.status === 101) this.requestMethod = 'GET';
    } else if (info.upgrade || info.method === 'CONNECT') next = S_PAUSED;
    this.st = next;
    this.handler.onMessageComplete();
    if (this.st !== next) return; // the handler changed the state (reset)
    if (next === S_HEAD) this.startMessage();
  }

  // ---------------------------------------------------------------------------------------
  // chunked body

  private readChunked(chunk: Buffer, i: number): number {
    const len = chunk.length;
    while (i < len) {
      const st = this.st;
      if (st === S_CHUNK_DATA) {
        const start = i;
        const n = Math.min(len - i, this.remaining);
        this.remaining -= n;
        i += n;
        this.handler.onBody(chunk.subarray(start, i));
        if (this.remaining === 0) this.st = S_CHUNK_DATA_END;
        continue;
      }
      const c = chunk[i] ?? 0;
      switch (st) {
        case S_CHUNK_SIZE: {
          const v = HEXVAL[c] ?? 0;
          if (v === 0) return this.chunkError(chunk, i, 'invalid chunk size');
          this.remaining = v - 1;
          this.chunkLineLen = 1;
          this.st = S_CHUNK_SIZE_MORE;
          break;
        }
        case S_CHUNK_SIZE_MORE: {
          const v = HEXVAL[c] ?? 0;
          if (v !== 0) {
            this.remaining = this.remaining * 16 + v - 1;
            if (this.remaining >= MAX_CHUNK_SIZE) return this.chunkError(chunk, i, 'chunk size too large');
          } else if (c === SP || c === HT) this.st = S_CHUNK_SIZE_WS;
          else if (c === 0x3b) this.st = S_CHUNK_EXT;
          else if (c === CR) this.st = S_CHUNK_SIZE_CR;
          else if (c === LF) {
            if (this.chunkSizeDone()) return i + 1;
          } else return this.chunkError(chunk, i, 'invalid chunk size');
          break;
        }
        case S_CHUNK_SIZE_WS:
          if (c === 0x3b) this.st = S_CHUNK_EXT;
          else if (c === CR) this.st = S_CHUNK_SIZE_CR;
          else if (c === LF) {
            if (this.chunkSizeDone()) return i + 1;
          } else if (c !== SP && c !== HT) return this.chunkError(chunk, i, 'invalid chunk size');
          break;
        case S_CHUNK_EXT:
          // extensions are skipped, whatever they hold, up to CR or LF (as HAProxy does)
          if (c === CR) this.st = S_CHUNK_SIZE_CR;
          else if (c === LF) {
            if (this.chunkSizeDone()) return i + 1;
          }
          break;
        case S_CHUNK_SIZE_CR:
          if (c !== LF) return this.chunkError(chunk, i, 'CR not followed by LF after chunk size');
          if (this.chunkSizeDone()) return i + 1;
          break;
        case S_CHUNK_DATA_END:
          if (c === CR) this.st = S_CHUNK_DATA_CR;
          else if (c === LF) this.st = S_CHUNK_SIZE;
          else return this.chunkError(chunk, i, 'chunk data not followed by CRLF', 'HAP_ERR_HTTP_CHUNK_CRLF');
          break;
        case S_CHUNK_DATA_CR:
          if (c !== LF)
            return this.chunkError(chunk, i, 'chunk data not followed by CRLF', 'HAP_ERR_HTTP_CHUNK_CRLF');
          this.st = S_CHUNK_SIZE;
          break;
        default:
          return i;
      }
      i++;
      if (++this.chunkLineLen > this.bufferSize && this.st !== S_CHUNK_SIZE) {
        return this.chunkError(chunk, i, 'chunk size line too long');
      }
    }
    return i;
  }

  /** After the chunk-size line. Returns true when the parser left the chunk states. */
  private chunkSizeDone(): boolean {
    this.chunkLineLen = 0;
    if (this.remaining === 0) {
      this.startTrailers();
      return true;
    }
    this.st = S_CHUNK_DATA;
    return false;
  }

  private chunkError(
    chunk: Buffer,
    i: number,
    message: string,
    code: HttpErrorCode = 'HAP_ERR_HTTP_CHUNK_SIZE',
  ): number {
    void chunk;
    this.fail(code, message, this.consumed + i, 400);
    return i;
  }

  private fail(code: HttpErrorCode, message: string, offset: number, requestStatus: number): false {
    this.st = S_ERROR;
    this.handler.onError(new HttpParseError(code, message, offset, this.isResponse ? 502 : requestStatus));
    return false;
  }
}

function splitHostPort(s: string): [string, string] {
  const close = s.lastIndexOf(']');
  const colon = s.lastIndexOf(':');
  if (colon > close) return [s.slice(0, colon), s.slice(colon + 1)];
  return [s, ''];
}

/**
 * HAProxy 2.6's comparison of an absolute-form (or CONNECT) authority with the Host header:
 * case-insensitive; a port missing on one side matches the default port of the scheme
 * (http: 80, https: 443, CONNECT: 80 or 443) on the other; an empty port is no port.
 */
export function authorityMatchesHost(authority: string, host: string, scheme: string | null): boolean {
  if (authority.toLowerCase() === host.toLowerCase()) return true;
  const [ah, ap] = splitHostPort(authority);
  const [hh, hp] = splitHostPort(host);
  if (ah.toLowerCase() !== hh.toLowerCase()) return false;
  if (ap === hp) return true;
  const isDefault = (port: string) =>
    scheme === null
      ? port === '80' || port === '443'
      : scheme === 'http'
        ? port === '80'
        : scheme === 'https' && port === '443';
  return (ap === '' && isDefault(hp)) || (hp === '' && isDefault(ap));
}
