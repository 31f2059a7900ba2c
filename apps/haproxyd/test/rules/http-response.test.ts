// Differential: http-response and http-after-response rules. Header actions, set-status (with
// a reason), deny, return, redirect, allow, set-var, conditions on the status and on response
// headers, the order backend-then-frontend, rules of a named defaults section, and
// http-after-response on server responses and on responses HAProxy generates itself (return,
// deny, redirect, 503, auth, errors).
//
// The recording backend answers what the request asks for: `X-Status: <code> [reason]`,
// each `X-Reply: Name: value` becomes a response header, `X-Body: text` the body.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Pair, startPair } from '../http/harness.ts';
import type { Script } from '../http/peers.ts';
import { DEFAULTS, frontend, GET, type RuleCase, request, sequence, toCase } from './common.ts';

/** Answers each request as its X-Status / X-Reply / X-Body headers say. */
const reply: Script = {
  onRequest: ({ request: r, index }) => {
    const h = (n: string) => r.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    const [code, ...reason] = (h('x-status')[0] ?? '200 OK').split(' ');
    const body = h('x-body')[0] ?? `body ${index}\n`;
    const head = [
      `HTTP/1.1 ${code} ${reason.join(' ') || 'Whatever'}`,
      ...h('x-reply'),
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    ].join('\r\n');
    return [`${head}\r\n\r\n${r.startLine.startsWith('HEAD ') ? '' : body}`];
  },
};

const TEMPLATE = [
  ...DEFAULTS.map((l) => (l === 'defaults' ? 'defaults base' : l)),
  ...frontend('resp', [
    'http-response set-header X-Set fe-set',
    'http-response add-header X-Added added',
    'http-response del-header X-Secret',
    'http-response del-header x-internal- -m beg',
    'http-response replace-header Set-Cookie (.*)path=/old(.*) \\1path=/new\\2',
    'http-response replace-value Cache-Control ^private$ public',
    'http-response set-header X-Status %[status]',
    'http-response set-header X-Res-Values "%[res.hdr(x-list)]|%[res.hdr(x-list,1)]|%[res.hdr_cnt(x-list)]|%[res.fhdr(x-list)]|%[res.fhdr_cnt(x-list)]|%[res.cook(c)]|%[res.ver]"',
    'http-request set-var(txn.path) path',
    'http-request set-var(txn.mark) req.hdr(x-mark)',
    'http-response set-header X-Req-In-Res "%[method] %[var(txn.path)] %[var(txn.mark)]"',
    'http-response set-var(txn.rv) res.hdr(x-v)',
    'http-response set-header X-Var %[var(txn.rv)] if { var(txn.rv) -m found }',
    'http-response allow if { res.hdr(x-allow) -m found }',
    'http-response add-header X-After-Allow yes',
    'http-response set-status 299 if { status 200 } { res.hdr(x-make-299) -m found }',
    'http-response set-status 404 reason "Not Here" if { res.hdr(x-make-404) -m found }',
    'http-response set-status 503 if { status 500 }',
    'http-response set-status 200 reason OK if { status 201 } { res.hdr(x-normalise) -m found }',
    'http-response deny if { res.hdr(x-leak) -m found }',
    'http-response deny deny_status 403 if { res.hdr(x-leak403) -m found }',
    'http-response return status 200 content-type text/plain string "replaced by haproxy" if { status 418 }',
    'http-response redirect location /moved code 301 if { status 410 }',
    'http-response add-header X-Class 4xx if { status 400:499 }',
    'http-response add-header X-Class text if { res.hdr(content-type) -m beg text/ }',
    'http-response replace-header X-Loc ^/(.*)$ /prefix/\\1-%[status]',
    'http-response del-header Content-Type if { res.hdr(x-drop-ct) -m found }',
    'http-response add-header X-Big yes if { res.hdr_val(content-length) gt 20 }',
    'http-response add-header X-Unless yes unless { status 200 }',
    'http-response return status 200 content-type text/plain lf-string "was %[status] %[res.hdr(x-v)]" if { status 419 }',
    'http-response add-header X-Order fe',
    'default_backend be_resp',
  ]),
  ...frontend('after', [
    'http-request return status 200 content-type text/plain string local if { path /local }',
    'http-request deny if { path /deny }',
    'http-request redirect location /r if { path /redir }',
    'http-request auth realm r if { path /auth }',
    'http-request set-var(txn.p) path',
    'use_backend be_off if { path /noserver }',
    'use_backend be_dead if { path /dead }',
    'http-response add-header X-Order fe-response',
    'http-after-response set-header X-After "%[status] %[var(txn.p)]"',
    'http-after-response add-header X-Order fe-after',
    'http-after-response del-header X-Strip',
    'http-after-response set-status 299 reason Rewritten if { status 201 }',
    'http-after-response allow if { status 202 }',
    'http-after-response add-header X-Past-Allow yes',
    'http-after-response replace-header Location ^/r$ /r-after',
    'default_backend be_after',
  ]),
  'listen lst from base',
  `  bind \${FE_lst}`,
  '  http-request set-header X-Lst-Req 1',
  '  http-response set-header X-Lst-Res %[status]',
  '  http-after-response add-header X-Lst-After 1',
  `  server s1 \${BE}`,
  'backend be_resp from base',
  '  http-response add-header X-Order be',
  '  http-response set-header X-Be-Saw-Status %[status]',
  '  http-response set-header X-Be-Saw-Set %[res.hdr(x-set)]',
  `  server s1 \${BE}`,
  'backend be_after from base',
  '  http-response add-header X-Order be-response',
  '  http-after-response add-header X-Order be-after',
  `  server s1 \${BE}`,
  'backend be_plain from base',
  `  server s1 \${BE}`,
  'backend be_off from base',
  '  http-after-response add-header X-Order be-off-after',
  `  server s1 \${BE} disabled`,
  'backend be_dead from base',
  '  timeout connect 200ms',
  '  retries 0',
  `  server s1 \${DEAD}`,
  'defaults fe_rules from base',
  '  http-response add-header X-Order defaults',
  '  http-after-response add-header X-Order defaults-after',
  'frontend dfe from fe_rules',
  `  bind \${FE_dfe}`,
  '  http-response add-header X-Order fe',
  '  http-after-response add-header X-Order fe-after',
  '  default_backend be_plain',
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['resp', 'after', 'dfe', 'lst'] });
});
afterAll(async () => {
  await pair?.close();
});

const run = (cases: RuleCase[]) =>
  it.each(cases.map(toCase))('$name', async (c) => {
    await pair.check(c);
  });

/** A request to `frontend` asking the backend for a status and headers. */
function ask(
  path: string,
  status: string,
  replyHeaders: readonly string[] = [],
  extra: readonly string[] = [],
): string {
  return GET(path, [`X-Status: ${status}`, ...replyHeaders.map((h) => `X-Reply: ${h}`), ...extra]);
}

describe('http-response rules', () => {
  const r = (name: string, send: string, want: RuleCase['want']): RuleCase => ({
    name,
    frontend: 'resp',
    send,
    script: reply,
    want,
  });
  run([
    r('plain 200: set, add, status, order backend then frontend', ask('/a', '200 OK'), {
      status: 200,
      headers: {
        'x-set': 'fe-set',
        'x-added': 'added',
        'x-status': '200',
        'x-order': ['be', 'fe'],
        'x-be-saw-status': '200',
        'x-be-saw-set': '',
        'x-after-allow': 'yes',
        'x-class': null,
      },
    }),
    r(
      'set-header replaces the server value, add-header appends',
      ask('/a', '200 OK', ['X-Set: server', 'X-Added: server']),
      {
        status: 200,
        headers: { 'x-set': 'fe-set', 'x-added': ['server', 'added'] },
      },
    ),
    r(
      'del-header, exact and -m beg',
      ask('/a', '200 OK', ['X-Secret: s', 'x-secret: t', 'X-Internal-Id: 1', 'X-Internal: kept']),
      {
        status: 200,
        headers: { 'x-secret': null, 'x-internal-id': null, 'x-internal': 'kept' },
      },
    ),
    r(
      'replace-header on Set-Cookie lines',
      ask('/a', '200 OK', ['Set-Cookie: a=1; path=/old/x', 'Set-Cookie: b=2; path=/keep']),
      {
        status: 200,
        headers: { 'set-cookie': ['a=1; path=/new/x', 'b=2; path=/keep'] },
      },
    ),
    r(
      'replace-value on Cache-Control',
      ask('/a', '200 OK', ['Cache-Control: private, max-age=5', 'Cache-Control: private']),
      {
        status: 200,
        headers: { 'cache-control': ['public, max-age=5', 'public'] },
      },
    ),
    r(
      'response fetches',
      ask('/a', '200 OK', ['X-List: a, b', 'X-List: c', 'Set-Cookie: c=v1', 'Set-Cookie: d=v2']),
      {
        status: 200,
        headers: { 'x-res-values': 'c|a|3|c|2|v1|1.1' },
      },
    ),
    r('request fetches in response rules', ask('/req/x?y', '200 OK', [], ['X-Mark: m1']), {
      status: 200,
      headers: { 'x-req-in-res': 'GET /req/x m1' },
    }),
    r('set-var from a response header', ask('/a', '200 OK', ['X-V: from-server']), {
      status: 200,
      headers: { 'x-var': 'from-server' },
    }),
    r('allow stops the later rules', ask('/a', '200 OK', ['X-Allow: 1', 'X-Make-299: 1']), {
      status: 200,
      headers: { 'x-after-allow': null, 'x-order': 'be', 'x-set': 'fe-set' },
    }),
    r(
      'set-status without a reason on an unknown code: the class reason',
      ask('/a', '200 OK', ['X-Make-299: 1']),
      { status: 299, reason: 'Success' },
    ),
    r('set-status with a reason', ask('/a', '200 OK', ['X-Make-404: 1']), {
      status: 404,
      reason: 'Not Here',
      headers: { 'x-class': '4xx' },
    }),
    r('set-status without a reason takes the standard one', ask('/a', '500 Oops'), {
      status: 503,
      reason: 'Service Unavailable',
    }),
    r('set-status with reason OK', ask('/a', '201 Created', ['X-Normalise: 1']), {
      status: 200,
      reason: 'OK',
    }),
    r('condition on the status range', ask('/a', '404 Not Found'), {
      status: 404,
      headers: { 'x-class': '4xx', 'x-status': '404' },
    }),
    r('condition on the content type', ask('/a', '200 OK', ['Content-Type: text/html']), {
      status: 200,
      headers: { 'x-class': 'text' },
    }),
    r('deny: 502 to the client', ask('/a', '200 OK', ['X-Leak: 1']), {
      status: 502,
      forwarded: 1,
      body: /502 Bad Gateway/,
      headers: { 'x-leak': null, 'x-set': null },
    }),
    r('deny with deny_status 403', ask('/a', '200 OK', ['X-Leak403: 1']), {
      status: 403,
      forwarded: 1,
      headers: { 'x-set': null },
    }),
    r('return replaces the server response', ask('/a', '418 Teapot'), {
      status: 200,
      body: 'replaced by haproxy',
      headers: { 'x-set': null, 'x-order': null },
    }),
    r('redirect from a response rule', ask('/a', '410 Gone'), {
      status: 301,
      headers: { location: '/moved', 'x-set': null },
    }),
    r('rules on a HEAD response', request('HEAD', '/h', ['X-Status: 200 OK']), {
      status: 200,
      headers: { 'x-set': 'fe-set' },
    }),
    r('rules on a 204', ask('/a', '204 No Content'), {
      status: 204,
      headers: { 'x-set': 'fe-set', 'x-status': '204' },
    }),
    r('rules on a 304', ask('/a', '304 Not Modified'), { status: 304, headers: { 'x-set': 'fe-set' } }),
    r('replace-header with a log-format replacement', ask('/a', '200 OK', ['X-Loc: /x/y']), {
      status: 200,
      headers: { 'x-loc': '/prefix/x/y-200' },
    }),
    r('del-header Content-Type', ask('/a', '200 OK', ['Content-Type: text/plain', 'X-Drop-Ct: 1']), {
      status: 200,
      headers: { 'content-type': null, 'x-class': 'text' },
    }),
    r(
      'condition on an integer response header',
      GET('/a', ['X-Status: 200 OK', 'X-Body: 0123456789012345678901234']),
      {
        status: 200,
        body: '0123456789012345678901234',
        headers: { 'x-big': 'yes', 'x-unless': null },
      },
    ),
    r('unless', ask('/a', '202 Accepted'), { status: 202, headers: { 'x-unless': 'yes' } }),
    r(
      'return with lf-string: the server status and headers are already gone',
      ask('/a', '419 Whatever', ['X-V: v9']),
      {
        status: 200,
        body: 'was  ',
        headers: { 'x-set': null },
      },
    ),
    {
      name: 'HTTP/1.0 server response',
      frontend: 'resp',
      send: GET('/a'),
      script: { onRequest: () => ['HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold\n'] },
      want: { status: 200, body: 'old\n', headers: { 'x-set': 'fe-set', 'x-res-values': '||0||0||1.0' } },
    },
    {
      name: 'rules apply to each response of a keep-alive connection',
      frontend: 'resp',
      script: reply,
      send: sequence([ask('/1', '200 OK', ['X-V: one']), ask('/2', '404 Not Found')]),
      want: { status: [200, 404] },
    },
    {
      name: 'rules on a 100-continue interim response',
      frontend: 'resp',
      script: {
        onHead: () => ['HTTP/1.1 100 Continue\r\n\r\n'],
        onRequest: () => ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
      },
      send: [
        request('POST', '/c', ['Content-Length: 4', 'Expect: 100-continue']),
        { waitFor: '100 Continue', timeoutMs: 1000 },
        'data',
      ],
      client: { idleMs: 300, responses: 1 },
      want: { status: [100, 200], headers: { 'x-set': null } },
    },
  ]);
});

describe('http-after-response', () => {
  const a = (
    name: string,
    send: string,
    want: RuleCase['want'],
    extra: Partial<RuleCase> = {},
  ): RuleCase => ({
    name,
    frontend: 'after',
    send,
    script: reply,
    want,
    ...extra,
  });
  run([
    a(
      'server response: backend rules first, response rules before after-response',
      ask('/s', '200 OK', ['X-Strip: 1']),
      {
        status: 200,
        headers: {
          'x-order': ['be-response', 'fe-response', 'be-after', 'fe-after'],
          'x-after': '200 /s',
          'x-strip': null,
          'x-past-allow': 'yes',
        },
      },
    ),
    a('http-request return', GET('/local'), {
      status: 200,
      body: 'local',
      forwarded: 0,
      headers: { 'x-order': 'fe-after', 'x-after': '200' },
    }),
    a('http-request deny', GET('/deny'), {
      status: 403,
      forwarded: 0,
      headers: { 'x-order': 'fe-after', 'x-after': '403' },
    }),
    a("http-request redirect (the value's trailing space is trimmed)", GET('/redir'), {
      status: 302,
      forwarded: 0,
      headers: { 'x-order': 'fe-after', 'x-after': '302' },
    }),
    a('http-request auth', GET('/auth'), { status: 401, forwarded: 0, headers: { 'x-order': 'fe-after' } }),
    a('503: no server available in the backend', GET('/noserver'), {
      status: 503,
      forwarded: 0,
      headers: { 'x-order': ['be-off-after', 'fe-after'], 'x-after': '503 /noserver' },
    }),
    a('503: connection refused', GET('/dead'), {
      status: 503,
      forwarded: 0,
      headers: { 'x-order': 'fe-after', 'x-after': '503 /dead' },
    }),
    a('set-status in after-response', ask('/s', '201 Created'), { status: 299, reason: 'Rewritten' }),
    a('allow in after-response stops its rules', ask('/s', '202 Accepted'), {
      status: 202,
      headers: { 'x-past-allow': null, 'x-order': ['be-response', 'fe-response', 'be-after', 'fe-after'] },
    }),
    a('replace-header in after-response on a redirect', GET('/redir'), {
      status: 302,
      headers: { location: '/r-after' },
    }),
    a(
      '502: the server closes without answering',
      GET('/s'),
      { status: 502, headers: { 'x-order': ['be-after', 'fe-after'], 'x-after': '502 /s' } },
      {
        script: { onRequest: () => [{ op: 'destroy' }] },
      },
    ),
    a(
      'a request refused by the parser (400) gets no after-response rule',
      'GET /bad path HTTP/1.1\r\nHost: a\r\n\r\n',
      { status: 400, forwarded: 0, headers: { 'x-order': null, 'x-after': null } },
    ),
  ]);
});

describe('rules in a listen section and in a named defaults section', () => {
  run([
    {
      name: 'listen: request, response and after-response rules',
      frontend: 'lst',
      send: GET('/l'),
      want: { status: 200, up: { 'x-lst-req': '1' }, headers: { 'x-lst-res': '200', 'x-lst-after': '1' } },
    },
    {
      name: 'defaults rules run before the proxy rules',
      frontend: 'dfe',
      script: reply,
      send: ask('/d', '200 OK'),
      want: { status: 200, headers: { 'x-order': ['defaults', 'fe', 'defaults-after', 'fe-after'] } },
    },
  ]);
});
