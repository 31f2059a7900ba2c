import { createConnection, createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkConfig,
  cleanupAll,
  freePorts,
  haproxyAvailable,
  renderConfig,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startSyslogSink,
  startTcpEchoBackend,
  writeConfig,
} from '../src/index.ts';
import { useTestkit } from '../src/vitest.ts';

useTestkit();

// Differential tests must fail loudly (not skip) when the reference is missing.
beforeAll(() => {
  requireHaproxy();
});

const TEMPLATE = `global
  log \${SYSLOG} local0

defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s

listen tcp_echo
  mode tcp
  bind 127.0.0.1:\${TCP_PORT}
  server echo \${ECHO}

listen web
  mode http
  log global
  option httplog
  bind 127.0.0.1:\${HTTP_PORT}
  http-request set-header X-Via haproxy
  server web \${WEB}
`;

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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

function bindAgain(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

async function startSetup() {
  const [tcpPort, httpPort] = (await freePorts(2)) as [number, number];
  const echo = await startTcpEchoBackend();
  const web = await startHttpBackend(undefined, { name: 'web1' });
  const sink = await startSyslogSink();
  const cfg = writeConfig(
    renderConfig(TEMPLATE, {
      TCP_PORT: tcpPort,
      HTTP_PORT: httpPort,
      ECHO: echo.addr,
      WEB: web.addr,
      SYSLOG: sink.addr,
    }),
  );
  const proxy = await startProxy('haproxy', cfg, { readyPorts: [tcpPort, httpPort] });
  return { tcpPort, httpPort, echo, web, sink, cfg, proxy };
}

describe('real HAProxy', () => {
  it('reports its version', () => {
    const info = haproxyAvailable();
    expect(info.available).toBe(true);
    expect(info.version).toMatch(/^2\.6\./);
  });

  it('requireHaproxy fails with a clear message when haproxy is missing', async () => {
    const saved = process.env['HAPROXY_BIN'];
    process.env['HAPROXY_BIN'] = '/nonexistent/haproxy';
    try {
      expect(haproxyAvailable().available).toBe(false);
      expect(() => requireHaproxy()).toThrow(/real HAProxy is required.*apt-get install haproxy/);
      await expect(startProxy('haproxy', '/nonexistent.cfg')).rejects.toThrow(/cannot start haproxy/);
    } finally {
      if (saved === undefined) delete process.env['HAPROXY_BIN'];
      else process.env['HAPROXY_BIN'] = saved;
    }
  });

  it('forwards TCP bytes to the echo backend', async () => {
    const { tcpPort, echo } = await startSetup();
    expect(await exchange(tcpPort, 'ping through haproxy')).toBe('ping through haproxy');
    expect(echo.requests.map((r) => r.data.toString())).toContain('ping through haproxy');
  });

  it('forwards an HTTP request to the HTTP backend and logs it', async () => {
    const { httpPort, web, sink } = await startSetup();
    const res = await request(`http://127.0.0.1:${httpPort}/hello?x=1`, { headers: { 'x-client': 'test' } });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { backend: string; url: string; headers: Record<string, string> };
    expect(seen.backend).toBe('web1');
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.headers['x-via']).toBe('haproxy');
    expect(seen.headers['x-client']).toBe('test');
    expect(web.requests).toHaveLength(1);
    expect(await sink.waitFor(/GET \/hello\?x=1/)).toMatch(/web\/web/);
  });

  it('cleanupAll kills the process group and frees the ports', async () => {
    const { proxy, tcpPort, httpPort } = await startSetup();
    expect(isAlive(proxy.pid)).toBe(true);
    await cleanupAll();
    expect(proxy.exitStatus()).not.toBeNull();
    expect(() => process.kill(proxy.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await bindAgain(tcpPort);
    await bindAgain(httpPort);
  });

  it('stop() is idempotent and signal() reaches the process', async () => {
    const { proxy } = await startSetup();
    expect(proxy.signal('SIGUSR1')).toBe(true); // soft stop: haproxy leaves by itself
    const st = await proxy.waitForExit(15_000);
    expect(st.code).toBe(0);
    await proxy.stop();
    expect(await proxy.stop()).toEqual(st);
    expect(proxy.signal('SIGTERM')).toBe(false);
    expect(isAlive(proxy.pid)).toBe(false);
  });

  it("readiness by TCP connection ('connect') works too", async () => {
    const [port] = (await freePorts(1)) as [number];
    const web = await startHttpBackend();
    const cfg = writeConfig(
      `defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n` +
        `listen w\n  bind 127.0.0.1:${port}\n  server s ${web.addr}\n`,
    );
    await startProxy('haproxy', cfg, { readyPorts: [port], readyCheck: 'connect' });
    expect((await request(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('startProxy rejects with stderr when the proxy dies before it is ready', async () => {
    const [port] = (await freePorts(1)) as [number];
    const cfg = writeConfig(`listen x\n  bind 127.0.0.1:${port}\n  bogus keyword\n`);
    await expect(startProxy('haproxy', cfg, { readyPorts: [port] })).rejects.toThrow(
      /exited before it was ready[\s\S]*unknown keyword 'bogus'/,
    );
  });

  it('checkConfig accepts a valid configuration', async () => {
    const [a, b] = (await freePorts(2)) as [number, number];
    const cfg = writeConfig(
      renderConfig(TEMPLATE, {
        TCP_PORT: a,
        HTTP_PORT: b,
        ECHO: '127.0.0.1:1',
        WEB: '127.0.0.1:2',
        SYSLOG: '127.0.0.1:3',
      }),
    );
    const r = await checkConfig('haproxy', [cfg]);
    expect(r.code).toBe(0);
    expect(r.alerts).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.stdout).toMatch(/Configuration file is valid/);
  });

  it('checkConfig reports alerts and warnings with their file and line', async () => {
    const cfg = writeConfig(
      [
        'defaults', //                              1
        '  mode http', //                           2
        'frontend f', //                            3
        '  bind 127.0.0.1:1', //                    4
        '  bogus keyword', //                       5
        '  default_backend b', //                   6
        'backend b', //                             7
        '  option tcplog', //                       8
        '  balance nosuch', //                      9
        '  server s1 127.0.0.1:2', //               10
        '',
      ].join('\n'),
      'bad.cfg',
    );
    const r = await checkConfig('haproxy', [cfg]);
    expect(r.code).toBe(1);
    const located = r.alerts.filter((a) => a.line !== null);
    expect(located.map((a) => [a.file, a.line])).toEqual([
      [cfg, 5],
      [cfg, 9],
    ]);
    expect(located[0]?.message).toBe("unknown keyword 'bogus' in 'frontend' section");
    expect(r.alerts.some((a) => a.line === null && /Fatal errors/.test(a.message))).toBe(true);
    expect(r.warnings.map((w) => w.line)).toContain(8);
  });

  it('checkConfig passes cwd so relative file names are reported as given', async () => {
    const cfg = writeConfig('frontend f\n  bogus\n', 'rel.cfg');
    const dir = cfg.slice(0, -'/rel.cfg'.length);
    const r = await checkConfig('haproxy', ['rel.cfg'], { cwd: dir });
    expect(r.alerts[0]).toMatchObject({ file: 'rel.cfg', line: 2 });
  });
});
