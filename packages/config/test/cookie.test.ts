// The proxy `cookie` keyword: what parseCookieArgs() reads, and the alerts and warnings of bad
// lines compared with what the real `haproxy -c` prints for the same text.
import { formatDiagnostic, parseConfig, parseCookieArgs } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { haproxyCheck } from './support/oracle.ts';

const PID = 4242;

function haproxyLines(text: string): string[] {
  return haproxyCheck(text)
    .output.split('\n')
    .filter((l) => /^\[(ALERT|WARNING)\]/.test(l) && l.includes('parsing ['))
    .map((l) => l.replace(/\((\d+)\)/, `(${PID})`));
}

function ourLines(text: string): string[] {
  const r = parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
  return r.diagnostics
    .filter((d) => d.level === 'alert' || d.level === 'warning')
    .map((d) => formatDiagnostic(d, PID));
}

const backend = (line: string) =>
  `backend b\n  mode http\n  timeout connect 1s\n  timeout server 1s\n  ${line}\n  server s1 127.0.0.1:8080 cookie s1\n`;

describe('parseCookieArgs', () => {
  it('reads every option', () => {
    const r = parseCookieArgs(
      'cookie SRV insert indirect nocache postonly preserve httponly secure domain .a.com domain .b.org maxidle 30m maxlife 2h attr SameSite=Lax attr x=1'.split(
        ' ',
      ),
    );
    expect(r.alerts).toEqual([]);
    expect(r.settings).toEqual({
      name: 'SRV',
      rewrite: false,
      insert: true,
      prefix: false,
      indirect: true,
      nocache: true,
      postonly: true,
      preserve: true,
      httponly: true,
      secure: true,
      dynamic: false,
      domains: ['.a.com', '.b.org'],
      maxidle: 1800,
      maxlife: 7200,
      attrs: ['SameSite=Lax', 'x=1'],
    });
  });

  it('a name alone is passive persistence', () => {
    const r = parseCookieArgs(['cookie', 'JSESSIONID']);
    expect(r.settings).toMatchObject({ name: 'JSESSIONID', insert: false, rewrite: false, prefix: false });
  });
});

describe('bad cookie lines: the same messages as haproxy -c', () => {
  it.each([
    ['no name', 'cookie'],
    ['unknown option', 'cookie SRV insert bogus'],
    ['rewrite and indirect', 'cookie SRV rewrite indirect'],
    ['insert and prefix', 'cookie SRV insert prefix'],
    ['preserve alone', 'cookie SRV preserve'],
    ['domain without value', 'cookie SRV insert domain'],
    ['domain without a dot (warning)', 'cookie SRV insert domain localhost'],
    ['a bad character in a domain', 'cookie SRV insert domain a:b.com'],
    ['maxidle without value', 'cookie SRV insert maxidle'],
    ['maxidle with a bad unit', 'cookie SRV insert maxidle 10x'],
    ['attr with a semicolon', 'cookie SRV insert attr a;b'],
    ['dynamic-cookie-key without a key', 'dynamic-cookie-key'],
  ])('%s', (_name, line) => {
    const text = backend(line);
    const hap = haproxyLines(text);
    expect(hap.length, `haproxy said nothing about ${line}`).toBeGreaterThan(0);
    expect(ourLines(text)).toEqual(hap);
  });

  it('a good line gives no message (haproxy agrees)', () => {
    const text = backend(
      'cookie SRV insert indirect nocache httponly secure domain .example.com maxidle 1h attr SameSite=Strict',
    );
    expect(haproxyLines(text)).toEqual([]);
    expect(ourLines(text)).toEqual([]);
  });

  it('dynamic cookies with a key (extra words after the key are ignored): no message either', () => {
    const text = backend('cookie SRV insert dynamic\n  dynamic-cookie-key k1 extra words');
    expect(haproxyLines(text)).toEqual([]);
    expect(ourLines(text)).toEqual([]);
  });
});
