// Layer 7 fetches (HAProxy manual 7.3.6): the request and the response as parsed.
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchCtx, FetchDef } from '../defs.ts';
import type { HttpMessageView, SampleEnv, SampleValue } from '../env.ts';
import { ipv4, ipv6, parseIpv6 } from '../ip.ts';
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

type Side = 'req' | 'res' | 'ctx';

const EMPTY = Buffer.alloc(0);

function msg(env: SampleEnv, side: Side, ctx: FetchCtx): HttpMessageView | undefined {
  const s = side === 'ctx' ? ctx.dir : side;
  return s === 'req' ? env.req : env.res;
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
  const r = env.req;
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
  const r = env.req;
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
    const r = env.req;
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
    const m = side === 'req' ? env.req : env.res;
    if (!m) return undefined;
    return m.body ?? EMPTY;
  };
}

function bodyLen(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? env.req : env.res;
    if (!m) return undefined;
    return m.body?.length ?? 0;
  };
}

/** The advertised length: Content-Length when there is one, else what is there. */
function bodySize(side: 'req' | 'res') {
  return (env: SampleEnv): SampleValue | undefined => {
    const m = side === 'req' ? env.req : env.res;
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
    const m = side === 'req' ? env.req : env.res;
    if (!m) return undefined;
    let s = '';
    const h = m.headers;
    for (let i = 0; i < h.length; i += 2) s += `${h[i]!.toLowerCase()}: ${h[i + 1]}\r\n`;
    return `${s}\r\n`;
  };
}

function hdrNames(side: 'req' | 'res') {
  return (env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined => {
    const m = side === 'req' ? env.req : env.res;
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
  const r = env.req;
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
  { name: 'method', args: NO_ARGS, out: 'meth', fn: (env) => env.req?.method },
  { name: 'path', args: NO_ARGS, out: 'str', fn: (env) => path(env, false) },
  { name: 'pathq', args: NO_ARGS, out: 'str', fn: (env) => path(env, true) },
  { name: 'url', args: NO_ARGS, out: 'str', fn: (env) => env.req?.target },
  {
    name: 'query',
    args: NO_ARGS,
    out: 'str',
    fn: (env) => {
      const t = env.req?.target;
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
  { name: 'req.ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.req) },
  { name: 'req_ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.req) },
  { name: 'res.ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.res) },
  { name: 'resp_ver', args: NO_ARGS, out: 'str', fn: (env) => version(env.res) },
  { name: 'status', args: NO_ARGS, out: 'sint', fn: (env) => env.res?.status },
  { name: 'req.body', args: NO_ARGS, out: 'bin', fn: body('req') },
  { name: 'res.body', args: NO_ARGS, out: 'bin', fn: body('res') },
  { name: 'req.body_len', args: NO_ARGS, out: 'sint', fn: bodyLen('req') },
  { name: 'res.body_len', args: NO_ARGS, out: 'sint', fn: bodyLen('res') },
  { name: 'req.body_size', args: NO_ARGS, out: 'sint', fn: bodySize('req') },
  { name: 'res.body_size', args: NO_ARGS, out: 'sint', fn: bodySize('res') },
  { name: 'req.proto_http', args: NO_ARGS, out: 'bool', fn: (env) => env.req !== undefined },
  { name: 'req_proto_http', args: NO_ARGS, out: 'bool', fn: (env) => env.req !== undefined },
  { name: 'unique-id', args: NO_ARGS, out: 'str', fn: (env) => env.uniqueId },
];
