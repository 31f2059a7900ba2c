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

// --- 64-bit hashes (XXH64, XXH3 64 bits as in xxHash 0.8.0), on bigints -------------

const M64 = (1n << 64n) - 1n;
const Q1 = 11400714785074694791n;
const Q2 = 14029467366897019727n;
const Q3 = 1609587929392839161n;
const Q4 = 9650029242287828579n;
const Q5 = 2870177450012600261n;

function rotl64(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64;
}

function rd64(b: Uint8Array, i: number): bigint {
  const lo = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  const hi = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function rd32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
}

function xxh64Round(acc: bigint, input: bigint): bigint {
  return (rotl64((acc + input * Q2) & M64, 31n) * Q1) & M64;
}

function xxh64Avalanche(h0: bigint): bigint {
  let h = h0;
  h ^= h >> 33n;
  h = (h * Q2) & M64;
  h ^= h >> 29n;
  h = (h * Q3) & M64;
  return h ^ (h >> 32n);
}

/** XXH64 of `b` with a 64-bit seed; the unsigned result. */
export function hashXxh64(b: Uint8Array, seed0: bigint): bigint {
  const seed = seed0 & M64;
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + Q1 + Q2) & M64;
    let v2 = (seed + Q2) & M64;
    let v3 = seed;
    let v4 = (seed - Q1) & M64;
    for (; i + 32 <= len; i += 32) {
      v1 = xxh64Round(v1, rd64(b, i));
      v2 = xxh64Round(v2, rd64(b, i + 8));
      v3 = xxh64Round(v3, rd64(b, i + 16));
      v4 = xxh64Round(v4, rd64(b, i + 24));
    }
    h = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & M64;
    for (const v of [v1, v2, v3, v4]) h = (((h ^ xxh64Round(0n, v)) * Q1 + Q4) & M64) as bigint;
  } else h = (seed + Q5) & M64;
  h = (h + BigInt(len)) & M64;
  for (; i + 8 <= len; i += 8) h = (rotl64(h ^ xxh64Round(0n, rd64(b, i)), 27n) * Q1 + Q4) & M64;
  if (i + 4 <= len) {
    h = (rotl64(h ^ ((rd32(b, i) * Q1) & M64), 23n) * Q2 + Q3) & M64;
    i += 4;
  }
  for (; i < len; i++) h = (rotl64(h ^ ((BigInt(b[i]!) * Q5) & M64), 11n) * Q1) & M64;
  return xxh64Avalanche(h);
}

const K_SECRET = Buffer.from(
  'b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671fcb79e64eccc0e578825ad07dccff7221' +
    'b8084674f743248ee03590e6813a264c3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8' +
    'a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364eac5ac8334d3ebc3c581a0fffa1363eb' +
    '170ddd51b7f0da49d3165526 29d4689e2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e'.replace(
      / /g,
      '',
    ),
  'hex',
);

const P32_1 = 0x9e3779b1n;
const P32_2 = 0x85ebca77n;
const P32_3 = 0xc2b2ae3dn;
const MX1 = 0x165667919e3779f9n;
const MX2 = 0x9fb21c651e98df25n;

function xxh3Avalanche(h0: bigint): bigint {
  let h = h0 ^ (h0 >> 37n);
  h = (h * MX1) & M64;
  return h ^ (h >> 32n);
}

function mulFold64(a: bigint, b: bigint): bigint {
  const p = a * b;
  return (p & M64) ^ (p >> 64n);
}

function swap64(x: bigint): bigint {
  let r = 0n;
  for (let i = 0n; i < 64n; i += 8n) r = (r << 8n) | ((x >> i) & 0xffn);
  return r;
}

function swap32(x: bigint): bigint {
  return (
    ((x & 0xffn) << 24n) | (((x >> 8n) & 0xffn) << 16n) | (((x >> 16n) & 0xffn) << 8n) | ((x >> 24n) & 0xffn)
  );
}

function mix16(b: Uint8Array, i: number, s: Uint8Array, si: number, seed: bigint): bigint {
  return mulFold64(
    rd64(b, i) ^ ((rd64(s, si) + seed) & M64),
    rd64(b, i + 8) ^ ((rd64(s, si + 8) - seed) & M64),
  );
}

/** XXH3 (64 bits) of `b` with a 64-bit seed and the default secret; the unsigned result. */
export function hashXxh3(b: Uint8Array, seed0: bigint): bigint {
  const seed = seed0 & M64;
  const len = b.length;
  const s = K_SECRET;
  const L = BigInt(len);
  if (len <= 16) {
    if (len > 8) {
      const lo = rd64(b, 0) ^ (((rd64(s, 24) ^ rd64(s, 32)) + seed) & M64);
      const hi = rd64(b, len - 8) ^ (((rd64(s, 40) ^ rd64(s, 48)) - seed) & M64);
      return xxh3Avalanche((L + swap64(lo) + hi + mulFold64(lo, hi)) & M64);
    }
    if (len >= 4) {
      const sd = seed ^ (swap32(seed & 0xffffffffn) << 32n);
      const in64 = rd32(b, len - 4) + (rd32(b, 0) << 32n);
      let h = in64 ^ (((rd64(s, 8) ^ rd64(s, 16)) - sd) & M64);
      h ^= rotl64(h, 49n) ^ rotl64(h, 24n);
      h = (h * MX2) & M64;
      h ^= ((h >> 35n) + L) & M64;
      h = (h * MX2) & M64;
      return h ^ (h >> 28n);
    }
    if (len > 0) {
      const combined = BigInt(((b[0]! << 16) | (b[len >> 1]! << 24) | b[len - 1]! | (len << 8)) >>> 0);
      return xxh64Avalanche(combined ^ (((rd32(s, 0) ^ rd32(s, 4)) + seed) & M64));
    }
    return xxh64Avalanche(seed ^ rd64(s, 56) ^ rd64(s, 64));
  }
  if (len <= 128) {
    let acc = (L * Q1) & M64;
    if (len > 32) {
      if (len > 64) {
        if (len > 96) {
          acc += mix16(b, 48, s, 96, seed);
          acc += mix16(b, len - 64, s, 112, seed);
        }
        acc += mix16(b, 32, s, 64, seed);
        acc += mix16(b, len - 48, s, 80, seed);
      }
      acc += mix16(b, 16, s, 32, seed);
      acc += mix16(b, len - 32, s, 48, seed);
    }
    acc += mix16(b, 0, s, 0, seed);
    acc += mix16(b, len - 16, s, 16, seed);
    return xxh3Avalanche(acc & M64);
  }
  if (len <= 240) {
    let acc = (L * Q1) & M64;
    const rounds = Math.floor(len / 16);
    for (let i = 0; i < 8; i++) acc += mix16(b, 16 * i, s, 16 * i, seed);
    acc = xxh3Avalanche(acc & M64);
    for (let i = 8; i < rounds; i++) acc += mix16(b, 16 * i, s, 16 * (i - 8) + 3, seed);
    acc += mix16(b, len - 16, s, 136 - 17, seed);
    return xxh3Avalanche(acc & M64);
  }
  // long inputs: stripes of 64 bytes accumulated into 8 lanes, scrambled every block
  let sec: Uint8Array = s;
  if (seed !== 0n) {
    const c = Buffer.alloc(192);
    for (let i = 0; i < 12; i++) {
      c.writeBigUInt64LE((rd64(s, 16 * i) + seed) & M64, 16 * i);
      c.writeBigUInt64LE((rd64(s, 16 * i + 8) - seed) & M64, 16 * i + 8);
    }
    sec = c;
  }
  const acc = [P32_3, Q1, Q2, Q3, Q4, P32_2, Q5, P32_1];
  const acc512 = (p: number, si: number): void => {
    for (let i = 0; i < 8; i++) {
      const v = rd64(b, p + 8 * i);
      const k = v ^ rd64(sec, si + 8 * i);
      acc[i ^ 1] = (acc[i ^ 1]! + v) & M64;
      acc[i] = (acc[i]! + (k & 0xffffffffn) * (k >> 32n)) & M64;
    }
  };
  const stripesPerBlock = (192 - 64) / 8;
  const blockLen = 64 * stripesPerBlock;
  const blocks = Math.floor((len - 1) / blockLen);
  for (let n = 0; n < blocks; n++) {
    for (let st = 0; st < stripesPerBlock; st++) acc512(n * blockLen + st * 64, st * 8);
    for (let i = 0; i < 8; i++) {
      let a = acc[i]!;
      a ^= a >> 47n;
      a ^= rd64(sec, 192 - 64 + 8 * i);
      acc[i] = (a * P32_1) & M64;
    }
  }
  const last = Math.floor((len - 1 - blockLen * blocks) / 64);
  for (let st = 0; st < last; st++) acc512(blocks * blockLen + st * 64, st * 8);
  acc512(len - 64, 192 - 64 - 7);
  let r = (L * Q1) & M64;
  for (let i = 0; i < 4; i++)
    r += mulFold64(acc[2 * i]! ^ rd64(sec, 11 + 16 * i), acc[2 * i + 1]! ^ rd64(sec, 11 + 16 * i + 8));
  return xxh3Avalanche(r & M64);
}
