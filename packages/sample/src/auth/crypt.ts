// crypt(3) for the password hashes HAProxy users keep in `userlist` sections, as glibc
// computes them: MD5-crypt ($1$), SHA-256-crypt ($5$) and SHA-512-crypt ($6$, with an
// optional `rounds=N$`), on node:crypto digests. Other schemes are told apart so that the
// caller can refuse them ("not supported yet") or, like crypt(3) failing, never match.
import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** What kind of stored password a `password` option holds. */
export type CryptScheme = 'md5' | 'sha256' | 'sha512' | 'unsupported' | 'invalid';

/**
 * The scheme of a stored hash: one computed here, one crypt(3) knows and haproxyd does not
 * (bcrypt, yescrypt, scrypt, DES…: `unsupported`, with its prefix), or a string no crypt
 * scheme reads (crypt(3) fails on it: such a user never matches, as in HAProxy).
 */
export function cryptScheme(stored: string): { scheme: CryptScheme; prefix: string } {
  if (stored.startsWith('$1$')) return { scheme: 'md5', prefix: '$1$' };
  if (stored.startsWith('$5$')) return { scheme: 'sha256', prefix: '$5$' };
  if (stored.startsWith('$6$')) return { scheme: 'sha512', prefix: '$6$' };
  if (stored.startsWith('$')) {
    const end = stored.indexOf('$', 1);
    return { scheme: 'unsupported', prefix: end > 0 ? stored.slice(0, end + 1) : stored };
  }
  // BSDi extended DES (_…) and traditional DES (two salt characters of the alphabet)
  if (stored.startsWith('_') && stored.length >= 9) return { scheme: 'unsupported', prefix: '_' };
  if (stored.length >= 2 && ITOA64.includes(stored[0]!) && ITOA64.includes(stored[1]!))
    return { scheme: 'unsupported', prefix: 'DES' };
  return { scheme: 'invalid', prefix: '' };
}

function to64(v: number, n: number): string {
  let s = '';
  let w = v;
  for (let i = 0; i < n; i++) {
    s += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return s;
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MD5-crypt ("$1$salt$hash"), as glibc's md5-crypt. */
export function md5Crypt(password: Buffer, setting: string): string {
  let salt = setting.slice(3);
  const d = salt.indexOf('$');
  if (d >= 0) salt = salt.slice(0, d);
  salt = salt.slice(0, 8);
  const s = Buffer.from(salt, 'latin1');
  const magic = Buffer.from('$1$', 'latin1');
  let alt = md5(password, s, password);
  const parts: Buffer[] = [password, magic, s];
  for (let pl = password.length; pl > 0; pl -= 16) parts.push(alt.subarray(0, Math.min(pl, 16)));
  const zero = Buffer.alloc(1);
  const first = password.subarray(0, 1);
  for (let i = password.length; i !== 0; i >>>= 1) parts.push(i & 1 ? zero : first);
  alt = md5(...parts);
  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? password : alt);
    if (i % 3) h.update(s);
    if (i % 7) h.update(password);
    h.update(i & 1 ? alt : password);
    alt = h.digest();
  }
  const f = alt;
  return (
    `$1$${salt}$` +
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2)
  );
}

// the byte permutation of the final encoding (glibc's sha256-crypt / sha512-crypt)
const SHA256_ORDER: readonly (readonly [number, number, number, number])[] = [
  [0, 10, 20, 4],
  [21, 1, 11, 4],
  [12, 22, 2, 4],
  [3, 13, 23, 4],
  [24, 4, 14, 4],
  [15, 25, 5, 4],
  [6, 16, 26, 4],
  [27, 7, 17, 4],
  [18, 28, 8, 4],
  [9, 19, 29, 4],
  [-1, 31, 30, 3],
];

const SHA512_ORDER: readonly (readonly [number, number, number, number])[] = (() => {
  const out: [number, number, number, number][] = [];
  // groups of three bytes walking the digest in 21-byte strides, then the last byte
  for (let i = 0; i < 21; i++) {
    const a = i;
    const b = i + 21;
    const c = i + 42;
    const rot = i % 3;
    out.push(rot === 0 ? [a, b, c, 4] : rot === 1 ? [b, c, a, 4] : [c, a, b, 4]);
  }
  out.push([-1, -1, 63, 2]);
  return out;
})();

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;

/** SHA-256-crypt ("$5$…") or SHA-512-crypt ("$6$…"), with "rounds=N$" as glibc reads it. */
export function shaCrypt(password: Buffer, setting: string, bits: 256 | 512): string {
  const algo = bits === 256 ? 'sha256' : 'sha512';
  const hlen = bits / 8;
  const prefix = bits === 256 ? '$5$' : '$6$';
  let rest = setting.slice(3);
  let rounds = ROUNDS_DEFAULT;
  let custom = false;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    const n = Number(m[1]);
    rounds = Math.max(ROUNDS_MIN, Math.min(n, ROUNDS_MAX));
    custom = true;
    rest = rest.slice(m[0].length);
  }
  const d = rest.indexOf('$');
  const salt = (d >= 0 ? rest.slice(0, d) : rest).slice(0, 16);
  const s = Buffer.from(salt, 'latin1');
  const p = password;
  const hash = (...parts: Buffer[]): Buffer => {
    const h = createHash(algo);
    for (const x of parts) h.update(x);
    return h.digest();
  };
  const b = hash(p, s, p);
  const aParts: Buffer[] = [p, s];
  let cnt = p.length;
  for (; cnt > hlen; cnt -= hlen) aParts.push(b);
  aParts.push(b.subarray(0, cnt));
  for (let c = p.length; c > 0; c >>>= 1) aParts.push(c & 1 ? b : p);
  let a = hash(...aParts);
  // P sequence: the digest of the password repeated, cut to the password's length
  const dpH = createHash(algo);
  for (let i = 0; i < p.length; i++) dpH.update(p);
  const dp = dpH.digest();
  const pSeq = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) pSeq[i] = dp[i % hlen]!;
  // S sequence: the digest of the salt repeated 16 + A[0] times, cut to the salt's length
  const dsH = createHash(algo);
  for (let i = 0; i < 16 + a[0]!; i++) dsH.update(s);
  const ds = dsH.digest();
  const sSeq = Buffer.alloc(s.length);
  for (let i = 0; i < s.length; i++) sSeq[i] = ds[i % hlen]!;
  for (let r = 0; r < rounds; r++) {
    const h = createHash(algo);
    h.update(r & 1 ? pSeq : a);
    if (r % 3) h.update(sSeq);
    if (r % 7) h.update(pSeq);
    h.update(r & 1 ? a : pSeq);
    a = h.digest();
  }
  let out = `${prefix}${custom ? `rounds=${rounds}$` : ''}${salt}$`;
  for (const [i, j, k, n] of bits === 256 ? SHA256_ORDER : SHA512_ORDER) {
    const v = ((i < 0 ? 0 : a[i]!) << 16) | ((j < 0 ? 0 : a[j]!) << 8) | a[k]!;
    out += to64(v, n);
  }
  return out;
}

/**
 * crypt(3) of `password` with the setting (salt and parameters) of `stored`, for the schemes
 * computed here; undefined for the others (crypt(3) would fail or is not implemented).
 */
export function crypt(password: Buffer, stored: string): string | undefined {
  switch (cryptScheme(stored).scheme) {
    case 'md5':
      return md5Crypt(password, stored);
    case 'sha256':
      return shaCrypt(password, stored, 256);
    case 'sha512':
      return shaCrypt(password, stored, 512);
    default:
      return undefined;
  }
}
