/**
 * The hash functions of `hash-type`, giving HAProxy's 32-bit values bit for bit.
 *
 * Input is a byte range: a `Uint8Array` (a `Buffer` is one) or a string read as latin1,
 * one byte per UTF-16 code unit (`charCodeAt(i) & 0xff`), which is how Node's HTTP parser
 * hands over request lines and header values. Pass a Buffer for anything else.
 * Every function returns an unsigned 32-bit integer and allocates nothing.
 */

/** Bytes to hash: a Uint8Array, or a string whose code units are bytes (latin1). */
export type Bytes = Uint8Array | string;

/** `hash-type` hash functions. `none` reads the key as a decimal integer (HAProxy 2.9+). */
export type HashFunctionName = 'sdbm' | 'djb2' | 'wt6' | 'crc32' | 'none';

export type HashFunction = (data: Bytes, start?: number, end?: number) => number;

/** sdbm: h = c + h·2⁶ + h·2¹⁶ − h, from 0. */
export function hashSdbm(data: Bytes, start = 0, end: number = data.length): number {
  let h = 0;
  if (typeof data === 'string') {
    for (let i = start; i < end; i++) h = ((data.charCodeAt(i) & 0xff) + (h << 6) + (h << 16) - h) >>> 0;
  } else {
    for (let i = start; i < end; i++) h = (data[i]! + (h << 6) + (h << 16) - h) >>> 0;
  }
  return h;
}

/** djb2: h = h·33 + c, from 5381. */
export function hashDjb2(data: Bytes, start = 0, end: number = data.length): number {
  let h = 5381;
  if (typeof data === 'string') {
    for (let i = start; i < end; i++) h = (Math.imul(h, 33) + (data.charCodeAt(i) & 0xff)) >>> 0;
  } else {
    for (let i = start; i < end; i++) h = (Math.imul(h, 33) + data[i]!) >>> 0;
  }
  return h;
}

/**
 * wt6: two 32-bit lanes, each byte folded into both (one by xor, one by addition, both
 * complemented), then the lanes are rotated by amounts that the previous byte chose.
 */
export function hashWt6(data: Bytes, start = 0, end: number = data.length): number {
  let a = 0xa53c965a;
  let b = 0x5ca6953a;
  let rotA = 6;
  let rotB = 18;
  const str = typeof data === 'string';
  for (let i = start; i < end; i++) {
    const c = str ? (data as string).charCodeAt(i) & 0xff : (data as Uint8Array)[i]!;
    const x = ~(a ^ c);
    const y = ~(b + c);
    // rotations; a count of 0 works too, since JS takes shift counts modulo 32
    a = ((y << rotA) | (y >>> (32 - rotA))) >>> 0;
    b = ((x << rotB) | (x >>> (32 - rotB))) >>> 0;
    const t = ((a >>> 16) ^ b) & 0xffff;
    rotA = t & 0x1f;
    rotB = t >>> 11;
  }
  return (a ^ b) >>> 0;
}

const CRC32_TABLE = /* @__PURE__ */ buildCrc32Table();

function buildCrc32Table(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the same value as zlib's crc32. */
export function hashCrc32(data: Bytes, start = 0, end: number = data.length): number {
  let crc = 0xffffffff;
  if (typeof data === 'string') {
    for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ data.charCodeAt(i)) & 0xff]!;
  } else {
    for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ data[i]!) & 0xff]!;
  }
  return ~crc >>> 0;
}

const TWO_64 = 1n << 64n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN_MAGNITUDE = 1n << 63n;

/**
 * `none`: the key is not hashed but read as a decimal integer: an optional sign, then the
 * digits up to the first non-digit (none: 0). The value saturates at the signed 64-bit
 * limits and its low 32 bits are the hash.
 */
export function hashNone(data: Bytes, start = 0, end: number = data.length): number {
  const at = (i: number): number =>
    typeof data === 'string' ? data.charCodeAt(i) & 0xff : (data as Uint8Array)[i]!;
  let i = start;
  let negative = false;
  if (i < end && at(i) === 0x2d /* - */) {
    negative = true;
    i++;
  } else if (i < end && at(i) === 0x2b /* + */) {
    i++;
  }
  // small numbers (the usual case) stay in doubles; longer ones go through BigInt
  let small = 0;
  let digits = 0;
  const first = i;
  while (i < end) {
    const d = at(i) - 0x30;
    if (d < 0 || d > 9) break;
    if (digits < 15) small = small * 10 + d;
    digits++;
    i++;
  }
  let value: bigint;
  if (digits < 15) {
    value = BigInt(small);
  } else {
    value = 0n;
    for (let j = first; j < i; j++) {
      value = value * 10n + BigInt(at(j) - 0x30);
      if (value >= TWO_64) {
        value = TWO_64 - 1n; // unsigned 64-bit saturation
        break;
      }
    }
  }
  if (negative) value = value > INT64_MIN_MAGNITUDE ? -INT64_MIN_MAGNITUDE : -value;
  else if (value > INT64_MAX) value = INT64_MAX;
  return Number(BigInt.asUintN(32, value));
}

/**
 * The `avalanche` modifier: a 32-bit integer mix (one of Bob Jenkins' full-avalanche
 * functions) followed by a multiplication by 0xC0000001, so that neighbouring inputs land
 * far apart. Also the function placing consistent-hashing points on the ring.
 */
export function avalanche(h: number): number {
  let a = h >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 0xc0000001) >>> 0;
}

/** The functions by their `hash-type` name. */
export const HASH_FUNCTIONS: Readonly<Record<HashFunctionName, HashFunction>> = Object.freeze({
  sdbm: hashSdbm,
  djb2: hashDjb2,
  wt6: hashWt6,
  crc32: hashCrc32,
  none: hashNone,
});
