// Differential: `http-request normalize-uri <normalizer>` (HAProxy 2.6, experimental: the
// global section says `expose-experimental-directives`), against the real HAProxy with the same
// configuration and the same bytes (the rules suite's harness): the start line the server
// receives after each of 2.6's normalizers, and the 400 of a `strict` one on a bad sequence.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Pair, startPair } from './http/harness.ts';
import { DEFAULTS, frontend, GET, type RuleCase, toCase } from './rules/common.ts';

const NORMALIZERS: Record<string, string> = {
  merge: 'path-merge-slashes',
  dot: 'path-strip-dot',
  dotdot: 'path-strip-dotdot',
  dotdotfull: 'path-strip-dotdot full',
  sort: 'query-sort-by-name',
  upper: 'percent-to-uppercase',
  upperstrict: 'percent-to-uppercase strict',
  decode: 'percent-decode-unreserved',
  decodestrict: 'percent-decode-unreserved strict',
  fstrip: 'fragment-strip',
  fencode: 'fragment-encode',
};

const TEMPLATE = [
  'global',
  '  expose-experimental-directives',
  ...DEFAULTS,
  ...Object.entries(NORMALIZERS).flatMap(([key, n]) =>
    frontend(key, [`http-request normalize-uri ${n}`, 'default_backend be']),
  ),
  ...frontend('chain', [
    'http-request normalize-uri path-merge-slashes',
    'http-request normalize-uri path-strip-dot',
    'http-request normalize-uri path-strip-dotdot',
    'http-request normalize-uri percent-decode-unreserved',
    'http-request normalize-uri query-sort-by-name',
    'http-request set-header X-Path %[path]',
    'default_backend be',
  ]),
  'backend be',
  `  server s1 \${BE}`,
  '',
].join('\n');

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: [...Object.keys(NORMALIZERS), 'chain'] });
}, 60_000);
afterAll(async () => {
  await pair?.close();
});

/** The line the server receives for `target` through frontend `fe`. */
function line(fe: string, target: string, want: string): RuleCase {
  return {
    name: `${NORMALIZERS[fe] ?? fe}: ${target} → ${want}`,
    frontend: fe,
    send: GET(target),
    want: { status: 200, line: `GET ${want} HTTP/1.1` },
  };
}

function run(cases: readonly RuleCase[]): void {
  for (const c of cases) {
    it(c.name, async () => {
      await pair.check(toCase(c));
    });
  }
}

describe('normalize-uri', () => {
  run([
    line('merge', '//a///b//c?x=//y', '/a/b/c?x=//y'),
    line('merge', '/', '/'),
    line('dot', '/a/./b/./c', '/a/b/c'),
    line('dot', '/a/.', '/a/'),
    line('dot', '/./a/./', '/a/'),
    line('dot', '/a/.b/..', '/a/.b/..'),
    line('dotdot', '/a/b/../c', '/a/c'),
    line('dotdot', '/a/b/..', '/a/'),
    line('dotdot', '/a/../../b', '/../b'),
    line('dotdot', '/../../a?q=/../', '/../../a?q=/../'),
    line('dotdot', '/a/b/c/../../d', '/a/d'),
    line('dotdotfull', '/a/../../b', '/b'),
    line('dotdotfull', '/../../a/..', '/'),
    line('sort', '/p?c=3&a=1&b=2&a=0', '/p?a=1&a=0&b=2&c=3'),
    line('sort', '/p?b&a=&&ab=1&a', '/p?&a=&a&ab=1&b'),
    line('sort', '/p?', '/p?'),
    line('sort', '/p', '/p'),
    line('upper', '/a%2fb%c3%a9?x=%7e', '/a%2Fb%C3%A9?x=%7E'),
    line('upper', '/a%zz%2', '/a%zz%2'),
    line('decode', '/%41%62%2D%2e%5F%7e%2F%20?q=%61', '/Ab-._~%2F%20?q=a'),
    line('decode', '/a%g1%4', '/a%g1%4'),
    line('upperstrict', '/a%2fb', '/a%2Fb'),
    line('decodestrict', '/%41', '/A'),
    line('fstrip', '/a/b?c', '/a/b?c'),
    line('fencode', '/a/b?c', '/a/b?c'),
    line('chain', '//a/./b/../%63?z=1&y=2', '/a/c?y=2&z=1'),
    {
      name: 'percent-to-uppercase strict: a bad sequence is a 400',
      frontend: 'upperstrict',
      send: GET('/a%zz'),
      want: { status: 400, forwarded: 0 },
    },
    {
      name: 'percent-decode-unreserved strict: a truncated sequence is a 400',
      frontend: 'decodestrict',
      send: GET('/a%4'),
      want: { status: 400, forwarded: 0 },
    },
  ]);
});
