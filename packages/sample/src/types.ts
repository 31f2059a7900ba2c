// Sample types and HAProxy's cast matrix. Values: bool = boolean, sint = number,
// str = string of bytes (one char per byte, latin1), bin = Buffer, ipv4/ipv6 = IpValue,
// meth = string. Integers are 64-bit in HAProxy: JS numbers are exact up to 2^53, and the
// saturated bounds are kept as ±2^63 so that they print as HAProxy prints them.
import type { IpValue, SampleValue } from './env.ts';
import { formatIp, ipv4, ipv6, parseIpv4Prefix, parseIpv6, v4ToV6, v6ToV4 } from './ip.ts';

export type SmpType = 'any' | 'bool' | 'sint' | 'addr' | 'ipv4' | 'ipv6' | 'str' | 'bin' | 'meth';

/** The largest sint, as stored here (2^63; printed 9223372036854775807). */
export const SINT_MAX = 2 ** 63;
export const SINT_MIN = -(2 ** 63);

export function isIp(v: SampleValue): v is IpValue {
  return typeof v === 'object' && !Buffer.isBuffer(v);
}

/** The runtime type of a value (meth values are strings: they report 'str'). */
export function typeOf(v: SampleValue): SmpType {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'sint';
    case 'string':
      return 'str';
    default:
      return Buffer.isBuffer(v) ? 'bin' : v.kind;
  }
}

// sample_casts[from][to] != NULL, at configuration time
const CASTABLE: Readonly<Record<SmpType, readonly SmpType[]>> = {
  any: ['any', 'bool', 'sint', 'addr', 'ipv4', 'ipv6', 'str', 'bin', 'meth'],
  bool: ['any', 'bool', 'sint', 'str', 'bin'],
  sint: ['any', 'bool', 'sint', 'addr', 'ipv4', 'ipv6', 'str', 'bin'],
  addr: ['any'],
  ipv4: ['any', 'sint', 'addr', 'ipv4', 'ipv6', 'str', 'bin'],
  ipv6: ['any', 'addr', 'ipv4', 'ipv6', 'str', 'bin'],
  str: ['any', 'bool', 'sint', 'addr', 'ipv4', 'ipv6', 'str', 'bin', 'meth'],
  bin: ['any', 'str', 'bin', 'meth'],
  meth: ['any', 'str', 'bin', 'meth'],
};

export function canCast(from: SmpType, to: SmpType): boolean {
  return CASTABLE[from].includes(to);
}

export function clampSint(n: number): number {
  if (n >= SINT_MAX) return SINT_MAX;
  if (n <= SINT_MIN) return SINT_MIN;
  return n;
}

export function formatSint(n: number): string {
  if (n >= SINT_MAX) return '9223372036854775807';
  if (n <= SINT_MIN) return '-9223372036854775808';
  // beyond 2^53, print the exact integer the double holds (String() would round digits)
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/**
 * HAProxy's read_int64: optional sign, then digits up to the first non-digit; saturates.
 * Returns the value and where reading stopped.
 */
export function readInt64(s: string, start = 0): { value: number; end: number } {
  let i = start;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  } else if (s.charCodeAt(i) === 43) i++;
  let v = 0;
  while (i < s.length) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (v >= SINT_MAX) v = SINT_MAX; // 2^64-1 saturates too; both print as the bound
  return { value: neg ? -v : v, end: i };
}

/** readInt64 exactly: digits beyond what a JS number holds are read as a bigint (saturating as HAProxy). */
function readSint(s: string): number | bigint {
  const r = readInt64(s);
  if (Number.isSafeInteger(r.value)) return r.value;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg || s.charCodeAt(0) === 43) i++;
  let v = 0n;
  const max = (1n << 63n) - 1n;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10n + BigInt(d);
    if (v > max) {
      v = max;
      break;
    }
  }
  return sintOf(neg ? -v : v);
}

/**
 * HAProxy's strl2ic, used by hdr_val, cook_val, urlp_val: a 32-bit int, digits summed
 * until a character above '9' (characters below '0' are summed too, as HAProxy does).
 */
export function strl2ic(s: string): number {
  let i = 0;
  if (s.length === 0) return 0;
  if (s.charCodeAt(0) !== 45) {
    for (let p = 0; p < s.length; p++) {
      const j = s.charCodeAt(p) - 48;
      const k = Math.imul(i, 10);
      if (j > 9) break;
      i = (k + j) | 0;
    }
  } else {
    for (let p = 1; p < s.length; p++) {
      const j = s.charCodeAt(p) - 48;
      const k = Math.imul(i, 10);
      if (j > 9) break;
      i = (k - j) | 0;
    }
  }
  return i;
}

/** A sint as an exact 64-bit bigint (the saturated bounds as ±2^63 numbers included). */
export function sintBig(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  return n >= SINT_MAX ? 2n ** 63n - 1n : BigInt.asIntN(64, BigInt(Math.trunc(n)));
}

/**
 * A 64-bit integer as a sample: a number when JS holds it exactly, else a bigint (the
 * largest value is the SINT_MAX number, as elsewhere).
 */
export function sintOf(b: bigint): number | bigint {
  const v = BigInt.asIntN(64, b);
  if (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n) return Number(v);
  if (v === 2n ** 63n - 1n) return SINT_MAX;
  if (v === -(2n ** 63n)) return SINT_MIN;
  return v;
}

/** A sint as a JS number (bigints rounded): for dates, lengths and other small uses. */
export function sintNum(n: number | bigint): number {
  return typeof n === 'bigint' ? Number(n) : n;
}

/** Big-endian 8-byte two's complement of a sint (c_int2bin). */
export function sintToBin(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(sintBig(n));
  return b;
}

/** c_bin2str: the bytes up to the first NUL, as a byte string. */
export function binToStr(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString('latin1', 0, nul < 0 ? b.length : nul);
}

export function strToBin(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** How a sample prints in a log-format or a header value (its cast to str). */
export function toStr(v: SampleValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatSint(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? '1' : '0';
    default:
      return Buffer.isBuffer(v) ? binToStr(v) : formatIp(v);
  }
}

/** Casts `v` to `to` as HAProxy's sample_casts do at run time; undefined when it fails. */
export function cast(v: SampleValue, to: SmpType): SampleValue | undefined {
  switch (to) {
    case 'any':
      return v;
    case 'str':
    case 'meth':
      return toStr(v);
    case 'bin':
      if (typeof v === 'string') return strToBin(v);
      if (typeof v === 'number' || typeof v === 'bigint') return sintToBin(v);
      if (typeof v === 'boolean') return sintToBin(v ? 1 : 0);
      return Buffer.isBuffer(v) ? v : Buffer.from(v.bytes);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' || typeof v === 'bigint') return v !== 0 && v !== 0n;
      if (typeof v === 'string') return v.length === 0 ? undefined : readInt64(v).value !== 0;
      return undefined;
    case 'sint':
      if (typeof v === 'number' || typeof v === 'bigint') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') return v.length === 0 ? undefined : readSint(v);
      if (Buffer.isBuffer(v) || v.kind !== 'ipv4') return undefined;
      return ((v.bytes[0]! << 24) >>> 0) + (v.bytes[1]! << 16) + (v.bytes[2]! << 8) + v.bytes[3]!;
    case 'addr':
    case 'ipv4':
    case 'ipv6':
      return castIp(v, to);
  }
}

function sintToIpv4(n: number | bigint): Uint8Array {
  const u = Number(BigInt.asUintN(32, sintBig(n)));
  return new Uint8Array([u >>> 24, (u >>> 16) & 0xff, (u >>> 8) & 0xff, u & 0xff]);
}

function castIp(v: SampleValue, to: 'addr' | 'ipv4' | 'ipv6'): IpValue | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') {
    const b4 = sintToIpv4(v);
    return to === 'ipv6' ? ipv6(v4ToV6(b4)) : ipv4(b4);
  }
  if (typeof v === 'string') {
    const b4 = to === 'ipv6' ? undefined : parseIpv4Prefix(v);
    if (b4) return ipv4(b4);
    if (to === 'ipv4') return undefined;
    const b6 = parseIpv6(v);
    return b6 ? ipv6(b6) : undefined;
  }
  if (typeof v === 'boolean' || Buffer.isBuffer(v)) return undefined;
  if (to === 'addr' || v.kind === to) return v;
  if (to === 'ipv6') return ipv6(v4ToV6(v.bytes));
  const b4 = v6ToV4(v.bytes);
  return b4 ? ipv4(b4) : undefined;
}
