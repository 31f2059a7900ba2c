// `log` lines: targets, options and HAProxy's refusals.
import { describe, expect, it } from 'vitest';
import { LogError, type LogTarget, parseLogAddress, parseLogDirective } from '../src/index.ts';

function target(line: string): LogTarget {
  const d = parseLogDirective(line.split(/\s+/));
  if (d.kind !== 'target') throw new Error(`not a target: ${line}`);
  return d.target;
}

function refused(line: string, global = false): string {
  try {
    parseLogDirective(line.split(/\s+/), { global });
  } catch (e) {
    expect(e).toBeInstanceOf(LogError);
    return (e as LogError).message;
  }
  throw new Error(`accepted: ${line}`);
}

describe('parseLogDirective', () => {
  it('log global, no log', () => {
    expect(parseLogDirective(['log', 'global'])).toEqual({ kind: 'global' });
    expect(parseLogDirective(['no', 'log'])).toEqual({ kind: 'none' });
    expect(refused('no log 127.0.0.1')).toBe("'no log' does not expect arguments");
    expect(refused('log global', true)).toBe("'global' is not supported for a global syslog server");
  });

  it('an address and a facility, with the defaults', () => {
    expect(target('log 127.0.0.1 local0')).toEqual({
      text: '127.0.0.1',
      address: { kind: 'udp', family: 4, host: '127.0.0.1', port: 514 },
      maxLen: 1024,
      format: undefined,
      sample: undefined,
      facility: 16,
      level: 7,
      minLevel: 0,
    });
  });

  it('len, format, sample, levels, in that order', () => {
    const t = target('log 10.0.0.1:1514 len 4096 format rfc5424 sample 1,3-4:5 daemon notice err');
    expect(t.maxLen).toBe(4096);
    expect(t.format).toBe('rfc5424');
    expect(t.sample).toEqual({
      ranges: [
        { low: 1, high: 1 },
        { low: 3, high: 4 },
      ],
      size: 5,
    });
    expect(t.facility).toBe(3);
    expect(t.level).toBe(5);
    expect(t.minLevel).toBe(3);
    expect(t.address).toEqual({ kind: 'udp', family: 4, host: '10.0.0.1', port: 1514 });
  });

  it('stdout and stderr are fd@1 and fd@2', () => {
    expect(target('log stdout format raw daemon').address).toEqual({ kind: 'fd', fd: 1 });
    expect(target('log stderr format short local0 notice').address).toEqual({ kind: 'fd', fd: 2 });
    expect(target('log stdout format raw daemon').text).toBe('stdout');
  });

  it('refusals, worded as HAProxy', () => {
    expect(refused('log 127.0.0.1')).toBe('expects <address> and <facility> or global as arguments');
    expect(refused('log 127.0.0.1', true)).toBe('expects <address> and <facility>  as arguments');
    expect(refused('log 127.0.0.1 len 79 local0')).toBe(
      "invalid log length '79', must be between 80 and 65535",
    );
    expect(refused('log 127.0.0.1 len x local0')).toBe(
      "invalid log length 'x', must be between 80 and 65535",
    );
    expect(refused('log 127.0.0.1 format json local0')).toBe("unknown log format 'json'");
    expect(refused('log 127.0.0.1 local9')).toBe("unknown log facility 'local9'");
    expect(refused('log 127.0.0.1 local0 loud')).toBe("unknown optional log level 'loud'");
    expect(refused('log 127.0.0.1 local0 info loud')).toBe("unknown optional minimum log level 'loud'");
    expect(refused('log 127.0.0.1 local0 info err x')).toBe("cannot handle unexpected argument 'x'");
    expect(refused('log 127.0.0.1 format raw len 100 local0')).toBe("unknown log facility 'len'");
  });

  it('sample ranges', () => {
    expect(refused('log 127.0.0.1 sample 1-2 local0')).toBe('Missing sample size');
    expect(refused('log 127.0.0.1 sample 0:2 local0')).toBe("wrong sample range '0'");
    expect(refused('log 127.0.0.1 sample 2-1:2 local0')).toBe("wrong sample range '2-1'");
    expect(refused('log 127.0.0.1 sample 1-3,2:4 local0')).toBe('ranges are overlapping');
    expect(refused('log 127.0.0.1 sample :4 local0')).toBe('no sampling ranges given');
    expect(refused('log 127.0.0.1 sample 1:x local0')).toBe("wrong sample size 'x' for sample range '1'");
    expect(refused('log 127.0.0.1 sample 1-5:4 local0')).toBe(
      'sample size 4 should be greater or equal to 5 the maximum of the high ranges limits',
    );
    expect(target('log 127.0.0.1 sample 5,1-2:6 local0').sample).toEqual({
      ranges: [
        { low: 1, high: 2 },
        { low: 5, high: 5 },
      ],
      size: 6,
    });
  });
});

describe('parseLogAddress', () => {
  const cases: Array<[string, unknown]> = [
    ['127.0.0.1:5514', { kind: 'udp', family: 4, host: '127.0.0.1', port: 5514 }],
    ['ipv4@127.0.0.1', { kind: 'udp', family: 4, host: '127.0.0.1', port: 514 }],
    ['udp@127.0.0.1:9', { kind: 'udp', family: 4, host: '127.0.0.1', port: 9 }],
    ['[::1]:5514', { kind: 'udp', family: 6, host: '::1', port: 5514 }],
    ['::1:5514', { kind: 'udp', family: 6, host: '::1', port: 5514 }],
    ['ipv6@::1:', { kind: 'udp', family: 6, host: '::1', port: 514 }],
    ['udp6@[2001:db8::1]:99', { kind: 'udp', family: 6, host: '2001:db8::1', port: 99 }],
    ['syslog.example.com:514', { kind: 'udp', family: 0, host: 'syslog.example.com', port: 514 }],
    ['ipv4@localhost', { kind: 'udp', family: 4, host: 'localhost', port: 514 }],
    ['/dev/log', { kind: 'unix', path: '/dev/log', abstract: false }],
    ['unix@/var/run/log.sock', { kind: 'unix', path: '/var/run/log.sock', abstract: false }],
    ['abns@syslog', { kind: 'unix', path: 'syslog', abstract: true }],
    ['fd@3', { kind: 'fd', fd: 3 }],
    ['tcp@127.0.0.1:601', { kind: 'tcp', family: 4, host: '127.0.0.1', port: 601 }],
    ['tcp6@[::1]:601', { kind: 'tcp', family: 6, host: '::1', port: 601 }],
    ['uxst@/run/log.sock', { kind: 'unix-stream', path: '/run/log.sock' }],
  ];
  for (const [text, want] of cases) {
    it(text, () => expect(parseLogAddress(text)).toEqual(want));
  }

  it('ring@ is kept for the logger to refuse', () => {
    expect(target('log ring@buf local0').address).toEqual({ kind: 'ring', name: 'buf' });
  });

  it('refuses bad addresses', () => {
    expect(refused('log 127.0.0.1:1-2 local0')).toBe("port range not permitted here in '127.0.0.1:1-2'");
    expect(refused('log 127.0.0.1:99999 local0')).toBe("invalid port '99999'");
    expect(refused('log 127.0.0.1:x local0')).toBe(
      "invalid character 'x' in port number 'x' in '127.0.0.1:x'",
    );
    expect(refused('log ipv6@127.0.0.1 local0')).toBe("invalid address: '127.0.0.1' in 'ipv6@127.0.0.1'");
    expect(refused('log fd@x local0')).toBe("file descriptor 'x' is not a valid integer in 'fd@x'");
    expect(refused(`log /${'a'.repeat(120)} local0`)).toMatch(/^socket path '.*' too long \(max 97\)$/);
    expect(refused('log a..b!c local0')).toBe("invalid address: 'a..b!c' in 'a..b!c'");
  });
});
