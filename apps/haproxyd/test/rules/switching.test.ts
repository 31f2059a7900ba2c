// Differential: content switching and error pages. use_backend with ACLs (first match wins),
// unless, dynamic names (`use_backend be_%[...]`, a name that does not exist, a map lookup),
// default_backend, no backend at all (503), use_backend in a listen section, use-server, the
// legacy `redirect` keyword in frontends and backends, errorfile, errorfiles + http-errors,
// http-error, errorloc/errorloc303, and which section's error page answers.
//
// Every backend section sends to the same recording server and adds `X-Be: <its name>` (a
// fixed value, plus `be_name` for the dynamic cases): the request the server receives shows
// which backend was chosen. use-server is shown by `X-Srv: %[srv_name]` in the response.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Pair, startPair } from '../http/harness.ts';
import { DEFAULTS, fileDir, frontend, GET, type RuleCase, request, sequence, toCase } from './common.ts';

const files = fileDir('switch');
const FILES = {
  HOSTMAP: files.write('hosts.map', 'alpha.example be_a\nbeta.example be_b\nnowhere.example be_missing\n'),
  FE503: files.write(
    'fe503.http',
    'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nfrontend 503\n',
  ),
  BE503: files.write(
    'be503.http',
    'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nbackend 503\n',
  ),
  E403: files.write(
    '403.http',
    'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Errors: site\r\nContent-Length: 10\r\n\r\nsite 403!\n',
  ),
  E404: files.write(
    '404.http',
    'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nsite 404\n',
  ),
  E400: files.write(
    '400.http',
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 8\r\n\r\nbad one\n',
  ),
  E503B: files.write('503b.http', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n\r\nerrors 503'),
};

/** A backend that marks the requests it forwards. */
function markedBackend(name: string, lines: readonly string[] = []): string[] {
  return [
    `backend ${name}`,
    `  http-request set-header X-Be ${name}`,
    ...lines.map((l) => `  ${l}`),
    `  server s1 \${BE}`,
  ];
}

const TEMPLATE = [
  ...DEFAULTS,
  'http-errors site',
  `  errorfile 403 \${E403}`,
  `  errorfile 404 \${E404}`,
  `  errorfile 503 \${E503B}`,
  ...frontend('sw', [
    'acl is_a path_beg /a',
    'acl is_b path_beg /b',
    'use_backend be_a if is_a',
    'use_backend be_b if is_b',
    'use_backend be_c if is_a || { req.hdr(x-c) -m found }',
    'use_backend be_b unless { req.hdr(x-not-b) -m found } || !{ path_beg /unless }',
    'http-request set-var(txn.route) req.hdr(x-route)',
    'use_backend be_c if { var(txn.route) -m str c }',
    'default_backend be_default',
  ]),
  ...frontend('dyn', [
    'use_backend be_%[req.hdr(x-be)] if { req.hdr(x-be) -m found }',
    `use_backend %[req.hdr(host),lower,map(\${HOSTMAP})] if { req.hdr(host),lower,map(\${HOSTMAP}) -m found }`,
    'use_backend be_c if { path_beg /after-dynamic }',
    'default_backend be_default',
  ]),
  ...frontend('nodef', ['use_backend be_a if { path_beg /a }']),
  'listen lst',
  `  bind \${FE_lst}`,
  '  http-request set-header X-Be lst-own-servers',
  '  use_backend be_b if { path_beg /b }',
  `  server s1 \${BE}`,
  'backend be_srv',
  '  balance first',
  '  http-request set-header X-Be be_srv',
  '  use-server s2 if { req.hdr(x-srv) s2 }',
  '  use-server s3 if { req.hdr(x-srv) s3 }',
  '  use-server s1 unless { req.hdr(x-srv) -m found }',
  '  http-response set-header X-Srv %[srv_name]',
  `  server s1 \${BE}`,
  `  server s2 \${BE}`,
  `  server s3 \${BE} disabled`,
  ...frontend('srv', ['default_backend be_srv']),
  ...frontend('redir', [
    'redirect location /fe-moved code 301 if { path /old }',
    'redirect prefix /pfx if { path_beg /p/ }',
    'redirect scheme https if { path_beg /s/ }',
    'http-request set-header X-Before-Redirect 1',
    'use_backend be_redir if { path_beg /be/ }',
    'default_backend be_default',
  ]),
  ...frontend('err', [
    `errorfile 503 \${FE503}`,
    `errorfile 400 \${E400}`,
    'http-request deny deny_status 403 errorfiles site if { path /deny-site }',
    'http-request deny deny_status 404 errorfiles site if { path /deny-404 }',
    'http-request deny if { path /deny-plain }',
    'http-request deny deny_status 400 if { path /deny-400 }',
    'http-request return status 503 default-errorfiles if { path /return-503 }',
    'use_backend be_off_page if { path /be-page }',
    'use_backend be_off_nopage if { path /fe-page }',
    'use_backend be_off_errors if { path /errors-page }',
    'use_backend be_off_loc if { path /loc-page }',
    'use_backend be_off_loc303 if { path /loc303-page }',
    'use_backend be_off_http_error if { path /http-error-page }',
    'default_backend be_default',
  ]),
  ...frontend('errs', [
    'errorfiles site',
    'http-request deny if { path /deny }',
    'http-request deny deny_status 500 if { path /deny-500 }',
    'default_backend be_off_nopage',
  ]),
  ...markedBackend('be_a'),
  ...markedBackend('be_b'),
  ...markedBackend('be_c', ['http-request set-header X-Be-Name %[be_name]']),
  ...markedBackend('be_default', ['http-request set-header X-Be-Name %[be_name]']),
  ...markedBackend('be_redir', ['redirect location /be-moved if { path /be/old }']),
  'backend be_off_page',
  `  errorfile 503 \${BE503}`,
  `  server s1 \${BE} disabled`,
  'backend be_off_nopage',
  `  server s1 \${BE} disabled`,
  'backend be_off_errors',
  '  errorfiles site 503',
  `  server s1 \${BE} disabled`,
  'backend be_off_loc',
  '  errorloc 503 /maintenance',
  `  server s1 \${BE} disabled`,
  'backend be_off_loc303',
  '  errorloc303 503 /maintenance',
  `  server s1 \${BE} disabled`,
  'backend be_off_http_error',
  '  http-error status 503 content-type text/plain string "http-error 503"',
  `  server s1 \${BE} disabled`,
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({
    template: TEMPLATE,
    frontends: ['sw', 'dyn', 'nodef', 'lst', 'srv', 'redir', 'err', 'errs'],
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

/** The request reaches the backend through `be` (null: it reaches no backend). */
const via = (
  name: string,
  frontend: string,
  send: string,
  be: string | null,
  up: Record<string, string | null> = {},
): RuleCase => ({
  name,
  frontend,
  send,
  want: be === null ? { forwarded: 0 } : { status: 200, forwarded: 1, up: { 'x-be': be, ...up } },
});

describe('use_backend', () => {
  run([
    via('first matching rule wins', 'sw', GET('/a/x'), 'be_a'),
    via('second rule', 'sw', GET('/b/x'), 'be_b'),
    via('a later rule with an OR', 'sw', GET('/x', ['X-C: 1']), 'be_c', { 'x-be-name': 'be_c' }),
    via('the first of two matching rules', 'sw', GET('/a/x', ['X-C: 1']), 'be_a'),
    via('unless', 'sw', GET('/unless/x'), 'be_b'),
    via('unless, condition true', 'sw', GET('/unless/x', ['X-Not-B: 1']), 'be_default'),
    via('condition on a variable set by an http-request rule', 'sw', GET('/v', ['X-Route: c']), 'be_c'),
    via('no rule matches: default_backend', 'sw', GET('/zzz'), 'be_default', { 'x-be-name': 'be_default' }),
    {
      name: 'each request of a keep-alive connection is switched on its own',
      frontend: 'sw',
      send: sequence([GET('/a/1'), GET('/b/2'), GET('/z/3')]),
      want: {
        status: [200, 200, 200],
        ups: [{ 'x-be': 'be_a' }, { 'x-be': 'be_b' }, { 'x-be': 'be_default' }],
      },
    },
    via('dynamic name from a header', 'dyn', GET('/d', ['X-Be: b']), 'be_b'),
    via('dynamic name with a different suffix', 'dyn', GET('/d', ['X-Be: c']), 'be_c', {
      'x-be-name': 'be_c',
    }),
    via(
      'dynamic name that does not exist: default_backend, later rules skipped',
      'dyn',
      GET('/after-dynamic', ['X-Be: nope']),
      'be_default',
    ),
    via('dynamic name from a map', 'dyn', GET('/d').replace('Host: a', 'Host: Alpha.Example'), 'be_a'),
    via(
      'map gives a name that does not exist',
      'dyn',
      GET('/after-dynamic').replace('Host: a', 'Host: nowhere.example'),
      'be_default',
    ),
    via(
      'map has no entry: the next rule',
      'dyn',
      GET('/after-dynamic').replace('Host: a', 'Host: other.example'),
      'be_c',
    ),
    {
      name: 'no default_backend and no match: 503',
      frontend: 'nodef',
      send: GET('/x'),
      want: { status: 503, forwarded: 0, body: /503 Service Unavailable/ },
    },
    via('no default_backend, a rule matches', 'nodef', GET('/a'), 'be_a'),
    via('listen: use_backend', 'lst', GET('/b/1'), 'be_b'),
    via('listen: its own servers otherwise', 'lst', GET('/x'), 'lst-own-servers'),
  ]);
});

describe('use-server', () => {
  const s = (name: string, headers: readonly string[], srv: string): RuleCase => ({
    name,
    frontend: 'srv',
    send: GET('/s', headers),
    want: { status: 200, forwarded: 1, headers: { 'x-srv': srv }, up: { 'x-be': 'be_srv' } },
  });
  run([
    s('rule picks s2', ['X-Srv: s2'], 's2'),
    s('unless picks s1', [], 's1'),
    s('a disabled server is skipped: load balancing (first) decides', ['X-Srv: s3'], 's1'),
    {
      name: 'use-server on each request of a connection',
      frontend: 'srv',
      send: sequence([GET('/1', ['X-Srv: s2']), GET('/2'), GET('/3', ['X-Srv: s2'])]),
      want: { status: [200, 200, 200], forwarded: 3 },
    },
  ]);
});

describe('the redirect keyword', () => {
  const r = (name: string, send: string, status: number, location: string): RuleCase => ({
    name,
    frontend: 'redir',
    send,
    want: { status, forwarded: 0, headers: { location } },
  });
  run([
    r('frontend: location with a code', GET('/old'), 301, '/fe-moved'),
    r('frontend: prefix', GET('/p/x?q'), 302, '/pfx/p/x?q'),
    r('frontend: scheme', GET('/s/x'), 302, 'https://a/s/x'),
    r('backend: location', GET('/be/old'), 302, '/be-moved'),
    via('backend: not matching, forwarded after the frontend rules', 'redir', GET('/be/new'), 'be_redir', {
      'x-before-redirect': '1',
    }),
    via('no redirect', 'redir', GET('/n'), 'be_default', { 'x-before-redirect': '1' }),
  ]);
});

describe('error pages', () => {
  const e = (name: string, frontend: string, send: string, want: RuleCase['want']): RuleCase => ({
    name,
    frontend,
    send,
    want: { forwarded: 0, ...want },
  });
  run([
    e('deny with errorfiles: the http-errors page', 'err', GET('/deny-site'), {
      status: 403,
      body: 'site 403!\n',
      headers: { 'x-errors': 'site' },
    }),
    e('deny 404 with errorfiles', 'err', GET('/deny-404'), { status: 404, body: 'site 404\n' }),
    e('plain deny: the default 403 page (no errorfile 403 here)', 'err', GET('/deny-plain'), {
      status: 403,
      body: /403 Forbidden/,
    }),
    e('return default-errorfiles: the frontend errorfile', 'err', GET('/return-503'), {
      status: 503,
      body: 'frontend 503\n',
    }),
    e('503 of a backend with its own errorfile', 'err', GET('/be-page'), {
      status: 503,
      body: 'backend 503\n',
    }),
    e('503 of a backend without one: the frontend errorfile', 'err', GET('/fe-page'), {
      status: 503,
      body: 'frontend 503\n',
    }),
    e('503 of a backend with errorfiles', 'err', GET('/errors-page'), { status: 503, body: 'errors 503' }),
    e('errorloc: 302 to the URL', 'err', GET('/loc-page'), {
      status: 302,
      headers: { location: '/maintenance' },
    }),
    e('errorloc303: 303 to the URL', 'err', GET('/loc303-page'), {
      status: 303,
      headers: { location: '/maintenance' },
    }),
    e('http-error in the backend', 'err', GET('/http-error-page'), { status: 503, body: 'http-error 503' }),
    e('errorfile 400 for a deny_status 400', 'err', GET('/deny-400'), {
      status: 400,
      body: 'bad one\n',
      closed: true,
    }),
    e(
      'a request the parser refuses gets the built-in 400 page, not the errorfile',
      'err',
      'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
      {
        status: 400,
        body: /Your browser sent an invalid request/,
        closed: true,
      },
    ),
    e('errorfiles imported whole: deny', 'errs', GET('/deny'), { status: 403, body: 'site 403!\n' }),
    e('errorfiles imported whole: 503 of the backend', 'errs', GET('/x'), {
      status: 503,
      body: 'errors 503',
    }),
    e('errorfiles without a 500 page: the default one', 'errs', GET('/deny-500'), {
      status: 500,
      body: /500 Internal Server Error/,
    }),
    {
      name: 'HEAD: the error page without its body',
      frontend: 'errs',
      send: request('HEAD', '/deny'),
      client: { methods: ['HEAD'] },
      want: { status: 403, forwarded: 0, body: '', headers: { 'content-length': '10' } },
    },
  ]);
});
