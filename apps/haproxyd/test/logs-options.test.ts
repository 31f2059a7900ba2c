// The log options beyond httplog/tcplog, HAProxy 2.6 against haproxyd: the accept-time
// "Connect from" line of a proxy with a `log` and no log format, `option httpslog` on a
// clear connection, `option logasap` (HTTP and TCP, the '+' fields), `log-format-sd` on an
// rfc5424 target and `option dontlog-normal`. The same configuration and traffic go
// through both; the lines are compared once what must differ is masked.
import net from 'node:net';
import {
  type Binary,
  freePort,
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
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllRuns, runBinary } from './helpers.ts';

useTestkit();
beforeAll(() => void requireHaproxy());
afterEach(killAllRuns);

/** What must differ between two runs, masked; the rest is compared as is. */
function mask(line: string): string {
  return (
    line
      // syslog headers: date and pid (local and rfc5424 forms)
      .replace(/^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d /, '$1DATE ')
      .replace(/^(<\d+>1) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d /, '$1 DATE ')
      .replace(/ haproxy\[\d+\]: /, ' haproxy[PID]: ')
      .replace(/ haproxy \d+ - /, ' haproxy PID - ')
      // client ports
      .replace(/127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ /g, '127.0.0.1:PORT to 127.0.0.1:PORT ')
      .replace(/127\.0\.0\.1:\d+ \[/g, '127.0.0.1:PORT [')
      // accept date
      .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/, '[ACCEPT]')
      // timers: -1 or not, the '+' of logasap kept
      .replace(
        / (\+?-?\d+(?:\/\+?-?\d+){2,4}) /,
        (_m, t: string) =>
          ` ${t
            .split('/')
            .map((x) => (x === '-1' ? '-1' : x.startsWith('+') ? '+N' : 'N'))
            .join('/')} `,
      )
  );
}

async function lineCount(sink: { lines(): string[] }, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sink.lines().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** Requests one after the other on one connection; the last asks to close. Returns the statuses. */
function keepAlive(port: number, paths: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const statuses: number[] = [];
    let got = '';
    let i = 0;
    const next = () => {
      const last = i === paths.length - 1;
      s.write(`GET ${paths[i]} HTTP/1.1\r\nhost: x\r\n${last ? 'connection: close\r\n' : ''}\r\n`);
    };
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // each answer has a 2-byte body "ok"
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0 && got.length >= end + 6) {
        statuses.push(Number(got.slice(9, 12)));
        got = got.slice(end + 6);
        i++;
        if (i < paths.length) next();
      }
    });
    s.on('close', () => resolve(statuses));
    s.on('connect', next);
  });
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

/** A connection that sends nothing and closes. */
function emptyConnection(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => setTimeout(() => s.destroy(), 50));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

describe('log options', () => {
  it('Connect lines, httpslog, logasap, log-format-sd and dontlog-normal as HAProxy writes them', async () => {
    const web = await startHttpBackend((req, res) => {
      res.writeHead(req.url?.startsWith('/err') ? 500 : 200, { 'content-length': 2 });
      res.end('ok');
    });
    const echo = await startTcpEchoBackend();

    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const ports = (await freePorts(7)) as [number, number, number, number, number, number, number];
      const [plain, tplain, https, asap, tasap, sd, normal] = ports;
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend plain',
          '  mode http',
          `  bind 127.0.0.1:${plain}`,
          '  default_backend web',
          'listen tplain',
          '  mode tcp',
          `  bind 127.0.0.1:${tplain}`,
          `  server e1 127.0.0.1:${echo.port}`,
          'frontend https',
          '  mode http',
          '  option httpslog',
          `  bind 127.0.0.1:${https}`,
          '  default_backend web',
          'frontend asap',
          '  mode http',
          '  option httplog',
          '  option logasap',
          `  bind 127.0.0.1:${asap}`,
          '  default_backend web',
          'listen tasap',
          '  mode tcp',
          '  option tcplog',
          '  option logasap',
          `  bind 127.0.0.1:${tasap}`,
          `  server e2 127.0.0.1:${echo.port}`,
          'frontend sd',
          '  mode http',
          '  option httplog',
          `  log ${sink.addr} format rfc5424 local1`,
          '  log-format-sd "%{+Q,+E}o[exampleSDID@1234 ci=%ci fe=%f st=%ST]"',
          `  bind 127.0.0.1:${sd}`,
          '  default_backend web',
          'frontend normal',
          '  mode http',
          '  option httplog',
          '  option dontlog-normal',
          `  bind 127.0.0.1:${normal}`,
          '  use_backend nosrv if { path_beg /nosrv }',
          '  default_backend web',
          'backend web',
          '  mode http',
          `  server w1 127.0.0.1:${web.port}`,
          'backend nosrv',
          '  mode http',
          '',
        ].join('\n'),
        `${binary}-log-options.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: ports });
      const results: unknown[] = [];
      let n = 0;
      // no log format: one line per stream, so per request in HTTP (none for an empty connection)
      await emptyConnection(plain);
      results.push(await keepAlive(plain, ['/a', '/b']));
      n += 2;
      await lineCount(sink, n);
      results.push(await keepAlive(plain, ['/c']));
      await lineCount(sink, ++n);
      results.push(await tcpExchange(tplain, 'hello'));
      await lineCount(sink, ++n);
      // option httpslog on a clear connection
      results.push((await oneShot(https, { path: '/s' })).status);
      await lineCount(sink, ++n);
      // option logasap
      results.push((await oneShot(asap, { path: '/early' })).status);
      await lineCount(sink, ++n);
      results.push(await tcpExchange(tasap, 'hello'));
      await lineCount(sink, ++n);
      // log-format-sd: the global target's line, then the rfc5424 one with the structured data
      results.push((await oneShot(sd, { path: '/sd' })).status);
      n += 2;
      await lineCount(sink, n);
      // dontlog-normal: the 200 is not logged, the 500 and the 503 are
      results.push((await oneShot(normal, { path: '/fine' })).status);
      results.push((await oneShot(normal, { path: '/err' })).status);
      await lineCount(sink, ++n);
      results.push((await oneShot(normal, { path: '/nosrv' })).status);
      await lineCount(sink, ++n);
      if (process.env['LOGS_DEBUG']) console.log(binary, results, sink.lines());
      await proxy.stop();
      const lines = sink.lines();
      await sink.close();
      return { results, lines };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want.results).toEqual([[200, 200], [200], 'hello', 200, 200, 'hello', 200, 200, 500, 503]);
    expect(got.results).toEqual(want.results);
    expect(want.lines.length).toBe(11);
    // what the masks leave for the options under test
    expect(want.lines[0]).toMatch(/: Connect from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ \(plain\/HTTP\)$/);
    expect(want.lines[4]).toMatch(/ "GET \/s HTTP\/1\.1" 0\/-\/-\/-\/0 -\/-\/-$/);
    expect(want.lines[5]).toMatch(/ \d+\/\d+\/\d+\/\d+\/\+\d+ 200 \+\d+ /);
    expect(want.lines[8]).toMatch(/ - \[exampleSDID@1234 ci="127\.0\.0\.1" fe="sd" st=200\] /);
    expect(got.lines.map(mask)).toEqual(want.lines.map(mask));
  }, 40_000);

  it('connections whose PROXY header fails: the fixed line and error-log-format as HAProxy writes them', async () => {
    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const ports = (await freePorts(5)) as [number, number, number, number, number];
      const [fixed, named, custom, nolog, dnull] = ports;
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  log global',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 1s',
          '  timeout server 5s',
          'frontend fixed',
          '  option httplog',
          `  bind 127.0.0.1:${fixed} accept-proxy`,
          'frontend named',
          '  mode tcp',
          '  option tcplog',
          `  bind 127.0.0.1:${named} accept-proxy name nm`,
          '  default_backend tnone',
          'frontend custom',
          '  option httplog',
          '  error-log-format "%ci:%cp [%tr] %ft %b/%s %ST %B %ts %tsc %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc %Tw/%Tc/%Tt"',
          `  bind 127.0.0.1:${custom} accept-proxy`,
          'frontend nolog',
          `  bind 127.0.0.1:${nolog} accept-proxy`,
          'frontend dnull',
          '  option httplog',
          '  option dontlognull',
          `  bind 127.0.0.1:${dnull} accept-proxy`,
          'backend tnone',
          '  mode tcp',
          '',
        ].join('\n'),
        `${binary}-log-embryonic.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: ports });
      const send = (port: number, bytes: string, end: 'end' | 'wait') =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            if (bytes !== '') s.write(bytes);
            if (end === 'end') s.end();
          });
          s.on('data', () => {});
          s.on('error', () => resolve());
          s.on('close', () => resolve());
        });
      let n = 0;
      // not a PROXY header: reset at once, logged by every frontend with a log format
      for (const port of [nolog, fixed, named, custom, dnull]) {
        await send(port, 'GET / HTTP/1.0\r\n\r\n', 'wait');
        if (port !== nolog) await lineCount(sink, ++n);
      }
      // a truncated header, then nothing at all (not logged with dontlognull)
      await send(fixed, 'PROXY TCP4 1.2.3.4', 'end');
      await lineCount(sink, ++n);
      await send(dnull, '', 'end');
      await send(fixed, '', 'end');
      await lineCount(sink, ++n);
      // nothing before timeout client
      await send(custom, '', 'wait');
      await lineCount(sink, ++n);
      if (process.env['LOGS_DEBUG']) console.log(binary, sink.lines());
      await proxy.stop();
      const lines = sink.lines();
      await sink.close();
      return lines;
    };
    const maskTt = (l: string) => mask(l).replace(/ -1\/-1\/\d+$/, ' -1/-1/N');
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want.length).toBe(7);
    expect(want[0]).toMatch(
      / fixed\/1: Received something which does not look like a PROXY protocol header$/,
    );
    expect(want[1]).toMatch(/ named\/nm: Received something /);
    expect(want[2]).toMatch(/ custom custom\/<NOSRV> 0 0 PR PR-- 15\/-\/-\/-\/0 -\/-\/- -1\/-1\/\d+$/);
    expect(want[6]).toMatch(/ custom custom\/<NOSRV> 0 0 PR PR-- 13\//);
    expect(got.map(maskTt)).toEqual(want.map(maskTt));
  }, 40_000);

  it('-c reports every bad log format of a proxy, as HAProxy does', async () => {
    const cfg = writeConfig(
      [
        'defaults',
        '  mode http',
        '  timeout client 1s',
        'frontend f1',
        '  log 127.0.0.1:9 local0',
        '  log-format "%ww"',
        '  log-format-sd "[x %zz]"',
        '  error-log-format "%yy"',
        `  bind 127.0.0.1:${await freePort()}`,
        '',
      ].join('\n'),
      'bad-log-formats.cfg',
    );
    for (const binary of ['haproxy', 'haproxyd'] as const) {
      const r = runBinary(binary, ['-c', '-f', cfg]);
      const { code } = await r.closed;
      expect(code).toBe(1);
      const err = r.stderr();
      for (const [kw, name] of [
        ['log-format', 'ww'],
        ['log-format-sd', 'zz'],
        ['error-log-format', 'yy'],
      ]) {
        expect(err).toContain(`failed to parse ${kw} : no such format variable '${name}'`);
      }
    }
  });
});
