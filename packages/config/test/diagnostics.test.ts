// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration text uses ${VAR} literally
// Diagnostics: formatDiagnostic() shapes and the messages parseConfig() gives
// on small inline configurations, compared line for line with what the real
// `haproxy -c` prints where haproxyd means to say the same thing.
import { type Diagnostic, formatDiagnostic, parseConfig } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { haproxyCheck } from './support/oracle.ts';

const PID = 4242;

/** HAProxy's own message lines (no banner, no summary), pid replaced by PID. */
function haproxyMessages(text: string): { status: number; lines: string[] } {
  const r = haproxyCheck(text);
  const lines = r.output
    .split('\n')
    .filter((l) => /^\[[A-Z]+\]/.test(l))
    .filter((l) => !/version is|path to executable|Error\(s\) found|Fatal errors found/.test(l))
    .map((l) => l.replace(/\((\d+)\)/, `(${PID})`));
  return { status: r.status, lines };
}

function ours(text: string, opts: { diagnosticMode?: boolean } = {}) {
  const r = parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent', ...opts });
  return { ...r, lines: r.diagnostics.map((d) => formatDiagnostic(d, PID)) };
}

describe('formatDiagnostic', () => {
  const base: Diagnostic = { level: 'alert', code: 'HAP_CFG_X', message: 'boom', file: 'a.cfg', line: 12 };

  it.each([
    ['alert', '[ALERT]    (77) : config : parsing [a.cfg:12] : boom'],
    ['warning', '[WARNING]  (77) : config : parsing [a.cfg:12] : boom'],
    ['notice', '[NOTICE]   (77) : config : parsing [a.cfg:12] : boom'],
    ['diag', '[DIAG]     (77) : config : parsing [a.cfg:12] : boom'],
  ] as const)('%s', (level, expected) => {
    expect(formatDiagnostic({ ...base, level }, 77)).toBe(expected);
  });

  it('all level tags are padded to the same width, so "(pid)" lines up', () => {
    const starts = (['alert', 'warning', 'notice', 'diag'] as const).map((level) =>
      formatDiagnostic({ ...base, level }, 1).indexOf('(1)'),
    );
    expect(new Set(starts)).toEqual(new Set([11]));
  });

  it('without a line, and without a file', () => {
    expect(formatDiagnostic({ level: 'alert', code: 'HAP_CFG_X', message: 'm', file: 'a.cfg' }, 5)).toBe(
      '[ALERT]    (5) : config : parsing [a.cfg] : m',
    );
    expect(formatDiagnostic({ level: 'warning', code: 'HAP_CFG_X', message: 'm' }, 5)).toBe(
      '[WARNING]  (5) : config : m',
    );
  });

  it('defaults to the current pid', () => {
    expect(formatDiagnostic({ level: 'notice', code: 'HAP_CFG_X', message: 'm' })).toBe(
      `[NOTICE]   (${process.pid}) : config : m`,
    );
  });

  it("level tags are HAProxy's: the same prefix as haproxy -c prints", () => {
    // .warning and .notice give one line each; an unknown keyword an alert
    const text = 'global\n.warning "w"\n.notice "n"\n  nosuchkw\n';
    const hap = haproxyMessages(text).lines.map((l) => l.slice(0, l.indexOf('(')));
    const mine = ours(text).lines.map((l) => l.slice(0, l.indexOf('(')));
    expect(hap).toEqual(['[WARNING]  ', '[NOTICE]   ', '[ALERT]    ']);
    expect(mine).toEqual(hap);
  });
});

describe('parseConfig messages vs haproxy -c', () => {
  // first located alert, printed, must be the same text as HAProxy's
  const SAME_FIRST_ALERT: Array<[string, string]> = [
    ['unknown global keyword, with a suggestion', 'global\n  maxconnn 10\n'],
    ['unknown global keyword, nothing close', 'global\n  zzzzzzqq 1\n'],
    ['unknown proxy keyword, with a suggestion', 'frontend f\n  bind :80\n  optionn httplog\n'],
    ['use-backend → use_backend', 'frontend f\n  bind :80\n  use-backend b\n'],
    ['unknown option, with a suggestion', 'backend b\n  option redispatchh\n'],
    ['option is not a global keyword (modifier accepted first)', 'global\n  no option httplog\n'],
    ['keyword out of any section', 'maxconn 10\n'],
    ['unmatched quote', 'global\n  maxconn "10\n'],
    ['"no" on a non-option keyword', 'global\n  no maxconn 10\n'],
    ['"default" on a non-option keyword', 'global\n  default maxconn 1\n'],
    ['"no" on a proxy keyword', 'frontend f\n  bind :80\n  no bind :81\n'],
    ['"no" on an option that cannot be negated', 'defaults\n  no option httplog\n'],
    ['an empty first argument does not hide the next one', 'global\n.notice "" x\n'],
  ];

  it.each(SAME_FIRST_ALERT)('%s', (_name, text) => {
    const hap = haproxyMessages(text);
    const hapAlert = hap.lines.find((l) => l.startsWith('[ALERT]'));
    expect(hapAlert, `haproxy accepted ${JSON.stringify(text)}`).toBeDefined();
    const r = ours(text);
    expect(r.ok).toBe(false);
    expect(r.lines.find((l) => l.startsWith('[ALERT]'))?.split('\n')[0]).toBe(hapAlert);
  });

  it('.notice / .warning / .diag lines are printed like HAProxy’s', () => {
    const text = 'global\n.notice "n"\n.warning "w ${.LINE}"\n.diag "d"\n';
    const hap = haproxyCheck(text, {})
      .output.split('\n')
      .filter((l) => /^\[(NOTICE|WARNING|DIAG)\]/.test(l) && l.includes('parsing'))
      .map((l) => l.replace(/\((\d+)\)/, `(${PID})`));
    expect(hap.length).toBe(2); // .diag is only shown with -dD
    expect(ours(text).lines).toEqual(hap);
  });

  it('suggestions are offered only when close enough', () => {
    const r = ours('global\n  maxconnn 10\n  zzzzzzqq 1\n');
    const msgs = r.diagnostics.map((d) => d.message);
    expect(msgs[0]).toMatch(/did you mean 'maxconn' maybe \?$/);
    expect(msgs[1]).not.toMatch(/did you mean/);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.keyword])).toEqual([
      ['HAP_CFG_UNKNOWN_KEYWORD', 2, 'maxconnn'],
      ['HAP_CFG_UNKNOWN_KEYWORD', 3, 'zzzzzzqq'],
    ]);
  });
});

describe('haproxyd-specific diagnostics', () => {
  it('a HAProxy keyword haproxyd does not support yet is an alert saying so', () => {
    const r = ours('global\n  lua-load x.lua\n');
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      level: 'alert',
      code: 'HAP_CFG_NOT_SUPPORTED',
      line: 2,
      file: 'haproxy.cfg',
      keyword: 'lua-load',
    });
    expect(r.diagnostics[0]!.message).toContain('does not support yet');
    expect(r.diagnostics[0]!.message).toContain("'lua-load'");
    // HAProxy knows the keyword (its complaint is about the missing file, not the word)
    const hap = haproxyMessages('global\n  lua-load x.lua\n').lines.join('\n');
    expect(hap).not.toMatch(/unknown keyword/);
  });

  it('a removed keyword (reqadd) gives a migration hint naming the replacement', () => {
    const text =
      'defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n' +
      'frontend f\n  bind :8080\n  reqadd X-Foo:\\ bar\n  default_backend b\nbackend b\n  server s 127.0.0.1:80\n';
    const r = ours(text);
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.level === 'alert')!;
    expect(d.line).toBe(8);
    expect(d.keyword).toBe('reqadd');
    expect(d.code).toMatch(/^HAP_CFG_/);
    expect(d.message).toContain("'http-request add-header'");
    // HAProxy refuses it on the same line and names both the keyword and the replacement
    const hap = haproxyMessages(text).lines.find((l) => l.startsWith('[ALERT]'))!;
    expect(hap).toContain('parsing [haproxy.cfg:8]');
    expect(hap).toContain("'http-request add-header'");
    expect(hap).toContain("'reqadd'");
    // the message alone should tell which keyword is gone, as HAProxy's does
    expect(d.message).toContain('reqadd');
  });

  it('no/default on keywords that accept them are not modifier errors', () => {
    const r = ours(
      'global\n  no busy-polling\n  default busy-polling\ndefaults\n  no option redispatch\n  default option redispatch\n  no log\n',
    );
    expect(r.diagnostics.filter((d) => d.code === 'HAP_CFG_MODIFIER')).toEqual([]);
    expect(r.ok).toBe(true);
    // haproxy agrees the configuration is fine (exit 2: valid, but no listener)
    expect(
      haproxyCheck('global\n  no busy-polling\ndefaults\n  no option redispatch\n  no log\n').status,
    ).not.toBe(1);
  });

  it('a bare "no" is a modifier error', () => {
    const r = ours('global\n  no\n');
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'HAP_CFG_MODIFIER', line: 2 });
  });

  it('.alert stops the parse; later errors are not reported', () => {
    const r = ours('global\n.alert "stop here"\n  nosuchkw\n');
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ level: 'alert', code: 'HAP_CFG_USER_ALERT', line: 2 });
    expect(r.diagnostics[0]!.message).toBe("'stop here'.");
  });

  it('.diag is emitted only in diagnostic mode', () => {
    expect(ours('global\n.diag "d"\n').diagnostics).toEqual([]);
    expect(ours('global\n.diag "d"\n', { diagnosticMode: true }).diagnostics).toEqual([
      {
        level: 'diag',
        code: 'HAP_CFG_USER_DIAG',
        message: "'d'.",
        file: 'haproxy.cfg',
        line: 2,
        keyword: '.diag',
      },
    ]);
  });

  it('a missing final LF is located on the last line', () => {
    const r = ours('global\n  maxconn 10');
    expect(r.diagnostics.map((d) => [d.code, d.line])).toContainEqual(['HAP_CFG_MISSING_LF', 2]);
    const hap = haproxyMessages('global\n  maxconn 10').lines.find((l) => l.startsWith('[ALERT]'));
    expect(r.lines.find((l) => l.includes('Missing LF'))).toBe(hap);
  });

  it('a NUL byte is reported with its position and stops the file', () => {
    const r = ours('global\n  max\0conn 10\n  nosuchkw\n');
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['HAP_CFG_NUL', 2]]);
    expect(r.diagnostics[0]!.message).toBe('Stray NUL character at position 6.');
  });
});
