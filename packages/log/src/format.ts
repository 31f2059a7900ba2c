// log-format strings (HAProxy manual 8.2.6): compiled once from the configuration, rendered
// for each LogRecord. Text, spaces (merged: a space is a separator printed once, never at
// the start), `%%`, aliases such as `%ci`, flags in `%{+Q,-X}` and `%o` setting the flags
// of what follows, and `%[sample]` expressions delegated to @hap/sample.
import { hostname as osHostname } from 'node:os';
import { type CompileOptions, compileSampleExpr, type SampleExpr, sampleToString } from '@hap/sample';
import { dateLog, gmtDateLog, localDateLog } from './dates.ts';
import { byteString, encodeWithMap, escapeRfc5424, HDR_ENCODE, hex, URL_ENCODE } from './encode.ts';
import { LogError } from './errors.ts';
import { unavailableAtLogTime } from './logend.ts';
import type { LogRecord } from './record.ts';
import { terminationState, terminationStateWithCookie } from './termination.ts';

/** Flags of a node (HAProxy's LOG_OPT_*). */
const OPT_M = 1; // mandatory: '-' for nothing
const OPT_Q = 2; // quoted
const OPT_X = 4; // hexadecimal
const OPT_E = 8; // rfc5424 escapes

const FLAG_NAMES: Readonly<Record<string, number>> = { M: OPT_M, Q: OPT_Q, X: OPT_X, E: OPT_E };

export interface LogFormatOptions {
  /**
   * The proxy's mode: in 'tcp' the HTTP-only aliases (%r, %HU, %TR, %tr, %CC…) are refused,
   * as HAProxy refuses them ("format variable '%r' is reserved for HTTP mode"). Default 'http'.
   */
  readonly mode?: 'http' | 'tcp';
  /** `option logasap`: %B, %Ta, %Tt and %Tu get a '+' in front (the real values are larger). */
  readonly logasap?: boolean;
  /** The line is cut before this many bytes, as HAProxy's log buffer (default 1024, the largest `len`). */
  readonly maxLength?: number;
  /** %H (default: the system's host name). */
  readonly hostname?: string;
  /** %pid (default: this process's). */
  readonly pid?: number;
  /** Where the format comes from, for the errors of %[…] expressions and their files. */
  readonly file?: string;
  readonly line?: number;
  /** Resolves map and pattern file paths of %[…] expressions (default: as written). */
  readonly resolvePath?: (p: string) => string;
  /**
   * The proxy the format belongs to and how to check the proxies and servers its %[…]
   * expressions name (`be_conn(<backend>)`, `srv_conn(<backend>/<server>)`): see
   * `CompileOptions` of @hap/sample. Absent: nothing checked.
   */
  readonly proxies?: Pick<CompileOptions, 'currentProxy' | 'proxyCaps' | 'serverExists'>;
}

/** A compiled log-format string. */
export interface LogFormat {
  /** The format as given. */
  readonly text: string;
  /** It has `%[…]` expressions: a record must carry its stream's sample environment (`env`). */
  readonly samples: boolean;
  /** The line for one record: a byte string (one char per byte), without header or newline. */
  render(record: LogRecord): string;
}

interface Ctx {
  readonly hostname: string;
  readonly pid: number;
  readonly logasap: boolean;
  /** HP, HPO, HU and HV share HAProxy's counter of spaces seen (it lives across nodes). */
  nspaces: number;
}

/** A renderer's result: the text, or null when the alias prints nothing at all (%hr without captures). */
type Renderer = (r: LogRecord, o: number, c: Ctx) => string | null;

interface AliasDef {
  readonly http: boolean;
  /** Numbers and dates: HAProxy drops them whole when they do not fit; text is cut. */
  readonly atomic: boolean;
  readonly render: Renderer;
}

/** lf_text_len: quoted with Q, rfc5424-escaped with E, '-' for nothing with M (unquoted). */
function lfText(s: string | undefined, o: number): string {
  let v = s;
  if (v !== undefined) {
    v = byteString(v);
    const nul = v.indexOf('\0');
    if (nul >= 0) v = v.slice(0, nul);
  }
  let body: string;
  if (v !== undefined && v.length > 0) body = o & OPT_E ? escapeRfc5424(v) : v;
  else body = (o & (OPT_Q | OPT_M)) === OPT_M ? '-' : '';
  return o & OPT_Q ? `"${body}"` : body;
}

function q(s: string, o: number): string {
  return o & OPT_Q ? `"${s}"` : s;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipHex(addr: string): string | undefined {
  const m = IPV4.exec(addr);
  if (m)
    return m
      .slice(1, 5)
      .map((p) => hex(Number(p), 2))
      .join('');
  if (!addr.includes(':')) return undefined;
  // expand an IPv6 text (with an optional embedded IPv4 tail) into 16 bytes
  let text = addr;
  let tail: number[] = [];
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    tail = v4.slice(1, 5).map(Number);
    text = `${text.slice(0, v4.index)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const words = [...head, ...Array<string>(missing).fill('0'), ...rest];
  let out = '';
  for (const w of words) out += hex(Number.parseInt(w || '0', 16), 4);
  if (tail.length) out = out.slice(0, 24) + tail.map((b) => hex(b, 2)).join('');
  return out;
}

/** lf_ip: the address as text, or its bytes in hex with X. */
function ip(addr: string | undefined, o: number): string {
  if (addr === undefined) return lfText(undefined, o);
  if (o & OPT_X) {
    const h = ipHex(addr);
    if (h !== undefined) return h;
  }
  return lfText(addr, o);
}

function port(addr: string | undefined, p: number, o: number): string {
  if (addr === undefined) return lfText(undefined, o);
  if (o & OPT_X && addr !== 'unix') return hex(p & 0xffff, 4);
  return String(p);
}

function plus(c: Ctx): string {
  return c.logasap ? '+' : '';
}

function requestDate(r: LogRecord): number {
  return r.acceptDate + (r.tIdle >= 0 ? r.tIdle + r.tHandshake : 0);
}

function counter(n: number, o: number): string {
  return o & OPT_X ? hex(n, 4) : String(n);
}

/** %hr / %hs: {a|b|c}, each '#'-encoded, nothing at all without captures. */
function captures(list: ReadonlyArray<string | undefined> | undefined, o: number): string | null {
  if (list === undefined || list.length === 0) return null;
  let out = '{';
  for (let i = 0; i < list.length; i++) {
    if (i) out += '|';
    const v = list[i];
    if (v !== undefined) out += encodeWithMap(v, HDR_ENCODE, (o & OPT_E) !== 0);
  }
  return q(`${out}}`, o);
}

/** %hrl / %hsl: one field per capture, '-' (unquoted) when absent. */
function captureList(list: ReadonlyArray<string | undefined> | undefined, o: number): string | null {
  if (list === undefined || list.length === 0) return null;
  const parts: string[] = [];
  for (const v of list) {
    let s: string;
    if (v !== undefined) s = encodeWithMap(v, HDR_ENCODE, (o & OPT_E) !== 0);
    else s = o & OPT_Q ? '' : '-';
    parts.push(q(s, o));
  }
  return parts.join(' ');
}

const BADREQ = '<BADREQ>';

function isSpHt(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function urlChunk(s: string, o: number): string {
  return q(encodeWithMap(s, URL_ENCODE, (o & OPT_E) !== 0), o);
}

/** Index after the method and the spaces following it; counts the spaces in `c.nspaces`. */
function afterMethod(uri: string, c: Ctx): number {
  let i = 0;
  while (i < uri.length && !isSpHt(uri[i])) i++;
  while (i < uri.length && isSpHt(uri[i])) {
    i++;
    c.nspaces++;
  }
  return i;
}

/** HAProxy's http_parse_path on a request target: the path, '' when there is none. */
function pathOf(target: string): string {
  if (target === '' || target === '*') return '';
  if (target[0] === '/') return target;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(target);
  if (!m) return '';
  const slash = target.indexOf('/', m[0].length);
  return slash < 0 ? '' : target.slice(slash);
}

const ALIASES: Readonly<Record<string, AliasDef>> = {
  B: { http: false, atomic: true, render: (r, _o, c) => plus(c) + r.bytesOut },
  CC: { http: true, atomic: false, render: (r, o) => lfText(r.requestCookie, o) },
  CS: { http: true, atomic: false, render: (r, o) => lfText(r.responseCookie, o) },
  H: { http: false, atomic: false, render: (_r, o, c) => lfText(c.hostname, o) },
  ID: { http: false, atomic: false, render: (r, o) => lfText(r.uniqueId, o) },
  ST: { http: false, atomic: true, render: (r) => String(r.status) },
  T: { http: false, atomic: true, render: (r) => gmtDateLog(r.acceptDate) },
  Ta: {
    http: true,
    atomic: true,
    render: (r, _o, c) => plus(c) + (r.tClose - (r.tIdle >= 0 ? r.tIdle + r.tHandshake : 0)),
  },
  Tc: { http: false, atomic: true, render: (r) => String(r.tConnect >= 0 ? r.tConnect - r.tQueue : -1) },
  Td: {
    http: false,
    atomic: true,
    render: (r) =>
      String(
        r.backendMode === 'http'
          ? r.tData >= 0
            ? r.tClose - r.tData
            : -1
          : r.tConnect >= 0
            ? r.tClose - r.tConnect
            : -1,
      ),
  },
  Th: { http: false, atomic: true, render: (r) => String(r.tHandshake) },
  Ti: { http: true, atomic: true, render: (r) => String(r.tIdle) },
  Tl: { http: false, atomic: true, render: (r) => localDateLog(r.acceptDate) },
  Tq: { http: true, atomic: true, render: (r) => String(r.tRequest) },
  Tr: { http: true, atomic: true, render: (r) => String(r.tData >= 0 ? r.tData - r.tConnect : -1) },
  TR: {
    http: true,
    atomic: true,
    render: (r) => String(r.tRequest >= 0 ? r.tRequest - r.tIdle - r.tHandshake : -1),
  },
  Ts: {
    http: false,
    atomic: true,
    render: (r, o) => {
      const s = Math.floor(r.acceptDate / 1000);
      return o & OPT_X ? hex(s, 4) : String(s);
    },
  },
  Tt: { http: false, atomic: true, render: (r, _o, c) => plus(c) + r.tClose },
  Tu: {
    http: false,
    atomic: true,
    render: (r, _o, c) => plus(c) + (r.tClose - Math.max(r.tIdle, 0)),
  },
  Tw: { http: false, atomic: true, render: (r) => String(r.tQueue >= 0 ? r.tQueue - r.tRequest : -1) },
  U: { http: false, atomic: true, render: (r) => String(r.bytesIn) },
  ac: { http: false, atomic: true, render: (r) => String(r.actconn) },
  b: { http: false, atomic: false, render: (r, o) => lfText(r.backend, o) },
  bc: { http: false, atomic: true, render: (r) => String(r.beconn) },
  bi: { http: false, atomic: false, render: (r, o) => ip(r.backendSourceAddress, o) },
  bp: { http: false, atomic: true, render: (r, o) => port(r.backendSourceAddress, r.backendSourcePort, o) },
  bq: { http: false, atomic: true, render: (r) => String(r.backendQueue) },
  ci: { http: false, atomic: false, render: (r, o) => ip(r.clientAddress, o) },
  cp: { http: false, atomic: true, render: (r, o) => port(r.clientAddress, r.clientPort, o) },
  f: { http: false, atomic: false, render: (r, o) => lfText(r.frontend, o) },
  fc: { http: false, atomic: true, render: (r) => String(r.feconn) },
  fi: { http: false, atomic: false, render: (r, o) => ip(r.frontendAddress, o) },
  fp: { http: false, atomic: true, render: (r, o) => port(r.frontendAddress, r.frontendPort, o) },
  ft: {
    http: false,
    atomic: false,
    render: (r, o) => q(byteString(r.frontend) + (r.frontendSsl ? '~' : ''), o),
  },
  hr: { http: false, atomic: false, render: (r, o) => captures(r.requestCaptures, o) },
  hrl: { http: false, atomic: false, render: (r, o) => captureList(r.requestCaptures, o) },
  hs: { http: false, atomic: false, render: (r, o) => captures(r.responseCaptures, o) },
  hsl: { http: false, atomic: false, render: (r, o) => captureList(r.responseCaptures, o) },
  HM: {
    http: true,
    atomic: false,
    render: (r, o) => {
      const uri = r.requestLine ?? BADREQ;
      let spc = 0;
      while (spc < uri.length && !isSpHt(uri[spc])) spc++;
      return urlChunk(spc === uri.length ? BADREQ : uri.slice(0, spc), o);
    },
  },
  HP: {
    http: true,
    atomic: false,
    render: (r, o, c) => {
      const uri = r.requestLine ?? BADREQ;
      const start = afterMethod(uri, c);
      let spc = start;
      while (spc < uri.length && uri[spc] !== '?' && !isSpHt(uri[spc])) spc++;
      return urlChunk(r.requestLine === undefined || c.nspaces === 0 ? BADREQ : uri.slice(start, spc), o);
    },
  },
  HPO: {
    http: true,
    atomic: false,
    render: (r, o, c) => {
      const uri = r.requestLine ?? BADREQ;
      const start = afterMethod(uri, c);
      let spc = start;
      while (spc < uri.length && !isSpHt(uri[spc])) spc++;
      let path = pathOf(uri.slice(start, spc));
      const qm = path.indexOf('?');
      if (qm >= 0) path = path.slice(0, qm);
      return urlChunk(r.requestLine === undefined || c.nspaces === 0 ? BADREQ : path, o);
    },
  },
  HQ: {
    http: true,
    atomic: false,
    render: (r, o) => {
      const uri = r.requestLine;
      if (uri === undefined) return urlChunk(BADREQ, o);
      let i = 0;
      while (i < uri.length && uri[i] !== '?') i++;
      const qmark = i;
      while (i < uri.length && !isSpHt(uri[i])) i++;
      return urlChunk(uri.slice(qmark, i), o);
    },
  },
  HU: {
    http: true,
    atomic: false,
    render: (r, o, c) => {
      const uri = r.requestLine ?? BADREQ;
      const start = afterMethod(uri, c);
      let spc = start;
      while (spc < uri.length && !isSpHt(uri[spc])) spc++;
      return urlChunk(r.requestLine === undefined || c.nspaces === 0 ? BADREQ : uri.slice(start, spc), o);
    },
  },
  HV: {
    http: true,
    atomic: false,
    render: (r, o, c) => {
      const uri = r.requestLine ?? BADREQ;
      let i = afterMethod(uri, c);
      while (i < uri.length && !isSpHt(uri[i])) i++;
      while (i < uri.length && isSpHt(uri[i])) i++;
      let v: string;
      if (r.requestLine === undefined || c.nspaces === 0) v = BADREQ;
      else if (i === uri.length) v = 'HTTP/0.9';
      else v = uri.slice(i);
      return urlChunk(v, o);
    },
  },
  lc: { http: false, atomic: true, render: (r, o) => counter(r.logCounter, o) },
  ms: {
    http: false,
    atomic: true,
    render: (r, o) => {
      const ms = Math.floor(r.acceptDate) % 1000;
      return o & OPT_X ? hex(ms, 2) : String(ms).padStart(3, '0');
    },
  },
  pid: { http: false, atomic: true, render: (_r, o, c) => counter(c.pid, o) },
  r: { http: true, atomic: false, render: (r, o) => urlChunk(r.requestLine ?? BADREQ, o) },
  rc: { http: false, atomic: true, render: (r) => (r.redispatched ? '+' : '') + r.retries },
  rt: { http: false, atomic: true, render: (r, o) => counter(r.requestCounter, o) },
  s: { http: false, atomic: false, render: (r, o) => lfText(r.server ?? '<NOSRV>', o) },
  sc: { http: false, atomic: true, render: (r) => String(r.srvconn) },
  si: { http: false, atomic: false, render: (r, o) => ip(r.serverAddress, o) },
  sp: { http: false, atomic: true, render: (r, o) => port(r.serverAddress, r.serverPort, o) },
  sq: { http: false, atomic: true, render: (r) => String(r.srvQueue) },
  sslc: { http: false, atomic: false, render: (r, o) => lfText(r.sslCipher, o) },
  sslv: { http: false, atomic: false, render: (r, o) => lfText(r.sslVersion, o) },
  t: { http: false, atomic: true, render: (r) => dateLog(r.acceptDate) },
  tr: { http: true, atomic: true, render: (r) => dateLog(requestDate(r)) },
  trg: { http: true, atomic: true, render: (r) => gmtDateLog(requestDate(r)) },
  trl: { http: true, atomic: true, render: (r) => localDateLog(requestDate(r)) },
  ts: {
    http: false,
    atomic: true,
    render: (r) => terminationState({ cause: r.termCause, phase: r.termPhase }),
  },
  tsc: {
    http: false,
    atomic: true,
    render: (r) => terminationStateWithCookie({ cause: r.termCause, phase: r.termPhase, cookie: r.cookie }),
  },
};

/** An integer as HAProxy's `hex` converter prints it: 8 bytes, big-endian, upper case. */
function int64Hex(n: number): string {
  return BigInt.asUintN(64, BigInt(Math.trunc(n)))
    .toString(16)
    .toUpperCase()
    .padStart(16, '0');
}

function optInt(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}

/**
 * The connection facts of `option httpslog` (and of the usual `error-log-format`): these
 * `%[…]` expressions, written exactly so, are rendered from the record's fields instead of
 * the sample environment, so they print as HAProxy prints them with or without TLS (a clear
 * connection: fc_err 0, ssl_fc_is_resumed 0, the others '-').
 */
const RECORD_FETCHES: Readonly<Record<string, (r: LogRecord) => string | undefined>> = {
  fc_err: (r) => String(r.connError),
  ssl_fc_err: (r) => optInt(r.sslError),
  'ssl_fc_err,hex': (r) => (r.sslError === undefined ? undefined : int64Hex(r.sslError)),
  ssl_c_err: (r) => optInt(r.sslClientCertError),
  ssl_c_ca_err: (r) => optInt(r.sslClientCaError),
  ssl_fc_is_resumed: (r) => (r.sslResumed ? '1' : '0'),
  // the sample environment's SNI when the record's is not filled
  ssl_fc_sni: (r) => r.sslSni ?? r.env?.ssl?.sni,
};

/** Every alias HAProxy 2.6 knows (without `o`, which sets flags). */
export const LOG_FORMAT_ALIASES: readonly string[] = Object.keys(ALIASES);

type Node =
  | { readonly k: 'text'; readonly s: string }
  | { readonly k: 'sep' }
  | { readonly k: 'alias'; readonly def: AliasDef; readonly o: number }
  | { readonly k: 'expr'; readonly e: SampleExpr; readonly o: number }
  | { readonly k: 'rec'; readonly f: (r: LogRecord) => string | undefined; readonly o: number };

function formatError(message: string): never {
  throw new LogError('HAP_ERR_LOG_FORMAT', message);
}

/** parse_logformat_var_args: '+F' sets, '-F' clears, comma-separated; unknown names are ignored. */
function applyFlags(args: string, base: number): number {
  let o = base;
  let sign = 0;
  let name: string | undefined;
  for (let i = 0; i <= args.length; i++) {
    const ch = args[i];
    if (ch === '+' || ch === '-') {
      sign = ch === '+' ? 1 : 2;
      name = '';
      continue;
    }
    if (ch === undefined || ch === ',') {
      const bit = name !== undefined ? FLAG_NAMES[name] : undefined;
      if (bit !== undefined) o = sign === 1 ? o | bit : o & ~bit;
      name = undefined;
      continue;
    }
    if (name !== undefined) name += ch;
  }
  return o;
}

function isAlpha(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z]$/.test(ch);
}

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z0-9]$/.test(ch);
}

/** HAProxy's is_idchar: what fetch and converter names are made of. */
function isIdChar(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z0-9._+:-]$/.test(ch);
}

/**
 * Where a sample expression starting at `start` ends: names, parenthesised arguments
 * (quotes and backslashes honoured) and commas between converters.
 */
function sampleExprEnd(fmt: string, start: number): number {
  let i = start;
  for (;;) {
    while (isIdChar(fmt[i])) i++;
    if (fmt[i] === '(') {
      i++;
      let quote: string | undefined;
      while (i < fmt.length) {
        const ch = fmt[i]!;
        if (ch === '\\' && i + 1 < fmt.length) {
          i += 2;
          continue;
        }
        if (quote !== undefined) {
          if (ch === quote) quote = undefined;
        } else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === ')') break;
        i++;
      }
      if (i < fmt.length) i++;
    }
    if (fmt[i] === ',') {
      i++;
      continue;
    }
    return i;
  }
}

class CompiledLogFormat implements LogFormat {
  readonly text: string;
  readonly samples: boolean;
  private readonly nodes: readonly Node[];
  private readonly ctx: Ctx;
  private readonly limit: number;

  constructor(text: string, nodes: Node[], ctx: Ctx, maxLength: number) {
    this.text = text;
    this.samples = nodes.some((n) => n.k === 'expr' || n.k === 'rec');
    this.nodes = nodes;
    this.ctx = ctx;
    this.limit = Math.max(0, maxLength - 1);
  }

  render(record: LogRecord): string {
    const c = this.ctx;
    c.nspaces = 0;
    const limit = this.limit;
    let out = '';
    let lastSpace = true;
    for (const n of this.nodes) {
      let piece: string | null;
      let atomic = false;
      switch (n.k) {
        case 'sep':
          if (lastSpace) continue;
          piece = ' ';
          lastSpace = true;
          break;
        case 'text':
          piece = n.s;
          lastSpace = false;
          break;
        case 'alias':
          piece = n.def.render(record, n.o, c);
          if (piece === null) continue;
          atomic = n.def.atomic;
          lastSpace = false;
          break;
        case 'expr': {
          let v: ReturnType<SampleExpr['eval']>;
          try {
            v = record.env === undefined ? undefined : n.e.eval(record.env);
          } catch {
            v = undefined;
          }
          piece = lfText(v === undefined ? undefined : sampleToString(v), n.o);
          lastSpace = false;
          break;
        }
        case 'rec':
          piece = lfText(n.f(record), n.o);
          lastSpace = false;
          break;
      }
      if (out.length + piece.length > limit) {
        if (!atomic) out += piece.slice(0, limit - out.length);
        break;
      }
      out += piece;
    }
    return out;
  }
}

/**
 * Compiles a log-format string as HAProxy's parse_logformat_string does for `log-format`,
 * `log-format-sd` and `error-log-format` (flag M and merged spaces). Throws a LogError
 * worded as HAProxy's message (the caller adds "failed to parse log-format : ").
 */
export function parseLogFormat(fmt: string, opts: LogFormatOptions = {}): LogFormat {
  const http = (opts.mode ?? 'http') === 'http';
  const sampleOpts: CompileOptions = {
    file: opts.file ?? '',
    line: opts.line ?? 0,
    resolvePath: opts.resolvePath ?? ((p: string) => p),
    ...opts.proxies,
  };
  let defaults = OPT_M;
  const nodes: Node[] = [];
  let lit = '';
  const flush = () => {
    if (lit) nodes.push({ k: 'text', s: byteString(lit) });
    lit = '';
  };
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch === ' ') {
      flush();
      nodes.push({ k: 'sep' });
      i++;
      continue;
    }
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    let j = i + 1;
    const next = fmt[j];
    if (next === undefined) formatError("truncated line after '%'");
    if (next === '%') {
      lit += '%';
      i = j + 1;
      continue;
    }
    let args: string | undefined;
    if (next === '{') {
      const close = fmt.indexOf('}', j + 1);
      if (close < 0) formatError(`truncated line after '${fmt.slice(j + 1)}'`);
      args = fmt.slice(j + 1, close);
      j = close + 1;
      if (!(fmt[j] === '[' || isAlnum(fmt[j]))) {
        formatError(`parse argument modifier without variable name near '%{${args}}'`);
      }
    } else if (/^[0-9 \t]$/.test(next)) {
      formatError(
        `unexpected variable name near '${next}' at position ${j} line : '${fmt}'. ` +
          "Maybe you want to write a single '%', use the syntax '%%'",
      );
    } else if (next !== '[' && !isAlpha(next)) {
      // HAProxy drops a '%' before any other character and keeps the character
      i = j;
      continue;
    }
    flush();
    const o = args === undefined ? defaults : applyFlags(args, defaults);
    if (fmt[j] === '[') {
      const start = j + 1;
      const end = sampleExprEnd(fmt, start);
      const exprText = fmt.slice(start, end);
      const fromRecord = Object.hasOwn(RECORD_FETCHES, exprText) ? RECORD_FETCHES[exprText] : undefined;
      if (fromRecord !== undefined && fmt[end] === ']') {
        nodes.push({ k: 'rec', f: fromRecord, o });
        i = end + 1;
        continue;
      }
      const fetchName = /^[A-Za-z0-9._+:-]*/.exec(exprText)![0];
      const needs = unavailableAtLogTime(fetchName);
      if (needs !== undefined) {
        formatError(
          `sample fetch <${fmt.slice(start)}> may not be reliably used here because it needs '${needs}' which is not available here`,
        );
      }
      let expr: SampleExpr;
      try {
        expr = compileSampleExpr(exprText, sampleOpts);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const unsupported = (e as { code?: unknown }).code === 'HAP_ERR_SAMPLE_UNSUPPORTED';
        throw new LogError(
          unsupported ? 'HAP_ERR_LOG_UNSUPPORTED' : 'HAP_ERR_LOG_FORMAT',
          `failed to parse sample expression <${fmt.slice(start)}> : ${msg}`,
        );
      }
      if (fmt[end] !== ']') {
        const ch2 = fmt.charCodeAt(end);
        if (end < fmt.length && ch2 >= 32 && ch2 < 127) {
          formatError(`expected ']' after '${exprText}', but found '${fmt[end]}'`);
        }
        formatError(`missing ']' after '${exprText}'`);
      }
      nodes.push({ k: 'expr', e: expr, o });
      i = end + 1;
      continue;
    }
    let e = j;
    while (e < fmt.length && isAlnum(fmt[e])) e++;
    const name = fmt.slice(j, e);
    if (name === 'o') defaults = o;
    else {
      const def = ALIASES[name];
      if (def === undefined) {
        formatError(
          `no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`,
        );
      }
      if (def.http && !http) formatError(`format variable '${name}' is reserved for HTTP mode`);
      nodes.push({ k: 'alias', def, o });
    }
    i = e;
  }
  flush();
  const ctx: Ctx = {
    hostname: opts.hostname ?? osHostname(),
    pid: opts.pid ?? process.pid,
    logasap: opts.logasap ?? false,
    nspaces: 0,
  };
  return new CompiledLogFormat(fmt, nodes, ctx, opts.maxLength ?? 1024);
}
