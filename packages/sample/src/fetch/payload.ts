// Payload fetches (HAProxy manual 7.3.5): the bytes held during `tcp-request content`
// inspection in tcp mode — length, slices, a TLS ClientHello's type, version, server name,
// ALPN and extensions, an RDP cookie — with HAProxy's "missing data": while the payload is
// not final (`payloadFinal === false`), a fetch that could read more later reports it by
// setting `env.missed` (HAProxy's SMP_F_MAY_CHANGE), found or not.
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchCtx, FetchDef } from '../defs.ts';
import type { SampleEnv, SampleValue } from '../env.ts';
import { SampleError } from '../errors.ts';
import { readInt64 } from '../types.ts';
import { requestLength } from './http.ts';
import { mayChange } from './http-tcp.ts';

/** HAProxy's default tune.bufsize: what payload(), payload_lv() can ever reach. */
const BUFSIZE = 16384;
/** What a request buffer can receive (bufsize minus the default tune.maxrewrite). */
const RECV_LIMIT = BUFSIZE - 1024;

/** A fetch's verdict: the bytes are not there yet ('short') or will never match ('bad'). */
type Miss = 'short' | 'bad';

function short(env: SampleEnv): undefined {
  mayChange(env);
  return undefined;
}

/**
 * Walks a TLS ClientHello up to its extensions, with HAProxy's checks; returns where the
 * extension list starts and its length, or why not.
 */
function helloExtensions(b: Buffer): { p: number; len: number } | Miss {
  let left = b.length;
  if (!left) return 'short';
  if (b[0] !== 0x16) return 'bad';
  if (left < 3) return 'short';
  if (b[1]! < 0x03) return 'bad';
  if (left < 5) return 'short';
  let hs = b.readUInt16BE(3);
  if (hs < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return 'bad';
  let p = 5;
  left -= 5;
  if (left < 1) return 'short';
  if (b[p] !== 0x01) return 'bad';
  if (left < 4) return 'short';
  hs = (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  if (hs < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return 'bad';
  // the whole handshake message is wanted
  if (left < hs + 4) return 'short';
  p += 4;
  if (b[p]! < 0x03 || b[p + 1]! < 0x01) return 'bad';
  let n = b[p + 34]!;
  if (n > 32 || n > hs - 35) return 'bad';
  hs -= 35 + n;
  p += 35 + n;
  if (hs < 4) return 'bad';
  n = b.readUInt16BE(p);
  if (n < 2 || n > hs) return 'bad';
  hs -= 2 + n;
  p += 2 + n;
  if (hs < 2 || b[p]! < 1 || b[p]! > hs) return 'bad';
  n = b[p]!;
  hs -= 1 + n;
  p += 1 + n;
  if (hs < 2) return 'bad';
  n = b.readUInt16BE(p);
  if (n > hs - 2) return 'bad';
  return { p: p + 2, len: n };
}

/** Finds extension `type`: its data's offset and length, 'bad' when absent or malformed. */
function helloExtension(b: Buffer, type: number): { p: number; len: number; left: number } | Miss {
  const e = helloExtensions(b);
  if (typeof e === 'string') return e;
  let p = e.p;
  let left = e.len;
  while (left >= 4) {
    const t = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    if (len > left - 4) return 'bad';
    if (t === type) return { p, len, left };
    left -= 4 + len;
    p += 4 + len;
  }
  return 'bad';
}

/** req.ssl_sni: the host_name entry of the server_name extension. */
export function helloSni(env: SampleEnv): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const e0 = helloExtensions(b);
  if (e0 === 'short') return short(env);
  if (e0 === 'bad') return undefined;
  let p = e0.p;
  let left = e0.len;
  while (left >= 4) {
    const t = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    if (len > left - 4) return undefined;
    if (t === 0) {
      if (len < 2) return undefined;
      const srvLen = b.readUInt16BE(p + 4);
      if (srvLen < 4 || srvLen > left - 6) return undefined;
      if (b[p + 6] === 0) {
        const nameLen = b.readUInt16BE(p + 7);
        return b.toString('latin1', p + 9, Math.min(b.length, p + 9 + nameLen));
      }
    }
    left -= 4 + len;
    p += 4 + len;
  }
  return undefined;
}

/** The server name of a TLS ClientHello at the start of `b` (what `req.ssl_sni` reads). */
export function clientHelloSni(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const env = { payload: b } as SampleEnv;
  return helloSni(env) as string | undefined;
}

/** req.ssl_alpn: each protocol name of the ALPN extension in turn (the first one outside ACLs). */
function helloAlpn(env: SampleEnv, _a: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const e = helloExtension(b, 16);
  if (typeof e === 'string') {
    ctx.more = false;
    return e === 'short' ? short(env) : undefined;
  }
  if (e.len < 3) return undefined;
  const off = ctx.iterate && ctx.more && ctx.k >= 6 ? ctx.k : 6;
  ctx.more = false;
  const nameLen = b[e.p + off]!;
  if (nameLen + off - 3 > e.len) return undefined;
  const v = b.toString('latin1', e.p + off + 1, e.p + off + 1 + nameLen);
  if (nameLen + off - 3 < e.len) {
    ctx.k = off + nameLen + 1;
    ctx.more = ctx.iterate;
  }
  return v;
}

/** req.ssl_hello_type: the handshake type of an SSLv3+ record, once the message is whole. */
function helloType(env: SampleEnv): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  if (!b.length) return short(env);
  const c = b[0]!;
  if (!((c >= 0x14 && c <= 0x17) || c === 0xff)) return undefined;
  if (b.length < 9) return short(env);
  if ((b[1]! << 16) + b[2]! < 0x30000) return undefined;
  if (b.readUInt16BE(3) < 4) return undefined;
  const hsLen = (b[6]! << 16) | (b[7]! << 8) | b[8]!;
  if (b.length < 9 + hsLen) return short(env);
  return b[5]!;
}

/** req.ssl_ver: the ClientHello's version (SSLv3 and later), or an SSLv2 hello's. */
function sslVersion(env: SampleEnv): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  let left = b.length;
  if (!left) return short(env);
  let p = 0;
  let version: number;
  let msgLen: number;
  const c = b[0]!;
  if ((c >= 0x14 && c <= 0x17) || c === 0xff) {
    if (left < 11) return short(env);
    version = (b[1]! << 16) + b[2]!;
    msgLen = b.readUInt16BE(3);
    if (version < 0x30000) return undefined;
    if (msgLen < 6 || msgLen > (1 << 14) + 2048) return undefined;
    left -= 5;
    p += 5;
    version = (b[p + 4]! << 16) + b[p + 5]!;
  } else {
    let rlen: number;
    let plen: number;
    if (c & 0x80) {
      if (left < 3) return short(env);
      rlen = ((c & 0x7f) << 8) | b[1]!;
      plen = 0;
      left -= 2;
      p += 2;
    } else {
      if (left < 4) return short(env);
      rlen = ((c & 0x3f) << 8) | b[1]!;
      plen = b[2]!;
      left -= 3;
      p += 3;
    }
    if (b[p] !== 0x01) return undefined;
    left--;
    p++;
    if (left < 8) return short(env);
    version = (b[p]! << 16) + b[p + 1]!;
    const cilen = b.readUInt16BE(p + 2);
    const silen = b.readUInt16BE(p + 4);
    const chlen = b.readUInt16BE(p + 6);
    left -= 8;
    p += 8;
    if (cilen % 3 !== 0) return undefined;
    if (silen && silen !== 16) return undefined;
    if (chlen < 16 || chlen > 32) return undefined;
    if (rlen !== 9 + cilen + silen + chlen) return undefined;
    msgLen = cilen + silen + chlen + plen;
  }
  // the whole message, or as much of it as the buffer can hold
  if (msgLen > RECV_LIMIT) msgLen = RECV_LIMIT;
  if (left < msgLen) return short(env);
  return version;
}

/** req.ssl_ec_ext: true when the ClientHello carries supported_groups (elliptic curves). */
function helloEcExt(env: SampleEnv): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const e = helloExtension(b, 10);
  if (e === 'short') return short(env);
  return e === 'bad' ? undefined : true;
}

/** req.ssl_st_ext: 0 without a SessionTicket extension, 1 with an empty one, 2 with a ticket. */
function helloStExt(env: SampleEnv): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const e0 = helloExtensions(b);
  if (e0 === 'short') return short(env);
  if (e0 === 'bad') return undefined;
  let p = e0.p;
  let left = e0.len;
  while (left >= 4) {
    const t = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    if (len > left - 4) return undefined;
    if (t === 35) return len > 0 ? 2 : 1;
    left -= 4 + len;
    p += 4 + len;
  }
  return 0;
}

const COOKIE_PREFIX = 'cookie:';

/**
 * An RDP connection request's "Cookie: <name>=<value>\r\n" (at offset 11): the value of the
 * cookie named (any name when empty); 'short' when more bytes are needed.
 */
function rdpCookie(b: Buffer, name: string): string | Miss {
  let left = b.length;
  if (left <= 11) return 'short';
  let p = 11;
  left -= 11;
  if (left <= 7) return 'short';
  if (b.toString('latin1', p, p + 7).toLowerCase() !== COOKIE_PREFIX) return 'bad';
  p += 7;
  left -= 7;
  while (left > 0 && b[p] === 32) {
    p++;
    left--;
  }
  if (name.length) {
    if (left <= name.length) return 'short';
    if (b[p + name.length] !== 61) return 'bad';
    if (b.toString('latin1', p, p + name.length).toLowerCase() !== name.toLowerCase()) return 'bad';
    p += name.length + 1;
    left -= name.length + 1;
  } else {
    while (left > 0 && b[p] !== 61) {
      if (b[p] === 13 || b[p] === 10) return 'bad';
      p++;
      left--;
    }
    if (left < 1) return 'short';
    p++;
    left--;
  }
  const vs = p;
  while (left > 0 && b[p] !== 13) {
    p++;
    left--;
  }
  if (left < 2) return 'short';
  if (b[p] !== 13 || b[p + 1] !== 10) return 'bad';
  return b.toString('latin1', vs, p);
}

function rdpCookieFetch(env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const r = rdpCookie(b, (args[0] as string | undefined) ?? '');
  if (r === 'short') return short(env);
  return r === 'bad' ? undefined : r;
}

/** rdp_cookie_cnt: 1 or 0; nothing at all while the bytes may still come (even when final). */
function rdpCookieCount(env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const r = rdpCookie(b, (args[0] as string | undefined) ?? '');
  if (r === 'short') return short(env);
  return r === 'bad' ? 0 : 1;
}

function u32(v: ArgVal): number {
  return Number(
    BigInt.asUintN(32, BigInt(Math.trunc(Math.max(-(2 ** 63), Math.min(2 ** 63 - 1, v as number))))),
  );
}

/** req.payload(<offset>,<length>): a slice; length 0 is the rest (which may still grow). */
function payload(env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const off = u32(args[0]);
  const len = u32(args[1]);
  if (len > BUFSIZE || off + len > BUFSIZE) return undefined;
  if (off + len > b.length) return short(env);
  if (len === 0) {
    mayChange(env);
    return b.subarray(off);
  }
  return b.subarray(off, off + len);
}

/** payload_lv's third argument: absolute, or relative when signed; checked as HAProxy does. */
interface LvOffset {
  readonly value: number;
  readonly relative: boolean;
}

function checkPayloadLv(args: ArgVal[]): void {
  const bad = (m: string): never => {
    throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', m);
  };
  if ((args[0] as number) < 0) bad('payload offset1 must be positive');
  if (!args[1]) bad('payload length must be > 0');
  const s = args[2];
  if (typeof s === 'string' && s.length > 0) {
    const r = readInt64(s);
    if (r.end < s.length) bad('payload offset2 is not a number');
    if ((args[0] as number) + (args[1] as number) + r.value < 0) bad('payload offset2 too negative');
    args[2] = { value: r.value, relative: s[0] === '+' || s[0] === '-' } satisfies LvOffset;
  } else args[2] = undefined;
}

/** req.payload_lv(<len offset>,<len size>[,<offset>]): a block whose length precedes it. */
function payloadLv(env: SampleEnv, args: readonly ArgVal[]): SampleValue | undefined {
  const b = env.payload;
  if (!b) return undefined;
  const lenOff = u32(args[0]);
  const lenSize = u32(args[1]);
  if (lenOff + lenSize > b.length) return short(env);
  let size = 0;
  for (let i = 0; i < lenSize; i++) size = ((size << 8) + b[lenOff + i]!) >>> 0;
  let off = lenOff + lenSize;
  const o = args[2] as LvOffset | undefined;
  if (o) off = o.relative ? (off + o.value) >>> 0 : o.value >>> 0;
  if (!size || size > BUFSIZE || off + size > BUFSIZE) return undefined;
  if (off + size > b.length) return short(env);
  return b.subarray(off, off + size);
}

/** req.len: the bytes held (which may grow), or an HTTP request's internal size. */
function reqLen(env: SampleEnv): SampleValue | undefined {
  const n = requestLength(env);
  if (n !== undefined && env.payload !== undefined) mayChange(env);
  return n;
}

/** wait_end: true once the payload is final; until then nothing, and the rule waits. */
function waitEnd(env: SampleEnv): SampleValue | undefined {
  if (env.payloadFinal === false) return short(env);
  return true;
}

export const PAYLOAD_FETCHES: readonly FetchDef[] = [
  { name: 'req.len', args: NO_ARGS, out: 'sint', fn: reqLen },
  { name: 'req_len', args: NO_ARGS, out: 'sint', fn: reqLen },
  { name: 'req.payload', args: argSpec(2, 'sint', 'sint'), out: 'bin', fn: payload },
  { name: 'payload', args: argSpec(2, 'sint', 'sint'), out: 'bin', fn: payload },
  {
    name: 'req.payload_lv',
    args: argSpec(2, 'sint', 'sint', 'str'),
    out: 'bin',
    check: checkPayloadLv,
    fn: payloadLv,
  },
  {
    name: 'payload_lv',
    args: argSpec(2, 'sint', 'sint', 'str'),
    out: 'bin',
    check: checkPayloadLv,
    fn: payloadLv,
  },
  { name: 'req.ssl_sni', args: NO_ARGS, out: 'str', fn: helloSni },
  { name: 'req_ssl_sni', args: NO_ARGS, out: 'str', fn: helloSni },
  { name: 'req.ssl_alpn', args: NO_ARGS, out: 'str', fn: helloAlpn },
  { name: 'req.ssl_hello_type', args: NO_ARGS, out: 'sint', fn: helloType },
  { name: 'req_ssl_hello_type', args: NO_ARGS, out: 'sint', fn: helloType },
  { name: 'req.ssl_ver', args: NO_ARGS, out: 'sint', fn: sslVersion },
  { name: 'req_ssl_ver', args: NO_ARGS, out: 'sint', fn: sslVersion },
  { name: 'req.ssl_ec_ext', args: NO_ARGS, out: 'bool', fn: helloEcExt },
  { name: 'req.ssl_st_ext', args: NO_ARGS, out: 'sint', fn: helloStExt },
  { name: 'req.rdp_cookie', args: argSpec(0, 'str'), out: 'str', fn: rdpCookieFetch },
  { name: 'rdp_cookie', args: argSpec(0, 'str'), out: 'str', fn: rdpCookieFetch },
  { name: 'req.rdp_cookie_cnt', args: argSpec(0, 'str'), out: 'sint', fn: rdpCookieCount },
  { name: 'rdp_cookie_cnt', args: argSpec(0, 'str'), out: 'sint', fn: rdpCookieCount },
  { name: 'wait_end', args: NO_ARGS, out: 'bool', fn: waitEnd },
];
