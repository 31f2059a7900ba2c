// Traffic logs, HAProxy 2.6 against haproxyd: the same configuration (`log` to a UDP
// syslog sink, `option httplog` on an HTTP frontend, `option tcplog` on a TCP one), the same
// requests, and the lines compared field by field once what must differ is masked (syslog
// date, pid, client ports, accept dates, timer values: a timer keeps only whether it is -1).
import net from 'node:net';
import {
  type Binary,
  freePorts,
  oneShot,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  startSyslogSink,
  startTcpEchoBackend,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

/** What must differ between two runs, masked; the rest is compared as is. */
function mask(line: string): string {
  return (
    line
      // syslog header: date and pid
      .replace(/^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d /, '$1DATE ')
      .replace(/ haproxy\[\d+\]: /, ' haproxy[PID]: ')
      // client ports
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
      // accept date
      .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/, '[ACCEPT]')
      // timers (httplog: TR/Tw/Tc/Tr/Ta, tcplog: Tw/Tc/Tt): -1 or not
      .replace(
        / (-?\d+(?:\/-?\d+){2,4}) /,
        (_m, t: string) =>
          ` ${t
            .split('/')
            .map((x) => (x === '-1' ? '-1' : 'N'))
            .join('/')} `,
      )
  );
}

async function nextLine(sink: { lines(): string[] }, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sink.lines().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** One TCP exchange: `text` is sent, the echo read, then the client closes. */
function tcpExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= text.length) s.end();
    });
    s.on('close', () => resolve(got));
    s.write(text);
  });
}

describe('traffic logs', () => {
  it('httplog and tcplog lines as HAProxy writes them', async () => {
    const ok = await startHttpBackend((req, res) => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-length': 2 });
      res.end('ok');
    });
    const echo = await startTcpEchoBackend();
    // a server that accepts and never answers (timeout server)
    const mute = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const mutePort = (mute.address() as net.AddressInfo).port;
    // a server that reads the request and closes without answering (502)
    const rude = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.destroy());
    });
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    const rudePort = (rude.address() as net.AddressInfo).port;
    const [dead] = (await freePorts(1)) as [number];

    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const [http, tcp, tcpDead] = (await freePorts(3)) as [number, number, number];
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  mode http',
          '  option httplog',
          '  timeout connect 200ms',
          '  timeout client 5s',
          '  timeout server 5s',
          '  retries 1',
          'frontend fe',
          `  bind 127.0.0.1:${http}`,
          '  use_backend down if { path_beg /down }',
          '  use_backend nosrv if { path_beg /nosrv }',
          '  use_backend slow if { path_beg /slow }',
          '  use_backend rude if { path_beg /rude }',
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${ok.port}`,
          'backend down',
          `  server d1 127.0.0.1:${dead}`,
          'backend nosrv',
          'backend slow',
          '  timeout server 300ms',
          `  server m1 127.0.0.1:${mutePort}`,
          'backend rude',
          `  server r1 127.0.0.1:${rudePort}`,
          'listen tcpdead',
          '  mode tcp',
          '  option tcplog',
          `  bind 127.0.0.1:${tcpDead}`,
          `  server x1 127.0.0.1:${dead}`,
          'listen tcpin',
          '  mode tcp',
          '  option tcplog',
          `  bind 127.0.0.1:${tcp}`,
          `  server e1 127.0.0.1:${echo.port}`,
          '',
        ].join('\n'),
        `${binary}-logs.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [http, tcp, tcpDead] });
      const statuses: number[] = [];
      let n = 0;
      for (const p of ['/a', '/missing', '/nosrv', '/down', '/slow', '/rude']) {
        statuses.push((await oneShot(http, { path: p })).status);
        await nextLine(sink, ++n);
      }
      expect(await tcpExchange(tcp, 'hello')).toBe('hello');
      await nextLine(sink, ++n);
      // the client leaves in the middle of its request headers
      await new Promise<void>((resolve) => {
        const s = net.connect(http, '127.0.0.1', () => {
          s.write('GET /a HTTP/1.1\r\nhost: x\r\n');
          setTimeout(() => s.destroy(), 50);
        });
        s.on('error', () => {});
        s.on('close', () => resolve());
      });
      await nextLine(sink, ++n);
      // a TCP server that refuses
      await new Promise<void>((resolve) => {
        const s = net.connect(tcpDead, '127.0.0.1', () => s.write('x'));
        s.setTimeout(3000, () => s.destroy());
        s.on('error', () => {});
        s.on('close', () => resolve());
      });
      await nextLine(sink, ++n);
      if (process.env['LOGS_DEBUG']) console.log(binary, statuses, sink.lines());
      await proxy.stop();
      const lines = sink.lines();
      await sink.close();
      return { statuses, lines };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    mute.close();
    rude.close();
    expect(got.statuses).toEqual(want.statuses);
    expect(want.statuses).toEqual([200, 404, 503, 503, 504, 502]);
    expect(want.lines.length).toBe(9);
    expect(got.lines.map(mask)).toEqual(want.lines.map(mask));
  }, 30_000);
});

describe('sample expressions in log formats', () => {
  it('%[…] reads the stream: with and without rules, in mode http and tcp, with logasap', async () => {
    const ok = await startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    const echo = await startTcpEchoBackend();
    const FORMAT =
      'src=%[src] fe=%[fe_name] be=%[be_name] dport=%[dst_port] v=%[var(txn.tag)] s=%[var(sess.s)] fc=%[ssl_fc]';
    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const [ruled, bare, early, tcp] = (await freePorts(4)) as [number, number, number, number];
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  mode http',
          `  log-format "%f ${FORMAT}"`,
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend ruled',
          `  bind 127.0.0.1:${ruled}`,
          '  http-request set-var(txn.tag) str(tagged)',
          '  tcp-request session set-var(sess.s) str(session)',
          '  default_backend be',
          // no rule at all: the line still reads the stream
          'frontend bare',
          `  bind 127.0.0.1:${bare}`,
          '  default_backend be',
          'frontend early',
          '  option logasap',
          `  bind 127.0.0.1:${early}`,
          '  http-request set-var(txn.tag) str(early)',
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${ok.port}`,
          'listen tcpin',
          '  mode tcp',
          `  bind 127.0.0.1:${tcp}`,
          `  server e1 127.0.0.1:${echo.port}`,
          '',
        ].join('\n'),
        `${binary}-log-samples.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [ruled, bare, early, tcp] });
      let n = 0;
      for (const p of [ruled, bare, early]) {
        expect((await oneShot(p, { path: '/' })).status).toBe(200);
        await nextLine(sink, ++n);
      }
      expect(await tcpExchange(tcp, 'hello')).toBe('hello');
      await nextLine(sink, ++n);
      await proxy.stop();
      await sink.close();
      return sink
        .lines()
        .map((l) => l.replace(/^.*?: /, '').replace(/dport=\d+/, 'dport=PORT'))
        .sort();
    };
    try {
      const [h, d] = [await run('haproxy'), await run('haproxyd')];
      expect(d).toEqual(h);
      expect(h).toContain('ruled src=127.0.0.1 fe=ruled be=be dport=PORT v=tagged s=session fc=0');
      expect(h).toContain('bare src=127.0.0.1 fe=bare be=be dport=PORT v=- s=- fc=0');
    } finally {
      await ok.close();
      await echo.close();
    }
  });
});
