// `capture request header`, `capture response header`, `capture cookie`, `declare capture`,
// `http-request capture` and `http-response capture` in log lines,
// HAProxy 2.6 against haproxyd: the same configuration logging
// "%CC %CS %hr %hs %hrl %hsl %ST %tsc" to a UDP syslog sink, the same requests, the same lines.
import net from 'node:net';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startSyslogSink,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

/** One request with `Connection: close` and extra header lines; resolves once closed. */
function send(port: number, path: string, headers: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.write(`GET ${path} HTTP/1.1\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`);
  });
}

async function lines(sink: { lines(): string[] }, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sink.lines().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

const REQUESTS: readonly (readonly [string, readonly string[]])[] = [
  ['/plain', ['Host: example.com']],
  ['/ua', ['Host: a-very-long-host-name.example', 'User-Agent: Mozilla/5.0', 'User-Agent: curl/8']],
  ['/cookie', ['Host: x', 'Cookie: a=1; sessid=abcdefghijklmnop; sess=2']],
  ['/cookie', ['Host: x', 'Cookie: sess = 1']],
  ['/setck', ['Host: x']],
  ['/deny', ['Host: x', 'Cookie: sessid=1']],
  ['/be', ['Host: x', 'Cookie: SRV=s1; sessid=z']],
  ['/esc', ['Host: a{b|c}d"e']],
  ['/captured/path', ['Host: x', 'X-Id: 1234567890']],
];

describe('captures in log lines', () => {
  it('are the ones HAProxy writes', async () => {
    const be = await startHttpBackend((req, res) => {
      const extra: Record<string, string | string[]> = req.url?.endsWith('/setck')
        ? { 'set-cookie': ['other=1', 'sessid=fromserver-abcdefghijkl; Path=/'] }
        : {};
      res.writeHead(200, { 'content-length': 2, 'content-type': 'text/plain; charset=utf-8', ...extra });
      res.end('ok');
    });
    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const [port] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  mode http',
          '  log-format "%CC %CS %hr %hs %hrl %hsl %ST %tsc"',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  capture request header Host len 10',
          '  capture request header User-Agent len 5',
          '  capture response header Content-Type len 12',
          '  capture response header X-Missing len 4',
          '  capture cookie sess len 14',
          '  declare capture request len 6',
          '  declare capture response len 3',
          '  http-request capture path len 4',
          '  http-request capture req.hdr(x-id) id 2',
          '  http-response capture res.hdr(content-length) id 2',
          '  http-request deny if { path /deny }',
          '  use_backend ck if { path /be }',
          '  default_backend plain',
          'backend plain',
          `  server s1 127.0.0.1:${be.port}`,
          'backend ck',
          '  cookie SRV insert indirect',
          `  server s1 127.0.0.1:${be.port} cookie s1`,
          '',
        ].join('\n'),
        `${binary}-capture-logs.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      let n = 0;
      for (const [path, headers] of REQUESTS) {
        await send(port, path, headers);
        await lines(sink, ++n);
      }
      await proxy.stop();
      const got = sink.lines().map((l) => l.replace(/^.*?haproxy\[\d+\]: /, ''));
      await sink.close();
      return got;
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    if (process.env['LOGS_DEBUG']) console.log(want, got);
    expect(want.length).toBe(REQUESTS.length);
    expect(want[2]).toMatch(/^sessid=abcdefg - /);
    expect(got).toEqual(want);
  }, 30_000);
});
