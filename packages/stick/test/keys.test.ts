import { describe, expect, it } from 'vitest';
import { cliIPv4, cliKey, dumpText, formatIPv6, normalizeKey, parseIPv6 } from '../src/keys.ts';

const v = (
  type: Parameters<typeof normalizeKey>[0],
  len: number,
  input: Parameters<typeof normalizeKey>[2],
) => normalizeKey(type, len, input)?.value;

describe('key conversion (HAProxy sample casts)', () => {
  it('ip: IPv4 text, integers, mapped IPv6 addresses only', () => {
    expect(v('ip', 4, '192.168.0.1')).toBe('192.168.0.1');
    expect(v('ip', 4, '192.168.000.1')).toBeUndefined(); // inet_pton refuses leading zeros
    expect(v('ip', 4, '::ffff:1.2.3.4')).toBeUndefined(); // a string is not an address sample
    expect(v('ip', 4, { addr: '::ffff:1.2.3.4' })).toBe('1.2.3.4');
    expect(v('ip', 4, { addr: '2001:db8::1' })).toBeUndefined();
    expect(v('ip', 4, 0x7f000001)).toBe('127.0.0.1');
    expect(v('ip', 4, -1)).toBe('255.255.255.255');
    expect(v('ip', 4, new Uint8Array(4))).toBeUndefined();
  });

  it('ipv6: text, addresses (IPv4 mapped), integers', () => {
    expect(v('ipv6', 16, '2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(v('ipv6', 16, '1.2.3.4')).toBeUndefined();
    expect(v('ipv6', 16, { addr: '1.2.3.4' })).toBe('::ffff:1.2.3.4');
    expect(v('ipv6', 16, 0x01020304)).toBe('::ffff:1.2.3.4');
  });

  it('integer: 32-bit unsigned from numbers, leading digits of text, IPv4 addresses', () => {
    expect(v('integer', 4, 42)).toBe(42);
    expect(v('integer', 4, -1)).toBe(4294967295);
    expect(v('integer', 4, 2 ** 32 + 5)).toBe(5);
    expect(v('integer', 4, '127.0.0.1')).toBe(127);
    expect(v('integer', 4, '-2')).toBe(4294967294);
    expect(v('integer', 4, 'abc')).toBe(0);
    expect(v('integer', 4, '')).toBeUndefined();
    expect(v('integer', 4, { addr: '127.0.0.1' })).toBe(0x7f000001);
    expect(v('integer', 4, { addr: '::1' })).toBeUndefined();
    expect(v('integer', 4, 1.5)).toBeUndefined();
  });

  it('string: cut to the length, at a NUL, bytes one per char', () => {
    expect(v('string', 4, 'abcdef')).toBe('abcd');
    expect(v('string', 31, 'ab\u0000cd')).toBe('ab');
    expect(v('string', 31, 12)).toBe('12');
    expect(v('string', 31, { addr: '::ffff:1.2.3.4' })).toBe('::ffff:1.2.3.4');
    expect(v('string', 31, '\u20ac')).toBe('\u00e2\u0082\u00ac'); // UTF-8 bytes
    expect(v('string', 31, Uint8Array.from([0x41, 0, 0x42]))).toBe('A');
  });

  it('binary: padded or cut to the length', () => {
    expect(normalizeKey('binary', 4, 'ab')?.id).toBe('61620000');
    expect(normalizeKey('binary', 2, Uint8Array.from([1, 2, 3]))?.id).toBe('0102');
    expect(normalizeKey('binary', 10, 258)?.id).toBe('00000000000001020000'); // 8 bytes, network order
    expect(normalizeKey('binary', 6, { addr: '10.0.0.1' })?.id).toBe('0A0000010000');
  });

  it('orders keys as HAProxy dumps them', () => {
    const order = (type: 'integer' | 'ip', xs: number[]) =>
      xs
        .map((x) => normalizeKey(type, 4, x)!)
        .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
        .map((k) => k.value);
    // integers are stored little-endian: compared from their low byte
    expect(order('integer', [1, 2, 256, 65536])).toEqual([65536, 256, 1, 2]);
    expect(order('ip', [0x0a000002, 0x01000000, 0x0a000001])).toEqual(['1.0.0.0', '10.0.0.1', '10.0.0.2']);
  });
});

describe('IPv6 text', () => {
  it('parses like inet_pton', () => {
    expect(parseIPv6('::')).toEqual(new Uint8Array(16));
    expect(parseIPv6('::1')?.[15]).toBe(1);
    expect(parseIPv6('1::')?.[1]).toBe(1);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toBeDefined();
    expect(parseIPv6('1:2:3:4:5:6:1.2.3.4')?.[15]).toBe(4);
    for (const bad of [
      ':1',
      '1:',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      '::g',
      '1.2.3.4',
      '::1.2.3',
      '',
    ])
      expect(parseIPv6(bad)).toBeUndefined();
  });

  it('prints like glibc inet_ntop', () => {
    const f = (s: string) => formatIPv6(parseIPv6(s)!);
    expect(f('::')).toBe('::');
    expect(f('::1')).toBe('::1');
    expect(f('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(f('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4'); // first of equal runs
    expect(f('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7'); // a single zero is not compressed
    expect(f('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4');
    expect(f('::1.2.3.4')).toBe('::1.2.3.4');
    expect(f('2001:db8::')).toBe('2001:db8::');
    expect(f('fe80::abcd:0:0:1')).toBe('fe80::abcd:0:0:1');
  });
});

describe('runtime API keys', () => {
  it('reads IPv4 keys leniently, as inetaddr_host', () => {
    expect(cliIPv4('10.1.2.3')).toBe(0x0a010203);
    expect(cliIPv4('1.2.3')).toBe(0x01020300);
    expect(cliIPv4('300.1.1.1')).toBe(0x2c010101);
    expect(cliIPv4('1234.0.0.1')).toBe(0xea000001); // the last three digits of a group count
    expect(cliIPv4('abc')).toBe(0);
  });

  it('reads integer keys as strtoul, up to 32 bits', () => {
    const k = (s: string) => {
      const r = cliKey('integer', 4, s);
      return r.ok ? r.key.value : r.error;
    };
    expect(k('42')).toBe(42);
    expect(k(' +7x')).toBe(7);
    expect(k('-0')).toBe(0);
    expect(k('-1')).toBe('invalid');
    expect(k('4294967296')).toBe('invalid');
    expect(k('x')).toBe('invalid');
    expect(cliKey('binary', 4, '00')).toEqual({ ok: false, error: 'unsupported' });
    expect(cliKey('ipv6', 16, '1.2.3.4')).toEqual({ ok: false, error: 'invalid' });
  });

  it('escapes string keys as dump_text', () => {
    expect(dumpText('a b=c\\d\t\n\r\u001b\u0001\u00e9~')).toBe('a\\ b\\=c\\\\d\\t\\n\\r\\e\\x01\\xE9~');
  });
});
