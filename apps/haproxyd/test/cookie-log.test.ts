// The persistence cookie letters of %tsc (3rd: the request's cookie, 4th: what happened to the
// Set-Cookie), HAProxy 2.6 against haproxyd: the same configuration logging
// "%b/%s %ST %tsc" to a UDP syslog sink, the same requests, the same lines.
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

/** One request with `Connection: close` and extra header lines; resolves with the raw answer. */
function send(port: number, path: string, headers: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
    );
  });
}

async function lines(sink: { lines(): string[] }, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sink.lines().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** The request headers and the server's extra response header of each request, in order. */
const REQUESTS: readonly (readonly [string, readonly string[]])[] = [
  ['/ins', []], // NI: no cookie, inserted
  ['/ins', ['Cookie: SRV=s2']], // VN: valid
  ['/ins', ['Cookie: SRV=zz']], // II: invalid
  ['/ins', ['Cookie: SRV=s3']], // DI: the server is disabled
  ['/ins', ['Cookie: SRV=s2', 'X-Use: s1']], // UN: use-server came first
  ['/ins/setck', []], // ND... the server's own cookie removed, ours inserted: NI
  ['/ins/setck', ['Cookie: SRV=s2']], // VD: direct, the server's cookie deleted (indirect)
  ['/rw/setck', []], // NR: rewritten
  ['/pre/setck', []], // NP: preserved (passive)
  ['/passive', ['Cookie: SRV=s2']], // passive mode: no letters ("--")
  ['/dated', ['Cookie: SRV=s2']], // VU: valid, dates added (updated)
  ['/deny', ['Cookie: SRV=s2']], // a request refused before the cookie step
  ['/return', []], // answered by a rule
  ['/redir', []], // redirected
];

describe('%tsc cookie letters', () => {
  it('are the ones HAProxy writes', async () => {
    const be = await startHttpBackend((req, res) => {
      const extra: Record<string, string> = req.url?.endsWith('/setck')
        ? { 'set-cookie': 'SRV=app; Path=/' }
        : {};
      res.writeHead(200, { 'content-length': 2, ...extra });
      res.end('ok');
    });
    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const [port] = (await freePorts(1)) as [number];
      const srv = (name: string, extra = '') =>
        `  server ${name} 127.0.0.1:${be.port} cookie ${name}${extra}`;
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  mode http',
          '  log-format "%b/%s %ST %tsc"',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  http-request deny if { path /deny }',
          '  http-request return status 200 if { path /return }',
          '  http-request redirect location /x if { path /redir }',
          '  use_backend rw if { path_beg /rw }',
          '  use_backend pre if { path_beg /pre }',
          '  use_backend passive if { path_beg /passive }',
          '  use_backend dated if { path_beg /dated }',
          '  default_backend ins',
          'backend ins',
          '  balance first',
          '  cookie SRV insert indirect',
          '  use-server s1 if { req.hdr(x-use) s1 }',
          srv('s1'),
          srv('s2'),
          srv('s3', ' disabled'),
          'backend rw',
          '  balance first',
          '  cookie SRV rewrite',
          srv('s1'),
          'backend pre',
          '  balance first',
          '  cookie SRV insert preserve',
          srv('s1'),
          'backend passive',
          '  balance first',
          '  cookie SRV',
          srv('s1'),
          srv('s2'),
          'backend dated',
          '  balance first',
          '  cookie SRV insert maxidle 1h',
          srv('s1'),
          srv('s2'),
          '',
        ].join('\n'),
        `${binary}-cookie-logs.cfg`,
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
    expect(want).toEqual([
      'ins/s1 200 --NI',
      'ins/s2 200 --VN',
      'ins/s1 200 --II',
      'ins/s1 200 --DI',
      'ins/s1 200 --UN',
      'ins/s1 200 --NI',
      'ins/s2 200 --VD',
      'rw/s1 200 --NR',
      'pre/s1 200 --NP',
      'passive/s2 200 ----',
      'dated/s2 200 --VU',
      'fe/<NOSRV> 403 PR--',
      'fe/<NOSRV> 200 LR--',
      'fe/<NOSRV> 302 LR--',
    ]);
    expect(got).toEqual(want);
  }, 30_000);
});
