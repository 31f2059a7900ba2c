// Types and casts, addresses, variables, regexes, sample expressions.
import { describe, expect, it } from 'vitest';
import {
  type CompileOptions,
  compileSampleExpr,
  createVarStore,
  SampleError,
  sampleToString,
} from '../src/index.ts';
import { formatIpv6, parseIpv4Loose, parseIpv4Prefix, parseIpv4Strict, parseIpv6 } from '../src/ip.ts';
import { compileRegex, translatePcre } from '../src/pattern/regex.ts';
import { cast, readInt64, strl2ic } from '../src/types.ts';
import { envOf, messageOf } from './harness.ts';

const opts: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };

describe('samples print and cast as HAProxy', () => {
  it('prints every type', () => {
    expect(sampleToString(true)).toBe('1');
    expect(sampleToString(false)).toBe('0');
    expect(sampleToString(-12)).toBe('-12');
    expect(sampleToString(2 ** 63)).toBe('9223372036854775807');
    expect(sampleToString(-(2 ** 63))).toBe('-9223372036854775808');
    expect(sampleToString(2 ** 60)).toBe('1152921504606846976');
    expect(sampleToString('é')).toBe('é');
    expect(sampleToString(Buffer.from([0x41, 0x00, 0x42]))).toBe('A');
    expect(sampleToString({ kind: 'ipv4', bytes: new Uint8Array([10, 0, 0, 1]) })).toBe('10.0.0.1');
    expect(sampleToString({ kind: 'ipv6', bytes: parseIpv6('2001:db8::1')! })).toBe('2001:db8::1');
  });

  it('casts between types, failing where HAProxy fails', () => {
    expect(cast('12abc', 'sint')).toBe(12);
    expect(cast('', 'sint')).toBeUndefined();
    expect(cast('abc', 'sint')).toBe(0);
    expect(cast(true, 'sint')).toBe(1);
    expect(cast(3, 'bool')).toBe(true);
    expect(cast(1, 'bin')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(cast('1.2.3.4:80', 'ipv4')).toEqual({ kind: 'ipv4', bytes: new Uint8Array([1, 2, 3, 4]) });
    expect(cast('::1', 'ipv4')).toBeUndefined();
    expect(sampleToString(cast('::1', 'addr')!)).toBe('::1');
    expect(sampleToString(cast(16909060, 'ipv4')!)).toBe('1.2.3.4');
    expect(sampleToString(cast({ kind: 'ipv4', bytes: new Uint8Array([1, 2, 3, 4]) }, 'ipv6')!)).toBe(
      '::ffff:1.2.3.4',
    );
    expect(cast({ kind: 'ipv4', bytes: new Uint8Array([1, 2, 3, 4]) }, 'sint')).toBe(16909060);
    expect(readInt64('-42x')).toEqual({ value: -42, end: 3 });
    expect(strl2ic('12')).toBe(12);
    expect(strl2ic('1 2')).toBe(-58); // HAProxy sums characters below '0' too
    expect(strl2ic('-7')).toBe(-7);
  });
});

describe('addresses', () => {
  it('parses IPv4 strictly, by prefix and with abbreviations', () => {
    expect(parseIpv4Strict('1.2.3.4')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(parseIpv4Strict('01.2.3.4')).toBeUndefined();
    expect(parseIpv4Strict('1.2.3')).toBeUndefined();
    expect(parseIpv4Prefix('1.2.3.4abc')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(parseIpv4Prefix('1.2.3.4.')).toBeUndefined();
    expect(parseIpv4Loose('127.1')).toEqual(new Uint8Array([127, 0, 0, 1]));
    expect(parseIpv4Loose('10.12')).toEqual(new Uint8Array([10, 0, 0, 12]));
  });

  it('parses and prints IPv6 as inet_pton and inet_ntop', () => {
    for (const [inp, out] of [
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::1.2.3.4'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['0:0:1::', '0:0:1::'],
    ] as const) {
      expect(formatIpv6(parseIpv6(inp)!), inp).toBe(out);
    }
    for (const bad of ['1:2', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::g'])
      expect(parseIpv6(bad), bad).toBeUndefined();
  });
});

describe('variables', () => {
  it('keeps scopes apart and empties them as the stream goes on', () => {
    const proc = new Map();
    const a = createVarStore(proc);
    const b = createVarStore(proc);
    a.set('proc.p', 1);
    a.set('sess.s', 2);
    a.set('txn.t', 3);
    a.set('req.q', 4);
    a.set('res.r', 5);
    expect(b.get('proc.p')).toBe(1);
    expect(b.get('sess.s')).toBeUndefined();
    a.newResponse();
    expect(a.get('req.q')).toBeUndefined();
    expect(a.get('txn.t')).toBe(3);
    a.set('res.r', 6);
    a.newTransaction();
    expect(a.get('txn.t')).toBeUndefined();
    expect(a.get('res.r')).toBeUndefined();
    expect(a.get('sess.s')).toBe(2);
    a.unset('sess.s');
    expect(a.get('sess.s')).toBeUndefined();
    a.set('bad.x', 1);
    expect(a.get('bad.x')).toBeUndefined();
  });
});

describe('regexes', () => {
  it('translates the PCRE syntax JS lacks', () => {
    expect(compileRegex('\\Aab\\z', false).test('ab')).toBe(true);
    expect(compileRegex('a.b', false).test('a\rb')).toBe(true);
    expect(compileRegex('a\\sb', false).test('a\u00a0b')).toBe(false);
    expect(compileRegex('[[:digit:]]+$', false).test('x12')).toBe(true);
    expect(compileRegex('(?i)ABC', false).test('abc')).toBe(true);
    expect(compileRegex('(?P<n>a)(?P=n)', false).test('aa')).toBe(true);
    expect(compileRegex('\\Qa.b\\E', false).test('axb')).toBe(false);
    expect(compileRegex('[]a]', false).test(']')).toBe(true);
    expect(translatePcre('x$').source).toBe('x(?=\\n?$)');
  });

  it('refuses what JS cannot do, and words errors as HAProxy', () => {
    expect(() => compileRegex('a++', false)).toThrow(/possessive quantifier/);
    expect(() => compileRegex('(?>a)', false)).toThrow(SampleError);
    expect(() => compileRegex('a(', false)).toThrow(
      "regex 'a(' is invalid (error=missing closing parenthesis, erroffset=2)",
    );
    expect(() => compileRegex('a)', false)).toThrow(/unmatched closing parenthesis/);
  });
});

describe('sample expressions', () => {
  const env = () =>
    envOf({
      src: '127.0.0.1',
      srcPort: 1,
      dst: '127.0.0.1',
      dstPort: 2,
      proxy: 'f',
      req: messageOf('GET /x HTTP/1.1', [['Host', ' EXAMPLE.com']]),
    });

  it('compiles once and evaluates many times', () => {
    const e = compileSampleExpr('hdr(host),lower,word(1,.)', opts);
    expect(e.text).toBe('hdr(host),lower,word(1,.)');
    expect(e.eval(env())).toBe('example');
    expect(e.eval(env())).toBe('example');
    expect(compileSampleExpr('path,,lower', opts).eval(env())).toBe('/x');
  });

  it('parses arguments with quotes and escapes as HAProxy', () => {
    expect(compileSampleExpr('str("a,b)")', opts).eval(env())).toBe('a,b)');
    expect(compileSampleExpr("str('a\\\\b')", opts).eval(env())).toBe('a\\\\b');
    expect(() => compileSampleExpr('str(a\\,b)', opts)).toThrow(
      "fetch method 'str' : expected ')' before ',b)'",
    );
    expect(compileSampleExpr('str(a\\ b\\tc)', opts).eval(env())).toBe('a b\tc');
    expect(() => compileSampleExpr('str("a)', opts)).toThrow("fetch method 'str' : expected ')'");
    expect(() => compileSampleExpr('hdr(a,b)', opts)).toThrow(
      "fetch method 'hdr' : failed to parse 'b' as type 'integer' at position 2",
    );
    expect(() => compileSampleExpr('', opts)).toThrow('missing fetch method');
  });
});
