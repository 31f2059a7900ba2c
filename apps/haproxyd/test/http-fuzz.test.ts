// End-to-end robustness: the real haproxyd in mode http takes a few hundred clients that send
// random, truncated, pipelined or hostile bytes in random pieces, against a backend that
// answers in random ways too. The daemon must stay up, keep answering a well-formed request
// after every hostile client, and end with no session, connection or file descriptor left.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { freePorts, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

useTestkit();

const RESPONSES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  'HTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.0 200 OK\r\n\r\nuntil close',
  'garbage\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort',
  '',
];

let backend: net.Server;
let port = 0;
let proxyPid = 0;
let answer = 0;

beforeAll(async () => {
  backend = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', () => {
      const r = RESPONSES[answer++ % RESPONSES.length]!;
      if (r === '') s.destroy();
      else if (r.endsWith('until close') || r.includes('short')) s.end(r);
      else s.write(r);
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const bePort = (backend.address() as net.AddressInfo).port;
  [port] = (await freePorts(1)) as [number];
  const cfg = writeConfig(
    [
      'defaults',
      '  mode http',
      '  timeout connect 500ms',
      '  timeout client 1s',
      '  timeout server 500ms',
      '  timeout http-request 500ms',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      `  server s1 127.0.0.1:${bePort}`,
      '',
    ].join('\n'),
    'fuzz.cfg',
  );
  const proxy = await startProxy('haproxyd', cfg, { readyPorts: [port] });
  proxyPid = proxy.pid;
});

afterAll(async () => {
  await new Promise((r) => backend.close(r));
});

/** Sends the pieces with small pauses, reads until close or 600 ms of silence; never throws. */
function hostile(pieces: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      s.destroy();
      resolve();
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(done, 600);
    };
    s.on('error', done);
    s.on('close', done);
    s.on('data', arm);
    s.on('connect', async () => {
      for (const p of pieces) {
        if (s.destroyed) return;
        s.write(p);
        await new Promise((r) => setTimeout(r, 2));
      }
      arm();
    });
  });
}

/** A well-formed request on a new connection gets a complete HTTP response. */
function probe(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to a valid request; got ${JSON.stringify(got)}`));
    }, 3000);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3} /.test(got) && got.includes('\r\n\r\n')) {
        clearTimeout(t);
        s.destroy();
        resolve(got.slice(0, got.indexOf('\r\n')));
      }
    });
    s.write('GET /probe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  });
}

const token = fc.constantFrom(
  'GET / HTTP/1.1\r\n',
  'POST /p HTTP/1.1\r\n',
  'HEAD / HTTP/1.0\r\n',
  'GET http://a:80/x HTTP/1.1\r\n',
  'CONNECT a:443 HTTP/1.1\r\n',
  'Host: a\r\n',
  'Content-Length: 5\r\n',
  'Content-Length: -1\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding: gzip\r\n',
  'Connection: close\r\n',
  'Connection: upgrade\r\nUpgrade: websocket\r\n',
  'Expect: 100-continue\r\n',
  ' folded\r\n',
  '\r\n',
  '\n',
  '\r',
  '5\r\nhello\r\n',
  '0\r\n\r\n',
  'ffffffffffffffffff\r\n',
  'abc',
  '\x00\x01\xff',
);

describe('haproxyd under hostile clients', () => {
  it('stays up and keeps serving after every hostile client, and leaks nothing', async () => {
    const fdsBefore = readdirSync(`/proc/${proxyPid}/fd`).length;
    const cases = fc.sample(
      fc.tuple(
        fc.array(token, { minLength: 1, maxLength: 12 }),
        fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 5 }),
      ),
      { numRuns: 150, seed: 4242 },
    );
    let n = 0;
    for (const [tokens, noise, splits] of cases) {
      const bytes = Buffer.concat([
        Buffer.from(tokens.join(''), 'latin1'),
        ...noise.map((u) => Buffer.from(u)),
      ]);
      const pieces: Buffer[] = [];
      const step = Math.max(1, Math.ceil(bytes.length / splits));
      for (let i = 0; i < bytes.length; i += step) pieces.push(bytes.subarray(i, i + step));
      await hostile(pieces);
      // every 10th hostile client, the daemon must still answer a valid request
      if (++n % 10 === 0) expect(await probe()).toMatch(/^HTTP\/1\.[01] \d{3} /);
      expect(() => process.kill(proxyPid, 0)).not.toThrow();
    }
    expect(await probe()).toMatch(/^HTTP\/1\.[01] \d{3} /);
    // once every client is gone and the timeouts have run, the fd count is back
    const deadline = Date.now() + 5000;
    let fds = readdirSync(`/proc/${proxyPid}/fd`).length;
    while (fds > fdsBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      fds = readdirSync(`/proc/${proxyPid}/fd`).length;
    }
    // idle server connections kept for reuse may remain (closed after 5 s): allow the one backend's
    expect(fds).toBeLessThanOrEqual(fdsBefore + 1);
  }, 120_000);
});
