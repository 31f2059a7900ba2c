// Differential: http-request rules. Header actions (set/add/del with -m, replace-header,
// replace-value), URI actions (set-path, set-pathq, set-query, set-uri, replace-path,
// replace-pathq, replace-uri, set-method), redirect (location/prefix/scheme, codes, drop-query,
// append-slash, set-cookie, clear-cookie, ignore-empty), deny (status, errorfile, string,
// lf-string, hdr, content-type), reject, allow, return (status, content-type, string,
// lf-string, file, lf-file, errorfile, hdr), auth with a userlist and http_auth(), tarpit,
// set-var, set-log-level, frontend-then-backend rule order, rules before use_backend, log-format
// values in headers, monitor-uri and monitor fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observed, type Pair, startPair } from '../http/harness.ts';
import {
  backend,
  DEFAULTS,
  fileDir,
  frontend,
  GET,
  type RuleCase,
  request,
  sequence,
  toCase,
} from './common.ts';

const files = fileDir('req');
const FILES = {
  ERR503: files.write(
    '503.http',
    'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\nX-From: errorfile\r\nContent-Length: 13\r\n\r\ncustom 503 !\n',
  ),
  ERR403: files.write(
    '403.http',
    'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n',
  ),
  PAGE: files.write('page.html', '<p>static page</p>\n'),
  LFPAGE: files.write('page.lf', 'path=%[path] method=%[method]\n'),
  EMPTY: files.write('empty.txt', ''),
};

const TEMPLATE = [
  ...DEFAULTS,
  'userlist users',
  '  group admins',
  '  user alice insecure-password secret',
  '  user bob insecure-password pw groups admins',
  '  user carol password $5$saltsalt$i1q2ZQzc.tl/BQ6CHiENAcVDvEY6nJ1OWlWXKh94b1.',
  ...frontend('hdr', [
    'http-request set-log-level silent if { path /silent }',
    'http-request set-header X-Set set-value',
    'http-request set-header X-Replace-Me replaced',
    'http-request add-header X-Add added',
    'http-request del-header X-Del',
    'http-request del-header x-pre- -m beg',
    'http-request del-header -suf -m end',
    'http-request del-header mid -m sub',
    'http-request del-header ^x-re-[0-9]+$ -m reg',
    'http-request del-header X-Exact -m str',
    'http-request replace-header X-Rh ^(.*)-old$ \\1-new',
    'http-request replace-value X-Rv ^a$ A',
    'http-request replace-header X-Rh-All (.*) <\\1>',
    'http-request set-header X-Fmt "%[method] %[path] %[req.ver]"',
    'http-request set-header X-Empty %[req.hdr(x-none)]',
    'http-request add-header X-Copy %[req.hdr(x-src)]',
    'http-request set-header X-Log "%ci %fi %f %HM %HU %HP %HQ %HV"',
    'http-request set-header X-Host %[req.hdr(host)]',
    'default_backend be',
  ]),
  ...frontend('uri', [
    'http-request set-path /new%[path] if { path_beg /sp/ }',
    'http-request set-pathq /pq?x=1 if { path_beg /spq/ }',
    'http-request set-query a=1&%[query] if { path_beg /sq/ }',
    'http-request set-query %[req.hdr(x-none)] if { path_beg /sqe/ }',
    'http-request set-uri /uri/%[method]%[path] if { path_beg /su/ }',
    'http-request set-uri http://other.example:8080/abs if { path_beg /sua/ }',
    'http-request replace-path /rp/(.*) /replaced/\\1 if { path_beg /rp/ }',
    'http-request replace-pathq /rpq/([^?]*)\\?(.*) /pq/\\2/\\1 if { path_beg /rpq/ }',
    'http-request replace-uri ^/ru/(.*) /uri-replaced/\\1 if { path_beg /ru/ }',
    'http-request replace-uri ^http://([^/]*)/ra/(.*) /ra-local/\\1/\\2 if { path_beg /ra/ }',
    'http-request set-method POST if { path_beg /sm/ }',
    'http-request set-method %[req.hdr(x-method)] if { path_beg /smf/ }',
    'http-request set-header X-After-Path %[path]',
    'default_backend be',
  ]),
  ...frontend('redir', [
    'http-request redirect location /loc if { path /r1 }',
    ...[301, 302, 303, 307, 308].map(
      (c) => `http-request redirect location /loc code ${c} if { path /r${c} }`,
    ),
    'http-request redirect prefix /pfx if { path_beg /r-prefix }',
    'http-request redirect prefix /pfx drop-query if { path_beg /r-drop }',
    'http-request redirect prefix https://secure.example code 301 if { path_beg /r-abs }',
    'http-request redirect prefix / drop-query append-slash code 301 if { path_beg /r-slash }',
    'http-request redirect prefix /p append-slash if { path_beg /r-appendonly }',
    'http-request redirect scheme https if { path_beg /r-scheme }',
    'http-request redirect scheme https drop-query if { path_beg /d-scheme }',
    'http-request redirect location /c set-cookie SEEN=1 if { path /r-cookie }',
    'http-request redirect location /c set-cookie FLAG if { path /r-cookie-flag }',
    'http-request redirect location /c clear-cookie SEEN= if { path /r-clear }',
    'http-request redirect location /c clear-cookie SEEN if { path /r-clear-flag }',
    'http-request redirect location %[req.hdr(x-target)] if { path /r-lf }',
    'http-request redirect location %[req.hdr(x-target)] ignore-empty if { path /r-ignore }',
    'http-request redirect location https://%[req.hdr(host)]%[pathq] code 308 if { path_beg /r-host }',
    'default_backend be',
  ]),
  ...frontend('deny', [
    'http-request allow if { path_beg /allow }',
    'http-request deny if { path /d-plain }',
    'http-request deny deny_status 429 if { path /d-429 }',
    'http-request deny deny_status 500 if { path /d-500 }',
    'http-request deny deny_status 400 if { path /d-400 }',
    'http-request deny status 404 content-type text/plain string "gone" if { path /d-string }',
    'http-request deny status 403 content-type text/plain lf-string "denied %[path]" hdr X-Why policy hdr X-Path %[path] if { path_beg /d-lf }',
    `http-request deny deny_status 503 errorfile \${ERR503} if { path /d-errorfile }`,
    'http-request deny status 418 content-type text/plain string teapot if { path /d-418 }',
    'http-request deny status 200 if { path /d-200 }',
    'http-request reject if { path /reject }',
    'http-request deny if { path_beg /allow }',
    'http-request add-header X-Fe-Rule passed',
    'default_backend be_deny',
  ]),
  ...frontend('ret', [
    'http-request return if { path /ret-empty }',
    'http-request return status 201 if { path /ret-201 }',
    'http-request return status 404 content-type text/plain if { path /ret-ct-only }',
    'http-request return status 200 content-type text/plain string "hi there" if { path /ret-string }',
    'http-request return status 200 content-type application/json lf-string "{\\"p\\":\\"%[path]\\",\\"q\\":\\"%[query]\\"}" if { path_beg /ret-json }',
    `http-request return status 200 content-type text/html file \${PAGE} if { path /ret-file }`,
    `http-request return status 200 content-type text/plain lf-file \${LFPAGE} if { path_beg /ret-lf-file }`,
    `http-request return status 200 content-type text/plain file \${EMPTY} if { path /ret-empty-file }`,
    `http-request return status 503 errorfile \${ERR503} if { path /ret-errorfile }`,
    'http-request return status 403 default-errorfiles if { path /ret-default-errorfiles }',
    'http-request return status 302 hdr Location /elsewhere hdr X-A 1 hdr X-B %[path] if { path /ret-hdr }',
    'http-request return status 200 content-type text/plain string ok hdr Content-Length 99 if { path /ret-cl }',
    'http-request return status 200 content-type text/plain string "on HEAD" if { path /ret-head }',
    'default_backend be',
  ]),
  ...frontend('auth', [
    'http-request auth realm "Private Zone" if { path_beg /private } !{ http_auth(users) }',
    'http-request auth if { path_beg /admin } !{ http_auth_group(users) admins }',
    'http-request auth realm Basic\\ realm if { path_beg /quoted } !{ http_auth(users) }',
    'http-request set-header X-User %[http_auth_user] if { http_auth(users) }',
    'http-request set-header X-Group %[http_auth_group(users)] if { http_auth(users) }',
    'http-request set-header X-Auth-Type %[http_auth_type]',
    'default_backend be',
  ]),
  ...frontend('tarpit', [
    'timeout tarpit 400ms',
    'http-request tarpit if { path /tarpit }',
    'http-request tarpit deny_status 429 if { path /tarpit-429 }',
    'default_backend be',
  ]),
  ...frontend('order', [
    'http-request add-header X-Order fe1',
    'http-request set-var(txn.fe) str(from-fe)',
    'http-request add-header X-Order fe2',
    'http-request set-header X-Route b if { path_beg /to-b }',
    'http-request set-path /rewritten%[path] if { path_beg /to-rw }',
    'http-request allow if { path_beg /allow }',
    'http-request add-header X-Order fe3',
    'use_backend be_b if { req.hdr(x-route) b }',
    'use_backend be_b if { path_beg /rewritten/ }',
    'default_backend be_a',
  ]),
  ...frontend('mon', ['monitor-uri /health', 'default_backend be']),
  ...frontend('monfail', [
    'monitor-uri /health',
    'monitor fail if { nbsrv(be_off) lt 1 }',
    'default_backend be',
  ]),
  ...backend('be'),
  ...backend('be_deny', [
    'http-request deny deny_status 403 if { path_beg /be-deny } !{ req.hdr(x-pass) -m found }',
    'http-request add-header X-Be-Rule passed',
  ]),
  ...backend('be_a', [
    'http-request add-header X-Order be-a',
    'http-request set-header X-Fe-Var %[var(txn.fe)]',
  ]),
  ...backend('be_b', ['http-request add-header X-Order be-b', 'http-request set-header X-Be-Path %[path]']),
  'backend be_off',
  `  server s1 \${BE} disabled`,
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({
    template: TEMPLATE,
    frontends: ['hdr', 'uri', 'redir', 'deny', 'ret', 'auth', 'tarpit', 'order', 'mon', 'monfail'],
    vars: FILES,
  });
});
afterAll(async () => {
  await pair?.close();
  files.remove();
});

const run = (cases: RuleCase[]) =>
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });

describe('header actions', () => {
  const h = (
    name: string,
    headers: readonly string[],
    up: Record<string, string | string[] | null>,
    path = '/h',
  ): RuleCase => ({
    name,
    frontend: 'hdr',
    send: GET(path, headers),
    want: { status: 200, forwarded: 1, up },
  });
  run([
    h('no client headers', [], {
      'x-set': 'set-value',
      'x-replace-me': 'replaced',
      'x-add': 'added',
      'x-fmt': 'GET /h 1.1',
      'x-empty': '',
      'x-copy': '',
      'x-log': '127.0.0.1 127.0.0.1 hdr GET /h /h  HTTP/1.1',
      'x-host': 'a',
    }),
    h(
      'set-header replaces every occurrence',
      ['X-Replace-Me: one', 'X-Replace-Me: two', 'x-replace-me: three'],
      {
        'x-replace-me': 'replaced',
      },
    ),
    h('add-header keeps the client value', ['X-Add: client'], { 'x-add': ['client', 'added'] }),
    h('del-header: every occurrence, any case', ['X-Del: 1', 'x-del: 2', 'X-DEL: 3', 'X-Delete: kept'], {
      'x-del': null,
      'x-delete': 'kept',
    }),
    h('del-header -m beg', ['X-Pre-One: 1', 'x-pre-two: 2', 'X-Prefix: kept'], {
      'x-pre-one': null,
      'x-pre-two': null,
      'x-prefix': 'kept',
    }),
    h('del-header -m end', ['X-A-Suf: 1', 'X-Suffix: kept'], { 'x-a-suf': null, 'x-suffix': 'kept' }),
    h('del-header -m sub', ['X-Amid-Z: 1', 'Middle: 2', 'X-Mi-D: kept'], {
      'x-amid-z': null,
      middle: null,
      'x-mi-d': 'kept',
    }),
    h('del-header -m reg', ['X-Re-1: a', 'X-Re-22: b', 'X-Re-x: kept'], {
      'x-re-1': null,
      'x-re-22': null,
      'x-re-x': 'kept',
    }),
    h('del-header -m str', ['X-Exact: 1', 'X-Exactly: kept'], { 'x-exact': null, 'x-exactly': 'kept' }),
    h('replace-header on the full value', ['X-Rh: value-old', 'X-Rh: other', 'X-Rh: a-old, b-old'], {
      'x-rh': ['value-new', 'other', 'a-old, b-new'],
    }),
    h(
      'replace-value on each comma-separated value (a replaced value loses the space before it)',
      ['X-Rv: a, b, a', 'X-Rv: a'],
      {
        'x-rv': ['A, b,A', 'A'],
      },
    ),
    h('replace-value: the first value, then others untouched', ['X-Rv: a,b, c'], { 'x-rv': 'A,b, c' }),
    h('replace-header matching everything', ['X-Rh-All: x, y'], { 'x-rh-all': '<x, y>' }),
    h(
      'log-format of a request with a query',
      ['X-Src: copied'],
      {
        'x-copy': 'copied',
        'x-log': '127.0.0.1 127.0.0.1 hdr GET /h?a=1&b /h ?a=1&b HTTP/1.1',
        'x-fmt': 'GET /h 1.1',
      },
      '/h?a=1&b',
    ),
    h('set-log-level is accepted and changes nothing visible', [], { 'x-set': 'set-value' }, '/silent'),
    {
      name: 'HTTP/1.0 request',
      frontend: 'hdr',
      send: request('GET', '/h10', [], { version: 'HTTP/1.0', host: null }),
      want: {
        status: 200,
        up: {
          'x-fmt': 'GET /h10 1.0',
          'x-host': '',
          'x-log': '127.0.0.1 127.0.0.1 hdr GET /h10 /h10  HTTP/1.0',
        },
      },
    },
    {
      name: 'rules run again for each request of a keep-alive connection',
      frontend: 'hdr',
      send: sequence([GET('/1', ['X-Add: c1']), GET('/2')]),
      want: {
        status: [200, 200],
        ups: [
          { 'x-add': ['c1', 'added'], 'x-fmt': 'GET /1 1.1' },
          { 'x-add': 'added', 'x-fmt': 'GET /2 1.1' },
        ],
      },
    },
  ]);
});

describe('URI actions', () => {
  const u = (
    name: string,
    send: string,
    line: string | RegExp,
    up: Record<string, string | string[] | null> = {},
  ): RuleCase => ({
    name,
    frontend: 'uri',
    send,
    want: { status: 200, forwarded: 1, line, up },
  });
  run([
    u('set-path keeps the query', GET('/sp/x?q=1'), 'GET /new/sp/x?q=1 HTTP/1.1', {
      'x-after-path': '/new/sp/x',
    }),
    u(
      'set-path on an absolute-form URI',
      request('GET', 'http://a/sp/y?z', [], { host: 'a' }),
      'GET http://a/new/sp/y?z HTTP/1.1',
    ),
    u('set-pathq replaces path and query', GET('/spq/old?old=1'), 'GET /pq?x=1 HTTP/1.1', {
      'x-after-path': '/pq',
    }),
    u('set-query', GET('/sq/p?b=2'), 'GET /sq/p?a=1&b=2 HTTP/1.1'),
    u('set-query on a URI without one', GET('/sq/p'), 'GET /sq/p?a=1& HTTP/1.1'),
    u('set-query to empty keeps the question mark', GET('/sqe/p?drop=1'), 'GET /sqe/p? HTTP/1.1'),
    u('set-uri', GET('/su/x?y'), 'GET /uri/GET/su/x HTTP/1.1'),
    u(
      'set-uri to an absolute URI also sets Host',
      GET('/sua/x'),
      'GET http://other.example:8080/abs HTTP/1.1',
      {
        host: 'other.example:8080',
        'x-after-path': '/abs',
      },
    ),
    u('replace-path leaves the query', GET('/rp/a/b?k=v'), 'GET /replaced/a/b?k=v HTTP/1.1'),
    u('replace-pathq sees path and query', GET('/rpq/seg?k=v'), 'GET /pq/k=v/seg HTTP/1.1'),
    u('replace-uri', GET('/ru/a?b'), 'GET /uri-replaced/a?b HTTP/1.1'),
    u(
      'replace-uri on an absolute-form URI',
      request('GET', 'http://h.example/ra/z', [], { host: 'h.example' }),
      'GET /ra-local/h.example/z HTTP/1.1',
    ),
    u('replace-uri: no match, no change', GET('/ru'), 'GET /ru HTTP/1.1'),
    u('set-method', GET('/sm/x'), 'POST /sm/x HTTP/1.1'),
    u('set-method from a header', GET('/smf/x', ['X-Method: PURGE']), 'PURGE /smf/x HTTP/1.1'),
    u('no rule matches', GET('/other?x'), 'GET /other?x HTTP/1.1', { 'x-after-path': '/other' }),
  ]);
});

describe('redirect', () => {
  const r = (
    name: string,
    send: string,
    status: number,
    location: string | null,
    extra: Record<string, string | string[] | null> = {},
  ): RuleCase => ({
    name,
    frontend: 'redir',
    send,
    want: { status, forwarded: 0, headers: { location, ...extra } },
  });
  run([
    r('location, default code 302', GET('/r1'), 302, '/loc', {
      'content-length': '0',
      'cache-control': 'no-cache',
    }),
    ...[301, 302, 303, 307, 308].map((c) =>
      r(`location, code ${c}`, GET(`/r${c}`), c, '/loc', {
        'cache-control': c === 301 || c === 308 ? null : 'no-cache',
      }),
    ),
    r('prefix keeps path and query', GET('/r-prefix/a?b=1'), 302, '/pfx/r-prefix/a?b=1'),
    r('prefix with drop-query', GET('/r-drop/a?b=1'), 302, '/pfx/r-drop/a'),
    r('prefix with an absolute URL', GET('/r-abs/x?y'), 301, 'https://secure.example/r-abs/x?y'),
    r('prefix / + drop-query + append-slash', GET('/r-slash/dir?q'), 301, '/r-slash/dir/'),
    r('append-slash: already ends with a slash', GET('/r-slash/dir/?q'), 301, '/r-slash/dir/'),
    r(
      'append-slash without drop-query: the slash goes after the query',
      GET('/r-appendonly/x?q'),
      302,
      '/p/r-appendonly/x?q/',
    ),
    r('append-slash without drop-query, no query', GET('/r-appendonly/x'), 302, '/p/r-appendonly/x/'),
    r('scheme', GET('/r-scheme/x?y=1'), 302, 'https://a/r-scheme/x?y=1'),
    r('scheme with drop-query', GET('/d-scheme/x?y=1'), 302, 'https://a/d-scheme/x'),
    r(
      'scheme with a port in Host',
      request('GET', '/r-scheme', [], { host: 'h.example:8080' }),
      302,
      'https://h.example:8080/r-scheme',
    ),
    r(
      'scheme without Host (HTTP/1.0)',
      request('GET', '/r-scheme', [], { host: null, version: 'HTTP/1.0' }),
      302,
      'https:///r-scheme',
    ),
    r('set-cookie (ends with a semicolon)', GET('/r-cookie'), 302, '/c', { 'set-cookie': 'SEEN=1; path=/;' }),
    r('set-cookie without a value', GET('/r-cookie-flag'), 302, '/c', { 'set-cookie': 'FLAG; path=/;' }),
    r('clear-cookie', GET('/r-clear'), 302, '/c', { 'set-cookie': 'SEEN=; path=/; Max-Age=0;' }),
    r('clear-cookie without =', GET('/r-clear-flag'), 302, '/c', {
      'set-cookie': 'SEEN; path=/; Max-Age=0;',
    }),
    r('log-format location', GET('/r-lf', ['X-Target: /dyn?x=1']), 302, '/dyn?x=1'),
    r('log-format location, empty', GET('/r-lf'), 302, ''),
    r('ignore-empty: redirect when not empty', GET('/r-ignore', ['X-Target: /there']), 302, '/there'),
    {
      name: 'ignore-empty: an empty location skips the rule',
      frontend: 'redir',
      send: GET('/r-ignore'),
      want: { status: 200, forwarded: 1, headers: { location: null } },
    },
    r(
      'location built from Host and pathq',
      request('GET', '/r-host/p?q=1', [], { host: 'www.example' }),
      308,
      'https://www.example/r-host/p?q=1',
    ),
    r('redirect of an HTTP/1.0 request', request('GET', '/r1', [], { version: 'HTTP/1.0' }), 302, '/loc'),
    {
      name: 'redirect of a POST with a body closes the connection',
      frontend: 'redir',
      send: sequence([request('POST', '/r1', [], { body: 'payload' }), GET('/none')]),
      want: { status: [302], forwarded: 0, closed: true, headers: { connection: 'close' } },
      client: { idleMs: 300 },
    },
    {
      name: 'redirect of a POST with Content-Length: 0 keeps the connection',
      frontend: 'redir',
      send: sequence([request('POST', '/r1', ['Content-Length: 0']), GET('/none')]),
      want: { status: [302, 200], forwarded: 1, line: 'GET /none HTTP/1.1', headers: { connection: null } },
    },
    {
      name: 'redirect response to HEAD',
      frontend: 'redir',
      send: request('HEAD', '/r307'),
      client: { methods: ['HEAD'] },
      want: { status: 307, forwarded: 0, headers: { location: '/loc' } },
    },
  ]);
});

describe('deny, reject, allow', () => {
  const d = (name: string, send: string, want: RuleCase['want']): RuleCase => ({
    name,
    frontend: 'deny',
    send,
    want,
  });
  run([
    d('plain deny: 403 page, connection kept', GET('/d-plain'), {
      status: 403,
      forwarded: 0,
      body: /403 Forbidden/,
      closed: false,
      headers: { 'cache-control': 'no-cache', 'content-type': 'text/html' },
    }),
    d('deny_status 429', GET('/d-429'), { status: 429, forwarded: 0, body: /429 Too Many Requests/ }),
    d('deny_status 500', GET('/d-500'), { status: 500, forwarded: 0 }),
    d('deny_status 400 closes the connection', GET('/d-400'), { status: 400, forwarded: 0, closed: true }),
    d('deny with a string body', GET('/d-string'), {
      status: 404,
      forwarded: 0,
      body: 'gone',
      headers: { 'content-type': 'text/plain' },
    }),
    d('deny with lf-string and hdr', GET('/d-lf/x'), {
      status: 403,
      forwarded: 0,
      body: 'denied /d-lf/x',
      headers: { 'x-why': 'policy', 'x-path': '/d-lf/x' },
    }),
    d('deny with an errorfile', GET('/d-errorfile'), {
      status: 503,
      forwarded: 0,
      body: 'custom 503 !\n',
      headers: { 'x-from': 'errorfile' },
    }),
    d('deny with a non-standard status and a string', GET('/d-418'), {
      status: 418,
      forwarded: 0,
      body: 'teapot',
    }),
    d('deny with status 200', GET('/d-200'), { status: 200, forwarded: 0 }),
    d('reject closes without a response', GET('/reject'), {
      status: [],
      forwarded: 0,
      closed: true,
      extra: (o) => expect(o.raw.client.data.length, `${o.side.name}: no byte`).toBe(0),
    }),
    d('allow stops the frontend rules (the later deny is not applied)', GET('/allow/x'), {
      status: 200,
      forwarded: 1,
      up: { 'x-fe-rule': null, 'x-be-rule': 'passed' },
    }),
    d('no rule matches: passes both sections', GET('/pass'), {
      status: 200,
      forwarded: 1,
      up: { 'x-fe-rule': 'passed', 'x-be-rule': 'passed' },
    }),
    d('deny in the backend section', GET('/be-deny'), { status: 403, forwarded: 0 }),
    d('backend deny condition not met', GET('/be-deny', ['X-Pass: 1']), {
      status: 200,
      forwarded: 1,
      up: { 'x-be-rule': 'passed' },
    }),
    {
      name: 'deny then another request on the same connection',
      frontend: 'deny',
      send: sequence([GET('/d-string'), GET('/pass')]),
      want: { status: [404, 200], forwarded: 1 },
      client: { idleMs: 300 },
    },
    d(
      'deny of a POST whose body was sent: connection kept',
      request('POST', '/d-plain', [], { body: 'abcdef' }),
      {
        status: 403,
        forwarded: 0,
        closed: false,
      },
    ),
  ]);
});

describe('return', () => {
  const r = (name: string, send: string, want: RuleCase['want']): RuleCase => ({
    name,
    frontend: 'ret',
    send,
    want: { forwarded: 0, ...want },
  });
  run([
    r('no argument: empty 200', GET('/ret-empty'), {
      status: 200,
      body: '',
      headers: { 'content-length': '0', 'content-type': null },
    }),
    r('status only', GET('/ret-201'), { status: 201, body: '' }),
    r('content-type without a payload is ignored', GET('/ret-ct-only'), {
      status: 404,
      body: '',
      headers: { 'content-type': null },
    }),
    r('string', GET('/ret-string'), {
      status: 200,
      body: 'hi there',
      headers: { 'content-type': 'text/plain', 'content-length': '8' },
    }),
    r('lf-string JSON', GET('/ret-json/a?b=c'), {
      status: 200,
      body: '{"p":"/ret-json/a","q":"b=c"}',
      headers: { 'content-type': 'application/json' },
    }),
    r('file', GET('/ret-file'), {
      status: 200,
      body: '<p>static page</p>\n',
      headers: { 'content-type': 'text/html' },
    }),
    r('lf-file', GET('/ret-lf-file/z'), { status: 200, body: 'path=/ret-lf-file/z method=GET\n' }),
    r('empty file', GET('/ret-empty-file'), { status: 200, body: '' }),
    r('errorfile', GET('/ret-errorfile'), {
      status: 503,
      body: 'custom 503 !\n',
      headers: { 'x-from': 'errorfile' },
    }),
    r('default-errorfiles', GET('/ret-default-errorfiles'), { status: 403, body: /403 Forbidden/ }),
    r('hdr arguments (302 reason differs from a redirect rule)', GET('/ret-hdr'), {
      status: 302,
      reason: 'Moved Temporarily',
      body: '',
      headers: { location: '/elsewhere', 'x-a': '1', 'x-b': '/ret-hdr' },
    }),
    r('hdr Content-Length is not taken from the rule', GET('/ret-cl'), { status: 200, body: 'ok' }),
    {
      name: 'return to a HEAD request: no body',
      frontend: 'ret',
      send: request('HEAD', '/ret-head'),
      client: { methods: ['HEAD'] },
      want: { status: 200, forwarded: 0, body: '' },
    },
    r('return to HTTP/1.0 closes', request('GET', '/ret-string', [], { version: 'HTTP/1.0' }), {
      status: 200,
      body: 'hi there',
      closed: true,
    }),
    r('Connection: close is honoured', GET('/ret-string', ['Connection: close']), {
      status: 200,
      closed: true,
    }),
    {
      name: 'three returns on one connection',
      frontend: 'ret',
      send: sequence([GET('/ret-string'), GET('/ret-201'), GET('/ret-json/x')]),
      want: { status: [200, 201, 200], forwarded: 0, bodies: ['hi there', '', '{"p":"/ret-json/x","q":""}'] },
    },
  ]);
});

describe('auth and userlists', () => {
  const a = (name: string, path: string, headers: readonly string[], want: RuleCase['want']): RuleCase => ({
    name,
    frontend: 'auth',
    send: GET(path, headers),
    want,
  });
  const basic = (b64: string) => `Authorization: Basic ${b64}`;
  run([
    a('no credentials: 401 with the realm', '/private', [], {
      status: 401,
      forwarded: 0,
      headers: { 'www-authenticate': 'Basic realm="Private Zone"' },
    }),
    a('wrong password', '/private', [basic('YWxpY2U6d3Jvbmc=')], { status: 401, forwarded: 0 }),
    a('right password: forwarded with the Authorization header', '/private', [basic('YWxpY2U6c2VjcmV0')], {
      status: 200,
      forwarded: 1,
      up: {
        authorization: 'Basic YWxpY2U6c2VjcmV0',
        'x-user': 'alice',
        'x-auth-type': 'Basic',
        'x-group': 'alice',
      },
    }),
    a('crypt(3) SHA-256 password', '/private', [basic('Y2Fyb2w6czNjcmV0')], {
      status: 200,
      forwarded: 1,
      up: { 'x-user': 'carol' },
    }),
    a('unknown user', '/private', [basic(Buffer.from('mallory:secret').toString('base64'))], {
      status: 401,
      forwarded: 0,
    }),
    a('not base64', '/private', ['Authorization: Basic !!!'], { status: 401, forwarded: 0 }),
    a('another scheme', '/private', ['Authorization: Bearer abc'], { status: 401, forwarded: 0 }),
    a('group member on /admin (http_auth_group returns the user name)', '/admin', [basic('Ym9iOnB3')], {
      status: 200,
      forwarded: 1,
      up: { 'x-user': 'bob', 'x-group': 'bob' },
    }),
    a('scheme in lower case', '/private', ['Authorization: basic YWxpY2U6c2VjcmV0'], {
      status: 200,
      forwarded: 1,
      up: { 'x-user': 'alice' },
    }),
    a('non-member on /admin: realm is the proxy name', '/admin', [basic('YWxpY2U6c2VjcmV0')], {
      status: 401,
      forwarded: 0,
      headers: { 'www-authenticate': 'Basic realm="auth"' },
    }),
    a('escaped space in the realm', '/quoted', [], {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="Basic realm"' },
    }),
    a('public path without credentials', '/public', [], {
      status: 200,
      forwarded: 1,
      up: { 'x-user': null, 'x-auth-type': '' },
    }),
    {
      name: '401 then authenticated on the same connection',
      frontend: 'auth',
      send: sequence([GET('/private'), GET('/private', [basic('YWxpY2U6c2VjcmV0')])]),
      want: { status: [401, 200], forwarded: 1 },
      client: { idleMs: 300 },
    },
  ]);
});

describe('tarpit', () => {
  const between = (lo: number, hi: number) => (o: Observed) => {
    const t = o.raw.client.firstByteMs;
    expect(t, `${o.side.name}: first byte after ${t} ms`).toBeGreaterThanOrEqual(lo);
    expect(t, `${o.side.name}: first byte after ${t} ms`).toBeLessThanOrEqual(hi);
  };
  run([
    {
      name: 'tarpit: 500 after the tarpit timeout',
      frontend: 'tarpit',
      send: GET('/tarpit'),
      client: { idleMs: 1500 },
      want: { status: 500, forwarded: 0, extra: between(340, 2000) },
    },
    {
      name: 'tarpit with deny_status 429',
      frontend: 'tarpit',
      send: GET('/tarpit-429'),
      client: { idleMs: 1500 },
      want: { status: 429, forwarded: 0, extra: between(340, 2000) },
    },
    {
      name: 'not tarpitted: at once',
      frontend: 'tarpit',
      send: GET('/fast'),
      want: { status: 200, forwarded: 1, extra: between(0, 300) },
    },
  ]);
});

describe('rule order and switching', () => {
  const o = (name: string, send: string, want: RuleCase['want']): RuleCase => ({
    name,
    frontend: 'order',
    send,
    want,
  });
  run([
    o('frontend rules, then the backend rules', GET('/x'), {
      status: 200,
      up: { 'x-order': ['fe1', 'fe2', 'fe3', 'be-a'], 'x-fe-var': 'from-fe' },
    }),
    o('a header set by a rule chooses the backend', GET('/to-b'), {
      status: 200,
      up: { 'x-order': ['fe1', 'fe2', 'fe3', 'be-b'], 'x-route': 'b' },
    }),
    o('a path rewritten by a rule chooses the backend', GET('/to-rw/p'), {
      status: 200,
      line: 'GET /rewritten/to-rw/p HTTP/1.1',
      up: { 'x-be-path': '/rewritten/to-rw/p' },
    }),
    o('allow in the frontend skips its later rules, not the backend ones', GET('/allow'), {
      status: 200,
      up: { 'x-order': ['fe1', 'fe2', 'be-a'] },
    }),
    o('client X-Route header is seen by use_backend', GET('/y', ['X-Route: b']), {
      status: 200,
      up: { 'x-order': ['fe1', 'fe2', 'fe3', 'be-b'] },
    }),
  ]);
});

describe('monitor-uri', () => {
  run([
    {
      name: 'monitor-uri answers 200',
      frontend: 'mon',
      send: GET('/health'),
      want: { status: 200, forwarded: 0 },
    },
    {
      name: 'monitor-uri with a query is not the monitor URI',
      frontend: 'mon',
      send: GET('/health?x'),
      want: { status: 200, forwarded: 1 },
    },
    {
      name: 'other paths are forwarded',
      frontend: 'mon',
      send: GET('/healthz'),
      want: { status: 200, forwarded: 1 },
    },
    {
      name: 'monitor fail answers 503',
      frontend: 'monfail',
      send: GET('/health'),
      want: { status: 503, forwarded: 0 },
    },
    {
      name: 'monitor fail does not affect other paths',
      frontend: 'monfail',
      send: GET('/x'),
      want: { status: 200, forwarded: 1 },
    },
    {
      name: 'monitor-uri, HTTP/1.0',
      frontend: 'mon',
      send: request('GET', '/health', [], { version: 'HTTP/1.0', host: null }),
      want: { status: 200, forwarded: 0, closed: true },
    },
  ]);
});
