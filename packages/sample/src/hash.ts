// The hash functions of HAProxy's hash converters (same values, bit for bit), over bytes.

export function hashDjb2(b: Uint8Array): number {
  let h = 5381;
  for (let i = 0; i < b.length; i++) h = (Math.imul(h, 33) + b[i]!) >>> 0;
  return h;
}

export function hashSdbm(b: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < b.length; i++) h = (b[i]! + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

export function hashWt6(b: Uint8Array): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < b.length; i++) {
    let t = b[i]!;
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

let crcTable: Uint32Array | undefined;

export function hashCrc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let h = 0xffffffff;
  for (let i = 0; i < b.length; i++) h = crcTable[(h ^ b[i]!) & 0xff]! ^ (h >>> 8);
  return (h ^ 0xffffffff) >>> 0;
}

/** Bob Jenkins' full avalanche mix (HAProxy's full_hash). */
export function fullHash(a0: number): number {
  let a = a0 >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** XXH32 with a 32-bit seed. */
export function hashXxh32(b: Uint8Array, seed: number): number {
  const len = b.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    for (; i + 16 <= len; i += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(u32(b, i), P2)) >>> 0, 13), P1) >>> 0;
      v2 = Math.imul(rotl((v2 + Math.imul(u32(b, i + 4), P2)) >>> 0, 13), P1) >>> 0;
      v3 = Math.imul(rotl((v3 + Math.imul(u32(b, i + 8), P2)) >>> 0, 13), P1) >>> 0;
      v4 = Math.imul(rotl((v4 + Math.imul(u32(b, i + 12), P2)) >>> 0, 13), P1) >>> 0;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else h = (seed + P5) >>> 0;
  h = (h + len) >>> 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(u32(b, i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(b[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
