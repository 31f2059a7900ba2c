// The hash functions, value for value. The vectors were computed from HAProxy's own
// definitions (src/hash.c and full_hash() in include/haproxy/intops.h, v2.6) compiled
// with gcc, once, outside this repository; haproxy-diff.test.ts also compares them with
// the running HAProxy's converters.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { avalanche, HASH_FUNCTIONS, hashCrc32, hashDjb2, hashNone, hashSdbm, hashWt6 } from '../src/index.ts';

const INPUTS = [
  '',
  'a',
  'abc',
  '/',
  '/index.html',
  '/a/b/c?x=1',
  'haproxy.1wt.eu',
  '123456789',
  'The quick brown fox jumps over the lazy dog',
  '\x80\xff\x00\x7f binary',
];

// [sdbm, djb2, wt6, crc32, avalanche(sdbm), avalanche(djb2), avalanche(wt6), avalanche(crc32)]
const VECTORS: number[][] = [
  [0, 5381, 4187620192, 0, 2874071335, 3719394183, 2385687481, 2874071335],
  [97, 177670, 1900802597, 3904355907, 1830748055, 3548763807, 1986649387, 1288200982],
  [807794786, 193485963, 2483038440, 891568578, 659243622, 2235766107, 266135527, 930845320],
  [47, 177620, 1886637733, 2043925204, 2118074832, 3725504903, 2250254464, 2724628003],
  [858007926, 3776231887, 822151038, 3928116034, 4217574924, 1889807916, 2986733765, 571229468],
  [2104353286, 1668099773, 1199488226, 3410995999, 2777788116, 577148561, 2281312995, 2925689956],
  [3573640649, 1429640482, 1353059386, 317446440, 2076999512, 1271405642, 592045559, 3858398299],
  [1755344949, 902675330, 2225171485, 3421780262, 3400502718, 2717138294, 4053691039, 1130417534],
  [2359783795, 885799134, 3840389189, 1095738169, 4144961173, 3419350371, 2386649459, 1090730130],
  [604707619, 1618920456, 4208512934, 818848097, 1636313378, 2318949617, 32130014, 3267782707],
];

describe('hash functions', () => {
  INPUTS.forEach((input, i) => {
    it(`vector ${i}: ${JSON.stringify(input)}`, () => {
      const bytes = Buffer.from(input, 'latin1');
      const plain = [hashSdbm(bytes), hashDjb2(bytes), hashWt6(bytes), hashCrc32(bytes)];
      expect([...plain, ...plain.map(avalanche)]).toEqual(VECTORS[i]);
      // a latin1 string gives the same values as its bytes
      expect([hashSdbm(input), hashDjb2(input), hashWt6(input), hashCrc32(input)]).toEqual(plain);
    });
  });

  it('avalanche of integers (consistent-hashing points are avalanche(id × 4096 + j))', () => {
    const cases: [number, number][] = [
      [0, 2874071335],
      [1, 881230262],
      [2, 3798448204],
      [0x7f000001, 2317047883],
      [4096, 1237450891],
      [4097, 2761370759],
      [8192, 1079705203],
      [0xffffffff, 2120532354],
      [16 * 4096 + 15, 939311530],
    ];
    for (const [input, out] of cases) expect(avalanche(input), String(input)).toBe(out);
  });

  it('crc32 is the usual CRC-32 (zlib), on every byte value and ranges', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(hashCrc32(all)).toBe(crc32(all));
    expect(hashCrc32(all, 10, 200)).toBe(crc32(all.subarray(10, 200)));
    expect(hashCrc32('123456789')).toBe(0xcbf43926);
  });

  it('ranges hash only [start, end)', () => {
    const s = 'xx/index.htmlyy';
    for (const fn of [hashSdbm, hashDjb2, hashWt6, hashCrc32]) {
      expect(fn(s, 2, 13)).toBe(fn('/index.html'));
      expect(fn(Buffer.from(s), 2, 13)).toBe(fn('/index.html'));
    }
  });

  it('none reads a decimal integer and keeps its low 32 bits', () => {
    expect(hashNone('123')).toBe(123);
    expect(hashNone('+42abc')).toBe(42);
    expect(hashNone('abc')).toBe(0);
    expect(hashNone('')).toBe(0);
    expect(hashNone('-1')).toBe(0xffffffff);
    expect(hashNone('4294967297')).toBe(1);
    expect(hashNone('123456789012345678')).toBe(Number(BigInt.asUintN(32, 123456789012345678n)));
    // saturation at the signed 64-bit limits
    expect(hashNone('99999999999999999999999')).toBe(0xffffffff);
    expect(hashNone('-99999999999999999999999')).toBe(0);
    expect(hashNone(Buffer.from('77'))).toBe(77);
  });

  it('the table has the five hash-type names', () => {
    expect(Object.keys(HASH_FUNCTIONS).sort()).toEqual(['crc32', 'djb2', 'none', 'sdbm', 'wt6']);
  });
});
