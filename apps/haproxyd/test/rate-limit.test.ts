// Accept rate limits, haproxyd against the real HAProxy on the same configuration:
// - global `maxconnrate 20` and a burst of 60 connections: every one is served (none
//   refused or reset: the extra ones wait), spread over the seconds the rate allows;
// - a frontend's `rate-limit sessions` does the same for that frontend (`rate_lim` in stats);
// - `show info` reports the limits and the highest rates as HAProxy does;
// - `set rate-limit … global` changes a limit (`0` removes it: what waited goes in at
//   once), and bad input gets HAProxy's answers.
// Timing is only observed as a fact about behaviour (a lower bound a rate limit implies),
// never as a speed.
import net from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startProxy,
  startTcpEchoBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';
import { makePki, type Pki } from './tls-fixtures.ts';

useTestkit();
let pki: Pki | undefined;
beforeAll(() => void requireHaproxy());
afterAll(() => pki?.remove());

interface Setup {
  readonly port: number;
  /** The `ssl` bind line's port (when a certificate was given). */
  readonly tlsPort: number;
  readonly sock: string;
}

/**
 * Runs `body` against `binary` started on a TCP proxy to an echo server; with `crt`, the
 * frontend has a second bind line, `ssl crt <crt>`.
 */
async function run<T>(
  binary: Binary,
  global: string[],
  frontend: string[],
  body: (s: Setup) => Promise<T>,
  crt?: string,
): Promise<T> {
  const echo = await startTcpEchoBackend();
  const [port, tlsPort] = (await freePorts(2)) as [number, number];
  const sock = join(tempDir(), `${binary}-rl.sock`);
  const cfg = writeConfig(
    [
      'global',
      `  stats socket ${sock} level admin`,
      // one thread, as haproxyd: HAProxy's threads check the rate each on its own and
      // together may overshoot it by a few (MaxConnRate 23 under maxconnrate 20 was seen)
      '  nbthread 1',
      ...global.map((l) => `  ${l}`),
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      ...(crt !== undefined ? [`  bind 127.0.0.1:${tlsPort} ssl crt ${crt}`] : []),
      ...frontend.map((l) => `  ${l}`),
      '  default_backend be',
      'backend be',
      `  server s1 ${echo.addr}`,
      '',
    ].join('\n'),
    `${binary}-rl.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: crt !== undefined ? [port, tlsPort] : [port] });
  try {
    return await body({ port, tlsPort, sock });
  } finally {
    await proxy.stop();
    await echo.close();
  }
}

interface Exchange {
  /** The echo came back. */
  readonly ok: boolean;
  /** Why not (error code, 'closed', 'timeout'). */
  readonly why: string;
  /** When the echo came back (ms, this process's clock). */
  readonly at: number;
}

/** One connection (TLS: `tls`): send a line, wait for it to come back through the proxy. */
function exchange(port: number, tls = false): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port });
    let got = '';
    s.setTimeout(45_000);
    s.setEncoding('latin1');
    s.on(tls ? 'secureConnect' : 'connect', () => s.write('ping\n'));
    s.on('data', (d: string) => {
      got += d;
      if (got.includes('ping\n')) {
        resolve({ ok: true, why: '', at: performance.now() });
        s.destroy();
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, why: e.code ?? e.message, at: 0 }));
    s.on('timeout', () => {
      resolve({ ok: false, why: 'timeout', at: 0 });
      s.destroy();
    });
    s.on('close', () => resolve({ ok: false, why: 'closed', at: 0 }));
  });
}

/** `n` connections opened at once; what came of them. */
async function burst(port: number, n: number, tls = false) {
  const all = await Promise.all(Array.from({ length: n }, () => exchange(port, tls)));
  const times = all.filter((e) => e.ok).map((e) => e.at);
  times.sort((a, b) => a - b);
  return {
    served: times.length,
    failures: all.filter((e) => !e.ok).map((e) => e.why),
    /** From the first echo to the last one. */
    spread: times.length > 1 ? times[times.length - 1]! - times[0]! : 0,
  };
}

/** `show info` as a map. */
async function info(sock: string): Promise<Map<string, string>> {
  const text = await cli(sock, 'show info');
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(': ');
    if (at > 0) m.set(line.slice(0, at), line.slice(at + 2));
  }
  return m;
}

const LIMIT_FIELDS = ['ConnRateLimit', 'SessRateLimit', 'SslRateLimit', 'CompressBpsRateLim'];

function limits(m: Map<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(LIMIT_FIELDS.map((f) => [f, m.get(f)]));
}

/** A column of the FRONTEND line of `fe` in `show stat`. */
async function frontendColumn(sock: string, name: string): Promise<string | undefined> {
  const lines = (await cli(sock, 'show stat')).split('\n');
  const names = lines[0]!.slice(2).split(',');
  const row = lines.find((l) => l.startsWith('fe,FRONTEND,'));
  return row?.split(',')[names.indexOf(name)];
}

describe('maxconnrate', () => {
  it('a burst of 60 at 20 per second: all served, none refused or reset, spread over the seconds the rate allows', async () => {
    const measure = (binary: Binary) =>
      run(binary, ['maxconnrate 20'], [], async ({ port, sock }) => {
        const b = await burst(port, 60);
        const i = await info(sock);
        return {
          served: b.served,
          failures: b.failures,
          // 60 at 20 per second take two seconds at least; 1 s leaves room for the clock
          spreadOverOneSecond: b.spread >= 1000,
          ConnRateLimit: i.get('ConnRateLimit'),
          // never more than 20 in one period
          MaxConnRate: i.get('MaxConnRate'),
          MaxSessRate: i.get('MaxSessRate'),
        };
      });
    const want = await measure('haproxy');
    const got = await measure('haproxyd');
    expect(want).toEqual({
      served: 60,
      failures: [],
      spreadOverOneSecond: true,
      ConnRateLimit: '20',
      MaxConnRate: '20',
      MaxSessRate: '20',
    });
    expect(got).toEqual(want);
  }, 120_000);

  it('set rate-limit connections global 0 removes the limit: what waits goes in at once', async () => {
    const measure = (binary: Binary) =>
      run(binary, ['maxconnrate 2'], [], async ({ port, sock }) => {
        const pending = burst(port, 12);
        // the first ones are served, the others wait at the rate of 2 per second
        await waitUntil('connections counted', async () => (await info(sock)).get('MaxConnRate') === '2');
        const answer = await cli(sock, 'set rate-limit connections global 0');
        const b = await pending;
        const i = await info(sock);
        return {
          answer,
          served: b.served,
          failures: b.failures,
          ConnRateLimit: i.get('ConnRateLimit'),
          // more than 2 in one period: only possible without the limit
          beyondTheOldLimit: Number(i.get('MaxConnRate')) > 2,
        };
      });
    const want = await measure('haproxy');
    const got = await measure('haproxyd');
    expect(want).toEqual({
      answer: '\n',
      served: 12,
      failures: [],
      ConnRateLimit: '0',
      beyondTheOldLimit: true,
    });
    expect(got).toEqual(want);
  }, 120_000);
});

describe('rate-limit sessions (frontend)', () => {
  it('a burst of 30 at 10 per second on the frontend: all served, spread, rate_lim shown', async () => {
    const measure = (binary: Binary) =>
      run(binary, [], ['rate-limit sessions 10'], async ({ port, sock }) => {
        const b = await burst(port, 30);
        return {
          served: b.served,
          failures: b.failures,
          spreadOverOneSecond: b.spread >= 1000,
          rateLim: await frontendColumn(sock, 'rate_lim'),
          // the process-wide rate is not limited, only counted
          ConnRateLimit: (await info(sock)).get('ConnRateLimit'),
        };
      });
    const want = await measure('haproxy');
    const got = await measure('haproxyd');
    expect(want).toEqual({
      served: 30,
      failures: [],
      spreadOverOneSecond: true,
      rateLim: '10',
      ConnRateLimit: '0',
    });
    expect(got).toEqual(want);
  }, 120_000);
});

describe('maxsslrate', () => {
  it('limits the sessions of ssl bind lines only: a TLS burst is spread, a plain one is not held', async () => {
    pki ??= makePki();
    const crt = pki.path('def.pem');
    const measure = (binary: Binary) =>
      run(
        binary,
        ['maxsslrate 5'],
        [],
        async ({ port, tlsPort, sock }) => {
          const secure = await burst(tlsPort, 15, true);
          const afterTls = await info(sock);
          await cli(sock, 'clear counters');
          const plain = await burst(port, 16);
          const afterPlain = await info(sock);
          return {
            tls: {
              served: secure.served,
              failures: secure.failures,
              spreadOverOneSecond: secure.spread >= 1000,
            },
            SslRateLimit: afterTls.get('SslRateLimit'),
            MaxSslRate: afterTls.get('MaxSslRate'),
            plain: { served: plain.served, failures: plain.failures },
            // more than 5 sessions in one period: the plain bind line was not held
            plainBeyondTheSslLimit: Number(afterPlain.get('MaxSessRate')) > 5,
            MaxSslRateAfterClear: afterPlain.get('MaxSslRate'),
          };
        },
        crt,
      );
    const want = await measure('haproxy');
    const got = await measure('haproxyd');
    expect(want).toEqual({
      tls: { served: 15, failures: [], spreadOverOneSecond: true },
      SslRateLimit: '5',
      MaxSslRate: '5',
      plain: { served: 16, failures: [] },
      plainBeyondTheSslLimit: true,
      MaxSslRateAfterClear: '0',
    });
    expect(got).toEqual(want);
  }, 120_000);
});

describe('show info and set rate-limit', () => {
  it('limits as configured, changed at run time, and bad input answered as HAProxy', async () => {
    const commands = [
      'set rate-limit connections global 5',
      'set rate-limit sessions global 7x',
      'set rate-limit ssl-sessions global 9',
      'set rate-limit http-compression global 2',
      'set rate-limit connections global',
      'set rate-limit sessions global -1',
      'set rate-limit connections',
      'set rate-limit requests global 5',
      'set rate-limit connections frontend 5',
    ];
    const measure = (binary: Binary) =>
      run(
        binary,
        ['maxconnrate -5', 'maxsessrate 0x10', 'maxsslrate 12abc', 'maxcomprate 3', 'maxcompcpuusage 50'],
        [],
        async ({ sock }) => {
          const before = limits(await info(sock));
          const answers: string[] = [];
          for (const c of commands) answers.push(await cli(sock, c));
          const after = limits(await info(sock));
          // non-numeric: atoi() reads 0, which removes the limit
          answers.push(await cli(sock, 'set rate-limit connections global abc'));
          const removed = limits(await info(sock));
          return { before, answers, after, removed };
        },
      );
    const want = await measure('haproxy');
    const got = await measure('haproxyd');
    expect(want.before).toEqual({
      ConnRateLimit: '4294967291',
      SessRateLimit: '0',
      SslRateLimit: '12',
      CompressBpsRateLim: '3072',
    });
    expect(want.after).toEqual({
      ConnRateLimit: '5',
      SessRateLimit: '7',
      SslRateLimit: '9',
      CompressBpsRateLim: '2048',
    });
    expect(want.removed['ConnRateLimit']).toBe('0');
    expect(want.answers[4]).toBe('Expects an integer value.\n\n');
    expect(want.answers[5]).toBe('Value out of range.\n\n');
    expect(want.answers[6]).toContain("'set rate-limit' only supports :");
    expect(got).toEqual(want);
  }, 60_000);
});
