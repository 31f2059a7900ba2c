// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration text uses ${VAR} literally
// evaluateCondition() against the real `haproxy -cc <expr>` (HAProxy 2.6 exits
// 0 when the condition is true, 1 when false, 2 when it cannot be evaluated).
//
// `-cc` tokenizes its argument like a configuration line first (quotes are
// removed, "$VAR" is expanded), then evaluates the words joined with spaces,
// which is exactly what the parser does for `.if`: the haproxyd side below does
// the same with tokenizeLine().
import { type ConditionContext, evaluateCondition, parseConfig, tokenizeLine } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { type CcOutcome, haproxyCc, haproxyFeatures } from './support/oracle.ts';

const ENV: Record<string, string> = { A: 'x', E: '', W: 'yes', SP: 'a b' };

let features: Set<string> | undefined;

function ctx(): ConditionContext {
  // feature() is compared with the oracle's own feature list; haproxyd's
  // DEFAULT_FEATURES differ on purpose and are tested separately below
  features ??= haproxyFeatures();
  return { env: ENV, version: '2.6.12', features, sslVersion: '3.0.11', sslLibName: 'OpenSSL' };
}

function ours(expr: string, c: ConditionContext = ctx()): CcOutcome {
  const lex = tokenizeLine(expr, { env: c.env, file: '-cc', line: 1, section: '' });
  if (lex.error) return { kind: 'error', message: `tokenizer: ${lex.error.kind}` };
  const r = evaluateCondition(lex.words.join(' '), c);
  if (!r.ok) return { kind: 'error', message: r.message };
  return { kind: r.value ? 'true' : 'false' };
}

const kind = (o: CcOutcome) => o.kind;

// [expression, expected outcome in HAProxy 2.6.12 (checked with haproxy -cc)]
const DIFFERENTIAL: Array<[string, 'true' | 'false' | 'error']> = [
  ['0', 'false'],
  ['1', 'true'],
  ['', 'false'],
  ['!0', 'true'],
  ['!1', 'false'],
  ['!!1', 'true'],
  ['! 1', 'false'],
  ['-1', 'true'],
  ['-0', 'false'],
  ['!-1', 'false'],
  ['00', 'false'],
  ['010', 'true'],
  ['2147483648', 'true'],
  ['99999999999999999999', 'true'],
  ['1 && 0 || 1', 'true'],
  ['1&&0', 'false'],
  ['0 || 0 || 1 && 0', 'false'],
  ['1 && (0 || 1) && !0', 'true'],
  ['(0)||(1)', 'true'],
  ['( 1 )', 'true'],
  ['!(0)', 'true'],
  ['1 ||0', 'true'],
  ['defined(A)', 'true'],
  ['defined(E)', 'true'],
  ['defined(UNSET_VAR)', 'false'],
  ['!defined(UNSET_VAR)', 'true'],
  ['defined(A) && defined(E) && !defined(U)', 'true'],
  ['streq(a,a)', 'true'],
  ['streq(a,b)', 'false'],
  ['strneq(a,b)', 'true'],
  ['strneq(a,a)', 'false'],
  ['streq("$A",x)', 'true'],
  ['streq("${A}",x)', 'true'],
  ['streq($A,x)', 'false'],
  ["streq('$A','$A')", 'true'],
  ['streq("$W",yes) && strneq("$E",yes)', 'true'],
  ['streq("a b","a b")', 'true'],
  ['streq("$SP","a b")', 'true'],
  ["streq('a',a)", 'true'],
  ['streq( a,a)', 'false'],
  ['streq(a ,a)', 'false'],
  ['streq(,)', 'true'],
  ['strneq(,)', 'false'],
  ['streq(x,x) && !strneq(a,b)', 'false'],
  ['version_atleast(2.6)', 'true'],
  ['version_atleast(2.6.12)', 'true'],
  ['version_atleast(2.6.12.1)', 'false'],
  ['version_atleast(2.6-dev19)', 'true'],
  ['version_atleast(2.6.12-dev1)', 'true'],
  ['version_atleast(2.6.13-dev1)', 'false'],
  ['version_atleast(2.7-dev1)', 'false'],
  ['version_before(2.6.13)', 'true'],
  ['version_before(2.6.12.1)', 'true'],
  ['version_before(3)', 'true'],
  ['version_before(2.6)', 'false'],
  ['version_before(2.6-dev)', 'false'],
  ['version_atleast(abc)', 'true'],
  ['version_before(abc)', 'false'],
  ['feature(OPENSSL)', 'true'],
  ['feature(EPOLL)', 'true'],
  ['feature(openssl)', 'false'],
  ['feature(NO_SUCH_FEATURE)', 'false'],
  ['ssllib_name_startswith(OpenSSL)', 'true'],
  // errors
  ['foo(1)', 'error'],
  ['DEFINED(A)', 'error'],
  ['defined (A)', 'error'],
  ['defined(', 'error'],
  ['defined(A', 'error'],
  ['streq("a",a', 'error'],
  ['streq(a)', 'error'],
  ['streq(a)x', 'error'],
  ['defined(A,B)', 'error'],
  ['streq(a,b,c)', 'error'],
  ['streq("a,b","a,b")', 'error'],
  ["streq('a)','a)')", 'error'],
  ['1 x', 'error'],
  ['1 2', 'error'],
  ['1a', 'error'],
  ['defined(A)defined(A)', 'error'],
  ['(1', 'error'],
  ['()', 'error'],
  [')', 'error'],
  ['!', 'error'],
  ['1 ||', 'error'],
  ['&&1', 'error'],
  ['1 &&& 1', 'error'],
  ['1 & 1', 'error'],
  // found by these tests: haproxyd disagrees with HAProxy 2.6.12 on these
  ['0x1', 'true'], // strtol(…, 0): hexadecimal
  ['+1', 'true'], // strtol accepts a sign
  ['08', 'error'], // strtol(…, 0): octal stops at '8'
  ['defined()', 'false'], // an empty argument is accepted
  ['version_atleast()', 'true'], // an empty version is 0
  ['streq(a\\,b,a\\,b)', 'error'], // backslash does not protect ',' in predicate arguments
  ['streq(a\\),a\\))', 'error'], // nor ')'
];

describe('evaluateCondition vs haproxy -cc', () => {
  it.each(DIFFERENTIAL)('%s → %s', (expr, expected) => {
    const hap = haproxyCc(expr, ENV);
    // the table is what the installed oracle says; if this fails, the oracle changed
    expect(kind(hap), `haproxy -cc ${JSON.stringify(expr)}: ${JSON.stringify(hap)}`).toBe(expected);
    const mine = ours(expr);
    expect(kind(mine), `haproxyd: ${JSON.stringify(mine)}; haproxy: ${JSON.stringify(hap)}`).toBe(kind(hap));
  });

  it('error messages are HAProxy’s for the errors both sides report', () => {
    const differ: string[] = [];
    for (const [expr, expected] of DIFFERENTIAL) {
      if (expected !== 'error') continue;
      const hap = haproxyCc(expr, ENV);
      const mine = ours(expr);
      if (hap.kind !== 'error' || mine.kind !== 'error') continue;
      if (hap.message !== mine.message)
        differ.push(`${JSON.stringify(expr)}\n   haproxy : ${hap.message}\n   haproxyd: ${mine.message}`);
    }
    expect(differ, differ.join('\n')).toEqual([]);
  });

  it('pass-through of env: defined() sees exactly the given environment', () => {
    const env = { ONLY_HERE: '1' };
    expect(haproxyCc('defined(ONLY_HERE) && !defined(A)', env).kind).toBe('true');
    const c = { ...ctx(), env };
    expect(ours('defined(ONLY_HERE) && !defined(A)', c).kind).toBe('true');
    expect(ours('defined(ONLY_HERE) && !defined(A)').kind).toBe('false');
  });
});

describe('evaluateCondition details', () => {
  const base = (): ConditionContext => ({
    env: { A: 'x' },
    version: '2.6.12',
    features: new Set(['OPENSSL']),
    sslVersion: '3.0.11',
    sslLibName: 'OpenSSL',
  });

  it('&& binds tighter than ||', () => {
    expect(evaluateCondition('1 || 0 && 0', base())).toEqual({ ok: true, value: true });
    expect(evaluateCondition('0 && 1 || 1', base())).toEqual({ ok: true, value: true });
    expect(evaluateCondition('(1 || 0) && 0', base())).toEqual({ ok: true, value: false });
  });

  it('errors carry a position inside the text', () => {
    for (const text of ['foo(1)', '1 x', '(1', 'streq(a)', '&&1', '1 ||']) {
      const r = evaluateCondition(text, base());
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.position).toBeGreaterThanOrEqual(0);
        expect(r.position).toBeLessThanOrEqual(text.length);
        expect(r.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('the version and features come from the context', () => {
    const c = { ...base(), version: '2.7.0', features: new Set<string>() };
    expect(evaluateCondition('version_atleast(2.7-dev1)', c)).toEqual({ ok: true, value: true });
    expect(evaluateCondition('feature(OPENSSL)', c)).toEqual({ ok: true, value: false });
  });

  it('openssl_version_* compare the TLS library version', () => {
    expect(evaluateCondition('openssl_version_atleast(3.0.0)', base())).toEqual({ ok: true, value: true });
    expect(evaluateCondition('openssl_version_before(3.0.0)', base())).toEqual({ ok: true, value: false });
    expect(evaluateCondition('ssllib_name_startswith(Libre)', base())).toEqual({ ok: true, value: false });
  });

  it('a failing .if stops the parse with HAP_CFG_COND at the expression position', () => {
    const r = parseConfig('.if 1 && foo(2)\n.endif\n', 'c.cfg', { env: {} });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ level: 'alert', code: 'HAP_CFG_COND', line: 1 });
    expect(r.diagnostics[0]!.message).toContain("unparsable conditional expression 'foo(2)'");
  });

  it('.if/.elif/.else choose one block, using the environment', () => {
    const text = [
      'global',
      '.if defined(NOPE)',
      '  .notice "one"',
      '.elif streq("$A",x)',
      '  .notice "two"',
      '.else',
      '  .notice "three"',
      '.endif',
      '',
    ].join('\n');
    const notices = (env: Record<string, string>) =>
      parseConfig(text, 'c.cfg', { env })
        .diagnostics.filter((d) => d.level === 'notice')
        .map((d) => d.message);
    expect(notices({ A: 'x' })).toEqual(["'two'."]);
    expect(notices({ A: 'y' })).toEqual(["'three'."]);
    expect(notices({ NOPE: '', A: 'x' })).toEqual(["'one'."]);
  });
});

describe('haproxyd extensions (HAProxy 2.6 rejects them)', () => {
  const c = (): ConditionContext => ({
    env: {},
    version: '2.6.12',
    features: new Set(),
    sslVersion: '3.0.11',
    sslLibName: 'OpenSSL',
  });

  it.each([
    ['strstr(abcdef,cde)', true],
    ['strstr(abc,x)', false],
    ['strstr(abc,)', true],
    ['strstr(,a)', false],
    ['enabled(EPOLL)', true],
    ['enabled(GETADDRINFO)', true],
    ['enabled(REUSEPORT)', true],
    ['enabled(SPLICE)', false],
    ['enabled(epoll)', false],
    ['enabled()', false],
    ['strstr(abc,b) && !enabled(NOPE)', true],
  ] as const)('%s → %s', (expr, value) => {
    expect(evaluateCondition(expr, c())).toEqual({ ok: true, value });
  });

  it('HAProxy 2.6 itself does not know them (so they are not in the differential table)', () => {
    expect(haproxyCc('strstr(ab,a)', {})).toEqual({
      kind: 'error',
      message: "unparsable conditional expression 'strstr(ab,a)'",
    });
    expect(haproxyCc('enabled(EPOLL)', {})).toEqual({
      kind: 'error',
      message: "unparsable conditional expression 'enabled(EPOLL)'",
    });
  });

  it.each(['strstr(abc)', 'strstr(a,b,c)', 'enabled(A,B)'])('%s is an error', (expr) => {
    expect(evaluateCondition(expr, c()).ok).toBe(false);
  });
});
