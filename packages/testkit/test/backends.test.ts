import { createSocket } from 'node:dgram';
import { createConnection, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  cleanupAll,
  freePort,
  freePorts,
  pendingResources,
  request,
  startHttpBackend,
  startRawBackend,
  startSyslogSink,
  startTcpEchoBackend,
} from '../src/index.ts';
import { useTestkit } from '../src/vitest.ts';

useTestkit();

function exchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      got += c;
      if (got.length >= payload.length) socket.end();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(payload);
  });
}

describe('ports', () => {
  it('hands out distinct free ports', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    const one = await freePort();
    expect(ports).not.toContain(one);
  });
});

describe('backends', () => {
  it('TCP echo backend echoes and records bytes', async () => {
    const echo = await startTcpEchoBackend();
    expect(await exchange(echo.port, 'hello')).toBe('hello');
    expect(echo.requests).toHaveLength(1);
    expect(echo.requests[0]?.data.toString()).toBe('hello');
  });

  it('HTTP backend answers with what it received and records it', async () => {
    const http = await startHttpBackend(undefined, { name: 'alpha' });
    const res = await request(`http://${http.addr}/path?q=1`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: 'payload',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-backend']).toBe('alpha');
    const seen = JSON.parse(res.body) as {
      backend: string;
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(seen).toMatchObject({ backend: 'alpha', method: 'POST', url: '/path?q=1', body: 'payload' });
    expect(seen.headers['x-test']).toBe('yes');
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]?.body).toBe('payload');
  });

  it('HTTP backend runs a custom handler', async () => {
    const http = await startHttpBackend((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('nope');
    });
    const res = await request(`http://${http.addr}/`);
    expect(res).toMatchObject({ status: 404, body: 'nope' });
  });

  it('raw backend hands sockets to the test', async () => {
    const raw = await startRawBackend((socket: Socket) => {
      socket.end('220 hello\r\n');
    });
    const got = await new Promise<string>((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port: raw.port });
      let data = '';
      s.setEncoding('utf8');
      s.on('data', (c: string) => {
        data += c;
      });
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    expect(got).toBe('220 hello\r\n');
    expect(raw.requests).toHaveLength(1);
  });

  it('cleanupAll closes backends and sinks, and is idempotent', async () => {
    const echo = await startTcpEchoBackend();
    const http = await startHttpBackend();
    const sink = await startSyslogSink();
    expect(pendingResources()).toBe(3);
    // Leave a connection open: cleanup must not wait for it.
    const open = createConnection({ host: '127.0.0.1', port: echo.port });
    await new Promise((r) => open.once('connect', r));
    await cleanupAll();
    await cleanupAll();
    expect(pendingResources()).toBe(0);
    await expect(request(`http://${http.addr}/`, { timeoutMs: 2000 })).rejects.toThrow();
    await expect(exchange(echo.port, 'x')).rejects.toThrow(/ECONNREFUSED/);
    expect(sink.lines()).toEqual([]);
    open.destroy();
  });
});

describe('IPv6 loopback', () => {
  it('runs an echo backend and a syslog sink on ::1', async () => {
    const port = await freePort('::1');
    expect(port).toBeGreaterThan(0);
    const echo = await startTcpEchoBackend({ host: '::1' });
    expect(echo.addr).toBe(`::1:${echo.port}`);
    const got = await new Promise<string>((resolve, reject) => {
      const s = createConnection({ host: '::1', port: echo.port });
      s.setEncoding('utf8');
      s.on('data', (c: string) => {
        s.end();
        resolve(c);
      });
      s.on('error', reject);
      s.write('v6');
    });
    expect(got).toBe('v6');
    const sink = await startSyslogSink({ host: '::1' });
    const client = createSocket('udp6');
    try {
      client.send('<14>hello v6', sink.port, '::1');
      expect(await sink.waitFor(/hello v6/)).toBe('<14>hello v6');
    } finally {
      client.close();
    }
  });
});

describe('syslog sink', () => {
  it('collects datagrams', async () => {
    const sink = await startSyslogSink();
    const client = createSocket('udp4');
    try {
      const msg = '<134>Jan  1 00:00:00 haproxy[1]: 127.0.0.1:1234 [01/Jan/2024] fe be/s1 0/0/0 200\n';
      client.send(msg, sink.port, '127.0.0.1');
      const line = await sink.waitFor(/fe be\/s1/);
      expect(line).toBe(msg.trimEnd());
      expect(sink.lines()).toEqual([msg.trimEnd()]);
      await expect(sink.waitFor(/never/, 50)).rejects.toThrow(/nothing matching/);
    } finally {
      client.close();
    }
  });
});
