// The dump of `show errors` (runtime-errors.ts) on its own: lines cut at 80 columns with a '+'
// after the offset of a continuation, escapes for \t \n \r \e \\ and \xHH for other bytes.
// The expected text is what haproxy 2.6.12 printed for the same request.
import { describe, expect, it } from 'vitest';
import { dumpText } from '../src/runtime-errors.ts';

describe('show errors: dumpText', () => {
  it('dumps a message line by line as HAProxy 2.6 does', () => {
    const request =
      `GET /${'abc\\def\t\x1b'.repeat(12)} HTTP/1.1\r\nHost: a\r\n` +
      `X-Long: ${'v'.repeat(150)}\r\nBad\x00: y\r\n\r\n`;
    const haproxy = [
      '  00000  GET /abc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\',
      '  00054+ def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc\\\\def\\t\\eabc',
      '  00107+ \\\\def\\t\\e HTTP/1.1\\r\\n',
      '  00124  Host: a\\r\\n',
      `  00133  X-Long: ${'v'.repeat(62)}`,
      `  00203+ ${'v'.repeat(70)}`,
      `  00273+ ${'v'.repeat(18)}\\r\\n`,
      '  00293  Bad\\x00: y\\r\\n',
      '  00302  \\r\\n',
      '',
    ].join('\n');
    expect(dumpText(Buffer.from(request, 'latin1'))).toBe(haproxy);
  });

  it('ends an unfinished last line, and prints nothing for nothing', () => {
    expect(dumpText(Buffer.from('abc\r\nzz', 'latin1'))).toBe('  00000  abc\\r\\n\n  00005  zz\n');
    expect(dumpText(Buffer.alloc(0))).toBe('');
  });

  it('never cuts an escape: \\xHH moves to the next line whole', () => {
    const out = dumpText(Buffer.from(`${'a'.repeat(68)}\x01\x02`, 'latin1'));
    const lines = out.split('\n');
    expect(lines[0]).toBe(`  00000  ${'a'.repeat(68)}`);
    expect(lines[1]).toBe('  00068+ \\x01\\x02');
    for (const l of lines) expect(l.length).toBeLessThan(80);
  });
});
