/**
 * XXH64 (Yann Collet's xxHash, 64-bit variant), as HAProxy uses it for dynamic persistence
 * cookies. Written from the published algorithm: four 64-bit lanes over 32-byte stripes,
 * then 8-, 4- and 1-byte tails, then the avalanche. Arithmetic is on BigInt modulo 2^64; it
 * runs at start and on a runtime API command, never per request.
 */

const MASK = 0xffff_ffff_ffff_ffffn;
const P1 = 0x9e37_79b1_85eb_ca87n;
const P2 = 0xc2b2_ae3d_27d4_eb4fn;
const P3 = 0x1656_67b1_9e37_79f9n;
const P4 = 0x85eb_ca77_c2b2_ae63n;
const P5 = 0x27d4_eb2f_1656_67c5n;

const rotl = (v: bigint, r: bigint): bigint => ((v << r) | (v >> (64n - r))) & MASK;

/** One lane step: acc + input·P2, rotated by 31, times P1. */
const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;

const merge = (acc: bigint, lane: bigint): bigint => (((acc ^ round(0n, lane)) * P1 + P4) & MASK) as bigint;

/** XXH64 of `data` with `seed` (an unsigned 64-bit value), as an unsigned 64-bit BigInt. */
export function xxh64(data: Uint8Array, seed = 0n): bigint {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = data.byteLength;
  const s = seed & MASK;
  let at = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (s + P1 + P2) & MASK;
    let v2 = (s + P2) & MASK;
    let v3 = s;
    let v4 = (s - P1) & MASK;
    const last = len - 32;
    while (at <= last) {
      v1 = round(v1, view.getBigUint64(at, true));
      v2 = round(v2, view.getBigUint64(at + 8, true));
      v3 = round(v3, view.getBigUint64(at + 16, true));
      v4 = round(v4, view.getBigUint64(at + 24, true));
      at += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = (s + P5) & MASK;
  }
  h = (h + BigInt(len)) & MASK;
  while (at + 8 <= len) {
    h ^= round(0n, view.getBigUint64(at, true));
    h = (rotl(h, 27n) * P1 + P4) & MASK;
    at += 8;
  }
  if (at + 4 <= len) {
    h ^= (BigInt(view.getUint32(at, true)) * P1) & MASK;
    h = (rotl(h, 23n) * P2 + P3) & MASK;
    at += 4;
  }
  while (at < len) {
    h ^= (BigInt(data[at]!) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
    at++;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h;
}
