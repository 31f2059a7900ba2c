// The converter table and the map converters.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { CONV_DEFS } from '../src/expr.ts';
import { hashCrc32, hashDjb2, hashSdbm, hashWt6, hashXxh32 } from '../src/hash.ts';
import {
  CONVERTERS,
  type CompileOptions,
  compileSampleExpr,
  type SampleEnv,
  type SampleError,
  sampleToString,
} from '../src/index.ts';
import { envOf, messageOf } from './harness.ts';

useTestkit();

const opts: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };

function env(): SampleEnv {
  const e = envOf({
    src: '10.1.2.3',
    srcPort: 5000,
    dst: '10.0.0.1',
    dstPort: 80,
    proxy: 'fe',
    req: messageOf('GET /a/b/c HTTP/1.1', [['Host', ' Example.COM:8080']]),
  });
  e.vars.set('txn.s', 'hello');
  e.vars.set('txn.n', 7);
  e.vars.set('txn.neg', -3);
  return e;
}

const val = (expr: string, e: SampleEnv = env()) => {
  const v = compileSampleExpr(expr, opts).eval(e);
  return v === undefined ? undefined : sampleToString(v);
};

function error(expr: string): SampleError {
  try {
    compileSampleExpr(expr, opts);
  } catch (e) {
    return e as SampleError;
  }
  throw new Error(`no error for ${expr}`);
}

describe('the converter table', () => {
  it('lists every HAProxy 2.6 converter with what is implemented', () => {
    const byName = new Map(CONVERTERS.map((c) => [c.name, c.implemented]));
    expect(byName.size).toBeGreaterThan(130);
    for (const name of [
      'lower',
      'map_beg',
      'map_ip_int',
      'regsub',
      'json',
      'set-var',
      'xxh32',
      'host_only',
    ]) {
      expect(byName.get(name), name).toBe(true);
    }
    for (const name of ['capture-req', 'jwt_verify', 'protobuf', 'ungrpc', 'language'])
      expect(byName.get(name), name).toBe(false);
    for (const def of CONV_DEFS.values()) expect(byName.get(def.name), def.name).toBe(true);
  });

  it('checks types and arguments when compiling, with HAProxy messages', () => {
    expect(error('method,add(1)').message).toBe("converter 'add' cannot be applied");
    expect(error('path,bar').message).toBe("unknown converter 'bar'");
    expect(error('path,protobuf(1)').code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
    expect(error('path,lower(1)').message).toBe(
      "invalid arg 1 in converter 'lower' : expected ')' before '1)'",
    );
    expect(error('path,field(0,/)').message).toBe(
      "invalid args in converter 'field' : Unexpected value 0 for index",
    );
    expect(error('path,add(abc)').message).toBe(
      "invalid args in converter 'add' : expects an integer or a variable name",
    );
    expect(error('str(a),bytes').message).toBe(
      "invalid arg 1 in converter 'bytes' : expected type 'integer' at position 1, but got nothing",
    );
    expect(error('path,ipmask(33)').message).toBe(
      "invalid arg 1 in converter 'ipmask' : failed to parse '33' as type 'IPv4 mask' at position 1",
    );
    expect(error('path,regsub(a,b,x)').message).toBe(
      "invalid args in converter 'regsub' : invalid regex flag 'x', only 'i' and 'g' are supported",
    );
    expect(error('path,json(foo)').message).toMatch(/Unexpected input code type/);
    expect(error('path,set-var(txn.x,ifbad)').message).toBe(
      `invalid args in converter 'set-var' : unknown condition "ifbad"`,
    );
    expect(error('path,strcmp(foo)').message).toBe(
      "invalid args in converter 'strcmp' : failed to register variable name 'foo'",
    );
    expect(error('path lower').message).toBe("missing comma after fetch keyword 'path'");
  });
});

describe('string converters', () => {
  it('changes case, measures, trims, cuts', () => {
    expect(val('hdr(host),lower')).toBe('example.com:8080');
    expect(val('hdr(host),upper')).toBe('EXAMPLE.COM:8080');
    expect(val('str(é),upper')).toBe('é');
    expect(val('path,length')).toBe('6');
    expect(val('str(//a//),ltrim(/)')).toBe('a//');
    expect(val('str(//a//),rtrim(/)')).toBe('//a');
    expect(val('str(a\\rb),cut_crlf')).toBe('a');
    expect(val('hdr(host),host_only')).toBe('example.com');
    expect(val('hdr(host),port_only')).toBe('8080');
    expect(val('str([::1]),port_only')).toBe('0');
  });

  it('extracts fields and words like HAProxy (empty fields count for field, not for word)', () => {
    const s = 'str(f1_f2_f3__f5)';
    expect(val(`${s},field(5,_)`)).toBe('f5');
    expect(val(`${s},field(2,_,0)`)).toBe('f2_f3__f5');
    expect(val(`${s},field(2,_,2)`)).toBe('f2_f3');
    expect(val(`${s},field(-2,_,3)`)).toBe('f2_f3_');
    expect(val(`${s},field(-3,_,0)`)).toBe('f1_f2_f3');
    expect(val(`${s},field(7,_)`)).toBeUndefined();
    expect(val(`${s},word(4,_)`)).toBe('f5');
    expect(val(`${s},word(2,_,0)`)).toBe('f2_f3__f5');
    expect(val(`${s},word(3,_,2)`)).toBe('f3__f5');
    expect(val(`${s},word(-2,_,3)`)).toBe('f1_f2_f3');
    expect(val(`${s},word(-3,_,0)`)).toBe('f1_f2');
    expect(val(`${s},word(9,_)`)).toBe('');
    expect(val('str(/f1/f2/f3/f4),word(1,/)')).toBe('f1');
  });

  it('encodes and decodes', () => {
    expect(val('str(Hello),base64')).toBe('SGVsbG8=');
    expect(val('str(SGVsbG8=),b64dec')).toBe('Hello');
    expect(val('str(SGVsbG8),b64dec')).toBeUndefined();
    expect(val('str(?>),ub64enc')).toBe('Pz4');
    expect(val('str(Pz4),ub64dec')).toBe('?>');
    expect(val('str(AB),hex')).toBe('4142');
    expect(val('str(ff),hex2i')).toBe('255');
    expect(val('str(%41%2b+b),url_dec')).toBe('A++b');
    expect(val('str(%41%2b+b),url_dec(1)')).toBe('A+ b');
    expect(val('str(a?b+c),url_dec')).toBe('a?b c');
    expect(val('str(%4),url_dec')).toBeUndefined();
    expect(val('str(a b/é),url_enc(query)')).toBe('a%20b%2F%E9');
    expect(val('str(a\\"b/\\\\c),json')).toBe('a\\"b\\/\\\\c');
    expect(val('bin(c3a9e29c93),json(utf8)')).toBe('\\u00e9\\u2713');
    expect(val('bin(c3a9ff),json(utf8)')).toBeUndefined();
    expect(val('bin(c3a9ff),json(utf8s)')).toBe('\\u00e9');
    expect(val('bin(c0af),json(utf8p)')).toBe('\\/');
    expect(val('bin(c0af),json(utf8)')).toBeUndefined();
    expect(val('bin(f09f9880),json(utf8ps)')).toBe('');
    expect(val('bin(e9),json')).toBe('\\u00e9');
  });

  it('concatenates with variables', () => {
    expect(val('str(a),concat(<,txn.s,>)')).toBe('a<hello>');
    expect(val('str(a),concat(,txn.n)')).toBe('a7');
    expect(val('str(a),concat(-,txn.none,!)')).toBe('a-!');
    expect(val('str(a),add_item(",",txn.s)')).toBe('a,hello');
    expect(val('str(),add_item(",",txn.s)')).toBe('hello');
    expect(val('str(a),add_item(",",txn.none)', env())).toBe('a');
  });

  it('substitutes with regsub as sed does', () => {
    expect(val('str(/a//b///c),regsub(/+,/,g)')).toBe('/a/b/c');
    expect(val('str(aXbX),regsub(x,-,i)')).toBe('a-bX');
    expect(val('str(aXbX),regsub(x,-,ig)')).toBe('a-b-');
    expect(val('str(foo123),regsub("(foo|bar)([0-9]+)?","\\2\\1",i)')).toBe('123foo');
    expect(val('str(aaa),regsub(x*,-,g)')).toBe('-a-a-a-');
    expect(val('str(abc),regsub(^,>,g)')).toBe('>abc');
    expect(val('str(abc),regsub(\\x62,\\x41)')).toBe('aAc');
  });
});

describe('integer converters', () => {
  it('computes with numbers and variables, capped as HAProxy', () => {
    expect(val('int(5),add(3)')).toBe('8');
    expect(val('int(5),add(txn.n)')).toBe('12');
    expect(val('int(5),add(txn.none)')).toBeUndefined();
    expect(val('int(5),sub(7)')).toBe('-2');
    expect(val('int(5),mul(-3)')).toBe('-15');
    expect(val('int(-5),div(2)')).toBe('-2');
    expect(val('int(5),div(0)')).toBe('9223372036854775807');
    expect(val('int(-5),mod(3)')).toBe('-2');
    expect(val('int(5),mod(0)')).toBe('0');
    expect(val('int(5),neg')).toBe('-5');
    expect(val('int(6),and(3)')).toBe('2');
    expect(val('int(6),or(1)')).toBe('7');
    expect(val('int(6),xor(txn.n)')).toBe('1');
    expect(val('int(1),cpl')).toBe('-2');
    expect(val('int(4294967296),and(4294967295)')).toBe('0');
    expect(val('int(9223372036854775807),add(1)')).toBe('9223372036854775807');
    expect(val('int(4611686018427387904),mul(4)')).toBe('9223372036854775807');
    expect(val('int(-4611686018427387904),mul(4)')).toBe('-9223372036854775808');
    // HAProxy 2.6's overflow test wraps when both operands are negative
    expect(val('int(-17),add(txn.neg)')).toBe('9223372036854775807');
    expect(val('int(-17),sub(7)')).toBe('9223372036854775807');
  });

  it('turns integers into booleans and strings', () => {
    expect(val('int(4),even')).toBe('1');
    expect(val('int(4),odd')).toBe('0');
    expect(val('int(0),not')).toBe('1');
    expect(val('int(3),bool')).toBe('1');
    expect(val('int(0),iif(y,n)')).toBe('n');
    expect(val('str(12abc),add(1)')).toBe('13');
    expect(val('str(),add(1)')).toBeUndefined();
    expect(val('int(1),htonl,hex')).toBe('00000001');
    expect(val('int(0),http_date')).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(val('int(1500),http_date(500,ms)')).toBe('Thu, 01 Jan 1970 00:00:02 GMT');
  });

  it('compares strings and binaries held in variables', () => {
    expect(val('str(hello),strcmp(txn.s)')).toBe('0');
    expect(val('str(hel),strcmp(txn.s)')).toBe('-1');
    expect(val('str(hellp),strcmp(txn.s)')).toBe('1');
    expect(val('str(abc),strcmp(txn.s)')).toBe(String('a'.charCodeAt(0) - 'h'.charCodeAt(0)));
    expect(val('str(hello),secure_memcmp(txn.s)')).toBe('1');
    expect(val('str(hellO),secure_memcmp(txn.s)')).toBe('0');
    expect(val('str(x),strcmp(txn.none)')).toBeUndefined();
  });
});

describe('hashes and digests', () => {
  it('gives HAProxy hash values', () => {
    const b = Buffer.from('/index.html');
    expect(val('str(/index.html),djb2')).toBe(String(hashDjb2(b)));
    expect(hashDjb2(Buffer.alloc(0))).toBe(5381);
    expect(hashSdbm(Buffer.from('a'))).toBe(97);
    expect(hashCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(hashXxh32(Buffer.alloc(0), 0)).toBe(0x02cc5d05);
    expect(hashXxh32(Buffer.from('Nobody inspects the spammish repetition'), 0)).toBe(0xe2293b2f);
    expect(hashWt6(Buffer.from('a'))).toBeGreaterThan(0);
    expect(val('str(123456789),crc32c')).toBe(String(0xe3069283));
    expect(val('str(a),sdbm(1)')).not.toBe('97');
    expect(val('str(abc),sha1,hex')).toBe('A9993E364706816ABA3E25717850C26C9CD0D89D');
    expect(val('str(abc),sha2(224),hex')).toMatch(/^23097D22/);
  });
});

describe('addresses', () => {
  it('masks IPv4 and IPv6 addresses', () => {
    expect(val('src,ipmask(24)')).toBe('10.1.2.0');
    expect(val('src,ipmask(255.255.0.0)')).toBe('10.1.0.0');
    expect(val('ipv6(2001:db8:1::5),ipmask(8,32)')).toBe('2001:db8::');
    expect(val('ipv6(2001:db8:1::5),ipmask(8)')).toBeUndefined();
    expect(val('ipv6(::ffff:10.9.8.7),ipmask(16)')).toBe('10.9.0.0');
    expect(val('str(192.168.1.7),ipmask(16)')).toBe('192.168.0.0');
    expect(val('int(16909060),ipmask(32)')).toBe('1.2.3.4');
    expect(val('src,add(0)')).toBe(String(((10 << 24) | (1 << 16) | (2 << 8) | 3) >>> 0));
  });
});

describe('set-var and unset-var', () => {
  it('stores when the conditions hold, and then passes the sample on', () => {
    const e = env();
    expect(val('str(v),set-var(txn.x)', e)).toBe('v');
    expect(e.vars.get('txn.x')).toBe('v');
    expect(val('str(w),set-var(txn.x,ifnotexists)', e)).toBeUndefined();
    expect(e.vars.get('txn.x')).toBe('v');
    expect(val('int(3),set-var(txn.x,ifexists)', e)).toBe('3');
    expect(e.vars.get('txn.x')).toBe(3);
    expect(val('str(),set-var(txn.y,ifnotempty)', e)).toBeUndefined();
    expect(val('int(1),set-var(txn.x,ifgt)', e)).toBe('1');
    expect(val('int(9),set-var(txn.x,ifgt)', e)).toBeUndefined();
    expect(val('str(z),unset-var(txn.x)', e)).toBe('z');
    expect(e.vars.get('txn.x')).toBeUndefined();
  });
});

describe('maps', () => {
  const dir = () => {
    const d = tempDir();
    writeFileSync(join(d, 'str.map'), '# comment\nk1 v1\nk1 dup\n  k2   two words  \n\nK3 v3\n');
    writeFileSync(join(d, 'beg.map'), '/a short\n/a/b long\n');
    writeFileSync(join(d, 'ip.map'), '10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n::1 six\n');
    writeFileSync(join(d, 'int.map'), '1:9 small\n10 ten\n');
    writeFileSync(join(d, 'reg.map'), '^/u/([0-9]+) user-\\1\n');
    writeFileSync(join(d, 'bad.map'), 'k1 notanumber\n');
    return d;
  };

  it('looks up as HAProxy: first exact key, longest prefix, longest network, first in order', () => {
    const d = dir();
    expect(val(`str(k1),map(${d}/str.map)`)).toBe('v1');
    expect(val(`str(k2),map(${d}/str.map)`)).toBe('two words');
    expect(val(`str(k3),map(${d}/str.map)`)).toBeUndefined();
    expect(val(`str(k3),map(${d}/str.map,dflt)`)).toBe('dflt');
    expect(val(`str(/a/b/c),map_beg(${d}/beg.map)`)).toBe('long');
    expect(val(`str(/a/x),map_beg(${d}/beg.map)`)).toBe('short');
    expect(val(`src,map_ip(${d}/ip.map)`)).toBe('ten-one');
    expect(val(`ipv6(::1),map_ip(${d}/ip.map)`)).toBe('six');
    expect(val(`int(5),map_int(${d}/int.map)`)).toBe('small');
    expect(val(`str(10),map_int(${d}/int.map)`)).toBe('ten');
    expect(val(`str(/u/42/x),map_regm(${d}/reg.map)`)).toBe('user-42');
    expect(val(`str(/u/42/x),map_reg(${d}/reg.map)`)).toBe('user-\\1');
  });

  it('parses values into the output type, with HAProxy errors', () => {
    const d = dir();
    expect(() => compileSampleExpr(`str(k1),map_str_int(${d}/bad.map)`, opts)).toThrow(
      `invalid args in converter 'map_str_int' : unable to parse 'notanumber' at line 1 of file '${d}/bad.map'`,
    );
    expect(() => compileSampleExpr(`int(1),map_int(${d}/str.map)`, opts)).toThrow(
      `invalid args in converter 'map_int' : 'k1' is not a number at line 2 of file '${d}/str.map'`,
    );
    expect(() => compileSampleExpr(`src,map_ip(${d}/str.map)`, opts)).toThrow(
      /'k1' is not a valid IPv4 or IPv6 address/,
    );
    expect(() => compileSampleExpr('str(a),map(/nonexistent.map)', opts)).toThrow(
      "invalid args in converter 'map' : failed to open pattern file </nonexistent.map>",
    );
    writeFileSync(join(d, 'ipv.map'), 'k1 10.0.0.1\nk2 2001:db8::1\n');
    expect(val(`str(k2),map_str_ip(${d}/ipv.map,1.2.3.4)`)).toBe('2001:db8::1');
    expect(val(`str(k9),map_str_ip(${d}/ipv.map,1.2.3.4)`)).toBe('1.2.3.4');
  });

  it('keeps one parsed file per output type', () => {
    const d = dir();
    writeFileSync(join(d, 'n.map'), 'k 12\n');
    expect(compileSampleExpr(`str(k),map(${d}/n.map)`, opts).eval(env())).toBe('12');
    expect(compileSampleExpr(`str(k),map_str_int(${d}/n.map)`, opts).eval(env())).toBe(12);
  });

  it('resolves paths through the caller and shares one parsed file', () => {
    const d = dir();
    const rel: CompileOptions = { ...opts, resolvePath: (p) => join(d, p) };
    const a = compileSampleExpr('str(k1),map(str.map)', rel);
    const b = compileSampleExpr('str(K3),map(str.map)', rel);
    expect(a.eval(env())).toBe('v1');
    expect(b.eval(env())).toBe('v3');
    // a changed file is read again
    writeFileSync(join(d, 'str.map'), 'k1 changed-content\n');
    expect(compileSampleExpr('str(k1),map(str.map)', rel).eval(env())).toBe('changed-content');
  });
});

it('has a converter error instead of an unknown one when HAProxy knows it', () => {
  expect(error('path,jwt_verify(a,b)').message).toBe(
    "converter 'jwt_verify' is not supported yet in haproxyd",
  );
});
