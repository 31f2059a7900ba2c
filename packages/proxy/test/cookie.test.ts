// Cookie persistence, the pure parts: the Cookie header scan and rewrite, the Set-Cookie
// handling, the inserted cookie and its dates, and cacheability. End-to-end comparisons with
// HAProxy are in apps/haproxyd/test/cookie.test.ts.
import {
  CookiePersistence,
  type CookieSpec,
  CookieTxn,
  insertCookie,
  requestCookies,
  responseCacheable,
  responseCookies,
  Server,
} from '@hap/proxy';
import { describe, expect, it } from 'vitest';

const base: CookieSpec = {
  name: 'SRV',
  rewrite: false,
  insert: true,
  prefix: false,
  indirect: true,
  nocache: false,
  postonly: false,
  preserve: false,
  httponly: false,
  secure: false,
  domains: [],
  maxidle: 0,
  maxlife: 0,
  attrs: [],
};

const s1 = new Server({ name: 's1', host: '127.0.0.1', port: 1, cookie: 'a' });
const s2 = new Server({ name: 's2', host: '127.0.0.1', port: 2, cookie: 'b' });
const s3 = new Server({ name: 's3', host: '127.0.0.1', port: 3, cookie: 'b' });
const bare = new Server({ name: 'bare', host: '127.0.0.1', port: 4 });
const NOW = 1_700_000_000;

function backend(down: readonly Server[] = []) {
  return { servers: [s1, s2, s3, bare], isRunning: (s: Server) => !down.includes(s) };
}

function req(
  cookieHeaders: readonly string[],
  spec: Partial<CookieSpec> = {},
  o: { down?: Server[]; persist?: boolean; now?: number } = {},
) {
  const ck = new CookiePersistence({ ...base, ...spec }, o.persist ?? false);
  const t = new CookieTxn();
  const headers = ['Host', 'x', ...cookieHeaders.flatMap((v) => ['Cookie', v])];
  requestCookies(headers, ck, t, backend(o.down), o.now ?? NOW);
  const left = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'Cookie') left.push(headers[i + 1]);
  return { t, left, ck };
}

describe('request: choosing the server', () => {
  it('the first server with the value', () => {
    const { t } = req(['SRV=b']);
    expect([t.assigned?.name, t.client, t.direct]).toEqual(['s2', 'valid', true]);
  });
  it('a stopped server: the next one sharing the value', () => {
    const { t } = req(['SRV=b'], {}, { down: [s2] });
    expect([t.assigned?.name, t.client]).toEqual(['s3', 'valid']);
  });
  it('every server with the value stopped: down, nothing assigned', () => {
    const { t } = req(['SRV=b'], {}, { down: [s2, s3] });
    expect([t.assigned, t.client]).toEqual([null, 'down']);
  });
  it('option persist: the stopped server all the same', () => {
    const { t } = req(['SRV=b'], {}, { down: [s2, s3], persist: true });
    expect([t.assigned?.name, t.client]).toEqual(['s2', 'down']);
  });
  it('an unknown value or an empty one is invalid', () => {
    expect(req(['SRV=zz']).t.client).toBe('invalid');
    expect(req(['SRV=']).t.client).toBe('invalid');
  });
  it('already assigned (use-server): unused', () => {
    const ck = new CookiePersistence(base, false);
    const t = new CookieTxn();
    t.assigned = s1;
    requestCookies(['Cookie', 'SRV=b'], ck, t, backend(), NOW);
    expect([t.assigned.name, t.client]).toEqual(['s1', 'unused']);
  });
  it('the name must match exactly', () => {
    expect(req(['SRVX=b; xSRV=b']).t.client).toBe('none');
  });
});

describe('request: what is forwarded', () => {
  it.each([
    [['SRV=b'], []],
    [['a=1; SRV=b; c=3'], ['a=1; c=3']],
    [['a=1;SRV=b;c=3'], ['a=1; c=3']],
    [['SRV=b; a=1'], ['a=1']],
    [['a=1; SRV=b'], ['a=1']],
    [['a=1 ; SRV=b'], ['a=1 ']],
    [['SRV=b; SRV=a; x=1'], ['x=1']],
    [['$Version=1; SRV=b; $Path=/; a=1'], ['$Version=1; a=1']],
    [['a="x;y"; SRV=b'], ['a="x;y"']],
    [['a = 1; SRV = b'], ['a=1']],
    [['a=1, SRV=b, c=2'], ['a=1, c=2']],
  ])('insert indirect: %j → %j', (input, out) => {
    expect(req(input).left).toEqual(out);
  });
  it('insert without indirect keeps the cookie', () => {
    expect(req(['a=1; SRV=b'], { indirect: false }).left).toEqual(['a=1; SRV=b']);
  });
  it('prefix: the server part is cut', () => {
    const { t, left } = req(['x=1; SRV=b~app; y=2'], { insert: false, indirect: false, prefix: true });
    expect(left).toEqual(['x=1; SRV=app; y=2']);
    expect(t.assigned?.name).toBe('s2');
  });
});

describe('dates (maxidle / maxlife)', () => {
  const enc = (v: number) => {
    const B = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let s = '';
    for (let shift = 24; shift >= 0; shift -= 6) s += B[(v >>> shift) & 0x3f];
    return s;
  };
  const q = Math.floor(NOW / 4);
  it('read from the cookie', () => {
    const { t } = req([`SRV=b|${enc(q)}|${enc(q - 10)}`], { maxidle: 60, maxlife: 600 });
    expect([t.client, t.lastDate, t.firstDate]).toEqual(['valid', q * 4, (q - 10) * 4]);
  });
  it('idle too long: expired', () => {
    const { t } = req([`SRV=b|${enc(q - 100)}`], { maxidle: 60 });
    expect([t.client, t.assigned, t.lastDate]).toEqual(['expired', null, 0]);
  });
  it('first seen too long ago: old', () => {
    const { t } = req([`SRV=b|${enc(q)}|${enc(q - 1000)}`], { maxidle: 60, maxlife: 600 });
    expect(t.client).toBe('old');
  });
  it('more than a day in the future: expired', () => {
    const { t } = req([`SRV=b|${enc(q + 30000)}`], { maxidle: 60 });
    expect(t.client).toBe('expired');
  });
  it('inserted with the next 4-second step, first date kept', () => {
    const ck = new CookiePersistence({ ...base, maxidle: 60, maxlife: 600 }, false);
    const t = new CookieTxn();
    t.firstDate = (q - 10) * 4;
    const h: string[] = [];
    insertCookie(h, ck, t, s1, 'GET', 200, NOW);
    expect(h).toEqual(['Set-Cookie', `SRV=a|${enc(Math.floor((NOW + 3) / 4))}|${enc(q - 10)}; path=/`]);
  });
  it('a direct request with a last date still ahead: nothing inserted', () => {
    const ck = new CookiePersistence({ ...base, maxidle: 60 }, false);
    const t = new CookieTxn();
    t.direct = true;
    t.lastDate = NOW + 2;
    const h: string[] = [];
    insertCookie(h, ck, t, s1, 'GET', 200, NOW);
    expect(h).toEqual([]);
    t.lastDate = NOW - 4;
    insertCookie(h, ck, t, s1, 'GET', 200, NOW);
    expect([h[0], t.server]).toEqual(['Set-Cookie', 'updated']);
  });
});

describe('response', () => {
  const run = (
    setCookies: readonly string[],
    spec: Partial<CookieSpec>,
    direct = false,
    server: Server = s1,
  ) => {
    const ck = new CookiePersistence({ ...base, ...spec }, false);
    const t = new CookieTxn();
    t.direct = direct;
    const h = setCookies.flatMap((v) => ['Set-Cookie', v]);
    responseCookies(h, ck, t, server);
    insertCookie(h, ck, t, server, 'GET', 200, NOW);
    return { h, t };
  };
  it("insert: the server's cookie of that name is replaced by ours", () => {
    const { h, t } = run(['SRV=x; Path=/', 'o=1'], {});
    expect(h).toEqual(['Set-Cookie', 'o=1', 'Set-Cookie', 'SRV=a; path=/']);
    expect(t.server).toBe('inserted');
  });
  it('rewrite and prefix', () => {
    expect(run(['SRV = x ; Path=/'], { insert: false, indirect: false, rewrite: true }).h).toEqual([
      'Set-Cookie',
      'SRV=a ; Path=/',
    ]);
    expect(run(['SRV=x; Path=/'], { insert: false, indirect: false, prefix: true }).h).toEqual([
      'Set-Cookie',
      'SRV=a~x; Path=/',
    ]);
  });
  it('preserve: the server keeps its cookie, none inserted', () => {
    const { h, t } = run(['SRV=bye; Max-Age=0'], { preserve: true });
    expect(h).toEqual(['Set-Cookie', 'SRV=bye; Max-Age=0']);
    expect(t.server).toBe('passive');
  });
  it('a server without a value clears the cookie; attributes follow path', () => {
    const { h } = run(
      [],
      { httponly: true, secure: true, domains: ['.a.com'], attrs: ['SameSite=Lax'] },
      false,
      bare,
    );
    expect(h).toEqual([
      'Set-Cookie',
      'SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/; domain=.a.com; HttpOnly; Secure; SameSite=Lax',
    ]);
  });
});

describe('responseCacheable (HAProxy 2.6.12)', () => {
  it.each([
    ['GET', 200, [], false],
    ['GET', 200, ['Cache-Control', 'max-age=10'], true],
    ['GET', 200, ['ETag', '"x"'], true],
    ['GET', 200, ['Last-Modified', 'x'], true],
    ['GET', 200, ['Expires', 'x'], true],
    ['POST', 200, ['ETag', '"x"'], false],
    ['POST', 200, ['Cache-Control', 'public, max-age=3'], true],
    ['GET', 302, ['ETag', '"x"'], false],
    ['GET', 404, ['ETag', '"x"'], true],
    ['GET', 200, ['Pragma', 'no-cache', 'ETag', '"x"'], false],
    ['GET', 200, ['Cache-Control', 'private, max-age=5'], false],
    ['GET', 200, ['Cache-Control', 'max-age=0'], false],
  ] as const)('%s %d %j → %s', (method, status, headers, want) => {
    expect(responseCacheable(method, status, headers)).toBe(want);
  });
});
