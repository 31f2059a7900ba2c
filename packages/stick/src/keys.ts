// Keys: conversion of what a sample yields into a table's key type, HAProxy's order of
// keys in a dump (byte order of the stored key), and the text `show table` prints.
import type { StickKeyType } from './datatypes.ts';

/**
 * A key as a sample of HAProxy's types: text is a string sample, a number an integer
 * sample, bytes a binary sample, and `{ addr }` an address sample (IPv4 or IPv6 text,
 * what `src` yields). Each is converted to the table's type with HAProxy's casts, so
 * `'1.2.3.4'` is refused by an ipv6 table while `{ addr: '1.2.3.4' }` maps to
 * ::ffff:1.2.3.4, and `'127.0.0.1'` reads as 127 in an integer table.
 */
export type StickKeyInput = string | number | Uint8Array | { readonly addr: string };

/** A key once converted to the table's type. */
export interface NormalizedKey {
  /** Map key, unique within the table. */
  readonly id: string | number;
  /** Orders keys as HAProxy's tree does (byte order of the stored key). */
  readonly order: string | number;
  /**
   * The key as callers see it: dotted quad, IPv6 text, unsigned integer, byte string
   * (one char per byte) or bytes.
   */
  readonly value: string | number | Uint8Array;
}

// --- IPv4 / IPv6 text ----------------------------------------------------------------

/** A dotted quad as inet_pton reads it (no leading zeros, each part up to 255); host-order value. */
export function parseIPv4(text: string): number | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return v * 256 + part;
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv6 text (with `::` and an optional trailing dotted quad) to 16 bytes, as inet_pton. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const words: number[] = [];
  const parseSide = (s: string, allowV4: boolean): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(text.slice(0, dbl), false);
    const tail = parseSide(text.slice(dbl + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseSide(text, true);
    if (all?.length !== 8) return undefined;
    words.push(...all);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >>> 8;
    bytes[2 * i + 1] = w & 255;
  });
  return bytes;
}

/** 16 bytes as glibc's inet_ntop writes them (longest zero run compressed, mapped IPv4 dotted). */
export function formatIPv6(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => ((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (cur.base < 0) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base >= 0) {
      if (best.base < 0 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base >= 0 && (best.base < 0 || cur.len > best.len)) best = cur;
  if (best.base >= 0 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      return out;
    }
    out += (w[i] as number).toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function mappedToV4(b: Uint8Array): number | undefined {
  for (let i = 0; i < 12; i++) if (b[i] !== MAPPED_PREFIX[i]) return undefined;
  return (
    (((b[12] as number) << 24) | ((b[13] as number) << 16) | ((b[14] as number) << 8) | (b[15] as number)) >>>
    0
  );
}

function v4ToMapped(v: number): Uint8Array {
  return Uint8Array.from([...MAPPED_PREFIX, v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

// --- bytes ------------------------------------------------------------------------------

const HEX = '0123456789ABCDEF';

/** Upper-case hex, as HAProxy dumps binary keys. */
export function hexUpper(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += (HEX[c >> 4] as string) + (HEX[c & 15] as string);
  return s;
}

/** A JS string as the bytes HAProxy would hold: one byte per char, UTF-8 when a char exceeds 0xFF. */
export function toByteString(s: string): string {
  return /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** HAProxy's dump_text(): printable ASCII as is, `\ `, `\=`, `\\`, `\t`… escaped, other bytes as \xHH. */
export function dumpText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) break;
    if (c >= 0x21 && c <= 0x7e && c !== 0x5c && c !== 0x3d) out += s[i];
    else if (c === 0x20) out += '\\ ';
    else if (c === 0x3d) out += '\\=';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x1b) out += '\\e';
    else out += `\\x${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
  }
  return out;
}

// --- conversion -------------------------------------------------------------------------

/** Integer keys sort by their little-endian bytes (HAProxy stores them in host order). */
const leOrder = (v: number) =>
  (((v & 255) << 24) | (((v >>> 8) & 255) << 16) | (((v >>> 16) & 255) << 8) | (v >>> 24)) >>> 0;

function ipKey(v: number): NormalizedKey {
  return { id: v, order: v, value: formatIPv4(v) };
}

function bytesKey(b: Uint8Array, value: string | Uint8Array): NormalizedKey {
  const hex = hexUpper(b);
  return { id: hex, order: hex, value };
}

/** HAProxy's read_int64 (optional sign, digits up to the first other char, saturating). */
function readInt64(s: string): bigint {
  let i = 0;
  let neg = false;
  if (s[0] === '-') {
    neg = true;
    i++;
  } else if (s[0] === '+') i++;
  let v = 0n;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10n + BigInt(d);
    if (v > 0xffffffffffffffffn) v = 0xffffffffffffffffn;
  }
  if (neg) return v > 0x8000000000000000n ? -0x8000000000000000n : -v;
  return v > 0x7fffffffffffffffn ? 0x7fffffffffffffffn : v;
}

function padBytes(src: Uint8Array, keyLength: number): Uint8Array {
  const b = new Uint8Array(keyLength);
  b.set(src.subarray(0, keyLength));
  return b;
}

function intKey(v: number): NormalizedKey {
  return { id: v, order: leOrder(v), value: v };
}

function stringKey(raw: string, keyLength: number): NormalizedKey {
  let s = raw;
  const nul = s.indexOf('\u0000');
  if (nul >= 0) s = s.slice(0, nul);
  if (s.length > keyLength) s = s.slice(0, keyLength);
  return { id: s, order: s, value: s };
}

/**
 * Converts a sample to a key of `type` with HAProxy's sample casts; undefined when the
 * cast fails (text that is not an address, an IPv6 address for `ip` unless mapped, bytes
 * for a numeric type, …). String keys are cut to `keyLength`, binary keys cut or padded with 0.
 */
export function normalizeKey(
  type: StickKeyType,
  keyLength: number,
  input: StickKeyInput,
): NormalizedKey | undefined {
  if (typeof input === 'object' && !(input instanceof Uint8Array))
    return addrKey(type, keyLength, input.addr);
  switch (type) {
    case 'ip': {
      if (typeof input === 'number') return Number.isInteger(input) ? ipKey(toU32(input)) : undefined;
      if (typeof input !== 'string') return undefined;
      const v4 = parseIPv4(input);
      return v4 === undefined ? undefined : ipKey(v4);
    }
    case 'ipv6': {
      let b: Uint8Array | undefined;
      if (typeof input === 'number') b = Number.isInteger(input) ? v4ToMapped(toU32(input)) : undefined;
      else if (typeof input === 'string') b = parseIPv6(input);
      return b ? bytesKey(b, formatIPv6(b)) : undefined;
    }
    case 'integer': {
      if (typeof input === 'number') return Number.isInteger(input) ? intKey(toU32(input)) : undefined;
      if (typeof input !== 'string' || input === '') return undefined;
      return intKey(Number(BigInt.asUintN(32, readInt64(input))));
    }
    case 'string': {
      if (typeof input === 'string') return stringKey(toByteString(input), keyLength);
      if (typeof input === 'number')
        return Number.isInteger(input) ? stringKey(String(input), keyLength) : undefined;
      return stringKey(Buffer.from(input).toString('latin1'), keyLength);
    }
    case 'binary': {
      let src: Uint8Array;
      if (typeof input === 'string') src = Buffer.from(toByteString(input), 'latin1');
      else if (typeof input === 'number') {
        if (!Number.isInteger(input)) return undefined;
        src = new Uint8Array(8); // an integer is 8 bytes in network order
        new DataView(src.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(input)));
      } else src = input;
      const b = padBytes(src, keyLength);
      return bytesKey(b, b);
    }
  }
}

/** An address sample converted to the table's type. */
function addrKey(type: StickKeyType, keyLength: number, addr: string): NormalizedKey | undefined {
  const v4 = parseIPv4(addr);
  const v6 = v4 === undefined ? parseIPv6(addr) : undefined;
  if (v4 === undefined && !v6) return undefined;
  switch (type) {
    case 'ip': {
      const v = v4 ?? mappedToV4(v6 as Uint8Array);
      return v === undefined ? undefined : ipKey(v);
    }
    case 'ipv6': {
      const b = v6 ?? v4ToMapped(v4 as number);
      return bytesKey(b, formatIPv6(b));
    }
    case 'integer':
      return v4 === undefined ? undefined : intKey(v4);
    case 'string':
      return stringKey(v4 !== undefined ? formatIPv4(v4) : formatIPv6(v6 as Uint8Array), keyLength);
    case 'binary': {
      const b = padBytes(
        v6 ?? Uint8Array.from([v4! >>> 24, (v4! >>> 16) & 255, (v4! >>> 8) & 255, v4! & 255]),
        keyLength,
      );
      return bytesKey(b, b);
    }
  }
}

/** A number cast to C's unsigned int (modulo 2^32). */
export function toU32(n: number): number {
  const t = Math.trunc(n);
  if (!Number.isSafeInteger(t)) return Number(BigInt.asUintN(32, BigInt(t)));
  const m = t % 4294967296;
  return m < 0 ? m + 4294967296 : m + 0;
}

/** The text after `key=` in a `show table` line. */
export function dumpKey(type: StickKeyType, key: NormalizedKey): string {
  switch (type) {
    case 'ip':
    case 'ipv6':
      return key.value as string;
    case 'integer':
      return String(key.value);
    case 'string':
      return dumpText(key.value as string);
    case 'binary':
      return key.id as string;
  }
}

// --- runtime API keys ---------------------------------------------------------------------

/**
 * HAProxy's lenient IPv4 reader for CLI keys (inetaddr_host): up to four dot-separated
 * groups of digits, missing groups are 0, and a group over 255 spills into the next
 * byte up (`300.1.1.1` is 44.1.1.1); anything else reads as 0.
 */
export function cliIPv4(text: string): number {
  let v = 0;
  let p = 0;
  for (let shift = 24; ; shift -= 8) {
    const start = p;
    while (p < text.length && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) p++;
    // only the last three digits of a group count
    const digits = text.slice(Math.max(start, p - 3), p);
    if (digits.length > 0) v += Number(digits) * 2 ** shift;
    if (shift === 0 || text[p] !== '.') break;
    p++;
  }
  return Number(BigInt.asUintN(32, BigInt(v)));
}

/** Result of reading a CLI key: a key, or HAProxy's answer. */
export type CliKey =
  | { readonly ok: true; readonly key: NormalizedKey }
  | { readonly ok: false; readonly error: 'invalid' | 'unsupported' };

/** A key as `show|clear|set table <t> key <k>` reads it. */
export function cliKey(type: StickKeyType, keyLength: number, text: string): CliKey {
  switch (type) {
    case 'ip':
      return { ok: true, key: ipKey(cliIPv4(text)) };
    case 'ipv6': {
      const b = parseIPv6(text);
      return b ? { ok: true, key: bytesKey(b, formatIPv6(b)) } : { ok: false, error: 'invalid' };
    }
    case 'integer': {
      // strtoul: optional blanks and sign, digits; refuse an empty number and values over 32 bits
      const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
      if (!m) return { ok: false, error: 'invalid' };
      let v = BigInt(m[2] as string);
      if (v > 0xffffffffffffffffn) return { ok: false, error: 'invalid' };
      if (m[1] === '-') v = BigInt.asUintN(64, -v);
      if (v > 0xffffffffn) return { ok: false, error: 'invalid' };
      return { ok: true, key: intKey(Number(v)) };
    }
    case 'string': {
      const key = normalizeKey('string', keyLength, text);
      return key ? { ok: true, key } : { ok: false, error: 'invalid' };
    }
    case 'binary':
      return { ok: false, error: 'unsupported' };
  }
}
