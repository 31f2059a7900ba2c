// HTTP fetches in `mode tcp` (HAProxy's smp_prefetch_htx on a raw buffer): the bytes held
// during `tcp-request content` inspection are parsed as an HTTP/1 request head, so that
// `HTTP`, `method`, `path`, `hdr(host)`… work before any HTTP processing. A head that is not
// complete yet gives nothing and may change (the rule waits, HAProxy's "missing data"); one
// that cannot be HTTP gives nothing for good. As in HAProxy 2.6, the message built this way
// starts with two headers named `:method` and `:path` (the parser's pseudo-headers, which
// its conversion keeps): `req.hdr_cnt` counts them and `req.hdr(:path)` reads one.
import type { HttpMessageView, SampleEnv } from '../env.ts';

type Parsed = HttpMessageView | 'partial' | 'invalid';

const CACHE = new WeakMap<Buffer, Parsed>();

const CR = 13;
const LF = 10;

// RFC 7230 tchar
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TCHAR[c.charCodeAt(0)] = 1;

function isToken(c: number): boolean {
  return TCHAR[c] === 1;
}

function isVerChar(c: number): boolean {
  return c === 72 || c === 84 || c === 80 || c === 47 || c === 46 || (c >= 48 && c <= 57);
}

const isSpHt = (c: number): boolean => c === 32 || c === 9;

/** The request head at the start of `b`, as HAProxy's HTTP/1 parser reads it. */
export function parseRequestHead(b: Buffer): Parsed {
  const n = b.length;
  let i = 0;
  // heading empty lines are skipped
  while (i < n && (b[i] === CR || b[i] === LF)) {
    if (b[i] === CR && i + 1 < n && b[i + 1] !== LF) return 'invalid';
    i++;
  }
  if (i >= n) return 'partial';
  const ms = i;
  while (i < n && isToken(b[i]!)) i++;
  if (i >= n) return 'partial';
  const method = b.toString('latin1', ms, i);
  let uri = '';
  let version = '';
  if (i === ms) return 'invalid';
  if (isSpHt(b[i]!)) {
    while (i < n && isSpHt(b[i]!)) i++;
    if (i >= n) return 'partial';
    if (b[i] !== CR && b[i] !== LF) {
      const us = i;
      while (i < n && b[i]! >= 33 && b[i]! <= 126) i++;
      if (i >= n) return 'partial';
      const c = b[i]!;
      if (!isSpHt(c) && c !== CR && c !== LF) return 'invalid';
      uri = b.toString('latin1', us, i);
      while (i < n && isSpHt(b[i]!)) i++;
      if (i >= n) return 'partial';
      if (b[i] !== CR && b[i] !== LF) {
        const vs = i;
        while (i < n && isVerChar(b[i]!)) i++;
        if (i >= n) return 'partial';
        if (b[i] !== CR && b[i] !== LF) return 'invalid';
        version = b.toString('latin1', vs, i);
      }
    }
  } else if (b[i] !== CR && b[i] !== LF) return 'invalid';
  // end of the request line
  if (b[i] === CR) {
    if (i + 1 >= n) return 'partial';
    if (b[i + 1] !== LF) return 'invalid';
    i++;
  }
  i++;
  // HAProxy 2.6 keeps the parser's pseudo-headers as headers of the message it builds
  const headers: string[] = [':method', method, ':path', uri];
  if (version === '') {
    // HTTP/0.9: no headers; only "GET <uri>" is turned into an HTTP/1.0 request
    if (method !== 'GET' || uri === '') return 'invalid';
    return { method, target: uri, version: 'HTTP/1.0', status: 0, headers, body: undefined };
  }
  for (;;) {
    if (i >= n) return 'partial';
    const c = b[i]!;
    if (c === CR || c === LF) {
      if (c === CR) {
        if (i + 1 >= n) return 'partial';
        if (b[i + 1] !== LF) return 'invalid';
      }
      return { method, target: uri, version, status: 0, headers, body: undefined };
    }
    const ns = i;
    while (i < n && isToken(b[i]!)) i++;
    if (i >= n) return 'partial';
    if (b[i] !== 58 || i === ns) return 'invalid';
    const name = b.toString('latin1', ns, i);
    i++;
    // the value, folded lines joined by spaces
    let value = '';
    for (;;) {
      const vs = i;
      while (i < n && b[i] !== CR && b[i] !== LF) i++;
      if (i >= n) return 'partial';
      value += b.toString('latin1', vs, i);
      if (b[i] === CR) {
        if (i + 1 >= n) return 'partial';
        if (b[i + 1] !== LF) return 'invalid';
        i++;
      }
      i++;
      if (i >= n) return 'partial';
      if (!isSpHt(b[i]!)) break;
      value += ' ';
    }
    headers.push(name.toLowerCase(), value.replace(/^[ \t]+|[ \t]+$/g, ''));
  }
}

/**
 * The request HTTP fetches read: the parsed one, else in tcp mode the head found in the
 * payload (setting `missed` while it is incomplete and more may come).
 */
export function requestOf(env: SampleEnv): HttpMessageView | undefined {
  const r = env.req;
  if (r !== undefined) return r;
  const b = env.payload;
  if (b === undefined) return undefined;
  let p = CACHE.get(b);
  if (p === undefined) {
    p = parseRequestHead(b);
    CACHE.set(b, p);
  }
  if (typeof p === 'object') return p;
  if (p === 'partial') mayChange(env);
  return undefined;
}

/** HAProxy's SMP_F_MAY_CHANGE: reported to the caller while the payload is not final. */
export function mayChange(env: SampleEnv): void {
  if (env.payloadFinal === false) env.missed = true;
}

/** Whether the request comes from the payload of a tcp-mode stream (no body known). */
export function isTcpRequest(env: SampleEnv): boolean {
  return env.req === undefined && env.payload !== undefined;
}
