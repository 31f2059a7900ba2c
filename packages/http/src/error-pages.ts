/**
 * HAProxy 2.6's own HTTP responses — the built-in error pages and the `errorfile`
 * replacements — as the exact bytes the real haproxy 2.6.12 puts on the wire.
 *
 * They are not sent as stored. HAProxy parses a page (built-in or file) once, at start,
 * into its internal message form, and the HTTP/1 layer writes it out again for each
 * client. What a client receives therefore depends on the connection, and was measured
 * (test/error-pages.test.ts compares every page with a running haproxy):
 *
 * - header names are written in lower case, values trimmed, in the file's order; a folded
 *   header is one line (each CR and LF of the fold becomes a space); LF-only files come
 *   out with CRLF; empty lines before the status line are dropped;
 * - the status line keeps the file's status text and reason (even an empty one,
 *   "HTTP/1.1 403 \r\n"); the version is "HTTP/1.1" for any version from 1.1 up
 *   ("HTTP/2.0" too), else the file's own text ("HTTP/1.0");
 * - `Connection` headers lose their `close` and `keep-alive` tokens (and vanish when
 *   nothing else is left); HAProxy then adds its own `connection:` header last:
 *   `close` when it closes after the page (HTTP/1.1 pages only), `keep-alive` when it
 *   keeps the connection and either side speaks HTTP/1.0, nothing otherwise;
 * - it closes after a page that has `Connection: close` (the built-in 400 and 408),
 *   no length (no Content-Length, or a Transfer-Encoding), or when the client asked to
 *   (HTTP/1.0 without keep-alive, `Connection: close`);
 * - `Content-Length: 1, 1` becomes the list's last element; a second identical
 *   Content-Length is dropped; Content-Length goes away when Transfer-Encoding is there;
 * - the body is not sent in answer to HEAD (the head, Content-Length included, is);
 * - an empty file (`errorfile 408 /dev/null`) sends nothing: the connection is closed.
 *
 * The HTTP/1 connection layer itself answers a few errors before any request exists: a
 * request it cannot parse (400), `timeout http-request` (408), an HTTP/1.0 GET/HEAD/DELETE
 * with a body (413), a request Transfer-Encoding it does not support (422), and 500/501.
 * Those are sent raw, as built in (mixed-case names, `Content-length`), and an
 * `errorfile` for the same status is NOT used there (2.6.12, checked for 400, 408 and 413);
 * see `connectionErrorPage()`.
 *
 * `http-request deny [deny_status <code>]` sends these pages, and only the statuses
 * below are allowed (another code is a configuration error). `http-request return status
 * <code>` without a payload does not: it answers an empty body with `content-length: 0`.
 *
 * What 2.6 checks in an `errorfile` at start is mirrored by `loadErrorFile()` (same
 * accept/refuse decisions; the wording of the errors is ours).
 */

import { readFileSync } from 'node:fs';

/** The statuses HAProxy 2.6 has a page for; `errorfile` and `deny_status` accept only these. */
export const ERROR_PAGE_STATUSES: readonly number[] = Object.freeze([
  200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
]);

/**
 * Which bytes to send, by what happens to the client connection:
 *
 * - `keep-alive`: it stays open, the request was HTTP/1.1;
 * - `keep-alive-http10`: it stays open, the request was HTTP/1.0 with `Connection: keep-alive`;
 * - `close`: it is closed after the page (HTTP/1.0 without keep-alive, `Connection: close`).
 *
 * A page that cannot keep the connection (`ErrorMessage.keepAlive` false) gives its `close`
 * bytes for every form, and the caller must close.
 */
export type ErrorPageForm = 'keep-alive' | 'keep-alive-http10' | 'close';

/** One response HAProxy may send instead of forwarding (built in, or from an `errorfile`). */
export interface ErrorMessage {
  /** The status it answers for (the `errorfile <code>`; for the built-in pages, theirs). */
  readonly status: number;
  /** `built-in`, or the file it was read from. */
  readonly source: string;
  /** An empty file: nothing is sent, the connection is closed. */
  readonly empty: boolean;
  /** Whether the client connection may stay open after it. */
  readonly keepAlive: boolean;
  /** What HAProxy warns about at start for this file (too large, little room left for rewriting). */
  readonly warnings: readonly string[];
  /** The bytes to send, by form. Shared and immutable: never write into them. */
  readonly pages: Readonly<Record<ErrorPageForm, Buffer>>;
  /** The same without the body, for a HEAD request (views into `pages`). */
  readonly heads: Readonly<Record<ErrorPageForm, Buffer>>;
  /**
   * The status line and header lines without any `connection` token and without the final
   * empty line ('' for an empty file): for a proxy that adds its own `connection` line or
   * rewrites the page (`http-after-response`) before sending it.
   */
  readonly replyHead: string;
  /** The body (shared: never write into it). */
  readonly body: Buffer;
}

/** HAProxy's tunables that matter here (defaults are HAProxy 2.6's). */
export interface ErrorFileLimits {
  /** `tune.bufsize` (16384): larger files are cut, and the message must fit such a buffer. */
  readonly bufsize?: number;
  /** `tune.maxrewrite` (1024): a message leaving less free room than this gets a warning. */
  readonly maxrewrite?: number;
  /** `tune.http.maxhdr` (101): at most maxhdr − 1 header fields. */
  readonly maxhdr?: number;
}

export type ErrorFileErrorCode =
  | 'HAP_ERR_ERRORFILE_STATUS'
  | 'HAP_ERR_ERRORFILE_OPEN'
  | 'HAP_ERR_ERRORFILE_READ'
  | 'HAP_ERR_ERRORFILE_HEAD'
  | 'HAP_ERR_ERRORFILE_VERSION'
  | 'HAP_ERR_ERRORFILE_INTERIM'
  | 'HAP_ERR_ERRORFILE_CHUNKED'
  | 'HAP_ERR_ERRORFILE_UNEXPECTED_BODY'
  | 'HAP_ERR_ERRORFILE_LENGTH'
  | 'HAP_ERR_ERRORFILE_TOO_LARGE';

/** An `errorfile` HAProxy 2.6 would refuse at start (a fatal configuration error there). */
export class ErrorFileError extends Error {
  readonly code: ErrorFileErrorCode;
  /** The file, as given. */
  readonly file: string;
  readonly status: number;

  constructor(code: ErrorFileErrorCode, file: string, status: number, detail: string) {
    super(`errorfile ${status} '${file}': ${detail}`);
    this.name = 'ErrorFileError';
    this.code = code;
    this.file = file;
    this.status = status;
  }
}

// ---------------------------------------------------------------------------------------
// The built-in pages. Each is `<h1>status reason</h1>` and one line of text; 400 and 408
// also say `Connection: close`. (Spelling and the odd "." of 501 are HAProxy's.)

interface BuiltIn {
  readonly status: number;
  readonly reason: string;
  readonly text: string;
  readonly close: boolean;
}

const BUILT_IN: readonly BuiltIn[] = [
  { status: 200, reason: 'OK', text: 'Service ready.', close: false },
  { status: 400, reason: 'Bad request', text: 'Your browser sent an invalid request.', close: true },
  {
    status: 401,
    reason: 'Unauthorized',
    text: 'You need a valid user and password to access this content.',
    close: false,
  },
  { status: 403, reason: 'Forbidden', text: 'Request forbidden by administrative rules.', close: false },
  { status: 404, reason: 'Not Found', text: 'The resource could not be found.', close: false },
  {
    status: 405,
    reason: 'Method Not Allowed',
    text: 'A request was made of a resource using a request method not supported by that resource',
    close: false,
  },
  {
    status: 407,
    reason: 'Unauthorized',
    text: 'You need a valid user and password to access this content.',
    close: false,
  },
  {
    status: 408,
    reason: 'Request Time-out',
    text: "Your browser didn't send a complete request in time.",
    close: true,
  },
  {
    status: 410,
    reason: 'Gone',
    text: 'The resource is no longer available and will not be available again.',
    close: false,
  },
  {
    status: 413,
    reason: 'Payload Too Large',
    text: 'The request entity exceeds the maximum allowed.',
    close: false,
  },
  {
    status: 421,
    reason: 'Misdirected Request',
    text: 'Request sent to a non-authoritative server.',
    close: false,
  },
  {
    status: 422,
    reason: 'Unprocessable Content',
    text: 'The server cannot process the contained instructions.',
    close: false,
  },
  { status: 425, reason: 'Too Early', text: 'Your browser sent early data.', close: false },
  {
    status: 429,
    reason: 'Too Many Requests',
    text: 'You have sent too many requests in a given amount of time.',
    close: false,
  },
  { status: 500, reason: 'Internal Server Error', text: 'An internal server error occurred.', close: false },
  {
    status: 501,
    reason: 'Not Implemented',
    text: '.The server does not support the functionality required to fulfill the request.',
    close: false,
  },
  {
    status: 502,
    reason: 'Bad Gateway',
    text: 'The server returned an invalid or incomplete response.',
    close: false,
  },
  {
    status: 503,
    reason: 'Service Unavailable',
    text: 'No server is available to handle this request.',
    close: false,
  },
  { status: 504, reason: 'Gateway Time-out', text: "The server didn't respond in time.", close: false },
];

/** The statuses the connection layer answers by itself, with the raw built-in text. */
const CONNECTION_LEVEL: readonly number[] = [400, 408, 413, 422, 500, 501];

/** The built-in page as stored, which is also what the connection layer sends. */
function builtInText(b: BuiltIn): string {
  const body = `<html><body><h1>${b.status} ${b.reason}</h1>\n${b.text}\n</body></html>\n`;
  return (
    `HTTP/1.1 ${b.status} ${b.reason}\r\n` +
    `Content-length: ${body.length}\r\n` +
    'Cache-Control: no-cache\r\n' +
    (b.close ? 'Connection: close\r\n' : '') +
    'Content-Type: text/html\r\n' +
    '\r\n' +
    body
  );
}

// ---------------------------------------------------------------------------------------
// Reading a response the way HAProxy 2.6 reads an errorfile.

const DEFAULT_BUFSIZE = 16384;
const DEFAULT_MAXREWRITE = 1024;
const DEFAULT_MAXHDR = 101;
/**
 * A file must fit, converted to HAProxy's internal message, in a buffer of `bufsize`
 * bytes: 49 bytes of its own, the start line (8 + 20 + version + status + reason), each
 * header (8 + name + value), the end of headers (8), and the body (8 + length) when
 * there is one. Measured by bisection with 2.6.12: one byte more is refused at start;
 * and 2.6 warns when what is left, less 8, is under `tune.maxrewrite`.
 */
const MESSAGE_OVERHEAD = 49;
const BLOCK = 8;
const START_LINE_FIXED = 20;

/** A response head and body after HAProxy's HTTP/1 parsing, before the connection's own output rules. */
interface ParsedResponse {
  readonly versionText: string;
  /** HTTP/1.1 or above: written "HTTP/1.1", keep-alive by default. */
  readonly ver11: boolean;
  readonly statusText: string;
  /** The status as HAProxy's 16-bit field holds it. */
  readonly status: number;
  readonly reason: string;
  /** [lower-case name, value], as HAProxy keeps them. */
  readonly headers: readonly (readonly [string, string])[];
  readonly closeToken: boolean;
  readonly transferEncoding: boolean;
  /** The last transfer-coding is chunked. */
  readonly chunked: boolean;
  /** -1: none. */
  readonly contentLength: number;
  readonly body: Buffer;
  /** Room the internal message takes, without the body, and in all. */
  readonly headCost: number;
  readonly cost: number;
}

class HeadError {
  readonly offset: number;
  readonly detail: string;
  constructor(offset: number, detail: string) {
    this.offset = offset;
    this.detail = detail;
  }
}

// tchar (RFC 9110): the bytes a header name may hold
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Characters HAProxy's start-line parser takes as part of a response version. */
function isVersionChar(c: number): boolean {
  return c === 0x48 || c === 0x54 || c === 0x50 || c === 0x2f || c === 0x2e || (c >= 0x30 && c <= 0x39);
}

const isBlank = (c: number) => c === 0x20 || c === 0x09;

function trimBlanks(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isBlank(s.charCodeAt(a))) a++;
  while (b > a && isBlank(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** Reads the head in `s` (latin1); throws HeadError. Returns the fields and where the body starts. */
function readHead(s: string, maxFields: number) {
  const n = s.length;
  let i = 0;
  const lineEnd = (at: number): number => {
    // returns the index after CRLF / LF at `at`, or -1 when `at` is not an end of line
    const c = s.charCodeAt(at);
    if (c === 0x0a) return at + 1;
    if (c === 0x0d) {
      if (at + 1 >= n) throw new HeadError(at, 'the head is cut short');
      if (s.charCodeAt(at + 1) !== 0x0a) throw new HeadError(at + 1, 'CR not followed by LF');
      return at + 2;
    }
    return -1;
  };
  // empty lines before the status line are skipped
  while (i < n) {
    const e = lineEnd(i);
    if (e < 0) break;
    i = e;
  }
  const vStart = i;
  while (i < n && isVersionChar(s.charCodeAt(i))) i++;
  if (i === vStart || i >= n || !isBlank(s.charCodeAt(i))) {
    throw new HeadError(i, 'the status line does not start with an HTTP version');
  }
  const versionText = s.slice(vStart, i);
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  const cStart = i;
  let status = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    status = (status * 10 + (c - 0x30)) % 65536;
    i++;
  }
  if (i === cStart) throw new HeadError(i, 'no status code');
  if (i >= n) throw new HeadError(i, 'the head is cut short');
  const statusText = s.slice(cStart, i);
  let reason = '';
  let e = lineEnd(i);
  if (e < 0) {
    if (!isBlank(s.charCodeAt(i))) throw new HeadError(i, 'the status code is not a number');
    while (i < n && isBlank(s.charCodeAt(i))) i++;
    const rStart = i;
    while (i < n && s.charCodeAt(i) !== 0x0d && s.charCodeAt(i) !== 0x0a) i++;
    if (i >= n) throw new HeadError(i, 'the head is cut short');
    reason = s.slice(rStart, i);
    e = lineEnd(i);
  }
  i = e;

  const fields: [string, string][] = [];
  for (;;) {
    if (i >= n) throw new HeadError(i, 'the head does not end with an empty line');
    const end = lineEnd(i);
    if (end >= 0) {
      i = end;
      break;
    }
    const c = s.charCodeAt(i);
    if (isBlank(c)) {
      // obs-fold: continues the previous field; its line break becomes spaces
      const prev = fields[fields.length - 1];
      if (prev === undefined) throw new HeadError(i, 'a folded line with no header before it');
      const vs = i;
      while (i < n && s.charCodeAt(i) !== 0x0d && s.charCodeAt(i) !== 0x0a) i++;
      if (i >= n) throw new HeadError(i, 'the head is cut short');
      prev[1] += s.slice(vs, i);
      const le = lineEnd(i);
      prev[1] += le - i === 2 ? '  ' : ' ';
      i = le;
      continue;
    }
    const ns = i;
    while (i < n && s.charCodeAt(i) < 128 && TCHAR[s.charCodeAt(i)] === 1) i++;
    if (i === ns || i >= n || s.charCodeAt(i) !== 0x3a) {
      throw new HeadError(i, i === ns ? 'empty header name' : 'invalid character in a header name');
    }
    const name = s.slice(ns, i);
    i++;
    const vs = i;
    while (i < n && s.charCodeAt(i) !== 0x0d && s.charCodeAt(i) !== 0x0a) i++;
    if (i >= n) throw new HeadError(i, 'the head is cut short');
    const value = s.slice(vs, i);
    const le = lineEnd(i);
    // the line break is kept for a possible fold and trimmed later
    fields.push([name, `${value}${le - i === 2 ? '  ' : ' '}`]);
    if (fields.length > maxFields) throw new HeadError(ns, `more than ${maxFields} header fields`);
    i = le;
  }
  for (const f of fields) f[1] = trimBlanks(f[1]);
  return { versionText, statusText, status, reason, fields, bodyStart: i };
}

const MAX_CONTENT_LENGTH = 2n ** 63n - 1n;

/** A Content-Length value: a list of identical decimal numbers. Returns [number, text kept]. */
function contentLength(value: string): [number, string] | null {
  const parts = value.split(',');
  let n: bigint | null = null;
  let last = '';
  for (const p of parts) {
    const t = trimBlanks(p);
    if (t.length === 0) return null;
    for (let k = 0; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c < 0x30 || c > 0x39) return null;
    }
    const v = BigInt(t);
    if (v > MAX_CONTENT_LENGTH) return null;
    if (n !== null && v !== n) return null;
    n = v;
    last = t;
  }
  if (n === null) return null;
  return [Number(n), parts.length > 1 ? last : value];
}

function parseResponse(raw: Buffer, maxhdr: number): ParsedResponse {
  const head = readHead(raw.toString('latin1'), maxhdr - 1);
  const headers: [string, string][] = [];
  let contentLengthValue = -1;
  let transferEncoding = false;
  let chunked = false;
  let closeToken = false;
  for (const [name, value] of head.fields) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') {
      const cl = contentLength(value);
      if (cl === null) throw new HeadError(0, `invalid Content-Length "${value}"`);
      if (transferEncoding) continue;
      if (contentLengthValue >= 0) {
        if (cl[0] !== contentLengthValue) throw new HeadError(0, 'two different Content-Length values');
        continue;
      }
      contentLengthValue = cl[0];
      headers.push([lower, cl[1]]);
      continue;
    }
    if (lower === 'transfer-encoding') {
      transferEncoding = true;
      const codings = value.split(',').map((c) => trimBlanks(c).toLowerCase());
      chunked = codings[codings.length - 1] === 'chunked';
      // Transfer-Encoding wins: Content-Length is dropped
      const at = headers.findIndex((h) => h[0] === 'content-length');
      if (at >= 0) headers.splice(at, 1);
      contentLengthValue = -1;
    } else if (lower === 'connection') {
      for (const t of value.split(',')) if (trimBlanks(t).toLowerCase() === 'close') closeToken = true;
    }
    headers.push([lower, value]);
  }
  const v = head.versionText;
  const body = raw.subarray(head.bodyStart);
  let headCost = MESSAGE_OVERHEAD + BLOCK + START_LINE_FIXED;
  headCost += v.length + head.statusText.length + head.reason.length;
  for (const [n, val] of headers) headCost += BLOCK + n.length + val.length;
  headCost += BLOCK;
  return {
    versionText: v,
    ver11:
      v.length === 8 && (v.charCodeAt(5) > 0x31 || (v.charCodeAt(5) === 0x31 && v.charCodeAt(7) >= 0x31)),
    statusText: head.statusText,
    status: head.status,
    reason: head.reason,
    headers,
    closeToken,
    transferEncoding,
    chunked,
    contentLength: contentLengthValue,
    body,
    headCost,
    cost: body.length > 0 ? headCost + BLOCK + body.length : headCost,
  };
}

/** Checks a parsed file as 2.6 does; throws ErrorFileError. Returns the start-up warnings. */
function check(p: ParsedResponse, file: string, status: number, limits: Required<ErrorFileLimits>): string[] {
  const fail = (code: ErrorFileErrorCode, detail: string) => new ErrorFileError(code, file, status, detail);
  const v = p.versionText;
  if (v.length !== 8)
    throw fail('HAP_ERR_ERRORFILE_VERSION', `"${v}" is not an HTTP version of the form HTTP/x.y`);
  if (p.status < 200 && (p.status === 100 || p.status >= 102)) {
    throw fail('HAP_ERR_ERRORFILE_INTERIM', `status ${p.status} is an interim (1xx) response, not an answer`);
  }
  let bodyless = false;
  let clen = false;
  if (p.status === 204 || p.status === 304) {
    bodyless = true;
  } else if (p.chunked) {
    throw fail('HAP_ERR_ERRORFILE_CHUNKED', 'a chunked body is not supported, use Content-Length');
  } else if (p.contentLength >= 0) {
    clen = true;
    bodyless = p.contentLength === 0;
  }
  if (bodyless && p.body.length > 0) {
    throw fail(
      'HAP_ERR_ERRORFILE_UNEXPECTED_BODY',
      `${p.body.length} bytes of body after a head that announces none`,
    );
  }
  if (clen && p.body.length !== p.contentLength) {
    throw fail(
      'HAP_ERR_ERRORFILE_LENGTH',
      `the body has ${p.body.length} bytes, Content-Length says ${p.contentLength}`,
    );
  }
  if (p.cost > limits.bufsize) {
    const what = p.headCost > limits.bufsize ? 'its head' : 'the response';
    throw fail(
      'HAP_ERR_ERRORFILE_TOO_LARGE',
      `${what} does not fit a buffer of ${limits.bufsize} bytes (tune.bufsize) once converted`,
    );
  }
  const warnings: string[] = [];
  if (limits.bufsize - p.cost - BLOCK < limits.maxrewrite) {
    warnings.push(
      `errorfile '${file}' leaves less than ${limits.maxrewrite} bytes (tune.maxrewrite) for rewriting; ` +
        'http-after-response rules that add to it may fail with an internal error',
    );
  }
  return warnings;
}

const EMPTY = Buffer.alloc(0);

/** Builds the bytes of each form from a checked message. */
function render(p: ParsedResponse): {
  pages: Record<ErrorPageForm, Buffer>;
  heads: Record<ErrorPageForm, Buffer>;
  keepAlive: boolean;
  replyHead: string;
} {
  let head = `${p.ver11 ? 'HTTP/1.1' : p.versionText} ${p.statusText} ${p.reason}\r\n`;
  for (const [name, value] of p.headers) {
    if (name === 'connection') {
      const kept = value
        .split(',')
        .map(trimBlanks)
        .filter((t) => {
          const l = t.toLowerCase();
          return t.length > 0 && l !== 'close' && l !== 'keep-alive';
        });
      if (kept.length > 0) head += `connection: ${kept.join(',')}\r\n`;
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  const bodyless = p.status === 204 || p.status === 304;
  const keepAlive = !p.closeToken && !p.transferEncoding && (p.contentLength >= 0 || bodyless);
  const body = p.body;
  const build = (extra: string) => {
    const h = Buffer.from(`${head}${extra}\r\n`, 'latin1');
    const page = Buffer.concat([h, body]);
    return { page, head: page.subarray(0, h.length) };
  };
  const close = build(p.ver11 ? 'connection: close\r\n' : '');
  const ka11 = keepAlive ? build(p.ver11 ? '' : 'connection: keep-alive\r\n') : close;
  const ka10 = keepAlive ? build('connection: keep-alive\r\n') : close;
  return {
    pages: { 'keep-alive': ka11.page, 'keep-alive-http10': ka10.page, close: close.page },
    heads: { 'keep-alive': ka11.head, 'keep-alive-http10': ka10.head, close: close.head },
    keepAlive,
    replyHead: head,
  };
}

function limitsOf(l: ErrorFileLimits | undefined): Required<ErrorFileLimits> {
  return {
    bufsize: l?.bufsize ?? DEFAULT_BUFSIZE,
    maxrewrite: l?.maxrewrite ?? DEFAULT_MAXREWRITE,
    maxhdr: l?.maxhdr ?? DEFAULT_MAXHDR,
  };
}

function freeze(m: ErrorMessage): ErrorMessage {
  Object.freeze(m.pages);
  Object.freeze(m.heads);
  Object.freeze(m.warnings);
  return Object.freeze(m);
}

/**
 * Turns the bytes of an `errorfile` into the message HAProxy 2.6 would send, or throws
 * `ErrorFileError` where 2.6 refuses to start. `source` names the file in messages.
 */
export function parseErrorFile(
  bytes: Buffer,
  status: number,
  source: string,
  limits?: ErrorFileLimits,
): ErrorMessage {
  const lim = limitsOf(limits);
  if (!ERROR_PAGE_STATUSES.includes(status)) {
    throw new ErrorFileError(
      'HAP_ERR_ERRORFILE_STATUS',
      source,
      status,
      `HAProxy 2.6 has no page for status ${status} (only ${ERROR_PAGE_STATUSES.join(', ')})`,
    );
  }
  const warnings: string[] = [];
  let raw = bytes;
  if (raw.length > lim.bufsize) {
    warnings.push(
      `errorfile '${source}' is larger than ${lim.bufsize} bytes (tune.bufsize): only the first ${lim.bufsize} are read`,
    );
    raw = raw.subarray(0, lim.bufsize);
  }
  if (raw.length === 0) {
    return freeze({
      status,
      source,
      empty: true,
      keepAlive: false,
      warnings,
      pages: { 'keep-alive': EMPTY, 'keep-alive-http10': EMPTY, close: EMPTY },
      heads: { 'keep-alive': EMPTY, 'keep-alive-http10': EMPTY, close: EMPTY },
      replyHead: '',
      body: EMPTY,
    });
  }
  let parsed: ParsedResponse;
  try {
    parsed = parseResponse(raw, lim.maxhdr);
  } catch (e) {
    if (e instanceof HeadError) {
      throw new ErrorFileError(
        'HAP_ERR_ERRORFILE_HEAD',
        source,
        status,
        `not a valid HTTP response head (byte ${e.offset}: ${e.detail})`,
      );
    }
    throw e;
  }
  warnings.push(...check(parsed, source, status, lim));
  const r = render(parsed);
  return freeze({
    status,
    source,
    empty: false,
    keepAlive: r.keepAlive,
    warnings,
    pages: r.pages,
    heads: r.heads,
    replyHead: r.replyHead,
    body: parsed.body,
  });
}

/**
 * Reads an `errorfile <code> <file>` at start, as HAProxy 2.6 does (see `parseErrorFile`).
 * Throws `ErrorFileError` naming the file when 2.6 would refuse it.
 */
export function loadErrorFile(path: string, status: number, limits?: ErrorFileLimits): ErrorMessage {
  if (!ERROR_PAGE_STATUSES.includes(status)) return parseErrorFile(EMPTY, status, path, limits);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EISDIR') {
      throw new ErrorFileError('HAP_ERR_ERRORFILE_READ', path, status, 'cannot read it: it is a directory');
    }
    throw new ErrorFileError(
      'HAP_ERR_ERRORFILE_OPEN',
      path,
      status,
      `cannot open it (${err.code ?? err.message})`,
    );
  }
  return parseErrorFile(bytes, status, path, limits);
}

// The built-in messages, built once.
const BUILT_IN_MESSAGES = new Map<number, ErrorMessage>();
const RAW_PAGES = new Map<number, Buffer>();
for (const b of BUILT_IN) {
  const text = Buffer.from(builtInText(b), 'latin1');
  const m = parseErrorFile(text, b.status, 'built-in');
  BUILT_IN_MESSAGES.set(b.status, m);
  if (CONNECTION_LEVEL.includes(b.status)) RAW_PAGES.set(b.status, text);
}

/** The built-in message for `status`, or undefined when HAProxy 2.6 has none. */
export function errorMessage(status: number): ErrorMessage | undefined {
  return BUILT_IN_MESSAGES.get(status);
}

/**
 * The built-in page for `status` as HAProxy 2.6 sends it from a `http-request deny`,
 * a 502/503/504 and the like, in the given form (HTTP/1.1 keep-alive by default);
 * `head` leaves the body out (HEAD requests). Undefined when 2.6 has no such page.
 */
export function errorPage(
  status: number,
  form: ErrorPageForm = 'keep-alive',
  head = false,
): Buffer | undefined {
  const m = BUILT_IN_MESSAGES.get(status);
  if (m === undefined) return undefined;
  return head ? m.heads[form] : m.pages[form];
}

/**
 * The page the HTTP/1 connection layer sends by itself before any request is parsed —
 * 400 (unparsable request), 408 (`timeout http-request`), 413 (HTTP/1.0 GET/HEAD/DELETE
 * with a body), 422 (unsupported request Transfer-Encoding), 500, 501 — then closes.
 * These are the raw built-in texts; `errorfile` does not change them in 2.6.
 */
export function connectionErrorPage(status: number): Buffer | undefined {
  return RAW_PAGES.get(status);
}

/**
 * The page to send for `status`: the `errorfile` one from `overrides` when there is one,
 * else the built-in one. An empty Buffer means "send nothing, close".
 */
export function errorPageFor(
  status: number,
  overrides?: ReadonlyMap<number, ErrorMessage>,
  form: ErrorPageForm = 'keep-alive',
  head = false,
): Buffer | undefined {
  const m = overrides?.get(status) ?? BUILT_IN_MESSAGES.get(status);
  if (m === undefined) return undefined;
  return head ? m.heads[form] : m.pages[form];
}
