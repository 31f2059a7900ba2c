// How the hashing algorithms read their keys (HAProxy's rules, checked here on the edges;
// haproxy-diff.test.ts checks the same rules end to end against the real HAProxy).
import { describe, expect, it } from 'vitest';
import { foldAddress, readRdpCookie } from '../src/index.ts';
import {
  domainRange,
  findParam,
  firstValueRange,
  pathRange,
  type Range,
  rdpCookieRange,
  uriKeyRange,
} from '../src/keys.ts';

const r = (): Range => ({ start: 0, end: 0 });
const slice = (s: string, x: Range) => s.slice(x.start, x.end);

describe('foldAddress (source)', () => {
  it('IPv4: the address as a big-endian number', () => {
    expect(foldAddress('127.0.0.1')).toBe(0x7f000001);
    expect(foldAddress('255.255.255.255')).toBe(0xffffffff);
    expect(foldAddress('0.0.0.0')).toBe(0);
  });
  it('IPv6: the xor of the four 32-bit words', () => {
    expect(foldAddress('::1')).toBe(1);
    expect(foldAddress('::')).toBe(0);
    expect(foldAddress('2001:db8::1')).toBe((0x20010db8 ^ 1) >>> 0);
    expect(foldAddress('2001:db8:0:0:0:0:0:1')).toBe((0x20010db8 ^ 1) >>> 0);
    expect(foldAddress('fe80::1:2%eth0')).toBe((0xfe800000 ^ 0x00010002) >>> 0);
    expect(foldAddress('::ffff:1.2.3.4')).toBe((0xffff ^ 0x01020304) >>> 0);
    expect(foldAddress('1:2:3:4:5:6:7:8')).toBe((0x10002 ^ 0x30004 ^ 0x50006 ^ 0x70008) >>> 0);
    expect(foldAddress('1::')).toBe(0x10000);
  });
  it('anything else: -1', () => {
    for (const bad of [
      '',
      'x',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1:2',
      ':::',
      '1::2::3',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7:8:9',
    ])
      expect(foldAddress(bad), bad).toBe(-1);
  });
});

describe('uri keys', () => {
  const key = (uri: string, whole: boolean, len: number, depth: number) => {
    const x = r();
    uriKeyRange(uri, 0, uri.length, whole, len, depth, x);
    return slice(uri, x);
  };
  it('stops at the question mark unless whole', () => {
    expect(key('/a/b?c=1', false, 0, 0)).toBe('/a/b');
    expect(key('/a/b?c=1', true, 0, 0)).toBe('/a/b?c=1');
  });
  it('len and depth', () => {
    expect(key('/abcdefgh', false, 5, 0)).toBe('/abcd');
    expect(key('/a/b/c/d', false, 0, 2)).toBe('/a/b');
    expect(key('/a/b/c/d', false, 0, 1)).toBe('/a');
    expect(key('/a/b', false, 0, 5)).toBe('/a/b');
    expect(key('/a/b/c', false, 3, 2)).toBe('/a/');
  });
  it('path-only skips scheme and authority', () => {
    const p = (u: string) => {
      const x = r();
      pathRange(u, x);
      return slice(u, x);
    };
    expect(p('/x?y')).toBe('/x?y');
    expect(p('http://host:80/x?y')).toBe('/x?y');
    expect(p('http://host')).toBe('');
    expect(p('host:443')).toBe('');
    expect(p('*')).toBe('');
    expect(p('')).toBe('');
  });
});

describe('url_param keys', () => {
  const find = (q: string, name: string, form = false) => {
    const x = r();
    return findParam(q, 0, q.length, name, form, x) ? slice(q, x) : undefined;
  };
  it('finds name=value among & separated parameters', () => {
    expect(find('a=1&userid=42&b=2', 'userid')).toBe('42');
    expect(find('userid=42', 'userid')).toBe('42');
    expect(find('userid=', 'userid')).toBe('');
    expect(find('xuserid=1&userid=7', 'userid')).toBe('7');
    expect(find('a=1&&userid=3', 'userid')).toBe('3');
    expect(find('a=1', 'userid')).toBeUndefined();
    expect(find('userid', 'userid')).toBeUndefined();
    expect(find('USERID=1', 'userid')).toBeUndefined();
  });
  it('in a form body, the value must start with a token character', () => {
    expect(find('userid=abc&x', 'userid', true)).toBe('abc');
    expect(find('userid= abc', 'userid', true)).toBe('');
    expect(find('userid={"x"}', 'userid', true)).toBeUndefined();
  });
});

describe('header values', () => {
  const first = (v: string) => {
    const x = r();
    firstValueRange(v, x);
    return slice(v, x);
  };
  it('the first value, trimmed, quoted commas kept', () => {
    expect(first('  a , b')).toBe('a');
    expect(first('"x,y", z')).toBe('"x,y"');
    expect(first('"a\\",b", c')).toBe('"a\\",b"');
    expect(first(' , b')).toBe('');
    expect(first('')).toBe('');
  });
  it('use_domain_only keeps the label before the top-level domain', () => {
    const d = (v: string) => {
      const x = r();
      domainRange(v, 0, v.length, x);
      return slice(v, x);
    };
    expect(d('haproxy.1wt.eu')).toBe('1wt');
    expect(d('www.example.com')).toBe('example');
    expect(d('example.com')).toBe('example');
    expect(d('localhost')).toBe('localhost');
  });
});

describe('rdp cookie', () => {
  const req = (line: string) => Buffer.concat([Buffer.alloc(11), Buffer.from(line, 'latin1')]);
  it('reads Cookie: <name>=<value>\\r\\n after 11 bytes, names without case', () => {
    const x = r();
    expect(rdpCookieRange(req('Cookie: mstshash=bob\r\nrest'), 'mstshash', x)).toBe(true);
    expect(Buffer.from(readRdpCookie(req('cookie:   MSTSHASH=alice\r\n'))!).toString()).toBe('alice');
    expect(readRdpCookie(req('Cookie: other=x\r\n'))).toBeUndefined();
    expect(readRdpCookie(req('Cookie: mstshash=incomplete'))).toBeUndefined();
    expect(readRdpCookie(req('Cookie: mstshash=bad\rX'))).toBeUndefined();
    expect(readRdpCookie(Buffer.alloc(5))).toBeUndefined();
    expect(Buffer.from(readRdpCookie(req('Cookie: user=u1\r\n'), 'user')!).toString()).toBe('u1');
  });
});
