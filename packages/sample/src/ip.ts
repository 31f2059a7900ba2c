// IPv4/IPv6 addresses as samples: the parsers HAProxy uses in each place (strict
// inet_pton for arguments and casts of IPv6, its lenient prefix parser for casts of IPv4,
// inet_aton-like abbreviations for patterns), inet_ntop's text form, masks, mapping.
import type { IpValue } from './env.ts';

export function ipv4(bytes: Uint8Array): IpValue {
  return { kind: 'ipv4', bytes };
}

export function ipv6(bytes: Uint8Array): IpValue {
  return { kind: 'ipv6', bytes };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** inet_pton(AF_INET): exactly four decimal octets, no leading zero. */
export function parseIpv4Strict(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octets = 0;
  let cur = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      if (cur === 0) return undefined; // leading zero
      cur = cur < 0 ? c - 48 : cur * 10 + (c - 48);
      if (cur > 255) return undefined;
    } else if (c === 46 && cur >= 0 && octets < 3) {
      out[octets++] = cur;
      cur = -1;
    } else return undefined;
  }
  if (cur < 0 || octets !== 3) return undefined;
  out[3] = cur;
  return out;
}

/**
 * HAProxy's cast from a string to IPv4: four octets at the start of the string, anything
 * that is neither a digit nor a dot ends the address ("1.2.3.4:80" is 1.2.3.4).
 */
export function parseIpv4Prefix(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octets = 0;
  let saw = false;
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      cur = cur * 10 + (c - 48);
      if (cur > 255) return undefined;
      if (!saw) {
        if (++octets > 4) return undefined;
        saw = true;
      }
      out[octets - 1] = cur;
    } else if (c === 46) {
      if (!saw || octets === 4) return undefined;
      saw = false;
      cur = 0;
    } else break;
  }
  return octets < 4 ? undefined : out;
}

/**
 * IPv4 as in ACL patterns and maps (inet_aton, decimal only): 1 to 4 parts, the last one
 * filling the remaining bytes, so "127.1" is 127.0.0.1 and "10.12" is 10.0.0.12.
 */
export function parseIpv4Loose(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (p === '' || p.length > 10) return undefined;
    for (let i = 0; i < p.length; i++) if (!isDigit(p.charCodeAt(i))) return undefined;
    nums.push(Number(p));
  }
  const out = new Uint8Array(4);
  for (let i = 0; i < nums.length - 1; i++) {
    if (nums[i]! > 255) return undefined;
    out[i] = nums[i]!;
  }
  let last = nums[nums.length - 1]!;
  const room = 4 - (nums.length - 1);
  if (last >= 2 ** (8 * room)) return undefined;
  for (let i = 3; i >= nums.length - 1; i--) {
    out[i] = last & 0xff;
    last = Math.floor(last / 256);
  }
  return out;
}

/** inet_pton(AF_INET6). */
export function parseIpv6(s: string): Uint8Array | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  const out = new Uint8Array(16);
  let i = 0;
  let pos = 0; // byte position
  let gap = -1; // byte position of '::'
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
    if (i === s.length) return out;
  } else if (s.charCodeAt(0) === 58) return undefined;
  for (;;) {
    // one group: hex digits, or a dotted IPv4 tail
    const start = i;
    let val = 0;
    while (i < s.length && hexVal(s.charCodeAt(i)) >= 0 && i - start < 5) {
      val = val * 16 + hexVal(s.charCodeAt(i));
      i++;
    }
    if (i < s.length && s.charCodeAt(i) === 46) {
      if (pos > 12) return undefined;
      const v4 = parseIpv4Strict(s.slice(start));
      if (!v4) return undefined;
      out.set(v4, pos);
      pos += 4;
      break;
    }
    if (i === start || i - start > 4) return undefined;
    if (pos > 14) return undefined;
    out[pos++] = val >> 8;
    out[pos++] = val & 0xff;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < s.length && s.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = pos;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) return undefined;
  }
  if (gap >= 0) {
    if (pos === 16) return undefined;
    const tail = out.slice(gap, pos);
    out.fill(0, gap);
    out.set(tail, 16 - tail.length);
  } else if (pos !== 16) return undefined;
  return out;
}

/** inet_ntop(AF_INET6), glibc's form (longest zero run compressed, mapped IPv4 dotted). */
export function formatIpv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export function formatIp(v: IpValue): string {
  const b = v.bytes;
  return v.kind === 'ipv4' ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIpv6(b);
}

/** Text address (dotted IPv4 or IPv6) → sample; undefined when neither. */
export function parseIp(s: string): IpValue | undefined {
  const v4 = parseIpv4Strict(s);
  if (v4) return ipv4(v4);
  const v6 = parseIpv6(s);
  return v6 ? ipv6(v6) : undefined;
}

// Addresses in the environment are strings; the same few come back on every request.
const textCache = new Map<string, IpValue | null>();

/** The sample for an address of the environment (cached: fetches allocate nothing). */
export function ipFromEnv(s: string): IpValue | undefined {
  let v = textCache.get(s);
  if (v === undefined) {
    if (textCache.size >= 4096) textCache.clear();
    v = parseIp(s) ?? null;
    textCache.set(s, v);
  }
  return v ?? undefined;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** IPv4 → ::ffff:a.b.c.d. */
export function v4ToV6(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(b, 12);
  return out;
}

/** ::ffff:a.b.c.d → IPv4; undefined for any other IPv6 address (HAProxy's v6tov4). */
export function v6ToV4(b: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < 12; i++) if (b[i] !== V4_MAPPED_PREFIX[i]) return undefined;
  return b.slice(12, 16);
}

/** A mask of `bits` leading ones over `len` bytes. */
export function prefixMask(bits: number, len: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const n = Math.max(0, Math.min(8, bits - i * 8));
    m[i] = n === 0 ? 0 : (0xff << (8 - n)) & 0xff;
  }
  return m;
}

/** Number of leading ones when `m` is a contiguous mask, else -1. */
export function maskBits(m: Uint8Array): number {
  let bits = 0;
  let i = 0;
  for (; i < m.length && m[i] === 0xff; i++) bits += 8;
  if (i < m.length) {
    const b = m[i]!;
    let n = 0;
    while (n < 8 && b & (0x80 >> n)) n++;
    if (((0xff << (8 - n)) & 0xff) !== b) return -1;
    bits += n;
    for (i++; i < m.length; i++) if (m[i] !== 0) return -1;
  }
  return bits;
}

/** "24" or "255.255.255.0" → 4-byte mask (HAProxy's str2mask). */
export function parseMask4(s: string): Uint8Array | undefined {
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    return n <= 32 ? prefixMask(n, 4) : undefined;
  }
  return parseIpv4Strict(s);
}

/** "64" or "ffff:ffff::" → 16-byte mask (HAProxy's str2mask6). */
export function parseMask6(s: string): Uint8Array | undefined {
  if (/^\d{1,3}$/.test(s)) {
    const n = Number(s);
    return n <= 128 ? prefixMask(n, 16) : undefined;
  }
  return parseIpv6(s);
}

export function andBytes(a: Uint8Array, m: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & m[i]!;
  return out;
}
