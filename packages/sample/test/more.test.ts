// Missing data (tcp-request content), ClientHello and RDP fetches, HTTP in tcp mode,
// userlists and crypt(3), authentication fetches, stick tables, and the converters added
// with them (xxh64, xxh3, ltime/utime, json_query, srv_queue).
import { parseStickTable, StickTable, trackHttp } from '@hap/stick';
import { describe, expect, it } from 'vitest';
import { crypt } from '../src/auth/crypt.ts';
import {
  type CompileOptions,
  compileAcl,
  compileCondition,
  compileSampleExpr,
  createUserlist,
  type SampleEnv,
  type SampleError,
  type SampleValue,
  sampleToString,
  type Userlist,
} from '../src/index.ts';
import { envOf, messageOf, parseCondition } from './harness.ts';

const opts: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };

function tcpEnv(payload: Buffer | undefined, final: boolean, extra: Partial<SampleEnv> = {}): SampleEnv {
  const e = envOf({ src: '192.0.2.10', srcPort: 40000, dst: '192.0.2.1', dstPort: 443, proxy: 'fe' });
  if (payload) e.payload = payload;
  e.payloadFinal = final;
  e.missed = false;
  return Object.assign(e, extra);
}

function val(expr: string, env: SampleEnv, o: CompileOptions = opts): string | undefined {
  const v = compileSampleExpr(expr, o).eval(env);
  return v === undefined ? undefined : sampleToString(v);
}

function cond(words: string[], env: SampleEnv, o: CompileOptions = opts): boolean {
  return compileCondition(parseCondition(['if', ...words]), () => undefined, o).test(env);
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

/** A ClientHello with SNI, ALPN (h2, http/1.1), supported_groups and a session ticket. */
function clientHello(name: string, ticket = Buffer.alloc(0)): Buffer {
  const host = Buffer.from(name, 'latin1');
  const sniList = Buffer.concat([Buffer.from([0]), u16(host.length), host]);
  const protos = Buffer.concat([
    Buffer.from([2]),
    Buffer.from('h2'),
    Buffer.from([8]),
    Buffer.from('http/1.1'),
  ]);
  const exts = Buffer.concat([
    ext(0, Buffer.concat([u16(sniList.length), sniList])),
    ext(10, Buffer.concat([u16(2), u16(29)])),
    ext(16, Buffer.concat([u16(protos.length), protos])),
    ext(35, ticket),
  ]);
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32),
    Buffer.from([0]),
    u16(2),
    Buffer.from([0x13, 0x01]),
    Buffer.from([1, 0]),
    u16(exts.length),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}

describe('missing data (tcp-request content)', () => {
  const hello = clientHello('shop.example.com');

  it('reports a payload fetch that could read more while the payload is not final', () => {
    for (let n = 0; n < hello.length; n += 7) {
      const e = tcpEnv(hello.subarray(0, n), false);
      expect(val('req.ssl_sni', e), String(n)).toBeUndefined();
      expect(e.missed, String(n)).toBe(true);
    }
    const whole = tcpEnv(hello, false);
    expect(val('req.ssl_sni', whole)).toBe('shop.example.com');
    expect(whole.missed).toBe(false);
    // final: nothing more will come, nothing is reported
    const cut = tcpEnv(hello.subarray(0, 30), true);
    expect(val('req.ssl_sni', cut)).toBeUndefined();
    expect(cut.missed).toBe(false);
  });

  it('turns a condition into "wait" (false with missed set) whatever its polarity', () => {
    const part = hello.subarray(0, 20);
    for (const words of [
      ['{', 'req.ssl_sni', 'shop.example.com', '}'],
      ['!{', 'req.ssl_sni', 'x', '}'],
    ]) {
      const e = tcpEnv(part, false);
      expect(cond(words, e)).toBe(false);
      expect(e.missed).toBe(true);
      const u = tcpEnv(part, false);
      expect(compileCondition(parseCondition(['unless', ...words]), () => undefined, opts).test(u)).toBe(
        false,
      );
      expect(u.missed).toBe(true);
    }
    // once the data is there the answer is definite and nothing is reported
    const full = tcpEnv(hello, false);
    expect(cond(['{', 'req.ssl_sni', 'shop.example.com', '}'], full)).toBe(true);
    expect(full.missed).toBe(false);
    // a definite PASS in an OR wins over a MISS; a FAIL in an AND wins over a MISS
    const a = tcpEnv(part, false);
    expect(cond(['{', 'req.ssl_sni', 'x', '}', '||', 'TRUE'], a)).toBe(true);
    expect(a.missed).toBe(false);
    const b = tcpEnv(part, false);
    expect(cond(['FALSE', '{', 'req.ssl_sni', 'x', '}'], b)).toBe(false);
    expect(b.missed).toBe(false);
    // a matching req.len decides at once, a failing one waits
    expect(cond(['{', 'req.len', 'ge', '10', '}'], tcpEnv(part, false))).toBe(true);
    const w = tcpEnv(part, false);
    expect(cond(['{', 'req.len', 'ge', '100', '}'], w)).toBe(false);
    expect(w.missed).toBe(true);
  });

  it('makes wait_end true only when final (absent payloadFinal is final)', () => {
    const e = tcpEnv(Buffer.from('x'), false);
    expect(cond(['WAIT_END'], e)).toBe(false);
    expect(e.missed).toBe(true);
    expect(cond(['WAIT_END'], tcpEnv(Buffer.from('x'), true))).toBe(true);
    const http = envOf({ src: '127.0.0.1', srcPort: 1, dst: '127.0.0.1', dstPort: 80, proxy: 'fe' });
    expect(cond(['WAIT_END'], http)).toBe(true);
    expect(http.missed).not.toBe(true);
  });

  it('reads the ClientHello: type, version, ALPN, extensions', () => {
    const e = tcpEnv(hello, true);
    expect(val('req.ssl_hello_type', e)).toBe('1');
    expect(val('req.ssl_ver', e)).toBe(String(0x30003));
    expect(val('req.ssl_alpn', e)).toBe('h2');
    expect(compileAcl(['req.ssl_alpn', 'http/1.1'], opts).test(e)).toBe(true);
    expect(val('req.ssl_ec_ext', e)).toBe('1');
    expect(val('req.ssl_st_ext', e)).toBe('1');
    expect(val('req.ssl_st_ext', tcpEnv(clientHello('a', Buffer.from([1, 2])), true))).toBe('2');
    expect(compileAcl(['req_ssl_ver', '3.3'], opts).test(e)).toBe(true);
    expect(compileAcl(['req.ssl_ver', '3.0:3.2'], opts).test(e)).toBe(false);
    expect(() => compileAcl(['req.ssl_ver', '3.x'], opts)).toThrow("'3.x' is not a dotted number");
    expect(val('req.ssl_hello_type', tcpEnv(Buffer.from('GET /'), false))).toBeUndefined();
    expect(val('req.payload_lv(3,2)', e)).toBe(sampleToString(hello.subarray(5)));
    expect(() => compileSampleExpr('req.payload_lv(0,0)', opts)).toThrow('payload length must be > 0');
    expect(() => compileSampleExpr('req.payload_lv(1,1,-5)', opts)).toThrow('payload offset2 too negative');
  });

  it('reads an RDP cookie', () => {
    const rdp = Buffer.from(
      '\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00Cookie: mstshash=alice\r\n\x01\x00',
      'latin1',
    );
    expect(val('req.rdp_cookie(mstshash)', tcpEnv(rdp, false))).toBe('alice');
    expect(val('rdp_cookie', tcpEnv(rdp, false))).toBe('alice');
    expect(val('req.rdp_cookie_cnt(other)', tcpEnv(rdp, false))).toBe('0');
    const part = tcpEnv(rdp.subarray(0, 25), false);
    expect(val('req.rdp_cookie_cnt', part)).toBeUndefined();
    expect(part.missed).toBe(true);
    expect(cond(['RDP_COOKIE'], tcpEnv(rdp, false))).toBe(true);
  });

  it('parses an HTTP request head out of the payload in tcp mode', () => {
    const head = Buffer.from('GET /api/x?q=1 HTTP/1.1\r\nHost: example.com\r\nX-A: 1,2\r\n\r\n');
    const e = tcpEnv(head, false);
    expect(cond(['HTTP'], e)).toBe(true);
    expect(val('path', e)).toBe('/api/x');
    expect(val('hdr(host)', e)).toBe('example.com');
    expect(val('req.hdr_cnt', e)).toBe('5'); // :method and :path are headers here, as in HAProxy 2.6
    expect(val('req.hdr(:path)', e)).toBe('/api/x?q=1');
    expect(e.missed).toBe(false);
    const p = tcpEnv(head.subarray(0, 30), false);
    expect(cond(['HTTP'], p)).toBe(false);
    expect(p.missed).toBe(true);
    // not HTTP: a definite no
    const t = tcpEnv(hello.subarray(0, 3), false);
    expect(cond(['HTTP'], t)).toBe(false);
    expect(t.missed).toBe(false);
    // HTTP/0.9 becomes HTTP/1.0
    expect(val('req.ver', tcpEnv(Buffer.from('GET /x\r\n'), false))).toBe('1.0');
  });

  it('flags rand() and date() results as changing (HAProxy waits on them too)', () => {
    const e = tcpEnv(Buffer.alloc(0), false);
    expect(cond(['{', 'rand(10)', 'lt', '0', '}'], e)).toBe(false);
    expect(e.missed).toBe(true);
    const f = tcpEnv(Buffer.alloc(0), false);
    expect(cond(['{', 'rand(10)', 'ge', '0', '}'], f)).toBe(true);
    expect(f.missed).toBe(false);
  });
});

describe('crypt(3) and userlists', () => {
  it('computes glibc hashes (checked against openssl passwd)', () => {
    const vectors: [string, string][] = [
      [
        'secret',
        '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1',
      ],
      ['secret', '$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0'],
      ['secret', '$1$xy12$rYw/KGSuEVvK2J1mftvQn0'],
      ['x', '$5$rounds=1234$xyz$NYzRNFih0PGvq/fVpTklY4vwlx9l/MzS0YpHxjUWmOA'],
      [
        'a much longer password that exceeds sixty four bytes for sure, really it does, yes!!',
        '$6$0123456789abcdef$ZgismKVAuBCqLAu3JMhh1csF8sJW7eEB4BR/4tVCYfzqUZyWPZ2bLPuUhfcp4S6ZAAyFUBY4fSC3ovQWDYimP0',
      ],
      ['md5pw', '$1$md5salt$unAVzRpn1QclE4.2UXVZn.'],
    ];
    for (const [pw, h] of vectors) expect(crypt(Buffer.from(pw), h)).toBe(h);
  });

  it('builds a userlist with groups from either side, and checks passwords', () => {
    const ul = createUserlist('L', [
      ['group', 'admins', 'users', 'alice'],
      ['group', 'ops'],
      ['user', 'alice', 'password', '$1$md5salt$unAVzRpn1QclE4.2UXVZn.', 'groups', 'ops'],
      ['user', 'bob', 'insecure-password', 'pw'],
      ['user', 'bob', 'insecure-password', 'other'],
      ['user', 'carl', 'password', '*0'],
    ]);
    expect(ul.check('alice', 'md5pw')).toBe(true);
    expect(ul.check('alice', 'md5pw')).toBe(true); // cached
    expect(ul.check('alice', 'nope')).toBe(false);
    expect(ul.check('bob', 'pw')).toBe(true);
    expect(ul.check('carl', '')).toBe(false);
    expect(ul.check('nobody', 'pw')).toBe(false);
    expect([...(ul.groupsOf('alice') ?? [])].sort()).toEqual(['admins', 'ops']);
    expect(ul.warnings).toEqual(["ignoring duplicated user 'bob' in userlist 'L'."]);
  });

  it('refuses what HAProxy refuses, and the hashes haproxyd does not compute', () => {
    const err = (lines: string[][]) => {
      try {
        createUserlist('L', lines);
      } catch (e) {
        return e as SampleError;
      }
      throw new Error('no error');
    };
    expect(err([['user', 'a', 'groups', 'g']]).message).toBe(
      "userlist 'L': no such group 'g' specified in user 'a'",
    );
    expect(err([['group', 'g', 'users', 'x']]).message).toBe(
      "userlist 'L': no such user 'x' specified in group 'g'",
    );
    expect(err([['group', 'g h']]).message).toBe("character ' ' is not permitted in 'group' name 'g h'.");
    expect(err([['user', 'a', 'pass', 'x']]).message).toBe(
      "'user' only supports 'password', 'insecure-password' and 'groups' options.",
    );
    const b = err([
      ['group', 'g'],
      ['user', 'a', 'password', '$2b$10$abcdefghijklmnopqrstuu'],
    ]);
    expect(b.code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
    expect(b.index).toBe(1);
    expect(err([['user', 'a', 'password', '$y$j9T$salt$abc']]).code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
  });
});

describe('authentication fetches', () => {
  const ul: Userlist = createUserlist('L', [
    ['group', 'admins'],
    ['user', 'alice', 'insecure-password', 'pw', 'groups', 'admins'],
  ]);
  const env = (auth: string) => {
    const e = envOf({
      src: '127.0.0.1',
      srcPort: 1,
      dst: '127.0.0.1',
      dstPort: 80,
      proxy: 'fe',
      req: messageOf('GET / HTTP/1.1', [['Authorization', ` ${auth}`]]),
    });
    return Object.assign(e, { world: { ...e.world, userlist: (n: string) => (n === 'L' ? ul : undefined) } });
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('reads Basic and Bearer credentials as HAProxy does', () => {
    const e = env(`Basic ${b64('alice:pw')}`);
    expect(val('http_auth_type', e)).toBe('Basic');
    expect(val('http_auth_user', e)).toBe('alice');
    expect(val('http_auth_pass', e)).toBe('pw');
    expect(val('http_auth(L)', e)).toBe('1');
    expect(val('http_auth_group(L)', e)).toBe('alice');
    expect(compileAcl(['http_auth_group(L)', 'admins'], opts).test(e)).toBe(true);
    expect(compileAcl(['http_auth_group(L)', 'other'], opts).test(e)).toBe(false);
    // a scheme that is a prefix of Basic is Basic
    expect(val('http_auth_user', env(`bA ${b64('alice:pw')}`))).toBe('alice');
    expect(val('http_auth(L)', env(`Basic ${b64('alice:no')}`))).toBe('0');
    expect(val('http_auth_group(L)', env(`Basic ${b64('alice:no')}`))).toBeUndefined();
    expect(val('http_auth_type', env('Basic !!'))).toBeUndefined();
    expect(val('http_auth_bearer', env('Bearer  tok'))).toBe('tok');
    expect(val('http_auth_user', env('Bearer tok'))).toBeUndefined();
  });

  it('checks userlist names and groups when compiling', () => {
    const o: CompileOptions = { ...opts, userlist: (n) => (n === 'L' ? ul : undefined) };
    expect(() => compileSampleExpr('http_auth(X)', o)).toThrow(
      "unable to find userlist 'X' referenced in arg 1 of sample fetch keyword 'http_auth'",
    );
    expect(() => compileAcl(['http_auth(X)'], { ...opts, userlistExists: () => false })).toThrow(
      "unable to find userlist 'X' referenced in arg 1 of ACL keyword 'http_auth'",
    );
    expect(() => compileSampleExpr('http_auth', o)).toThrow(
      "missing userlist name in arg 1 of sample fetch keyword 'http_auth'",
    );
    expect(() => compileAcl(['http_auth_group(L)', 'nope'], o)).toThrow(
      "http_auth_group(): invalid group 'nope'.",
    );
    expect(() => compileAcl(['http_auth_group(L)'], o)).toThrow('http_auth_group(): no groups specified.');
  });
});

describe('stick tables', () => {
  const spec = parseStickTable('type ip size 10 expire 1m store gpc0,conn_cnt,http_req_cnt'.split(' '));
  function setup() {
    const t = new StickTable('fe', spec);
    const other = new StickTable('other', parseStickTable('type string len 8 size 10 store gpc0'.split(' ')));
    const e = trackHttp(t, { addr: '192.0.2.10' });
    const tables = new Map([
      ['fe', t],
      ['other', other],
    ]);
    const env = envOf({ src: '192.0.2.10', srcPort: 1, dst: '192.0.2.1', dstPort: 80, proxy: 'fe' });
    env.stick = {
      tracked: (n) => (n === 0 ? e : undefined),
      table: (n) => tables.get(n ?? 'fe'),
    };
    return { t, other, env };
  }

  it('evaluates sc*, src* and table fetches and converters on the proxy tables', () => {
    const { env } = setup();
    expect(val('sc0_http_req_cnt', env)).toBe('1');
    expect(val('sc_http_req_cnt(0)', env)).toBe('1');
    expect(val('sc1_http_req_cnt', env)).toBeUndefined();
    expect(val('sc0_tracked', env)).toBe('1');
    expect(val('sc1_tracked', env)).toBe('0');
    expect(val('src_conn_cnt', env)).toBe('1');
    expect(val('src_inc_gpc0', env)).toBe('1');
    expect(val('sc0_get_gpc0', env)).toBe('1');
    expect(val('table_cnt', env)).toBe('1');
    expect(val('table_avl(fe)', env)).toBe('9');
    expect(val('src,table_gpc0(fe)', env)).toBe('1');
    expect(val('src,in_table(fe)', env)).toBe('1');
    expect(val('str(k),in_table(other)', env)).toBe('0');
    expect(val('str(k),table_gpc0(other)', env)).toBe('0');
    expect(val('src,table_gpc0', env)).toBe('1');
    expect(Number(val('src,table_expire(fe)', env))).toBeGreaterThan(59_000);
    expect(Number(val('src,table_idle(fe)', env))).toBeLessThan(1_000);
    expect(val('str(1.2.3.4),table_expire(fe)', env)).toBeUndefined();
    expect(val('str(1.2.3.4),table_idle(fe,-1)', env)).toBe('-1');
    expect(compileAcl(['sc0_http_req_cnt', 'gt', '0'], opts).test(env)).toBe(true);
    // no tables given: nothing
    const bare = envOf({ src: '192.0.2.10', srcPort: 1, dst: '192.0.2.1', dstPort: 80, proxy: 'fe' });
    expect(val('sc0_http_req_cnt', bare)).toBeUndefined();
  });

  it('resolves the default table and refuses unknown ones as HAProxy words it', () => {
    const { env } = setup();
    const o: CompileOptions = {
      ...opts,
      defaultTable: 'fe',
      tableExists: (n) => n === 'fe' || n === 'other',
    };
    expect(val('src_conn_cnt', env, o)).toBe('1');
    expect(() => compileSampleExpr('src_conn_cnt(nope)', o)).toThrow(
      "unable to find table 'nope' referenced in arg 1 of sample fetch keyword 'src_conn_cnt'",
    );
    expect(() => compileSampleExpr('src_conn_cnt', { ...o, defaultTable: 'x' })).toThrow(
      "unable to find table 'x' referenced in arg 1 of sample fetch keyword 'src_conn_cnt'",
    );
    expect(() => compileSampleExpr('src,table_conn_cnt(nope)', o)).toThrow(
      "unable to find table 'nope' referenced in arg 1 of conversion keyword 'table_conn_cnt' for sample fetch keyword 'src'",
    );
    expect(() => compileSampleExpr('sc_conn_cnt(0,nope)', o)).toThrow(
      "arg 2 of sample fetch keyword 'sc_conn_cnt'",
    );
    expect(() => compileAcl(['sc0_conn_cnt(nope)', '1'], o)).toThrow("of ACL keyword 'sc0_conn_cnt'");
    expect(() => compileSampleExpr('src_get_gpc(0)', o)).toThrow('missing arguments (got 1/2)');
  });
});

describe('converters: 64-bit hashes, dates, JSON, queues', () => {
  const e = envOf({ src: '127.0.0.1', srcPort: 1, dst: '127.0.0.1', dstPort: 80, proxy: 'be' });
  const v = (x: string) => val(x, e);

  it('computes xxh64 and xxh3 exactly, as signed 64-bit integers', () => {
    // XXH64("", 0) = 0xEF46DB3751D8E999, XXH3_64("", 0) = 0x2D06800538D394C2
    expect(v('str(),xxh64')).toBe(BigInt.asIntN(64, 0xef46db3751d8e999n).toString());
    expect(v('str(),xxh3')).toBe(BigInt.asIntN(64, 0x2d06800538d394c2n).toString());
    const big = compileSampleExpr('str(abc),xxh64', opts).eval(e) as SampleValue;
    expect(typeof big).toBe('bigint');
    expect(v('str(abc),xxh64,mod(7)')).toBe(String(BigInt.asIntN(64, 0x44bc2cf5ad770999n) % 7n));
    expect(v('str(abc),xxh64,and(255)')).toBe(String(0x44bc2cf5ad770999n & 255n));
    expect(v('str(abc),xxh64,hex')).toBe('44BC2CF5AD770999');
  });

  it('formats dates with strftime', () => {
    expect(v('int(1700000000),utime(%Y-%m-%d %H:%M:%S %a %j)')).toBe('2023-11-14 22:13:20 Tue 318');
    expect(v('int(-1),utime(%Y)')).toBe('1141709097');
    expect(v('int(0),utime(%G-W%V %Z %z %%)')).toBe('1970-W01 GMT +0000 %');
  });

  it('queries JSON as mjson does', () => {
    const j = (q: string, doc = '{"a":{"b":[1,2.5,{"c":"x"}]},"t":true,"n":null,"i":012,"u":"\\u20ac"}') =>
      val(`str('${doc}'),json_query('${q}')`, e);
    expect(j('$.a.b[0]')).toBe('1');
    expect(j('$.a.b[1]')).toBe('2.5');
    expect(j('$.a.b[2].c')).toBe('x');
    expect(j('$.t')).toBe('1');
    expect(j('$.n')).toBeUndefined();
    expect(j('$.a')).toBeUndefined();
    expect(j('$.u')).toBeUndefined();
    expect(j('$.x')).toBeUndefined();
    expect(() => compileSampleExpr('str(x),json_query(,int)', opts)).toThrow('json_path must not be empty');
    expect(() => compileSampleExpr('str(x),json_query($.a,str)', opts)).toThrow(
      'output_type only supports "int" as argument',
    );
  });

  it('asks the world for server queues', () => {
    const w = envOf({ src: '127.0.0.1', srcPort: 1, dst: '127.0.0.1', dstPort: 80, proxy: 'be' });
    Object.assign(w, {
      world: {
        ...w.world,
        serverQueue: (b: string, s: string) => (b === 'be' && s === 's1' ? 4 : undefined),
      },
    });
    expect(val('str(s1),srv_queue', w)).toBe('4');
    expect(val('str(be/s1),srv_queue', w)).toBe('4');
    expect(val('srv_queue(be/s1)', w)).toBe('4');
    expect(val('str(nope),srv_queue', w)).toBeUndefined();
  });
});
