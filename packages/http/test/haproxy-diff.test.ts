// Differential test: the same raw requests go to the real HAProxy 2.6 (mode http, in
// front of a tiny recording server) and to HttpParser; both must take the same decision,
// and where HAProxy answers an error, with the same status.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ProxyHandle, requireHaproxy, startProxy } from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATRIX } from './cases.ts';
import { verdict } from './collect.ts';

const received: Buffer[] = [];
let backend: net.Server;
let haproxy: ProxyHandle | undefined;
let port = 0;
let dir = '';

/** Sends raw bytes, returns HAProxy's status (0: closed without answer) and what the server received. */
async function send(raw: string): Promise<{ status: number; forwarded: boolean }> {
  const before = received.length;
  const status = await new Promise<number>((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    const done = () => {
      clearTimeout(timer);
      c.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(out);
      resolve(m ? Number(m[1]) : 0);
    };
    const timer = setTimeout(done, 3000);
    c.on('data', (d) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n')) done();
    });
    c.on('end', done);
    c.on('error', done);
    c.write(Buffer.from(raw, 'latin1'));
  });
  return { status, forwarded: received.length > before };
}

beforeAll(async () => {
  requireHaproxy();
  backend = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', (d) => {
      received.push(d);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const bport = (backend.address() as net.AddressInfo).port;
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'hap-http-diff-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  tune.bufsize 16384',
      '  tune.maxrewrite 1024',
      '  tune.http.maxhdr 101',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      `  server s1 127.0.0.1:${bport}`,
      '',
    ].join('\n'),
  );
  haproxy = await startProxy('haproxy', cfg, { readyPorts: [port], readyCheck: 'connect' });
});

afterAll(async () => {
  await haproxy?.stop();
  await new Promise((r) => (backend ? backend.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HttpParser against HAProxy 2.6', () => {
  it.each(MATRIX)('%s', async (_name, request, recorded) => {
    const { status, forwarded } = await send(request);
    const theirs = status === 200 ? 'ok' : status;
    if (theirs !== 'ok')
      expect(forwarded, 'HAProxy rejected, the server must have received nothing').toBe(false);
    expect({ haproxy: theirs, ours: verdict(request) }).toEqual({ haproxy: theirs, ours: theirs });
    // the table in cases.ts (and the README) stays true
    expect(theirs).toBe(recorded);
  });
});
