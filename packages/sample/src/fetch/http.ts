// Layer 7 fetches (HAProxy manual 7.3.6): the request and the response as parsed.
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchCtx, FetchDef } from '../defs.ts';
import type { HttpMessageView, SampleEnv, SampleValue } from '../env.ts';
import { fullHash } from '../hash.ts';
import { ipFromEnv, ipv4, ipv6, parseIpv6 } from '../ip.ts';
import { strl2ic } from '../types.ts';
import {
  type CookieOut,
  countValues,
  cursorValue,
  extractCookie,
  findParam,
  iterValue,
  nameIs,
  nextValue,
  pathStart,
  resetCursor,
  valueAt,
} from './http-parse.ts';
import { isTcpRequest, mayChange, requestOf } from './http-tcp.ts';

type Side = 'req' | 'res' | 'ctx';

const EMPTY = Buffer.alloc(0);

function msg(env: SampleEnv, side: Side, ctx: FetchCtx): HttpMessageView | undefined {
  const s = side === 'ctx' ? ctx.dir : side;
  return s === 'req' ? requestOf(env) : env.res;
}

/** Header names are compared in lower case: the argument is lowered once, at compile time. */
function lowerName(args: ArgVal[]): void {
  if (typeof args[0] === 'string') args[0] = args[0].toLowerCase();
}

/** hdr, req.hdr, res.hdr, shdr, req.fhdr, res.fhdr: one value, or each in turn for ACLs. */
function headerValue(side: Side, full: boolean) {
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const m = msg(env, side, ctx);
    const name = args[0];
    if (!m || typeof name !== 'string') {
      ctx.more = false;
      return undefined;
    }
    const occ = (args[1] as number | undefined) ?? 0;
    if (occ === 0 && ctx.iterate)
      return iterValue(m.headers, name, full, ctx) ? cursorValue(m.headers, ctx) : undefined;
    ctx.more = false;
    return valueAt(m.headers, name, full, occ === 0 ? -1 : occ, ctx)
      ? cursorValue(m.headers, ctx)
      : undefined;
  };
}

function headerCount(side: Side, full: boolean) {
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const m = msg(env, side, ctx);
    if (!m) return undefined;
    return countValues(m.headers, (args[0] as string | undefined) ?? '', full, ctx);
  };
}

function headerInt(side: Side) {
  const get = headerValue(side, false);
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const v = get(env, args, ctx);
    return v === undefined ? undefined : strl2ic(v as string);
  };
}

/** An IPv4 address (maybe with ":port") or an IPv6 one, as hdr_ip accepts them. */
function headerIp(v: string): SampleValue | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?::(\d+))?$/.exec(v);
  if (m) {
    const b = [m[1], m[2], m[3], m[4]].map(Number);
    if (b.every((x) => x <= 255) && (m[5] === undefined || Number(m[5]) <= 65535))
      return ipv4(new Uint8Array(b));
    return undefined;
  }
  const b6 = parseIpv6(v);
  return b6 ? ipv6(b6) : undefined;
}

function headerIpFetch(side: Side) {
  const get = headerValue(side, false);
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    for (;;) {
      const v = get(env, args, ctx);
      if (v === undefined) return undefined;
      const ip = headerIp(v as string);
      if (ip) return ip;
      if (!ctx.more) return undefined;
    }
  };
}

function isResSide(side: Side, ctx: FetchCtx): boolean {
  return (side === 'ctx' ? ctx.dir : side) === 'res';
}

/** req.cook, res.cook, cook, scook, cookie: the last occurrence, the first without a name, each for ACLs. */
function cookieValue(side: Side) {
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const m = msg(env, side, ctx);
    if (!m) {
      ctx.more = false;
      return undefined;
    }
    const hdr = isResSide(side, ctx) ? 'set-cookie' : 'cookie';
    const name = (args[0] as string | undefined) ?? '';
    const list = ctx.dir === 'req';
    const h = m.headers;
    if (ctx.iterate) {
      if (!ctx.more) {
        resetCursor(ctx);
        ctx.k = -1;
      }
      for (;;) {
        if (ctx.k < 0) {
          if (!nextValue(h, hdr, false, ctx)) {
            ctx.more = false;
            return undefined;
          }
          if (ctx.end - ctx.start < name.length + 1) continue;
          ctx.k = ctx.start;
        }
        const v = h[ctx.h + 1]!;
        const r = extractCookie(v, ctx.k, ctx.end, name, list, ctx);
        if (r < 0) {
          ctx.k = -1;
          continue;
        }
        ctx.k = r;
        ctx.more = true;
        return v.slice(ctx.vs, ctx.ve);
      }
    }
    ctx.more = false;
    resetCursor(ctx);
    let found: string | undefined;
    while (nextValue(h, hdr, false, ctx)) {
      if (ctx.end - ctx.start < name.length + 1) continue;
      const v = h[ctx.h + 1]!;
      for (let pos = extractCookie(v, ctx.start, ctx.end, name, list, ctx); pos >= 0; ) {
        found = v.slice(ctx.vs, ctx.ve);
        if (name.length === 0) return found;
        pos = extractCookie(v, pos, ctx.end, name, list, ctx);
      }
    }
    return found;
  };
}

function cookieCount(side: Side) {
  const out: CookieOut = { vs: 0, ve: 0 };
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const m = msg(env, side, ctx);
    if (!m) return undefined;
    const hdr = isResSide(side, ctx) ? 'set-cookie' : 'cookie';
    const name = (args[0] as string | undefined) ?? '';
    const list = ctx.dir === 'req';
    let n = 0;
    resetCursor(ctx);
    while (nextValue(m.headers, hdr, false, ctx)) {
      if (ctx.end - ctx.start < name.length + 1) continue;
      const v = m.headers[ctx.h + 1]!;
      for (let pos = extractCookie(v, ctx.start, ctx.end, name, list, out); pos >= 0; n++) {
        pos = extractCookie(v, pos, ctx.end, name, list, out);
      }
    }
    return n;
  };
}

function cookieInt(side: Side) {
  const get = cookieValue(side);
  return (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const v = get(env, args, ctx);
    return v === undefined ? undefined : strl2ic(v as string);
  };
}

/** url_param / urlp: the first occurrence, each in turn for ACLs. */
function urlParam(env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined {
  const r = requestOf(env);
  if (!r) {
    ctx.more = false;
    return undefined;
  }
  const t = r.target;
  const name = (args[0] as string | undefined) ?? '';
  const delim = typeof args[1] === 'string' && args[1].length > 0 ? args[1].charCodeAt(0) : 63;
  if (!ctx.iterate || !ctx.more) {
    const q = t.indexOf(String.fromCharCode(delim));
    if (q < 0) {
      ctx.more = false;
      return undefined;
    }
    ctx.k = q + 1;
  }
  if (findParam(t, ctx.k, t.length, name, delim, ctx) < 0) {
    ctx.more = false;
    return undefined;
  }
  ctx.k = ctx.ve;
  ctx.more = ctx.iterate && ctx.k < t.length;
  return t.slice(ctx.vs, ctx.ve);
}

function path(env: SampleEnv, withQuery: boolean): string | undefined {
  const r = requestOf(env);
  if (!r) return undefined;
  const t = r.target;
  const s = pathStart(t);
  if (s < 0) return undefined;
  if (withQuery) return s === 0 ? t : t.slice(s);
  const q = t.indexOf('?', s);
  return q < 0 ? (s === 0 ? t : t.slice(s)) : t.slice(s, q);
}

/** The first value of the first Host header, as base and baseq take it. */
function firstHost(m: HttpMessageView, ctx: FetchCtx): string | undefined {
  resetCursor(ctx);
  if (!nextValue(m.headers, 'host', false, ctx) || ctx.end === ctx.start) return undefined;
  return cursorValue(m.headers, ctx);
}

function base(withQuery: boolean) {
  return (env: SampleEnv, _a: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const r = requestOf(env);
    if (!r) return undefined;
    const host = firstHost(r, ctx);
    if (host === undefined) return path(env, withQuery);
    const p = path(env, withQuery);
    return p && p.charCodeAt(0) === 47 ? host + p : host;
  };
}

function version(m: HttpMessageView | undefined): string | undefined {
  if (!m) return undefined;
  const i = m.version.indexOf('/');
  if (i < 0 || i + 1 >= m.version.length) return undefined;
  return m.version.slice(i + 1);
}

function body(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? requestOf(env) : env.res;
    if (!m) return undefined;
    // a head found in a tcp-mode payload carries no body (yet)
    if (side === 'req' && isTcpRequest(env)) mayChange(env);
    return m.body ?? EMPTY;
  };
}

function bodyLen(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? requestOf(env) : env.res;
    if (!m) return undefined;
    return m.body?.length ?? 0;
  };
}

/** The advertised length: Content-Length when there is one, else what is there. */
function bodySize(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? requestOf(env) : env.res;
    if (!m) return undefined;
    const h = m.headers;
    for (let i = 0; i < h.length; i += 2) {
      if (nameIs(h[i]!, 'content-length')) {
        const n = Number(h[i + 1]!.trim());
        if (Number.isSafeInteger(n)) return n;
      }
    }
    return m.body?.length ?? 0;
  };
}

/** All headers as HAProxy rebuilds them: lower-case names, "name: value" lines, an empty line. */
function hdrs(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? requestOf(env) : env.res;
    if (!m) return undefined;
    let s = '';
    const h = m.headers;
    for (let i = 0; i < h.length; i += 2) s += `${h[i]!.toLowerCase()}: ${h[i + 1]}\r\n`;
    return `${s}\r\n`;
  };
}

function hdrNames(side: 'req' | 'res') {
  return (env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined => {
    const m = side === 'req' ? requestOf(env) : env.res;
    if (!m) return undefined;
    const d = typeof args[0] === 'string' && args[0].length > 0 ? args[0][0]! : ',';
    let s = '';
    const h = m.headers;
    for (let i = 0; i < h.length; i += 2) s += (i === 0 ? '' : d) + h[i]!.toLowerCase();
    return s;
  };
}

/**
 * Bytes of the request buffer: the payload in tcp mode; for an HTTP request, HAProxy's
 * internal (HTX) size: 21 bytes of start line overhead, the start line's three parts,
 * each header's name and value, and the body received.
 */
export function requestLength(env: SampleEnv): number | undefined {
  if (env.payload) return env.payload.length;
  const r = requestOf(env);
  if (!r) return undefined;
  let n = 21 + r.method.length + r.target.length + r.version.length;
  for (const x of r.headers) n += x.length;
  return n + (r.body?.length ?? 0);
}

const NAME_OCC = argSpec(0, 'str', 'sint');
const NAME = argSpec(0, 'str');

function hdrDef(name: string, side: Side, full: boolean): FetchDef {
  return { name, args: NAME_OCC, out: 'str', check: lowerName, fn: headerValue(side, full) };
}

export const HTTP_FETCHES: readonly FetchDef[] = [
  { name: 'method', args: NO_ARGS, out: 'meth', fn: (env) => requestOf(env)?.method },
  { name: 'path', args: NO_ARGS, out: 'str', fn: (env) => path(env, false) },
  { name: 'pathq', args: NO_ARGS, out: 'str', fn: (env) => path(env, true) },
  { name: 'url', args: NO_ARGS, out: 'str', fn: (env) => requestOf(env)?.target },
  {
    name: 'query',
    args: NO_ARGS,
    out: 'str',
    fn: (env) => {
      const t = requestOf(env)?.target;
      if (t === undefined) return undefined;
      const q = t.indexOf('?');
      return q < 0 ? undefined : t.slice(q + 1);
    },
  },
  { name: 'base', args: NO_ARGS, out: 'str', fn: base(false) },
  { name: 'baseq', args: NO_ARGS, out: 'str', fn: base(true) },
  { name: 'url_param', args: argSpec(0, 'str', 'str'), out: 'str', fn: urlParam },
  { name: 'urlp', args: argSpec(0, 'str', 'str'), out: 'str', fn: urlParam },
  {
    name: 'urlp_val',
    args: argSpec(0, 'str', 'str'),
    out: 'sint',
    fn: (env, args, ctx) => {
      const v = urlParam(env, args, ctx);
      return v === undefined ? undefined : strl2ic(v as string);
    },
  },
  hdrDef('hdr', 'ctx', false),
  hdrDef('req.hdr', 'req', false),
  hdrDef('res.hdr', 'res', false),
  hdrDef('shdr', 'res', false),
  hdrDef('req.fhdr', 'req', true),
  hdrDef('res.fhdr', 'res', true),
  { name: 'hdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('req', false) },
  { name: 'req.hdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('req', false) },
  { name: 'res.hdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('res', false) },
  { name: 'shdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('res', false) },
  { name: 'req.fhdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('req', true) },
  { name: 'res.fhdr_cnt', args: NAME, out: 'sint', check: lowerName, fn: headerCount('res', true) },
  { name: 'hdr_val', args: NAME_OCC, out: 'sint', check: lowerName, fn: headerInt('req') },
  { name: 'req.hdr_val', args: NAME_OCC, out: 'sint', check: lowerName, fn: headerInt('req') },
  { name: 'res.hdr_val', args: NAME_OCC, out: 'sint', check: lowerName, fn: headerInt('res') },
  { name: 'shdr_val', args: NAME_OCC, out: 'sint', check: lowerName, fn: headerInt('res') },
  { name: 'hdr_ip', args: NAME_OCC, out: 'ipv4', check: lowerName, fn: headerIpFetch('req') },
  { name: 'req.hdr_ip', args: NAME_OCC, out: 'ipv4', check: lowerName, fn: headerIpFetch('req') },
  { name: 'res.hdr_ip', args: NAME_OCC, out: 'ipv4', check: lowerName, fn: headerIpFetch('res') },
  { name: 'shdr_ip', args: NAME_OCC, out: 'ipv4', check: lowerName, fn: headerIpFetch('res') },
  { name: 'req.hdrs', args: NO_ARGS, out: 'bin', fn: hdrs('req') },
  { name: 'res.hdrs', args: NO_ARGS, out: 'bin', fn: hdrs('res') },
  { name: 'req.hdr_names', args: NAME, out: 'str', fn: hdrNames('req') },
  { name: 'res.hdr_names', args: NAME, out: 'str', fn: hdrNames('res') },
  { name: 'cook', args: NAME, out: 'str', fn: cookieValue('req') },
  { name: 'req.cook', args: NAME, out: 'str', fn: cookieValue('req') },
  { name: 'res.cook', args: NAME, out: 'str', fn: cookieValue('res') },
  { name: 'scook', args: NAME, out: 'str', fn: cookieValue('res') },
  { name: 'cookie', args: NAME, out: 'str', fn: cookieValue('ctx') },
  { name: 'cook_cnt', args: NAME, out: 'sint', fn: cookieCount('req') },
  { name: 'req.cook_cnt', args: NAME, out: 'sint', fn: cookieCount('req') },
  { name: 'res.cook_cnt', args: NAME, out: 'sint', fn: cookieCount('res') },
  { name: 'scook_cnt', args: NAME, out: 'sint', fn: cookieCount('res') },
  { name: 'cook_val', args: NAME, out: 'sint', fn: cookieInt('req') },
  { name: 'req.cook_val', args: NAME, out: 'sint', fn: cookieInt('req') },
  { name: 'res.cook_val', args: NAME, out: 'sint', fn: cookieInt('res') },
  { name: 'scook_val', args: NAME, out: 'sint', fn: cookieInt('res') },
  { name: 'req.ver', args: NO_ARGS, out: 'str', fn: (env) => version(requestOf(env)) },
  { name: 'req_ver', args: NO_ARGS, out: 'str', fn: (env) => version(requestOf(env)) },
  { name: 'res.ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.res) },
  { name: 'resp_ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.res) },
  { name: 'status', args: NO_ARGS, out: 'sint', fn: (env) => env.res?.status },
  { name: 'req.body', args: NO_ARGS, out: 'bin', fn: body('req') },
  { name: 'res.body', args: NO_ARGS, out: 'bin', fn: body('res') },
  { name: 'req.body_len', args: NO_ARGS, out: 'sint', fn: bodyLen('req') },
  { name: 'res.body_len', args: NO_ARGS, out: 'sint', fn: bodyLen('res') },
  { name: 'req.body_size', args: NO_ARGS, out: 'sint', fn: bodySize('req') },
  { name: 'res.body_size', args: NO_ARGS, out: 'sint', fn: bodySize('res') },
  {
    name: 'req.proto_http',
    args: NO_ARGS,
    out: 'bool',
    fn: (env) => requestOf(env) !== undefined || undefined,
  },
  {
    name: 'req_proto_http',
    args: NO_ARGS,
    out: 'bool',
    fn: (env) => requestOf(env) !== undefined || undefined,
  },
  { name: 'unique-id', args: NO_ARGS, out: 'str', fn: (env) => env.uniqueId },
];

/** sdbm over signed chars, as url32/base32 hash (their bytes are C `char`s). */
function sdbmSigned(s: string, h0: number): number {
  let h = h0;
  for (let i = 0; i < s.length; i++) {
    const c = (s.charCodeAt(i) << 24) >> 24;
    h = (c + (h << 6) + (h << 16) - h) >>> 0;
  }
  return h;
}

/** base32: the hash of the first Host value and the path (query excluded), mixed. */
function base32(env: SampleEnv, _a: readonly ArgVal[], ctx: FetchCtx): number | undefined {
  const r = requestOf(env);
  if (!r) return undefined;
  let h = 0;
  resetCursor(ctx);
  if (nextValue(r.headers, 'host', false, ctx)) h = sdbmSigned(cursorValue(r.headers, ctx), h);
  const t = r.target;
  const s = pathStart(t);
  if (s >= 0) {
    const q = t.indexOf('?', s);
    const p = t.slice(s, q < 0 ? t.length : q);
    if (p.length && p.charCodeAt(0) === 47) h = sdbmSigned(p, h);
  }
  return fullHash(h);
}

/** url32: the hash of the whole first Host header and the path with its query, mixed. */
function url32(env: SampleEnv, _a: readonly ArgVal[], ctx: FetchCtx): number | undefined {
  const r = requestOf(env);
  if (!r) return undefined;
  let h = 0;
  resetCursor(ctx);
  if (nextValue(r.headers, 'host', true, ctx)) h = sdbmSigned(cursorValue(r.headers, ctx), h);
  const t = r.target;
  const s = pathStart(t);
  if (s >= 0 && t.charCodeAt(s) === 47) h = sdbmSigned(t.slice(s), h);
  return fullHash(h);
}

/** base32+src, url32+src: the hash in network order followed by the client address. */
function withSrc(hash: (env: SampleEnv, a: readonly ArgVal[], ctx: FetchCtx) => number | undefined) {
  return (env: SampleEnv, a: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined => {
    const ip = ipFromEnv(env.src);
    if (!ip) return undefined;
    const h = hash(env, a, ctx);
    if (h === undefined) return undefined;
    const b = Buffer.alloc(4 + ip.bytes.length);
    b.writeUInt32BE(h);
    b.set(ip.bytes, 4);
    return b;
  };
}

/**
 * url_ip, url_port: an absolute http:// or https:// URL whose host is a literal IPv4 address
 * (HAProxy's url2sa; names are not resolved at run time): the address, and the port given
 * or the scheme's.
 */
function urlAddress(env: SampleEnv): { ip: Uint8Array; port: number } | undefined {
  const t = requestOf(env)?.target;
  if (t === undefined) return undefined;
  const sep = t.indexOf('://');
  if (sep < 0) return undefined;
  const scheme = t.slice(Math.max(0, sep - 8), sep);
  // HAProxy folds the scheme's last 8 bytes to lower case by setting bit 5
  let folded = '';
  for (let i = 0; i < scheme.length; i++) folded += String.fromCharCode(scheme.charCodeAt(i) | 0x20);
  const pad = 8 - scheme.length;
  const code = '\x20'.repeat(pad) + folded;
  let port: number;
  if (code === '    http') port = 80;
  else if (code === '   https') port = 443;
  else return undefined;
  let p = sep + 3;
  if (t[p] === '[') return undefined; // IPv6: not an IPv4 address
  // url2ipv4: dotted digits up to the first other character
  const bytes = [0, 0, 0, 0];
  let tp = 0;
  let octets = 0;
  let sawDigit = false;
  for (; p < t.length; p++) {
    const c = t.charCodeAt(p);
    const d = c - 48;
    if ((d < 0 || d > 9) && c !== 46) break;
    if (d >= 0 && d <= 9) {
      const nv = bytes[tp]! * 10 + d;
      if (nv > 255) return undefined;
      bytes[tp] = nv;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
    } else if (sawDigit) {
      if (octets === 4) return undefined;
      tp++;
      sawDigit = false;
    } else return undefined;
  }
  if (octets < 4) return undefined;
  if (t[p] === ':') {
    p++;
    let n = 0;
    while (p < t.length && t.charCodeAt(p) >= 48 && t.charCodeAt(p) <= 57) {
      n = (Math.imul(n, 10) + (t.charCodeAt(p) - 48)) >>> 0;
      p++;
    }
    port = n & 0xffff;
  }
  return { ip: new Uint8Array(bytes), port };
}

/** req.body_param([<name>]): each form parameter of the body in turn (the first outside ACLs). */
function bodyParam(env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined {
  const r = requestOf(env);
  if (!r) {
    ctx.more = false;
    return undefined;
  }
  const body = r.body ? r.body.toString('latin1') : '';
  const name = (args[0] as string | undefined) ?? '';
  if (!ctx.iterate || !ctx.more) ctx.k = 0;
  if (findParam(body, ctx.k, body.length, name, 38, ctx) < 0) {
    ctx.more = false;
    return undefined;
  }
  ctx.k = ctx.ve;
  ctx.more = ctx.iterate && ctx.k < body.length;
  return body.slice(ctx.vs, ctx.ve);
}

export const HTTP_MORE_FETCHES: readonly FetchDef[] = [
  { name: 'base32', args: NO_ARGS, out: 'sint', fn: base32 },
  { name: 'base32+src', args: NO_ARGS, out: 'bin', fn: withSrc(base32) },
  { name: 'url32', args: NO_ARGS, out: 'sint', fn: url32 },
  { name: 'url32+src', args: NO_ARGS, out: 'bin', fn: withSrc(url32) },
  {
    name: 'url_ip',
    args: NO_ARGS,
    out: 'ipv4',
    fn: (env) => {
      const a = urlAddress(env);
      return a ? ipv4(a.ip) : undefined;
    },
  },
  { name: 'url_port', args: NO_ARGS, out: 'sint', fn: (env) => urlAddress(env)?.port },
  { name: 'req.body_param', args: argSpec(0, 'str'), out: 'bin', fn: bodyParam },
];
