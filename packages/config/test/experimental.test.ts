// Experimental actions (HAProxy 2.6: `http-request normalize-uri`) are refused unless the
// global section has `expose-experimental-directives`: the same alert as `haproxy -c`.
import { formatDiagnostic, parseConfig } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { haproxyCheck } from './support/oracle.ts';

const PID = 4242;
const body =
  'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n' +
  'frontend fe\n  bind 127.0.0.1:18997\n  http-request normalize-uri path-merge-slashes\n  default_backend b\n' +
  'backend b\n  server s1 127.0.0.1:1\n';

function firstAlert(lines: string[]): string | undefined {
  return lines.find((l) => l.startsWith('[ALERT]') && l.includes('parsing ['));
}

describe('expose-experimental-directives', () => {
  it('without it, normalize-uri is refused as HAProxy does', () => {
    const hap = haproxyCheck(body)
      .output.split('\n')
      .map((l) => l.replace(/\((\d+)\)/, `(${PID})`));
    const r = parseConfig(body, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
    expect(r.ok).toBe(false);
    const ours = r.diagnostics.map((d) => formatDiagnostic(d, PID));
    expect(firstAlert(hap)).toBeDefined();
    expect(firstAlert(ours)).toBe(firstAlert(hap));
  });

  it('with it, the line is accepted (haproxy agrees)', () => {
    const text = `global\n  expose-experimental-directives\n${body}`;
    expect(haproxyCheck(text).status).toBe(0);
    const r = parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
    expect(r.diagnostics.filter((d) => d.level === 'alert')).toEqual([]);
  });
});

describe('declare capture', () => {
  it('bad lines give the same alerts as haproxy -c', () => {
    const text =
      'defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n' +
      'frontend fe\n  bind 127.0.0.1:18996\n  declare capture request len 0\n  declare capture sideways len 3\n' +
      '  declare capture request len x\n  declare foo\n  declare capture response len 4\n  default_backend b\n' +
      'backend b\n  server s1 127.0.0.1:1\n';
    const alerts = (lines: string[]) =>
      lines.filter((l) => l.startsWith('[ALERT]') && l.includes('parsing ['));
    const hap = alerts(
      haproxyCheck(text)
        .output.split('\n')
        .map((l) => l.replace(/\((\d+)\)/, `(${PID})`)),
    );
    const r = parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
    expect(hap).toHaveLength(4);
    expect(alerts(r.diagnostics.map((d) => formatDiagnostic(d, PID)))).toEqual(hap);
  });
});
