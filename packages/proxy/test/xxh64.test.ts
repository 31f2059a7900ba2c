// XXH64 against published vectors of the reference implementation, and the dynamic cookie
// derivation built on it. End-to-end comparisons with HAProxy's dynamic cookies are in
// apps/haproxyd/test/cookie-dynamic.test.ts.
import {
  clearDynamicCookies,
  type DynamicCookieServer,
  dynamicCookie,
  setDynamicCookies,
  xxh64,
} from '@hap/proxy';
import { describe, expect, it } from 'vitest';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (v: bigint) => v.toString(16).padStart(16, '0');

describe('xxh64', () => {
  it('matches the reference vectors (empty, 1 byte, tails, 32-byte stripes)', () => {
    expect(hex(xxh64(ascii('')))).toBe('ef46db3751d8e999');
    expect(hex(xxh64(ascii('a')))).toBe('d24ec4f1a98c6e5b');
    expect(hex(xxh64(ascii('abc')))).toBe('44bc2cf5ad770999');
    expect(hex(xxh64(ascii('xxhash')))).toBe('32dd38952c4bc720');
    expect(hex(xxh64(ascii('xxhash'), 20141025n))).toBe('b559b98d844e0635');
    // 39 bytes: one stripe, then 8-byte, 4-byte and 1-byte tails
    expect(hex(xxh64(ascii('Nobody inspects the spammish repetition')))).toBe('fbcea83c8a378bf1');
  });

  it('reads a view into a larger buffer from its own offset', () => {
    const big = ascii('__Nobody inspects the spammish repetition__');
    expect(hex(xxh64(big.subarray(2, big.length - 2)))).toBe('fbcea83c8a378bf1');
  });
});

describe('dynamic cookies', () => {
  const key = ascii('mykey');

  it('hashes key, address bytes and a 4-byte big-endian port', () => {
    const manual = new Uint8Array([...key, 127, 0, 0, 1, 0, 0, 0x46, 0xa1]); // port 18081
    expect(dynamicCookie(key, '127.0.0.1', 18081)).toBe(hex(xxh64(manual)));
    const v6 = new Uint8Array([...key, ...new Array(15).fill(0), 1, 0, 0, 0, 80]);
    expect(dynamicCookie(key, '::1', 80)).toBe(hex(xxh64(v6)));
    expect(dynamicCookie(key, '/run/s.sock', 0)).toBeUndefined();
    expect(dynamicCookie(key, 'localhost', 80)).toBeUndefined();
  });

  it('leaves fixed values alone, counts clashes outside maintenance, and clears', () => {
    const mk = (host: string, port: number, cookie?: string): DynamicCookieServer => ({
      host,
      port,
      cookie,
      fixedCookie: cookie !== undefined,
    });
    const servers = [mk('127.0.0.1', 1), mk('127.0.0.1', 1), mk('127.0.0.1', 2, 'fixed'), mk('127.0.0.1', 1)];
    const v = dynamicCookie(key, '127.0.0.1', 1);
    // s1 meets nobody yet, s2 meets s1, s4 meets s1 and s2
    expect(setDynamicCookies(key, servers, () => false)).toBe(3);
    expect(servers.map((s) => s.cookie)).toEqual([v, v, 'fixed', v]);
    clearDynamicCookies(servers);
    // the fourth in maintenance: neither checked nor checked against
    expect(setDynamicCookies(key, servers, (i) => i === 3)).toBe(1);
    clearDynamicCookies(servers);
    expect(servers.map((s) => s.cookie)).toEqual([undefined, undefined, 'fixed', undefined]);
    expect(setDynamicCookies(undefined, servers, () => false)).toBe(0);
    expect(servers[0]!.cookie).toBeUndefined();
  });
});
