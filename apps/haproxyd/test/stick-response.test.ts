// Differential: `stick store-response`, against the real HAProxy 2.6 with the same
// configuration and the same bytes (the rules suite's harness). The server's response gives the
// key (a Set-Cookie read with `res.cook`, a header with `res.hdr`), later requests carrying that
// key (`stick match req.cook(...)` / `req.hdr(...)`) must land on the server that gave it, which
// `X-Srv: %[srv_name]` in the response shows. Round robin over two servers makes a miss visible.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observed, type Pair, startPair } from './http/harness.ts';
import type { Script } from './http/peers.ts';
import { DEFAULTS, frontend, GET, responses, sequence, toCase, values } from './rules/common.ts';

/** Answers each request as its X-Reply headers say (each one becomes a response header). */
const reply: Script = {
  onRequest: ({ request: r, index }) => {
    const h = (n: string) => r.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    const status = h('x-status')[0] ?? '200 OK';
    const body = `body ${index}\n`;
    const head = [`HTTP/1.1 ${status}`, ...h('x-reply'), `Content-Length: ${body.length}`].join('\r\n');
    return [`${head}\r\n\r\n${body}`];
  },
};

const TEMPLATE = [
  ...DEFAULTS,
  ...frontend('cook', ['default_backend be_cook']),
  'backend be_cook',
  '  balance roundrobin',
  '  stick-table type string len 32 size 100 expire 1m',
  '  stick match req.cook(JSESSIONID)',
  '  stick store-response res.cook(JSESSIONID)',
  '  http-response set-header X-Srv %[srv_name]',
  `  server s1 \${BE}`,
  `  server s2 \${BE}`,
  ...frontend('hdr', ['default_backend be_hdr']),
  'backend be_hdr',
  '  balance roundrobin',
  '  stick-table type string len 32 size 100 expire 1m',
  '  stick match req.hdr(x-key)',
  '  stick store-response res.hdr(x-a)',
  '  stick store-response res.hdr(x-b)',
  '  stick store-response res.hdr(x-c) if { status 201 }',
  '  http-response set-header X-Srv %[srv_name]',
  '  http-response del-header x-a',
  `  server s1 \${BE}`,
  `  server s2 \${BE}`,
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['cook', 'hdr'] });
}, 60_000);
afterAll(async () => {
  await pair?.close();
});

/** The server that answered each response, in order. */
const servers = (o: Observed) => responses(o).map((r) => values(r, 'x-srv').join(','));

describe('stick store-response', () => {
  it('a session cookie set by the server brings its holder back to that server', async () => {
    const c = toCase({
      name: 'res.cook',
      frontend: 'cook',
      send: sequence([
        GET('/1', ['X-Reply: Set-Cookie: JSESSIONID=abc; Path=/']),
        GET('/2', ['X-Reply: Set-Cookie: JSESSIONID=def; Path=/']),
        GET('/3', ['Cookie: JSESSIONID=def']),
        GET('/4', ['Cookie: JSESSIONID=abc']),
        GET('/5', ['Cookie: JSESSIONID=def']),
        GET('/6', ['Cookie: JSESSIONID=zzz']),
      ]),
      want: { status: [200, 200, 200, 200, 200, 200] },
      script: reply,
    });
    const { a, b } = await pair.check(c);
    // round robin gives s1, s2; then the stored keys decide (an unknown one: round robin again)
    expect(servers(a)).toEqual(['s1', 's2', 's2', 's1', 's2', 's1']);
    expect(servers(b)).toEqual(servers(a));
  });

  it('the first rule with a key stores, per table; conditions read the response', async () => {
    const c = toCase({
      name: 'res.hdr',
      frontend: 'hdr',
      send: sequence([
        GET('/1', ['X-Reply: X-A: k1', 'X-Reply: X-B: k2']),
        GET('/2', ['X-Reply: X-B: k3']),
        GET('/3', ['X-Reply: X-C: k4']),
        GET('/4', ['X-Reply: X-C: k5', 'X-Status: 201 Created']),
        GET('/5', ['X-Key: k1']),
        GET('/6', ['X-Key: k2']),
        GET('/7', ['X-Key: k3']),
        GET('/8', ['X-Key: k4']),
        GET('/9', ['X-Key: k5']),
      ]),
      want: { status: [200, 200, 200, 201, 200, 200, 200, 200, 200] },
      script: reply,
    });
    const { a, b } = await pair.check(c);
    // k1 (s1) and k3 (s2) and k5 (s2) were stored; k2 was not (x-a came first), k4 not (status)
    expect(servers(a)).toEqual(['s1', 's2', 's1', 's2', 's1', 's1', 's2', 's2', 's2']);
    expect(servers(b)).toEqual(servers(a));
  });
});
