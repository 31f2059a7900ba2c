// Senders on real sockets: UDP (the testkit's syslog sink), a unix datagram socket, a file
// descriptor, TCP; level filters, minlevel, sampling and `len`; nothing ever throws.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { startSyslogSink, tempDir } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import type * as Koffi from 'koffi';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  type Logger,
  type LogTarget,
  parseLogDirective,
  unixDatagramAvailable,
} from '../src/index.ts';

useTestkit();

beforeAll(() => {
  process.env['TZ'] = 'UTC';
});

const NOW = () => Date.UTC(2009, 1, 6, 9, 5, 7, 43);
const loggers: Logger[] = [];
afterEach(async () => {
  await Promise.all(loggers.splice(0).map((l) => l.close()));
});

function target(line: string): LogTarget {
  const d = parseLogDirective(line.split(' '));
  if (d.kind !== 'target') throw new Error(line);
  return d.target;
}

function logger(lines: string[], opts: Parameters<typeof createLogger>[1] = {}): Logger {
  const l = createLogger(lines.map(target), { pid: 77, now: NOW, ...opts });
  loggers.push(l);
  return l;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('UDP', () => {
  it('sends header and message, one datagram each, LF-terminated', async () => {
    const sink = await startSyslogSink();
    const l = logger([`log ${sink.addr} local0`, `log ${sink.addr} format rfc5424 local1`]);
    l.send(6, 'hello world\n');
    await sink.waitFor(/hello world$/);
    await until(() => sink.lines().length === 2);
    expect(sink.lines().sort()).toEqual([
      '<134>Feb  6 09:05:07 haproxy[77]: hello world',
      '<142>1 2009-02-06T09:05:07.043000+00:00 - haproxy 77 - - hello world',
    ]);
    expect(l.stats()).toEqual({ sent: 2, dropped: 0 });
  });

  it('filters by level, caps with minlevel, uses the proxy tag and the host name', async () => {
    const sink = await startSyslogSink();
    const l = logger([`log ${sink.addr} local0 notice err`], { sendHostname: 'lb1', tag: 'hap' });
    l.send(6, 'info is filtered');
    l.send(5, 'notice passes');
    l.send(0, 'emerg is capped to err', { tag: 'fe1' });
    await until(() => sink.lines().length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.lines()).toEqual([
      '<133>Feb  6 09:05:07 lb1 hap[77]: notice passes',
      '<131>Feb  6 09:05:07 lb1 fe1[77]: emerg is capped to err',
    ]);
  });

  it('cuts the datagram (header included) to len, then adds the LF', async () => {
    const sink = await startSyslogSink();
    const l = logger([`log ${sink.addr} len 80 format raw local0`, `log ${sink.addr} len 80 local0`]);
    l.send(6, 'x'.repeat(200));
    await until(() => sink.lines().length === 2);
    const lines = sink.lines().sort((a, b) => a.length - b.length);
    expect(lines.map((s) => s.length)).toEqual([80, 80]);
    expect(lines.some((s) => s === 'x'.repeat(80))).toBe(true);
    expect(lines.some((s) => s.startsWith('<134>Feb  6 09:05:07 haproxy[77]: xxx'))).toBe(true);
  });

  it('samples: ranges of a period', async () => {
    const sink = await startSyslogSink();
    const l = logger([`log ${sink.addr} format raw sample 1,3-4:5 local0`]);
    for (let i = 1; i <= 12; i++) l.send(6, `m${i}`);
    await until(() => sink.lines().length === 7);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.lines().sort()).toEqual(['m1', 'm11', 'm3', 'm4', 'm6', 'm8', 'm9']);
  });

  it('resolves a host name once', async () => {
    const sink = await startSyslogSink();
    const l = logger([`log localhost:${sink.port} format raw local0`]);
    l.send(6, 'by name');
    await sink.waitFor(/^by name$/);
  });

  it('never throws and counts what it could not send', async () => {
    const errors: string[] = [];
    const l = logger(['log 127.0.0.1:1 format raw local0'], { onError: (_t, m) => errors.push(m) });
    expect(() => l.send(6, 'x'.repeat(70_000))).not.toThrow();
    await until(() => l.stats().dropped + l.stats().sent === 1);
    const l2 = logger(['log nonexistent.invalid format raw local0'], { onError: (_t, m) => errors.push(m) });
    l2.send(6, 'lost');
    await until(() => l2.stats().dropped === 1, 10_000);
    expect(errors.some((m) => m.includes('nonexistent.invalid'))).toBe(true);
  });
});

describe('file descriptors', () => {
  it('writes each line whole, header and LF within len', async () => {
    const file = join(tempDir(), 'out.log');
    const fd = openSync(file, 'w');
    try {
      const l = logger([`log fd@${fd} format short local0`, `log fd@${fd} len 80 format raw local0`]);
      l.send(3, 'first');
      l.send(6, 'y'.repeat(100));
      await until(() => l.stats().sent === 4);
      await l.close();
      expect(readFileSync(file, 'latin1')).toBe(
        `<3>first\nfirst\n<6>${'y'.repeat(100)}\n${'y'.repeat(79)}\n`,
      );
    } finally {
      closeSync(fd);
    }
  });
});

describe('TCP', () => {
  it('sends lines in order, keeps them while connecting, reconnects', async () => {
    const received: string[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.setEncoding('latin1');
      s.on('data', (d: string) => received.push(d));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const l = logger([`log tcp@127.0.0.1:${port} len 80 format rfc5424 local0`]);
      l.send(6, 'one');
      l.send(6, 'z'.repeat(100));
      await until(() => received.join('').split('\n').length === 3);
      const lines = received.join('').split('\n');
      expect(lines[0]).toBe('<134>1 2009-02-06T09:05:07.043000+00:00 - haproxy 77 - - one');
      expect(lines[1]).toBe(`<134>1 2009-02-06T09:05:07.043000+00:00 - haproxy 77 - - ${'z'.repeat(80)}`);
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, 50));
      l.send(6, 'after');
      await until(() => received.join('').includes('after'), 5000);
    } finally {
      server.close();
      for (const s of sockets) s.destroy();
    }
  });
});

describe.skipIf(!unixDatagramAvailable())('unix datagram', () => {
  it('sends to a bound unix datagram socket without blocking; drops when it is full', async () => {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load('libc.so.6');
    const socket = lib.func('int socket(int, int, int)');
    const bind = lib.func('int bind(int, const void *, uint32_t)');
    const recv = lib.func('long recv(int, void *, size_t, int)');
    const close = lib.func('int close(int)');
    const path = join(tempDir(), 'log.sock');
    const fd = socket(1, 2 | 0o4000, 0) as number;
    const addr = Buffer.alloc(2 + path.length + 1);
    addr.writeUInt16LE(1, 0);
    addr.write(path, 2, 'latin1');
    expect(bind(fd, addr, addr.length)).toBe(0);
    try {
      const l = logger([`log unix@${path} local0`, `log ${path} format raw local1`]);
      l.send(6, 'via unix');
      const buf = Buffer.alloc(2048);
      const got: string[] = [];
      for (let i = 0; i < 2; i++) {
        const n = Number(recv(fd, buf, buf.length, 0x40));
        expect(n).toBeGreaterThan(0);
        got.push(buf.subarray(0, n).toString('latin1'));
      }
      expect(got).toEqual(['<134>Feb  6 09:05:07 haproxy[77]: via unix\n', 'via unix\n']);
      // nobody reads: the socket fills up, sends fail at once and are counted
      for (let i = 0; i < 5000; i++) l.send(6, 'x'.repeat(1000));
      expect(l.stats().dropped).toBeGreaterThan(0);
      expect(l.stats().sent + l.stats().dropped).toBe(2 + 10_000);
    } finally {
      close(fd);
    }
  });

  it('a missing socket counts drops and reports once', async () => {
    const errors: string[] = [];
    const l = logger([`log unix@${join(tempDir(), 'none.sock')} local0`], {
      onError: (_t, m) => errors.push(m),
    });
    l.send(6, 'a');
    l.send(6, 'b');
    expect(l.stats()).toEqual({ sent: 0, dropped: 2 });
    expect(errors).toHaveLength(1);
  });
});

describe('refused targets', () => {
  it('rings are not supported yet', () => {
    expect(() => createLogger([target('log ring@buf local0')])).toThrow(/rings are not supported yet/);
  });
});
