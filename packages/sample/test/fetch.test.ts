// The fetch tables: every entry compiles and reads what HAProxy reads.

import { STICK_FETCHES } from '@hap/stick';
import { describe, expect, it } from 'vitest';
import { FETCH_DEFS } from '../src/fetch/index.ts';
import { clientHelloSni } from '../src/fetch/l4.ts';
import {
  type CompileOptions,
  compileSampleExpr,
  FETCHES,
  type SampleEnv,
  type SampleError,
  sampleToString,
} from '../src/index.ts';
import { envOf, messageOf } from './harness.ts';

const opts: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };

function env(extra: Partial<SampleEnv> = {}): SampleEnv {
  const e = envOf({
    src: '192.0.2.10',
    srcPort: 40000,
    dst: '2001:db8::1',
    dstPort: 443,
    proxy: 'fe',
    req: messageOf(
      'GET /p/q.html?a=1&b=&a=2;c=3 HTTP/1.1',
      [
        ['Host', ' www.example.com:80'],
        ['Accept', ' text/html, "a,b" , */*'],
        ['accept', ' x'],
        ['Cookie', ' s=1; t = two ; s=3'],
        ['Cookie', ' u=4, v=5'],
        ['X-Num', ' 12'],
        ['Content-Length', ' 4'],
      ],
      'body',
    ),
    res: messageOf('HTTP/1.1 302 Found', [
      ['Set-Cookie', ' id=7; Path=/'],
      ['Set-Cookie', ' lang=fr'],
      ['Location', ' /x'],
    ]),
  });
  return Object.assign(e, extra);
}

const val = (expr: string, e: SampleEnv = env(), o: CompileOptions = opts) => {
  const v = compileSampleExpr(expr, o).eval(e);
  return v === undefined ? undefined : sampleToString(v);
};

describe('the fetch table', () => {
  it('lists every HAProxy 2.6 fetch with what is implemented', () => {
    const byName = new Map(FETCHES.map((f) => [f.name, f.implemented]));
    expect(byName.size).toBeGreaterThan(450);
    for (const name of [
      'src',
      'path',
      'hdr',
      'req.cook',
      'var',
      'nbsrv',
      'url_param',
      'req.ssl_sni',
      'method',
    ]) {
      expect(byName.get(name), name).toBe(true);
    }
    for (const name of ['fc_rtt', 'ssl_c_err', 'last_rule_file', 'distcc_body'])
      expect(byName.get(name), name).toBe(false);
    for (const def of FETCH_DEFS.values()) expect(byName.get(def.name), def.name).toBe(true);
  });

  it('compiles every implemented fetch with its mandatory arguments', () => {
    const args: Record<string, string> = {
      int: '(1)',
      str: '(a)',
      bool: '(1)',
      bin: '(00)',
      ipv4: '(1.2.3.4)',
      ipv6: '(::1)',
      meth: '(GET)',
      var: '(txn.x)',
      env: '(HOME)',
      srv_is_up: '(be/s)',
      'req.payload': '(0,1)',
      payload: '(0,1)',
      'req.payload_lv': '(0,1)',
      payload_lv: '(0,1)',
      http_auth: '(L)',
      http_auth_group: '(L)',
      srv_queue: '(be/s)',
      srv_conn: '(be/s)',
      srv_conn_free: '(be/s)',
      srv_sess_rate: '(be/s)',
      srv_weight: '(be/s)',
      srv_iweight: '(be/s)',
      srv_uweight: '(be/s)',
      'capture.req.hdr': '(0)',
      'capture.res.hdr': '(0)',
    };
    for (const d of STICK_FETCHES) {
      if (d.form === 'converter') continue;
      const n = d.signature.split(',').filter((a) => a.startsWith('<') && a !== '<table>').length;
      args[d.name] = n === 0 ? '' : `(${Array(n).fill('0').join(',')})`;
    }
    for (const def of FETCH_DEFS.values()) {
      expect(() => compileSampleExpr(def.name + (args[def.name] ?? ''), opts), def.name).not.toThrow();
    }
  });

  it('tells a fetch haproxyd lacks from one HAProxy does not know', () => {
    const err = (t: string) => {
      try {
        compileSampleExpr(t, opts);
      } catch (e) {
        return e as SampleError;
      }
      throw new Error('no error');
    };
    expect(err('fc_rtt').code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
    expect(err('fc_rtt').message).toBe("fetch method 'fc_rtt' is not supported yet in haproxyd");
    expect(err('nope').message).toBe("unknown fetch method 'nope'");
  });
});

describe('layer 4 and internal fetches', () => {
  it('reads addresses, ports and proxies', () => {
    expect(val('src')).toBe('192.0.2.10');
    expect(val('src_port')).toBe('40000');
    expect(val('dst')).toBe('2001:db8::1');
    expect(val('dst_port')).toBe('443');
    expect(val('fe_name')).toBe('fe');
    expect(val('be_name', env({ backend: undefined }))).toBe('fe');
    expect(val('be_name', env({ backend: 'app' }))).toBe('app');
    expect(val('srv_name')).toBeUndefined();
    expect(val('srv_name', env({ server: 's1' }))).toBe('s1');
  });

  it('asks the world about proxies and servers', () => {
    const e = env({
      backend: 'app',
      world: {
        nbsrv: (b) => (b === 'app' ? 3 : b === 'other' ? 1 : undefined),
        beConn: (b) => (b === 'app' ? 12 : undefined),
        queue: () => 2,
        feConn: (f) => (f === 'fe' ? 5 : undefined),
        serverUp: (b, s) => (b === 'app' && s === 'web1' ? true : b === 'other' ? false : undefined),
      },
    });
    expect(val('nbsrv', e)).toBe('3');
    expect(val('nbsrv(other)', e)).toBe('1');
    expect(val('nbsrv(missing)', e)).toBeUndefined();
    expect(val('be_conn', e)).toBe('12');
    expect(val('queue(app)', e)).toBe('2');
    expect(val('fe_conn', e)).toBe('5');
    expect(val('srv_is_up(web1)', e)).toBe('1');
    expect(val('srv_is_up(other/x)', e)).toBe('0');
    expect(val('srv_is_up(nope)', e)).toBeUndefined();
  });

  it('reports TLS facts and reads the SNI of a ClientHello in the payload', () => {
    expect(val('ssl_fc')).toBe('0');
    expect(val('ssl_fc_sni')).toBeUndefined();
    expect(val('ssl_fc', env({ ssl: { sni: 'a.example' } }))).toBe('1');
    expect(val('ssl_fc_sni', env({ ssl: { sni: 'a.example' } }))).toBe('a.example');
    expect(val('req.ssl_sni')).toBeUndefined();
    const hello = clientHello('shop.example.com');
    expect(clientHelloSni(hello)).toBe('shop.example.com');
    expect(val('req.ssl_sni', env({ payload: hello }))).toBe('shop.example.com');
    expect(val('req_ssl_sni', env({ payload: Buffer.from('GET / HTTP/1.1\r\n') }))).toBeUndefined();
    expect(clientHelloSni(hello.subarray(0, 20))).toBeUndefined();
  });

  it('measures the request buffer', () => {
    expect(val('req.len', env({ payload: Buffer.from('abcdef') }))).toBe('6');
    // HTX size: 21 + start line parts + header names and values + body
    const e = env();
    const r = e.req!;
    const expected = 21 + 3 + r.target.length + 8 + r.headers.reduce((n, x) => n + x.length, 0) + 4;
    expect(val('req.len', e)).toBe(String(expected));
    expect(val('req.payload(1,3)', env({ payload: Buffer.from('abcdef') }))).toBe('bcd');
    expect(val('req.payload(2,0)', env({ payload: Buffer.from('abcdef') }))).toBe('cdef');
  });

  it('returns constants and variables', () => {
    const e = env();
    e.vars.set('txn.n', 42);
    expect(val('var(txn.n)', e)).toBe('42');
    expect(val('var(txn.none)', e)).toBeUndefined();
    expect(val('var(txn.none,dflt)', e)).toBe('dflt');
    expect(val('int(-12)')).toBe('-12');
    expect(val('bool(true)')).toBe('1');
    expect(val('bin(414243)')).toBe('ABC');
    expect(val('ipv6(::ffff:1.2.3.4)')).toBe('::ffff:1.2.3.4');
    expect(val('meth(PURGE)')).toBe('PURGE');
    expect(val('always_false')).toBe('0');
    process.env['HAP_SAMPLE_UNIT'] = 'yes';
    expect(val('env(HAP_SAMPLE_UNIT)')).toBe('yes');
    expect(() => compileSampleExpr('var(foo)', opts)).toThrow(/invalid variable name 'foo'/);
    expect(() => compileSampleExpr('bool(maybe)', opts)).toThrow(
      "invalid args in fetch method 'bool' : Expects 'true', 'false', '0' or '1'",
    );
    expect(() => compileSampleExpr('bin(abc)', opts)).toThrow(/an even number of hex digit is expected/);
    expect(() => compileSampleExpr('int(x)', opts)).toThrow(
      "fetch method 'int' : failed to parse 'x' as type 'integer' at position 1",
    );
  });
});

describe('HTTP fetches', () => {
  it('reads the request line', () => {
    expect(val('method')).toBe('GET');
    expect(val('path')).toBe('/p/q.html');
    expect(val('pathq')).toBe('/p/q.html?a=1&b=&a=2;c=3');
    expect(val('url')).toBe('/p/q.html?a=1&b=&a=2;c=3');
    expect(val('query')).toBe('a=1&b=&a=2;c=3');
    expect(val('req.ver')).toBe('1.1');
    expect(val('base')).toBe('www.example.com:80/p/q.html');
    expect(val('baseq')).toBe('www.example.com:80/p/q.html?a=1&b=&a=2;c=3');
    const abs = env({ req: messageOf('GET http://h.example/x/y?z HTTP/1.1', []) });
    expect(val('path', abs)).toBe('/x/y');
    expect(val('url', abs)).toBe('http://h.example/x/y?z');
    expect(val('base', abs)).toBe('/x/y');
    const star = env({ req: messageOf('OPTIONS * HTTP/1.1', []) });
    expect(val('path', star)).toBeUndefined();
    expect(val('query', star)).toBeUndefined();
    expect(val('path', env({ req: undefined }))).toBeUndefined();
  });

  it('splits URL parameters at & ; and the delimiter', () => {
    expect(val('url_param(a)')).toBe('1');
    expect(val('urlp(b)')).toBe('');
    expect(val('urlp(c)')).toBe('3');
    expect(val('urlp')).toBe('1');
    expect(val('urlp(z)')).toBeUndefined();
    expect(val('urlp_val(a)')).toBe('1');
    expect(val('url_param(c,;)')).toBe('3');
  });

  it('reads headers as HAProxy: comma-split values, occurrences, whole lines', () => {
    expect(val('hdr(accept)')).toBe('x');
    expect(val('hdr(accept,1)')).toBe('text/html');
    expect(val('hdr(accept,2)')).toBe('"a,b"');
    expect(val('hdr(accept,-2)')).toBe('*/*');
    expect(val('hdr(accept,5)')).toBeUndefined();
    expect(val('hdr(accept,-11)')).toBeUndefined();
    expect(val('req.fhdr(accept,1)')).toBe('text/html, "a,b" , */*');
    expect(val('req.hdr_cnt(accept)')).toBe('4');
    expect(val('req.fhdr_cnt(accept)')).toBe('2');
    expect(val('hdr_cnt')).toBe('10');
    expect(val('hdr_val(x-num)')).toBe('12');
    expect(val('req.hdr_names(|)')).toBe('host|accept|accept|cookie|cookie|x-num|content-length');
    expect(val('req.hdrs')).toMatch(/^host: www.example.com:80\r\naccept: .*\r\n\r\n$/s);
  });

  it('reads the response side, and hdr() by the rule set', () => {
    expect(val('status')).toBe('302');
    expect(val('res.ver')).toBe('1.1');
    expect(val('res.hdr(location)')).toBe('/x');
    expect(val('hdr(location)')).toBeUndefined();
    expect(val('hdr(location)', env(), { ...opts, direction: 'response' })).toBe('/x');
  });

  it('reads cookies: last of a name, first without one, counts', () => {
    expect(val('req.cook(s)')).toBe('3');
    expect(val('req.cook(t)')).toBe('two');
    expect(val('req.cook')).toBe('1');
    expect(val('req.cook(v)')).toBe('5');
    expect(val('req.cook_cnt(s)')).toBe('2');
    expect(val('req.cook_cnt')).toBe('5');
    expect(val('req.cook_val(s)')).toBe('3');
    expect(val('res.cook(id)')).toBe('7');
    expect(val('res.cook(lang)')).toBe('fr');
    // as HAProxy: counting restarts after each cookie, so Path=/ counts too
    expect(val('res.cook_cnt', env(), { ...opts, direction: 'response' })).toBe('3');
    // a Set-Cookie read by http-response rules has one cookie: the first attribute
    expect(val('res.cook', env(), { ...opts, direction: 'response' })).toBe('7');
  });

  it('reads the body and its sizes', () => {
    expect(val('req.body')).toBe('body');
    expect(val('req.body_len')).toBe('4');
    expect(val('req.body_size')).toBe('4');
    expect(val('req.body', env({ req: messageOf('GET / HTTP/1.1', []) }))).toBe('');
  });
});

/** A minimal TLS 1.2 ClientHello carrying one server name. */
function clientHello(name: string): Buffer {
  const host = Buffer.from(name, 'latin1');
  const sniList = Buffer.concat([Buffer.from([0]), u16(host.length), host]);
  const sni = Buffer.concat([u16(0), u16(sniList.length + 2), u16(sniList.length), sniList]);
  const exts = Buffer.concat([u16(sni.length), sni]);
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32),
    Buffer.from([0]),
    u16(2),
    Buffer.from([0x13, 0x01]),
    Buffer.from([1, 0]),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}
