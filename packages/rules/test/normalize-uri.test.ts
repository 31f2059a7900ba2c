// normalize-uri, the pure normalizers and the action through HttpRuleList (what HAProxy 2.6
// does is compared end to end in apps/haproxyd/test/normalize-uri.test.ts).
import { describe, expect, it } from 'vitest';
import {
  decodeUnreserved,
  mergeSlashes,
  percentUpper,
  sortQuery,
  stripDot,
  stripDotDot,
} from '../src/actions/normalize-uri.ts';
import {
  HttpRuleList,
  newOutcome,
  type RuleCompileContext,
  type RuleCompileError,
  V_CONTINUE,
  V_DENY,
} from '../src/index.ts';
import { envFor, request } from './env.ts';

const ctx: RuleCompileContext = {
  resolvePath: (p) => p,
  named: () => undefined,
  loadErrorFile: () => Buffer.from(''),
  httpErrors: () => null,
};

function run(normalizer: string, target: string) {
  const errors: RuleCompileError[] = [];
  const list = HttpRuleList.compile(
    'http-request',
    [
      {
        file: 't',
        line: 1,
        ruleSet: 'http-request',
        action: 'normalize-uri',
        args: normalizer.split(' '),
        condition: undefined,
      },
    ],
    ctx,
    'fe',
    (e) => errors.push(e),
  );
  const msg = request('GET', target, ['Host', 'a']);
  const out = newOutcome();
  const verdict = list.run(envFor(msg), msg, out);
  return { errors: errors.map((e) => e.message), target: msg.target, verdict, status: out.status };
}

describe('normalizers', () => {
  it.each([
    [mergeSlashes('//a///b/'), '/a/b/'],
    [stripDot('/a/./b/.'), '/a/b/'],
    [stripDot('/./'), '/'],
    [stripDotDot('/a/b/../../c', false), '/c'],
    [stripDotDot('/../a', false), '/../a'],
    [stripDotDot('/../a', true), '/a'],
    [stripDotDot('/a/..', false), '/'],
    [sortQuery('?b=1&a=2&a=1'), '?a=2&a=1&b=1'],
    [sortQuery('?ab&a'), '?a&ab'],
    [percentUpper('%2f%zz', false), '%2F%zz'],
    [percentUpper('%2f%zz', true), null],
    [decodeUnreserved('%41%2F%7e', false), 'A%2F~'],
    [decodeUnreserved('%4', true), null],
  ])('%j → %j', (got, want) => {
    expect(got).toBe(want);
  });
});

describe('the normalize-uri action', () => {
  it('rewrites the path of an absolute-form target, keeps its query', () => {
    expect(run('path-merge-slashes', 'http://h//a//b?x=//').target).toBe('http://h/a/b?x=//');
  });
  it('a strict normalizer on a bad sequence refuses with 400', () => {
    expect(run('percent-to-uppercase strict', '/a%x').verdict).toBe(V_DENY);
    expect(run('percent-to-uppercase strict', '/a%x').status).toBe(400);
    expect(run('percent-to-uppercase', '/a%x').verdict).toBe(V_CONTINUE);
  });
  it('bad arguments are compile errors', () => {
    expect(run('bogus', '/').errors).toEqual(["unknown normalizer 'bogus'."]);
    expect(run('path-strip-dotdot fully', '/').errors).toEqual([
      "unknown argument 'fully' for 'path-strip-dotdot' normalizer.",
    ]);
  });
});
