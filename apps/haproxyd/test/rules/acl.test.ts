// Differential: ACLs and sample fetches. Every match method (-m str|beg|end|sub|reg|dir|dom|
// len|int|ip|found|bool|bin), -i, integer ranges and operators, IP masks, pattern files
// (-f) and map files as ACL patterns (-M), predefined ACLs, conditions (implicit AND, ||/or,
// !, if/unless, several acl lines of one name, anonymous ACLs), and the values of the
// request fetches (method, path, pathq, url, query, base, urlp, hdr/fhdr with occurrences,
// counts, cookies, body size, src, ssl_fc, nbsrv, be_conn, fe_conn, env, var, ...).
//
// An ACL's truth is made visible with `http-request add-header x-acl <name> if <name>`:
// the recording backend sees one x-acl line per ACL that matched, in rule order. Values
// are made visible with `http-request return ... lf-string`.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Pair, startPair } from '../http/harness.ts';
import { backend, DEFAULTS, fileDir, frontend, GET, type RuleCase, request, toCase } from './common.ts';

// ---- ACLs whose truth each request shows ---------------------------------------------------------

/** [name, criterion + flags + patterns] in rule order. */
const MATCH: readonly (readonly [string, string])[] = [
  ['str', 'path -m str /exact'],
  ['str_list', 'path /one /two'],
  ['str_i', 'path -i /MiXeD'],
  ['str_case', 'path /MiXeD'],
  ['beg', 'path_beg /api/ /v2/'],
  ['beg_m', 'path -m beg /static/'],
  ['beg_i', 'path_beg -i /UP'],
  ['end', 'path_end .jpg .png'],
  ['end_i', 'path_end -i .GIF'],
  ['sub', 'path_sub admin'],
  ['sub_m', 'url -m sub ?debug'],
  ['reg', 'path_reg ^/v[0-9]+/items$'],
  ['reg_i', 'path_reg -i ^/up/[a-z]+$'],
  ['reg_m', 'url -m reg \\.php(\\?|$)'],
  ['dir', 'path_dir img'],
  ['dir_multi', 'path_dir a/b'],
  ['dom', 'hdr_dom(host) example.com'],
  ['dom_m', 'req.hdr(host) -m dom test'],
  ['len5', 'path_len 5'],
  ['len_range', 'path -m len 10:12'],
  ['found', 'req.hdr(x-present) -m found'],
  ['hdr_empty', 'req.hdr(x-present) -m str ""'],
  ['int_range', 'req.hdr_val(x-num) 10:20'],
  ['int_ge', 'req.hdr_val(x-num) ge 100'],
  ['int_gt', 'req.hdr_val(x-num) gt 100'],
  ['int_le', 'req.hdr_val(x-num) le 3'],
  ['int_lt0', 'req.hdr_val(x-num) lt 0'],
  ['int_eq', 'req.hdr(x-num) -m int eq 42'],
  ['int_open_hi', 'req.hdr_val(x-num) 1000:'],
  ['int_open_lo', 'req.hdr_val(x-num) :5'],
  ['int_list', 'req.hdr_val(x-num) 7 77 777'],
  ['ip_net', 'req.hdr_ip(x-ip) 10.0.0.0/8 192.168.1.1'],
  ['ip_short', 'req.hdr_ip(x-ip) 172.16/12'],
  ['ip_dotted_mask', 'req.hdr_ip(x-ip) 100.64.0.0/255.192.0.0'],
  ['ip6', 'req.hdr_ip(x-ip) 2001:db8::/32'],
  ['ip4in6', 'req.hdr_ip(x-ip) ::ffff:10.1.0.0/112'],
  ['bool', 'req.hdr_cnt(x-flag) -m bool'],
  ['cnt2', 'req.hdr_cnt(x-flag) ge 2'],
  ['fcnt2', 'req.fhdr_cnt(x-flag) ge 2'],
  ['multi_b', 'req.hdr(x-multi) b'],
  ['fmulti_b', 'req.fhdr(x-multi) b'],
  ['fmulti_full', 'req.fhdr(x-multi) -m beg a,'],
  ['occ_first', 'req.hdr(x-multi,1) a'],
  ['occ_last', 'req.hdr(x-multi,-1) c'],
  ['cook', 'req.cook(sid) abc'],
  ['cook_beg', 'cook_beg(sid) ab'],
  ['cook_found', 'req.cook(empty) -m found'],
  ['cook_cnt3', 'req.cook_cnt ge 3'],
  ['urlp', 'urlp(id) 42'],
  ['urlp_val', 'urlp_val(n) gt 10'],
  ['urlp_delim', 'urlp(k,;) v'],
  ['query_sub', 'query -m sub debug=1'],
  ['base', 'base a/base/x'],
  ['base_beg', 'base_beg www.example.com/'],
  ['meth', 'method PATCH'],
  ['meth_custom', 'method PURGE'],
  ['bin', 'path -m bin 2f62696e'],
  ['len_hdr', 'hdr_len(x-present) 0'],
  ['hdr_beg', 'hdr_beg(user-agent) curl/'],
  ['hdr_end', 'hdr_end(x-name) -i .COM'],
  ['hdr_reg', 'hdr_reg(x-name) ^[a-z]+\\.[a-z]+$'],
  ['url_beg', 'url_beg http://'],
  ['url_len', 'url_len 1'],
  ['ver10', 'req.ver 1.0'],
];

const LOGIC_RULES: readonly (readonly [string, string])[] = [
  ['and', 'if a b'],
  ['or_bars', 'if a || b'],
  ['or_word', 'if a or b'],
  ['not_a', 'if !a'],
  ['unless_a', 'unless a'],
  ['unless_and', 'unless a b'],
  ['xor', 'if a !b || !a b'],
  ['same_name', 'if either'],
  ['anon_and', 'if { req.hdr(x-a) -m found } { req.hdr(x-b) -m found }'],
  ['anon_or', 'if { req.hdr(x-a) -m found } || { req.hdr(x-b) -m found }'],
  ['anon_not', 'if !{ req.hdr(x-a) -m found }'],
  ['mixed', 'if a { req.hdr(x-b) 1 } || !a !b'],
  ['true', 'if TRUE'],
  ['false', 'if FALSE'],
  ['unless_false', 'unless FALSE'],
  ['not_true', 'if !TRUE'],
  ['val_1', 'if val'],
  ['three_or', 'if FALSE || FALSE || a'],
];

const PREDEFINED = [
  'TRUE',
  'FALSE',
  'HTTP',
  'HTTP_1.0',
  'HTTP_1.1',
  'HTTP_2.0',
  'HTTP_CONTENT',
  'HTTP_URL_ABS',
  'HTTP_URL_SLASH',
  'HTTP_URL_STAR',
  'LOCALHOST',
  'METH_CONNECT',
  'METH_DELETE',
  'METH_GET',
  'METH_HEAD',
  'METH_OPTIONS',
  'METH_POST',
  'METH_PUT',
  'METH_TRACE',
  'RDP_COOKIE',
] as const;

const FILES: readonly (readonly [string, string])[] = [
  ['pf', `path -f \${PATHS}`],
  ['pf_i', `path -i -f \${PATHS}`],
  ['pf_two', `path -f \${PATHS} -f \${MORE}`],
  ['pf_inline', `path -f \${MORE} /inline`],
  ['pf_beg', `path -m beg -f \${PREFIXES}`],
  ['pf_reg', `path -m reg -f \${REGEXES}`],
  ['pf_ip', `req.hdr_ip(x-ip) -f \${IPS}`],
  ['pf_src', `src -f \${IPS}`],
  ['pf_map', `path -M -f \${MAP}`],
  ['pf_map_beg', `path -M -m beg -f \${MAP}`],
];

const acl = (rules: readonly (readonly [string, string])[], header = 'x-acl') => [
  ...rules.map(([n, e]) => `acl ${n} ${e}`),
  ...rules.map(([n]) => `http-request add-header ${header} ${n} if ${n}`),
  'default_backend be',
];

const files = fileDir('acl');
const paths = files.write(
  'paths.lst',
  [
    '# a comment line',
    '/p1',
    '',
    '   /indented',
    '\t/tabbed',
    '/with space',
    '/trailing ',
    ' #not-a-comment',
    '/CRLF\r',
    '/last-without-newline',
  ].join('\n'),
);
const more = files.write('more.lst', '/m1\n/m2\n');
const prefixes = files.write('prefixes.lst', '/pre/\n/other/\n');
const regexes = files.write('regexes.lst', '^/r[0-9]+$\n\\.cgi$\n');
const ips = files.write('ips.lst', '10.0.0.0/8\n127.0.0.1\n# 192.168.0.0/16\n2001:db8::1\n');
const map = files.write('map.map', '/k1 value one\n/k2\tv2\n/dir/ prefix-value\n');

const TEMPLATE = [
  'global',
  '  setenv RULES_SETENV from-setenv',
  ...DEFAULTS,
  ...frontend('match', acl(MATCH)),
  ...frontend('logic', [
    'acl a req.hdr(x-a) -m found',
    'acl b req.hdr(x-b) -m found',
    'acl either req.hdr(x-a) 1',
    'acl either req.hdr(x-b) 1',
    'acl val req.hdr(x-a) 1',
    ...LOGIC_RULES.map(([n, c]) => `http-request add-header x-r ${n} ${c}`),
    'default_backend be',
  ]),
  ...frontend('pre', [
    ...PREDEFINED.map((n) => `http-request add-header x-pre ${n} if ${n}`),
    // A CONNECT is answered here (the backend would otherwise open a tunnel): the
    // predefined ACLs it matched are counted in the body.
    'http-request return status 403 content-type text/plain lf-string "%[req.fhdr_cnt(x-pre)] %[req.fhdr(x-pre,1)] %[req.fhdr(x-pre,-1)]" if METH_CONNECT',
    'default_backend be',
  ]),
  ...frontend('files', acl(FILES)),
  ...frontend('furl', [
    'http-request return status 200 content-type text/plain lf-string "method=%[method] path=%[path] pathq=%[pathq] url=%[url] query=%[query] base=%[base] ver=%[req.ver]\\nurlp=%[urlp(id)] urlp_any=%[urlp] urlp_delim=%[urlp(k,;)] url_param=%[url_param(id)] urlp_val=%[urlp_val(n)]\\n"',
  ]),
  ...frontend('fhdr', [
    'http-request return status 200 content-type text/plain lf-string "hdr=%[req.hdr(x-h)] hdr1=%[req.hdr(x-h,1)] hdr2=%[req.hdr(x-h,2)] hdr-1=%[req.hdr(x-h,-1)] hdr-2=%[req.hdr(x-h,-2)] hdr9=%[req.hdr(x-h,9)]\\nfhdr=%[req.fhdr(x-h)] fhdr1=%[req.fhdr(x-h,1)] cnt=%[req.hdr_cnt(x-h)] fcnt=%[req.fhdr_cnt(x-h)] hdr_legacy=%[hdr(x-h)] val=%[req.hdr_val(x-n)] ip=%[req.hdr_ip(x-ip)]\\nhost=%[req.hdr(host)] missing=%[req.hdr(x-missing)] missing_cnt=%[req.hdr_cnt(x-missing)]\\n"',
  ]),
  ...frontend('fcook', [
    'http-request return status 200 content-type text/plain lf-string "sid=%[req.cook(sid)] first=%[req.cook] cnt=%[req.cook_cnt] sid_cnt=%[req.cook_cnt(sid)] legacy=%[cook(sid)] val=%[req.cook_val(n)] empty=%[req.cook(empty)]\\n"',
  ]),
  ...frontend('fmisc', [
    'http-request set-var(txn.v) str(txn-value)',
    'http-request set-var(req.n) int(41),add(1)',
    'http-request return status 200 content-type text/plain lf-string "src=%[src] dst=%[dst] ssl_fc=%[ssl_fc] true=%[always_true] false=%[always_false] env=%[env(RULES_ENV)] setenv=%[env(RULES_SETENV)] noenv=%[env(RULES_NO_SUCH_ENV)]\\nnbsrv=%[nbsrv(be)] nbsrv_off=%[nbsrv(be_off)] be_conn_idle=%[be_conn(be_off)] fe_name=%[fe_name] var=%[var(txn.v)] num=%[var(req.n)] novar=%[var(txn.nope)]\\nint=%[int(-3)] str=%[str(abc)] bool=%[bool(1)] ipv4=%[ipv4(10.1.2.3)] meth=%[meth(GET)]\\n"',
  ]),
  ...frontend('solo', [
    'http-request return status 200 content-type text/plain lf-string "fe_conn=%[fe_conn] fe_conn_other=%[fe_conn(match)]"',
  ]),
  ...frontend('facl', [
    // Fetches that can only be seen through an ACL (their value differs between the sides).
    'http-request add-header x-f src_port if { src_port gt 1023 }',
    'http-request add-header x-f src_port_low if { src_port 1:1023 }',
    'http-request add-header x-f localhost if { src 127.0.0.1 }',
    'http-request add-header x-f src_net if { src 127.0.0.0/8 }',
    'http-request add-header x-f src_other if { src 10.0.0.0/8 }',
    'http-request add-header x-f dst_port if { dst_port gt 0 }',
    'http-request add-header x-f ssl_fc if { ssl_fc }',
    'http-request add-header x-f not_ssl if !{ ssl_fc }',
    'http-request add-header x-f nbsrv_off if { nbsrv(be_off) lt 1 }',
    'http-request add-header x-f nbsrv_be if { nbsrv(be) eq 1 }',
    'http-request add-header x-f env if { env(RULES_ENV) from-env }',
    'http-request add-header x-f env_missing if { env(RULES_NO_SUCH_ENV) -m found }',
    'http-request add-header x-f always if { always_true }',
    'http-request add-header x-f never if { always_false }',
    'http-request set-var(txn.t) req.hdr(x-t)',
    'http-request add-header x-f var if { var(txn.t) -m str yes }',
    'http-request add-header x-f var_found if { var(txn.t) -m found }',
    'http-request add-header x-f var_unset if { var(txn.none) -m found }',
    'http-request add-header x-f fe_name if { fe_name facl }',
    'default_backend be',
  ]),
  ...frontend('body', [
    'option http-buffer-request',
    'http-request return status 200 content-type text/plain lf-string "size=%[req.body_size] body=%[req.body] cl=%[req.hdr(content-length)]" if { path /show }',
    'http-request add-header x-big 1 if { req.body_size gt 10 }',
    'http-request add-header x-has-body 1 if { req.body -m found }',
    'http-request add-header x-body-sub 1 if { req.body -m sub needle }',
    'default_backend be',
  ]),
  ...backend('be'),
  'backend be_off',
  `  server s1 \${BE} disabled`,
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  // Inherited by both proxies (env() is compared through it).
  process.env['RULES_ENV'] = 'from-env';
  pair = await startPair({
    template: TEMPLATE,
    frontends: ['match', 'logic', 'pre', 'files', 'furl', 'fhdr', 'fcook', 'fmisc', 'solo', 'facl', 'body'],
    vars: { PATHS: paths, MORE: more, PREFIXES: prefixes, REGEXES: regexes, IPS: ips, MAP: map },
  });
});
afterAll(async () => {
  await pair?.close();
  files.remove();
  delete process.env['RULES_ENV'];
});

/** The request reaches the backend with exactly these x-acl lines (in rule order). */
function matched(
  name: string,
  frontend: string,
  send: string,
  want: readonly string[],
  header = 'x-acl',
  order: readonly (readonly [string, string])[] | readonly string[] = MATCH,
): RuleCase {
  const names = order.map((x) => (typeof x === 'string' ? x : x[0]));
  const unknown = want.filter((w) => !names.includes(w));
  if (unknown.length > 0) throw new Error(`${name}: unknown names ${unknown.join(', ')}`);
  return {
    name,
    frontend,
    send,
    want: { status: 200, forwarded: 1, up: { [header]: names.filter((n) => want.includes(n)) } },
  };
}

describe('match methods', () => {
  const m = (name: string, send: string, want: readonly string[]) => matched(name, 'match', send, want);
  const H = (headers: readonly string[], path = '/nothing') => GET(path, headers);
  const cases: RuleCase[] = [
    m('str: exact path', GET('/exact'), ['str']),
    m('str: exact path with a query (path excludes it)', GET('/exact?x=1'), ['str']),
    m('str: longer path does not match', GET('/exact/'), []),
    m('str: second pattern of a list', GET('/two'), ['str_list']),
    m('str: first pattern of a list', GET('/one'), ['str_list']),
    m('str -i: other case matches', GET('/mixed'), ['str_i']),
    m('str: same case matches both', GET('/MiXeD'), ['str_i', 'str_case']),
    m('beg: /api/ prefix (and a length of 10)', GET('/api/users'), ['beg', 'len_range']),
    m('beg: /api without slash does not', GET('/api'), []),
    m('beg: second prefix, also reg', GET('/v2/items'), ['beg', 'reg']),
    m('beg -m: /static/', GET('/static/app.js'), ['beg_m']),
    m('beg -i + reg -i', GET('/up/abc'), ['beg_i', 'reg_i']),
    m('end: .png', GET('/img/logo.png'), ['end', 'dir']),
    m('end -i: .gif in lower case', GET('/x.gif'), ['end_i']),
    m('end: .PNG in upper case does not match', GET('/x.PNG'), []),
    m('sub: admin inside', GET('/x/administrator/y'), ['sub']),
    m('sub -m on url with ?debug', GET('/p?debug'), ['sub_m']),
    m('reg on url: .php then query', GET('/index.php?a=1'), ['reg_m', 'len_range']),
    m('reg on url: .php at end', GET('/index.php'), ['reg_m', 'len_range']),
    m('reg: not anchored at end', GET('/v1/items/x'), ['len_range']),
    m('dir: middle component', GET('/a/img/b'), ['dir']),
    m('dir: img prefix is not a component', GET('/a/imgs/b'), []),
    m('dir: two components pattern', GET('/x/a/b/c'), ['dir_multi']),
    m('dom: subdomain', GET('/d').replace('Host: a', 'Host: www.example.com'), ['dom', 'base_beg']),
    m('dom: suffix without a dot before', GET('/d').replace('Host: a', 'Host: notexample.com'), []),
    m('dom: followed by a dot', GET('/d').replace('Host: a', 'Host: example.com.evil'), ['dom']),
    m('dom: with a port', GET('/d').replace('Host: a', 'Host: example.com:8080'), ['dom']),
    m('dom -m: middle label', GET('/d').replace('Host: a', 'Host: a.test.b'), ['dom_m']),
    m('len: 5', GET('/abcd'), ['len5']),
    m('len: range 10:12', GET('/abcdefghi'), ['len_range']),
    m('found: empty header value (an empty "" pattern does not match it)', H(['X-Present:']), [
      'found',
      'len_hdr',
    ]),
    m('found: header with a value', H(['X-Present: yes']), ['found']),
    m('int: range low bound', H(['X-Num: 10']), ['int_range']),
    m('int: range high bound', H(['X-Num: 20']), ['int_range']),
    m('int: ge/gt at 100', H(['X-Num: 100']), ['int_ge']),
    m('int: ge/gt above 100', H(['X-Num: 101']), ['int_ge', 'int_gt']),
    m('int: le 3 and :5', H(['X-Num: 3']), ['int_le', 'int_open_lo']),
    m('int: 0 matches :5 and le', H(['X-Num: 0']), ['int_le', 'int_open_lo']),
    m('int: negative value', H(['X-Num: -5']), ['int_le', 'int_lt0', 'int_open_lo']),
    m('int: -m int on a string header', H(['X-Num: 42']), ['int_eq']),
    m('int: open-ended 1000:', H(['X-Num: 123456']), ['int_ge', 'int_gt', 'int_open_hi']),
    m('int: list', H(['X-Num: 77']), ['int_list']),
    m('int: not a number', H(['X-Num: abc']), ['int_le', 'int_open_lo']),
    m('int: number then junk', H(['X-Num: 15abc']), ['int_range']),
    m('ip: inside 10/8', H(['X-IP: 10.2.3.4']), ['ip_net']),
    m('ip: exact host', H(['X-IP: 192.168.1.1']), ['ip_net']),
    m('ip: next host is outside', H(['X-IP: 192.168.1.2']), []),
    m('ip: abbreviated 172.16/12 is 172.0.0.16/12, not CIDR 172.16.0.0/12', H(['X-IP: 172.5.0.1']), [
      'ip_short',
    ]),
    m('ip: 172.20.0.1 is outside 172.16/12', H(['X-IP: 172.20.0.1']), []),
    m('ip: dotted mask', H(['X-IP: 100.100.1.1']), ['ip_dotted_mask']),
    m('ip: ipv6 in 2001:db8::/32', H(['X-IP: 2001:db8::5']), ['ip6']),
    m('ip: v4 sample against v4-mapped v6 pattern', H(['X-IP: 10.1.2.3']), ['ip_net', 'ip4in6']),
    m('ip: v4 with a port', H(['X-IP: 10.0.0.1:8080']), ['ip_net']),
    m('ip: not an address', H(['X-IP: nope']), []),
    m('ip: several values, one matches', H(['X-IP: 1.1.1.1, 10.0.0.9']), ['ip_net']),
    m('bool: header present once', H(['X-Flag: 1']), ['bool']),
    m('bool: twice (two lines)', H(['X-Flag: 1', 'X-Flag: 2']), ['bool', 'cnt2', 'fcnt2']),
    m('bool: twice in one line (comma)', H(['X-Flag: 1, 2']), ['bool', 'cnt2']),
    m('hdr: every comma value is tried', H(['X-Multi: a, b, c']), [
      'multi_b',
      'fmulti_full',
      'occ_first',
      'occ_last',
    ]),
    m('hdr: values over several lines', H(['X-Multi: a', 'X-Multi: b', 'X-Multi: c']), [
      'multi_b',
      'fmulti_b',
      'occ_first',
      'occ_last',
    ]),
    m('cookie: sid among others', H(['Cookie: a=1; sid=abc; b=2']), ['cook', 'cook_beg', 'cook_cnt3']),
    m('cookie: empty value found', H(['Cookie: empty=; x=1']), ['cook_found']),
    m('cookie: three cookies over two lines', H(['Cookie: a=1; b=2', 'Cookie: c=3']), ['cook_cnt3']),
    m('cookie: name is case-sensitive', H(['Cookie: SID=abc']), []),
    m('urlp: id=42 after another parameter', GET('/q?x=1&id=42'), ['urlp']),
    m('urlp: id=42 with a value match', GET('/q?id=42&n=11'), ['urlp', 'urlp_val']),
    m('urlp: custom delimiter', GET('/q;k=v'), ['urlp_delim']),
    m('query: sub', GET('/q?a=1&debug=1'), ['query_sub']),
    m('base: host + path', GET('/base/x?q=1'), ['base']),
    m('base_beg: www.example.com/', GET('/').replace('Host: a', 'Host: www.example.com'), [
      'dom',
      'base_beg',
      'url_len',
    ]),
    m('method: PATCH', request('PATCH', '/p'), ['meth']),
    m('method: custom PURGE', request('PURGE', '/p'), ['meth_custom']),
    m('method: lower-case patch is another method', request('patch', '/p'), []),
    m('bin: hex pattern', GET('/bin'), ['bin']),
    m('hdr_beg user-agent', H(['User-Agent: curl/8.0']), ['hdr_beg']),
    m('hdr_end -i and hdr_reg', H(['X-Name: host.com']), ['hdr_end', 'hdr_reg']),
    m('url_beg: absolute-form', GET('http://a/x'), ['url_beg']),
    m('req.ver on HTTP/1.0', request('GET', '/v2/items', [], { version: 'HTTP/1.0' }), [
      'beg',
      'reg',
      'ver10',
    ]),
  ];
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});

describe('conditions', () => {
  const l = (name: string, headers: readonly string[], want: readonly string[]) =>
    matched(name, 'logic', GET('/l', headers), want, 'x-r', LOGIC_RULES);
  const cases: RuleCase[] = [
    l(
      'neither a nor b',
      [],
      ['not_a', 'unless_a', 'unless_and', 'anon_not', 'mixed', 'true', 'unless_false'],
    ),
    l(
      'a only',
      ['X-A: 0'],
      ['or_bars', 'or_word', 'unless_and', 'xor', 'anon_or', 'unless_false', 'true', 'three_or'],
    ),
    l(
      'b only',
      ['X-B: 0'],
      [
        'or_bars',
        'or_word',
        'not_a',
        'unless_a',
        'unless_and',
        'xor',
        'anon_or',
        'anon_not',
        'true',
        'unless_false',
      ],
    ),
    l(
      'a and b',
      ['X-A: 0', 'X-B: 0'],
      ['and', 'or_bars', 'or_word', 'anon_and', 'anon_or', 'true', 'unless_false', 'three_or'],
    ),
    l(
      'a=1 (second line of the same acl name is not needed)',
      ['X-A: 1'],
      [
        'or_bars',
        'or_word',
        'unless_and',
        'xor',
        'same_name',
        'anon_or',
        'true',
        'unless_false',
        'val_1',
        'three_or',
      ],
    ),
    l(
      'b=1 (the second line of the same acl name matches)',
      ['X-B: 1'],
      [
        'or_bars',
        'or_word',
        'not_a',
        'unless_a',
        'unless_and',
        'xor',
        'same_name',
        'anon_or',
        'anon_not',
        'true',
        'unless_false',
      ],
    ),
    l(
      'a and b=1',
      ['X-A: 0', 'X-B: 1'],
      [
        'and',
        'or_bars',
        'or_word',
        'same_name',
        'anon_and',
        'anon_or',
        'mixed',
        'true',
        'unless_false',
        'three_or',
      ],
    ),
  ];
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});

describe('predefined ACLs', () => {
  const p = (name: string, send: string, want: readonly string[], methods?: string[]): RuleCase => ({
    ...matched(name, 'pre', send, want, 'x-pre', PREDEFINED),
    ...(methods ? { client: { methods } } : {}),
  });
  const base = ['TRUE', 'HTTP', 'HTTP_1.1', 'HTTP_URL_SLASH', 'LOCALHOST'];
  const cases: RuleCase[] = [
    p('GET', GET('/'), [...base, 'METH_GET']),
    p('HEAD matches METH_GET too', request('HEAD', '/'), [...base, 'METH_GET', 'METH_HEAD'], ['HEAD']),
    p('POST with Content-Length', request('POST', '/', [], { body: 'abc' }), [
      ...base,
      'METH_POST',
      'HTTP_CONTENT',
    ]),
    p('POST with Content-Length: 0', request('POST', '/', ['Content-Length: 0']), [...base, 'METH_POST']),
    p(
      'POST chunked (no Content-Length)',
      request('POST', '/', ['Transfer-Encoding: chunked'], { body: '3\r\nabc\r\n0\r\n\r\n' }),
      [...base, 'METH_POST'],
    ),
    p('PUT', request('PUT', '/', [], { body: 'x' }), [...base, 'METH_PUT', 'HTTP_CONTENT']),
    p('DELETE', request('DELETE', '/'), [...base, 'METH_DELETE']),
    p('OPTIONS *', request('OPTIONS', '*'), [
      'TRUE',
      'HTTP',
      'HTTP_1.1',
      'HTTP_URL_STAR',
      'LOCALHOST',
      'METH_OPTIONS',
    ]),
    p('TRACE', request('TRACE', '/'), [...base, 'METH_TRACE']),
    p('lower-case get is not METH_GET', request('get', '/'), base),
    p('absolute-form URL', GET('http://a/x'), [
      'TRUE',
      'HTTP',
      'HTTP_1.1',
      'HTTP_URL_ABS',
      'LOCALHOST',
      'METH_GET',
    ]),
    p('HTTP/1.0', request('GET', '/', [], { version: 'HTTP/1.0' }), [
      'TRUE',
      'HTTP',
      'HTTP_1.0',
      'HTTP_URL_SLASH',
      'LOCALHOST',
      'METH_GET',
    ]),
    p('RDP cookie header is not an RDP cookie', GET('/', ['Cookie: mstshash=x']), [...base, 'METH_GET']),
  ];
  cases.push({
    name: 'CONNECT (answered by a return rule)',
    frontend: 'pre',
    send: request('CONNECT', 'a:443', [], { host: 'a:443' }),
    client: { methods: ['CONNECT'] },
    want: { status: 403, forwarded: 0, body: '5 TRUE METH_CONNECT' },
  });
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});

describe('pattern files (-f) and maps as patterns (-M)', () => {
  const f = (name: string, send: string, want: readonly string[]) =>
    matched(name, 'files', send, want, 'x-acl', FILES);
  const src = ['pf_src'];
  const cases: RuleCase[] = [
    f('first pattern of the file', GET('/p1'), ['pf', 'pf_i', 'pf_two', ...src]),
    f('pattern indented with spaces', GET('/indented'), ['pf', 'pf_i', 'pf_two', ...src]),
    f('pattern indented with a tab', GET('/tabbed'), ['pf', 'pf_i', 'pf_two', ...src]),
    f('pattern with an inner space', GET('/with%20space'), [...src]),
    f('trailing space is part of the pattern', GET('/trailing'), [...src]),
    f('comment line is not a pattern', GET('/a'), [...src]),
    f('CR at the end of a line is not part of the pattern', GET('/CRLF'), ['pf', 'pf_i', 'pf_two', ...src]),
    f('last line without a newline', GET('/last-without-newline'), ['pf', 'pf_i', 'pf_two', ...src]),
    f('-i applies to the file after it', GET('/P1'), ['pf_i', ...src]),
    f('second file', GET('/m2'), ['pf_two', 'pf_inline', ...src]),
    f('inline pattern after a file', GET('/inline'), ['pf_inline', ...src]),
    f('prefix file', GET('/other/x'), ['pf_beg', ...src]),
    f('regex file, first', GET('/r42'), ['pf_reg', ...src]),
    f('regex file, second', GET('/x/run.cgi'), ['pf_reg', ...src]),
    f('ip file: network', GET('/n', ['X-IP: 10.9.9.9']), ['pf_ip', ...src]),
    f('ip file: v6 host', GET('/n', ['X-IP: 2001:db8::1']), ['pf_ip', ...src]),
    f('ip file: commented network', GET('/n', ['X-IP: 192.168.0.1']), [...src]),
    f('map keys as patterns', GET('/k2'), ['pf_map', 'pf_map_beg', ...src]),
    f('map keys as prefixes', GET('/dir/sub'), ['pf_map_beg', ...src]),
  ];
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});

describe('fetch values', () => {
  const v = (name: string, frontend: string, send: string, body: string | RegExp): RuleCase => ({
    name,
    frontend,
    send,
    want: { status: 200, forwarded: 0, body },
  });
  const cases: RuleCase[] = [
    v(
      'url parts: path and query',
      'furl',
      GET('/a/b?id=7&x=y'),
      'method=GET path=/a/b pathq=/a/b?id=7&x=y url=/a/b?id=7&x=y query=id=7&x=y base=a/a/b ver=1.1\nurlp=7 urlp_any=7 urlp_delim= url_param=7 urlp_val=\n',
    ),
    v(
      'url parts: no query',
      'furl',
      GET('/plain'),
      'method=GET path=/plain pathq=/plain url=/plain query= base=a/plain ver=1.1\nurlp= urlp_any= urlp_delim= url_param= urlp_val=\n',
    ),
    v(
      'url parts: empty query',
      'furl',
      GET('/e?'),
      'method=GET path=/e pathq=/e? url=/e? query= base=a/e ver=1.1\nurlp= urlp_any= urlp_delim= url_param= urlp_val=\n',
    ),
    v(
      'url parts: absolute-form',
      'furl',
      request('GET', 'http://h.example:8080/p/q?id=1', [], { host: 'h.example:8080' }),
      'method=GET path=/p/q pathq=/p/q?id=1 url=http://h.example:8080/p/q?id=1 query=id=1 base=h.example:8080/p/q ver=1.1\nurlp=1 urlp_any=1 urlp_delim= url_param=1 urlp_val=\n',
    ),
    v(
      'url parts: asterisk',
      'furl',
      request('OPTIONS', '*'),
      'method=OPTIONS path= pathq= url=* query= base=a ver=1.1\nurlp= urlp_any= urlp_delim= url_param= urlp_val=\n',
    ),
    v(
      'url parts: custom method, encoded chars, params with ;',
      'furl',
      request('PURGE', '/x%20y;k=v?n=12&id=&k=w', [], { version: 'HTTP/1.0' }),
      'method=PURGE path=/x%20y;k=v pathq=/x%20y;k=v?n=12&id=&k=w url=/x%20y;k=v?n=12&id=&k=w query=n=12&id=&k=w base=a/x%20y;k=v ver=1.0\nurlp= urlp_any=12 urlp_delim=v?n=12 url_param= urlp_val=12\n',
    ),
    v(
      'url parts: repeated parameters, the first wins',
      'furl',
      GET('/f?id=1&id=2&n=3;k=x'),
      'method=GET path=/f pathq=/f?id=1&id=2&n=3;k=x url=/f?id=1&id=2&n=3;k=x query=id=1&id=2&n=3;k=x base=a/f ver=1.1\nurlp=1 urlp_any=1 urlp_delim=x url_param=1 urlp_val=3\n',
    ),
    v(
      'headers: comma values and occurrences',
      'fhdr',
      GET('/', ['X-H: a, b', 'X-H: c', 'X-N: 12', 'X-IP: 10.0.0.1']),
      'hdr=c hdr1=a hdr2=b hdr-1=c hdr-2=b hdr9=\nfhdr=c fhdr1=a, b cnt=3 fcnt=2 hdr_legacy=c val=12 ip=10.0.0.1\nhost=a missing= missing_cnt=0\n',
    ),
    v(
      'headers: one value with spaces',
      'fhdr',
      GET('/', ['X-H:   spaced value  ']),
      'hdr=spaced value hdr1=spaced value hdr2= hdr-1=spaced value hdr-2= hdr9=\nfhdr=spaced value fhdr1=spaced value cnt=1 fcnt=1 hdr_legacy=spaced value val= ip=\nhost=a missing= missing_cnt=0\n',
    ),
    v(
      'headers: a comma inside double quotes is not a delimiter',
      'fhdr',
      GET('/', ['X-H: "a,b", c', 'X-N: x', 'X-IP: ::1']),
      'hdr=c hdr1="a,b" hdr2=c hdr-1=c hdr-2="a,b" hdr9=\nfhdr="a,b", c fhdr1="a,b", c cnt=2 fcnt=1 hdr_legacy=c val=0 ip=::1\nhost=a missing= missing_cnt=0\n',
    ),
    v(
      'headers: empty values',
      'fhdr',
      GET('/', ['X-H:', 'X-H: ,']),
      'hdr= hdr1= hdr2= hdr-1= hdr-2= hdr9=\nfhdr=, fhdr1= cnt=3 fcnt=2 hdr_legacy= val= ip=\nhost=a missing= missing_cnt=0\n',
    ),
    v(
      'cookies: several on two lines',
      'fcook',
      GET('/', ['Cookie: first=1; sid=a; n=5', 'Cookie: sid=b;empty=']),
      'sid=b first=1 cnt=5 sid_cnt=2 legacy=b val=5 empty=\n',
    ),
    v('cookies: none', 'fcook', GET('/'), 'sid= first= cnt=0 sid_cnt=0 legacy= val= empty=\n'),
    v(
      'cookies: spaces around names and values',
      'fcook',
      GET('/', ['Cookie:  sid = x ;  n=7 ']),
      'sid=x first=x cnt=2 sid_cnt=1 legacy=x val=7 empty=\n',
    ),
    v(
      'misc: src, ssl_fc, env, nbsrv, vars, constants',
      'fmisc',
      GET('/'),
      'src=127.0.0.1 dst=127.0.0.1 ssl_fc=0 true=1 false=0 env=from-env setenv=from-setenv noenv=\nnbsrv=1 nbsrv_off=0 be_conn_idle=0 fe_name=fmisc var=txn-value num=42 novar=\nint=-3 str=abc bool=1 ipv4=10.1.2.3 meth=GET\n',
    ),
    v('fe_conn counts this connection', 'solo', GET('/'), 'fe_conn=1 fe_conn_other=0'),
  ];
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });

  const F = [
    'src_port',
    'localhost',
    'src_net',
    'dst_port',
    'not_ssl',
    'nbsrv_off',
    'nbsrv_be',
    'env',
    'always',
  ];
  const acls: RuleCase[] = [
    {
      name: 'fetches seen through ACLs',
      frontend: 'facl',
      send: GET('/', ['X-T: yes']),
      want: { status: 200, up: { 'x-f': [...F, 'var', 'var_found', 'fe_name'] } },
    },
    {
      name: 'set-var from an absent header leaves the variable unset',
      frontend: 'facl',
      send: GET('/'),
      want: { status: 200, up: { 'x-f': [...F, 'fe_name'] } },
    },
    {
      name: 'set-var from an empty header sets an empty variable',
      frontend: 'facl',
      send: GET('/', ['X-T:']),
      want: { status: 200, up: { 'x-f': [...F, 'var_found', 'fe_name'] } },
    },
  ];
  it.each(acls.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});

describe('request body fetches (http-buffer-request)', () => {
  const cases: RuleCase[] = [
    {
      name: 'body_size and body with Content-Length',
      frontend: 'body',
      send: request('POST', '/show', [], { body: 'hello body' }),
      want: { status: 200, forwarded: 0, body: 'size=10 body=hello body cl=10' },
    },
    {
      name: 'body_size of a chunked body',
      frontend: 'body',
      send: request('POST', '/show', ['Transfer-Encoding: chunked'], {
        body: '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      }),
      want: { status: 200, forwarded: 0, body: 'size=11 body=hello world cl=' },
    },
    {
      name: 'no body',
      frontend: 'body',
      send: GET('/show'),
      want: { status: 200, forwarded: 0, body: 'size=0 body= cl=' },
    },
    {
      name: 'big body with the needle: ACLs on the body',
      frontend: 'body',
      send: request('POST', '/up', [], { body: 'xxxx needle xxxx' }),
      want: { status: 200, forwarded: 1, up: { 'x-big': '1', 'x-has-body': '1', 'x-body-sub': '1' } },
    },
    {
      name: 'small body: ACLs on the body',
      frontend: 'body',
      send: request('POST', '/up', [], { body: 'tiny' }),
      want: { status: 200, forwarded: 1, up: { 'x-big': null, 'x-has-body': '1', 'x-body-sub': null } },
    },
    {
      name: 'body sent after a pause is still waited for',
      frontend: 'body',
      send: [request('POST', '/show', ['Content-Length: 6']), { delay: 50 }, 'later!'],
      want: { status: 200, forwarded: 0, body: 'size=6 body=later! cl=6' },
    },
  ];
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });
});
