// How `set server … addr|check-addr|agent-addr … port` read their words: HAProxy's C
// parsers (str2ip2 without resolution, strtol, strl2irc, strl2uic) and their quirks, which
// HAProxy 2.6.12 shows in its answers (set-server-addr.test.ts compares them end to end).
import { describe, expect, it } from 'vitest';
import { parseCheckPort, parseIp, stateUint, strl2irc, strtol } from '../src/runtime-server-addr.ts';

describe('parseIp (str2ip2 without resolution)', () => {
  it('reads IPv4 and IPv6 literals and gives their inet_ntop() text', () => {
    expect(parseIp('127.0.0.1')).toEqual({ family: 4, addr: '127.0.0.1' });
    expect(parseIp('::1')).toEqual({ family: 6, addr: '::1' });
    expect(parseIp('0:0::1')).toEqual({ family: 6, addr: '::1' });
    expect(parseIp('2001:DB8::0:1')).toEqual({ family: 6, addr: '2001:db8::1' });
    expect(parseIp('::ffff:127.0.0.1')).toEqual({ family: 6, addr: '::ffff:127.0.0.1' });
  });

  it('takes square brackets, `*` and an empty text as HAProxy does', () => {
    expect(parseIp('[::1]')).toEqual({ family: 6, addr: '::1' });
    expect(parseIp('[127.0.0.1]')).toEqual({ family: 4, addr: '127.0.0.1' });
    expect(parseIp('[::]')).toEqual({ family: 6, addr: '::' });
    expect(parseIp('::')).toEqual({ family: 6, addr: '::' });
    expect(parseIp('*')).toEqual({ family: 4, addr: '0.0.0.0' });
    expect(parseIp('')).toEqual({ family: 4, addr: '0.0.0.0' });
    expect(parseIp('[]')).toBeUndefined();
    expect(parseIp('[::1')).toBeUndefined();
  });

  it('refuses names, short IPv4 forms, ports and zones', () => {
    for (const bad of [
      'localhost',
      'foo',
      '127.1',
      '127.0.0.1:80',
      '01.2.3.4',
      '256.0.0.1',
      'fe80::1%lo',
      '1.2.3.4.5',
    ])
      expect(parseIp(bad), bad).toBeUndefined();
  });
});

describe('the ports', () => {
  it('strtol: leading blanks and a sign, digits up to the first other character, overflow refused', () => {
    expect(strtol('18002')).toBe(18002n);
    expect(strtol('5x')).toBe(5n);
    expect(strtol('  7')).toBe(7n);
    expect(strtol('+5')).toBe(5n);
    expect(strtol('-7')).toBe(-7n);
    expect(strtol('0x10')).toBe(0n);
    expect(strtol('99999999999')).toBe(99999999999n);
    expect(strtol('abc')).toBeUndefined();
    expect(strtol('')).toBeUndefined();
    expect(strtol('99999999999999999999')).toBeUndefined();
  });

  it('strl2irc / parseCheckPort: the whole word, digits only, 0..65535', () => {
    expect(strl2irc('19004')).toBe(19004);
    expect(strl2irc('-')).toBe(0);
    expect(strl2irc('-5')).toBe(-5);
    expect(strl2irc('5x')).toBeUndefined();
    expect(strl2irc(' 5')).toBeUndefined();
    expect(strl2irc('+5')).toBeUndefined();
    expect(strl2irc('')).toBeUndefined();
    expect(strl2irc('99999999999')).toBeUndefined();
    expect(parseCheckPort('65535')).toBe(65535);
    expect(parseCheckPort('0')).toBe(0);
    expect(parseCheckPort('65536')).toBe('provided port is invalid');
    expect(parseCheckPort('-1')).toBe('provided port is invalid');
    expect(parseCheckPort('0x10')).toBe('provided port is not an integer');
    expect(parseCheckPort('abc')).toBe('provided port is not an integer');
  });

  it("stateUint: a state file's srv_port, read up to the first non-digit", () => {
    expect(stateUint('18012')).toBe(18012);
    expect(stateUint('70000')).toBe(70000);
    expect(stateUint('12ab')).toBe(12);
    expect(stateUint('x')).toBe(0);
  });
});
