// Differential: cookie persistence (`cookie` in a backend, server `cookie`), against the real
// HAProxy 2.6 with the same configuration and the same bytes (the rules suite's harness:
// ./http/harness.ts, ./rules/common.ts). Each case also states what HAProxy's manual makes it
// show, checked on both sides: the server chosen (`X-Srv: %[srv_name]` in the response), the
// Cookie header the server received (indirect removes it, prefix strips the server part), and
// the Set-Cookie / Cache-control the client received (insert, nocache, rewrite, prefix,
// preserve, postonly, attributes), plus `option persist`, `option redispatch`,
// `force-persist`, `ignore-persist`, and the dates of `maxidle`/`maxlife`.
//
// Every backend uses `balance first`: without a usable cookie the request goes to s1, so a
// request reaching another server shows the cookie chose it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observed, type Pair, startPair } from './http/harness.ts';
import type { Script } from './http/peers.ts';
import {
  DEFAULTS,
  frontend,
  GET,
  type RuleCase,
  request,
  responses,
  toCase,
  values,
} from './rules/common.ts';

/** Answers each request as its X-Reply headers say (each one becomes a response header). */
const reply: Script = {
  onRequest: ({ request: r, index }) => {
    const h = (n: string) => r.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    const body = `body ${index}\n`;
    const status = h('x-status')[0] ?? '200 OK';
    const head = [`HTTP/1.1 ${status}`, ...h('x-reply'), `Content-Length: ${body.length}`].join('\r\n');
    return [`${head}\r\n\r\n${body}`];
  },
};

/** A backend with four servers on the recording server: s3 disabled, s4 without a cookie. */
function cookieBackend(name: string, lines: readonly string[], servers?: readonly string[]): string[] {
  return [
    `backend ${name}`,
    '  balance first',
    '  http-response set-header X-Srv %[srv_name]',
    ...lines.map((l) => `  ${l}`),
    ...(
      servers ?? [
        `server s1 \${BE} cookie s1`,
        `server s2 \${BE} cookie s2`,
        `server s3 \${BE} cookie s3 disabled`,
        `server s4 \${BE}`,
      ]
    ).map((l) => `  ${l}`),
  ];
}

const TEMPLATE = [
  ...DEFAULTS,
  ...frontend('ins', ['default_backend be_ins']),
  ...cookieBackend('be_ins', [
    'cookie SRV insert indirect nocache',
    'use-server s4 if { req.hdr(x-use) s4 }',
    'use-server s1 if { req.hdr(x-use) s1 }',
    'ignore-persist if { path_beg /ignore }',
    'force-persist if { path_beg /force }',
  ]),
  ...frontend('nock', ['default_backend be_nock']),
  ...cookieBackend('be_nock', ['cookie SRV insert'], [`server s1 \${BE}`, `server s2 \${BE} cookie s2`]),
  ...frontend('direct', ['default_backend be_direct']),
  ...cookieBackend('be_direct', ['cookie SRV insert']),
  ...frontend('rw', ['default_backend be_rw']),
  ...cookieBackend('be_rw', ['cookie JSESSIONID rewrite']),
  ...frontend('pfx', ['default_backend be_pfx']),
  ...cookieBackend('be_pfx', ['cookie JSESSIONID prefix']),
  ...frontend('passive', ['default_backend be_passive']),
  ...cookieBackend('be_passive', ['cookie SRV']),
  ...frontend('attrs', ['default_backend be_attrs']),
  ...cookieBackend('be_attrs', [
    'cookie SRV insert httponly secure domain .example.com domain .example.org attr SameSite=Strict attr Max-Age=60',
  ]),
  ...frontend('post', ['default_backend be_post']),
  ...cookieBackend('be_post', ['cookie SRV insert postonly']),
  ...frontend('preserve', ['default_backend be_preserve']),
  ...cookieBackend('be_preserve', ['cookie SRV insert preserve']),
  ...frontend('persist', ['default_backend be_persist']),
  ...cookieBackend('be_persist', ['cookie SRV insert indirect', 'option persist']),
  ...frontend('redisp', ['default_backend be_redisp']),
  ...cookieBackend(
    'be_redisp',
    ['cookie SRV insert indirect', 'option persist', 'option redispatch', 'timeout connect 300ms'],
    [`server s1 \${BE} cookie s1`, `server s2 \${DEAD} cookie s2 disabled`],
  ),
  ...frontend('noredisp', ['default_backend be_noredisp']),
  ...cookieBackend(
    'be_noredisp',
    ['cookie SRV insert indirect', 'option persist', 'retries 1', 'timeout connect 300ms'],
    [`server s1 \${BE} cookie s1`, `server s2 \${DEAD} cookie s2 disabled`],
  ),
  ...frontend('dated', ['default_backend be_dated']),
  ...cookieBackend('be_dated', ['cookie SRV insert indirect maxidle 1h maxlife 2h']),
  '',
].join('\n');

const FRONTENDS = [
  'ins',
  'nock',
  'direct',
  'rw',
  'pfx',
  'passive',
  'attrs',
  'post',
  'preserve',
  'persist',
  'redisp',
  'noredisp',
  'dated',
];

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: FRONTENDS });
}, 60_000);
afterAll(async () => {
  await pair?.close();
});

function run(cases: readonly RuleCase[]): void {
  for (const c of cases) {
    it(c.name, async () => {
      await pair.check(toCase({ ...c, script: c.script ?? reply }));
    });
  }
}

/** A GET to `frontend` with extra request headers, answered by the server chosen. */
function via(
  name: string,
  fe: string,
  headers: readonly string[],
  srv: string,
  want: {
    setCookie?: readonly string[];
    cacheControl?: readonly string[];
    cookieUp?: readonly string[];
    status?: number;
  },
  target = '/',
): RuleCase {
  return {
    name,
    frontend: fe,
    send: GET(target, headers),
    want: {
      status: want.status ?? 200,
      forwarded: 1,
      headers: {
        'x-srv': srv,
        ...(want.setCookie ? { 'set-cookie': want.setCookie } : {}),
        ...(want.cacheControl ? { 'cache-control': want.cacheControl } : {}),
      },
      ...(want.cookieUp ? { up: { cookie: want.cookieUp } } : {}),
    },
  };
}

describe('insert indirect nocache', () => {
  run([
    via('no cookie: balancing, the cookie inserted', 'ins', [], 's1', {
      setCookie: ['SRV=s1; path=/'],
      cacheControl: [],
      cookieUp: [],
    }),
    via(
      'nocache: a cacheable response (max-age) is made private',
      'ins',
      ['X-Reply: Cache-Control: max-age=60'],
      's1',
      {
        setCookie: ['SRV=s1; path=/'],
        cacheControl: ['max-age=60', 'private'],
      },
    ),
    via('nocache: a validator makes it cacheable', 'ins', ['X-Reply: ETag: "x"'], 's1', {
      cacheControl: ['private'],
    }),
    via('nocache: so does Expires', 'ins', ['X-Reply: Expires: Thu, 01 Jan 2037 00:00:00 GMT'], 's1', {
      cacheControl: ['private'],
    }),
    via(
      'nocache: Pragma no-cache: not cacheable',
      'ins',
      ['X-Reply: Pragma: no-cache', 'X-Reply: ETag: "x"'],
      's1',
      {
        cacheControl: [],
      },
    ),
    via('nocache: a 302 is not cacheable', 'ins', ['X-Reply: ETag: "x"', 'X-Status: 302 Found'], 's1', {
      status: 302,
      setCookie: ['SRV=s1; path=/'],
      cacheControl: [],
    }),
    via(
      'a valid cookie: its server, nothing inserted, the cookie not forwarded',
      'ins',
      ['Cookie: SRV=s2'],
      's2',
      {
        setCookie: [],
        cacheControl: [],
        cookieUp: [],
      },
    ),
    via('the cookie among others: removed from the middle', 'ins', ['Cookie: a=1; SRV=s2; b=2'], 's2', {
      setCookie: [],
      cookieUp: ['a=1; b=2'],
    }),
    via('the cookie first', 'ins', ['Cookie: SRV=s2; a=1'], 's2', { cookieUp: ['a=1'] }),
    via('the cookie last', 'ins', ['Cookie: a=1;SRV=s2'], 's2', { cookieUp: ['a=1'] }),
    via('blanks around the equal signs are removed', 'ins', ['Cookie: a = 1 ; SRV = s2 ;  b= 2'], 's2', {
      cookieUp: ['a=1; b=2'],
    }),
    via(
      'tight delimiters: one "; " is left between the neighbours',
      'ins',
      ['Cookie: a=1;SRV=s2;c=3'],
      's2',
      {
        cookieUp: ['a=1; c=3'],
      },
    ),
    via('a blank before the removed last cookie', 'ins', ['Cookie: a=1 ; SRV=s2'], 's2', {
      cookieUp: ['a=1'],
    }),
    via('commas separate cookies too', 'ins', ['Cookie: a=1, SRV=s2, c=3'], 's2', { cookieUp: ['a=1, c=3'] }),
    via(
      'RFC 2109 attributes stay with their neighbours',
      'ins',
      ['Cookie: $Version=1; SRV=s2; $Path=/; a=1'],
      's2',
      {
        cookieUp: ['$Version=1; a=1'],
      },
    ),
    via('a quoted value may hold a semicolon', 'ins', ['Cookie: a="x;y"; SRV=s2'], 's2', {
      cookieUp: ['a="x;y"'],
    }),
    via('a cookie without value is kept', 'ins', ['Cookie: flag; SRV=s2'], 's2', { cookieUp: ['flag'] }),
    via('two Cookie headers', 'ins', ['Cookie: a=1', 'Cookie: SRV=s2'], 's2', { cookieUp: ['a=1'] }),
    via('an unknown value: balancing and a new cookie', 'ins', ['Cookie: SRV=nope; a=1'], 's1', {
      setCookie: ['SRV=s1; path=/'],
      cookieUp: ['a=1'],
    }),
    via('a cookie naming a disabled server: balancing', 'ins', ['Cookie: SRV=s3'], 's1', {
      setCookie: ['SRV=s1; path=/'],
    }),
    via('an empty value is invalid', 'ins', ['Cookie: SRV='], 's1', { setCookie: ['SRV=s1; path=/'] }),
    via('use-server comes before the cookie', 'ins', ['Cookie: SRV=s2', 'X-Use: s1'], 's1', {
      setCookie: [],
      cookieUp: [],
    }),
    via('use-server: the server is direct, nothing inserted', 'ins', ['X-Use: s4'], 's4', { setCookie: [] }),
    via('a server without cookie value: the cookie is cleared', 'nock', [], 's1', {
      setCookie: ['SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/'],
    }),
    via(
      "the server's own cookie of that name is replaced",
      'ins',
      ['X-Reply: Set-Cookie: SRV=app; Path=/x', 'X-Reply: Set-Cookie: other=1'],
      's1',
      { setCookie: ['other=1', 'SRV=s1; path=/'] },
    ),
    via(
      "on a direct request the server's cookie is removed (indirect)",
      'ins',
      ['Cookie: SRV=s2', 'X-Reply: Set-Cookie: SRV=app'],
      's2',
      { setCookie: [] },
    ),
    via(
      'nocache: a response the server made private gets no second Cache-control',
      'ins',
      ['X-Reply: Cache-Control: no-store'],
      's1',
      { setCookie: ['SRV=s1; path=/'], cacheControl: ['no-store'] },
    ),
    via(
      'nocache: Cache-Control public makes it cacheable again',
      'ins',
      ['X-Reply: Cache-Control: no-cache, public, max-age=5'],
      's1',
      { cacheControl: ['no-cache, public, max-age=5', 'private'] },
    ),
    via(
      'ignore-persist: the cookie is not used, nothing inserted',
      'ins',
      ['Cookie: SRV=s2'],
      's1',
      {
        setCookie: [],
        cookieUp: [],
      },
      '/ignore',
    ),
    via(
      'force-persist: a disabled server is used',
      'ins',
      ['Cookie: SRV=s3'],
      's3',
      {
        setCookie: [],
      },
      '/force',
    ),
    {
      name: 'nocache: a POST is not cacheable, no Cache-control',
      frontend: 'ins',
      send: request('POST', '/', [], { body: 'x' }),
      want: {
        status: 200,
        headers: { 'x-srv': 's1', 'set-cookie': 'SRV=s1; path=/', 'cache-control': [] },
      },
    },
    {
      name: 'every request of a connection: the second one comes back with the cookie',
      frontend: 'ins',
      send: [GET('/'), { waitResponses: 1, timeoutMs: 2000 }, GET('/', ['Cookie: SRV=s2'])],
      client: { responses: 2 },
      want: {
        status: [200, 200],
        ups: [{ cookie: [] }, { cookie: [] }],
        extra: (o: Observed) => {
          const [r1, r2] = responses(o);
          expect(values(r1, 'set-cookie')).toEqual(['SRV=s1; path=/']);
          expect(values(r2, 'x-srv')).toEqual(['s2']);
          expect(values(r2, 'set-cookie')).toEqual([]);
        },
      },
    },
  ]);
});

describe('insert (not indirect)', () => {
  run([
    via('a valid cookie is forwarded to the server', 'direct', ['Cookie: SRV=s2; a=1'], 's2', {
      setCookie: [],
      cookieUp: ['SRV=s2; a=1'],
    }),
    via('no cookie: inserted, no Cache-control without nocache', 'direct', [], 's1', {
      setCookie: ['SRV=s1; path=/'],
      cacheControl: [],
    }),
    via(
      "the server's cookie of that name is still removed",
      'direct',
      ['Cookie: SRV=s2', 'X-Reply: Set-Cookie: SRV=app'],
      's2',
      { setCookie: [] },
    ),
  ]);
});

describe('rewrite', () => {
  run([
    via(
      "the server's cookie value becomes the server's name",
      'rw',
      ['X-Reply: Set-Cookie: JSESSIONID=abc123; Path=/'],
      's1',
      {
        setCookie: ['JSESSIONID=s1; Path=/'],
      },
    ),
    via(
      'the client comes back: its server, the cookie forwarded as is',
      'rw',
      ['Cookie: JSESSIONID=s2'],
      's2',
      {
        setCookie: [],
        cookieUp: ['JSESSIONID=s2'],
      },
    ),
    via('no Set-Cookie from the server: nothing added', 'rw', [], 's1', { setCookie: [] }),
  ]);
});

describe('prefix', () => {
  run([
    via(
      "the server's value is prefixed",
      'pfx',
      ['X-Reply: Set-Cookie: JSESSIONID=abc; Path=/; HttpOnly'],
      's1',
      {
        setCookie: ['JSESSIONID=s1~abc; Path=/; HttpOnly'],
      },
    ),
    via(
      'the client comes back: the server gets its own value',
      'pfx',
      ['Cookie: x=1; JSESSIONID=s2~abc; y=2'],
      's2',
      {
        cookieUp: ['x=1; JSESSIONID=abc; y=2'],
      },
    ),
    via('a value without the delimiter names a server as a whole', 'pfx', ['Cookie: JSESSIONID=s2'], 's2', {
      cookieUp: ['JSESSIONID=s2'],
    }),
    via(
      'an unknown prefix: balancing, the cookie stripped all the same',
      'pfx',
      ['Cookie: JSESSIONID=zz~abc'],
      's1',
      {
        cookieUp: ['JSESSIONID=abc'],
      },
    ),
  ]);
});

describe('passive (no mode)', () => {
  run([
    via("the application's own cookie value chooses the server", 'passive', ['Cookie: SRV=s2'], 's2', {
      setCookie: [],
      cookieUp: ['SRV=s2'],
    }),
    via("the server's Set-Cookie is left alone", 'passive', ['X-Reply: Set-Cookie: SRV=s2'], 's1', {
      setCookie: ['SRV=s2'],
    }),
  ]);
});

describe('attributes, postonly, preserve', () => {
  run([
    via('domain, HttpOnly, Secure and attr, in that order', 'attrs', [], 's1', {
      setCookie: [
        'SRV=s1; path=/; domain=.example.com; domain=.example.org; HttpOnly; Secure; SameSite=Strict; Max-Age=60',
      ],
    }),
    via('postonly: nothing on a GET', 'post', [], 's1', { setCookie: [] }),
    {
      name: 'postonly: inserted on a POST',
      frontend: 'post',
      send: request('POST', '/', [], { body: 'abc' }),
      want: { status: 200, headers: { 'x-srv': 's1', 'set-cookie': 'SRV=s1; path=/' } },
    },
    via(
      "preserve: the server's own cookie is kept and none is inserted",
      'preserve',
      ['X-Reply: Set-Cookie: SRV=logout; Max-Age=0'],
      's1',
      {
        setCookie: ['SRV=logout; Max-Age=0'],
      },
    ),
    via('preserve: without one from the server, inserted', 'preserve', [], 's1', {
      setCookie: ['SRV=s1; path=/'],
    }),
  ]);
});

describe('option persist and option redispatch', () => {
  run([
    via(
      'option persist: a disabled server named by the cookie still gets the request',
      'persist',
      ['Cookie: SRV=s3'],
      's3',
      {
        setCookie: [],
        cookieUp: [],
      },
    ),
    via(
      'persist + redispatch: the stopped server refuses, another one takes it and the cookie follows',
      'redisp',
      ['Cookie: SRV=s2'],
      's1',
      { setCookie: ['SRV=s1; path=/'] },
    ),
    {
      name: 'persist without redispatch: the stopped server refuses, 503',
      frontend: 'noredisp',
      send: GET('/', ['Cookie: SRV=s2']),
      want: { status: 503, forwarded: 0 },
    },
  ]);
});

describe('maxidle and maxlife', () => {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const enc = (v: number) => {
    let s = '';
    for (let shift = 24; shift >= 0; shift -= 6) s += B64[(v >>> shift) & 0x3f];
    return s;
  };
  const dec = (s: string) => [...s].reduce((v, ch) => v * 64 + B64.indexOf(ch), 0);
  /** The Set-Cookie with its two dates checked against the clock and replaced by D. */
  const shape = (o: Observed): string => {
    const rs = responses(o);
    const now = Math.floor(Date.now() / 1000);
    return rs
      .map((r) =>
        [
          values(r, 'x-srv').join(','),
          ...values(r, 'set-cookie').map((v) =>
            v.replace(/\|([A-Za-z0-9+/]{5})/g, (_m, d: string) => {
              const sec = dec(d) * 4;
              return Math.abs(sec - now) <= 30 ? '|D' : `|bad(${sec - now})`;
            }),
          ),
        ].join(' '),
      )
      .join(' / ');
  };
  const nowQ = () => Math.floor((Math.floor(Date.now() / 1000) + 3) / 4);

  it('a new client gets both dates', async () => {
    await pair.checkOneOf(
      { name: 'dated: new', frontend: 'dated', steps: [GET('/')], script: reply },
      shape,
      ['s1 SRV=s1|D|D; path=/'],
    );
  });
  it('a fresh cookie is honoured (dates refreshed only when due)', async () => {
    const q = nowQ();
    await pair.checkOneOf(
      {
        name: 'dated: fresh',
        frontend: 'dated',
        steps: [GET('/', [`Cookie: SRV=s2|${enc(q + 1)}|${enc(q)}`])],
        script: reply,
      },
      shape,
      ['s2'],
    );
  });
  it('an idle cookie (last seen 2 h ago) is expired: balancing and new dates', async () => {
    const q = nowQ();
    await pair.checkOneOf(
      {
        name: 'dated: idle',
        frontend: 'dated',
        steps: [GET('/', [`Cookie: SRV=s2|${enc(q - 1800)}|${enc(q - 1800)}`])],
        script: reply,
      },
      shape,
      ['s1 SRV=s1|D|D; path=/'],
    );
  });
  it('a cookie first seen 3 h ago is too old', async () => {
    const q = nowQ();
    await pair.checkOneOf(
      {
        name: 'dated: old',
        frontend: 'dated',
        steps: [GET('/', [`Cookie: SRV=s2|${enc(q)}|${enc(q - 2700)}`])],
        script: reply,
      },
      shape,
      ['s1 SRV=s1|D|D; path=/'],
    );
  });
  it('a cookie without dates is honoured and gets them', async () => {
    await pair.checkOneOf(
      { name: 'dated: undated', frontend: 'dated', steps: [GET('/', ['Cookie: SRV=s2'])], script: reply },
      shape,
      ['s2 SRV=s2|D|D; path=/'],
    );
  });
});
