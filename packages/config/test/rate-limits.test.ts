// Rate limits in the configuration: global `maxconnrate`, `maxsessrate`, `maxsslrate`,
// `maxcomprate`, `maxcompcpuusage` and the proxy `rate-limit sessions`. The values are
// read the C way HAProxy reads them (atol, strtoul base 0), and bad lines get the alerts
// and warnings the real `haproxy -c` prints for the same text.
import { formatDiagnostic, parseConfig } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { haproxyCheck } from './support/oracle.ts';

const PID = 4242;

function haproxyLines(text: string): string[] {
  return haproxyCheck(text)
    .output.split('\n')
    .filter((l) => /^\[(ALERT|WARNING)\]/.test(l) && l.includes('parsing ['))
    .map((l) => l.replace(/\((\d+)\)/, `(${PID})`));
}

function parse(text: string) {
  return parseConfig(text, 'haproxy.cfg', { env: {}, cwd: '/nonexistent' });
}

function ourLines(text: string): string[] {
  return parse(text)
    .diagnostics.filter((d) => (d.level === 'alert' || d.level === 'warning') && d.file !== undefined)
    .map((d) => formatDiagnostic(d, PID));
}

const TAIL = 'defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n';
const withGlobal = (lines: string) => `global\n  ${lines}\n${TAIL}frontend fe\n  bind 127.0.0.1:1\n`;
const withFrontend = (lines: string) =>
  `${TAIL}  rate-limit sessions 3\nfrontend fe\n  bind 127.0.0.1:1\n  ${lines}\nbackend be\n  rate-limit sessions 4\nlisten li\n  bind 127.0.0.1:2\n  rate-limit sessions 0\n`;

describe('global rate limits', () => {
  it('keeps the values as HAProxy does (atol into 32 bits, kB/s × 1024)', () => {
    const g = parse(
      withGlobal(
        'maxconnrate -5\n  maxsessrate 12abc\n  maxsslrate 0x10\n  maxcomprate 3\n  maxcompcpuusage 50',
      ),
    ).model.global;
    expect([g.maxconnrate, g.maxsessrate, g.maxsslrate, g.maxcomprate, g.maxcompcpuusage]).toEqual([
      4294967291, 12, 0, 3072, 50,
    ]);
    const d = parse(withGlobal('maxconnrate 20')).model.global;
    expect([d.maxconnrate, d.maxsessrate, d.maxsslrate, d.maxcomprate, d.maxcompcpuusage]).toEqual([
      20, 0, 0, 0, 100,
    ]);
  });

  it.each([
    'maxconnrate',
    'maxconnrate 5 6',
    'maxsslrate',
    'maxcomprate',
    'maxcomprate 1 2',
    'maxcompcpuusage',
    'maxcompcpuusage 101',
    'maxcompcpuusage -1',
    'maxconnrate 0\n  maxconnrate 6',
  ])('%j is answered as HAProxy', (line) => {
    const text = withGlobal(line);
    expect(ourLines(text)).toEqual(haproxyLines(text));
  });

  it('the lines are honoured, not merely parsed', () => {
    const r = parse(
      withGlobal('maxconnrate 5\n  maxsessrate 5\n  maxsslrate 5\n  maxcomprate 5\n  maxcompcpuusage 5'),
    );
    expect(r.diagnostics.filter((d) => d.level !== 'diag')).toEqual([]);
  });
});

describe('rate-limit sessions', () => {
  it('reads strtoul base 0 and inherits from defaults (frontends only)', () => {
    const value = (line: string) =>
      parse(withFrontend(line)).model.proxies.map((p) => `${p.kind}:${p.rateLimitSessions}`);
    expect(value('rate-limit sessions 0x10')).toEqual(['defaults:3', 'frontend:16', 'backend:0', 'listen:0']);
    expect(value('rate-limit sessions 010')).toEqual(['defaults:3', 'frontend:8', 'backend:0', 'listen:0']);
    expect(value('rate-limit sessions -1')[1]).toBe('frontend:4294967295');
    expect(value('maxconn 10')[1]).toBe('frontend:3');
  });

  it.each([
    'rate-limit',
    'rate-limit sessions',
    'rate-limit foo 5',
    'rate-limit sessions 5x',
    'rate-limit sessions 0x',
    'rate-limit sessions 08',
    'rate-limit sessions 5 6',
    'rate-limit sessions 5\n  rate-limit sessions 6',
    'rate-limit sessions 3\n  rate-limit sessions 5',
  ])('%j is answered as HAProxy', (line) => {
    const text = withFrontend(line);
    expect(ourLines(text)).toEqual(haproxyLines(text));
  });
});
