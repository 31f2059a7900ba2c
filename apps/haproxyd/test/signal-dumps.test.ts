// SIGHUP's server-state dump and SIGQUIT's pools dump, HAProxy 2.6 against haproxyd: the
// same configuration and traffic, then the signal; the warnings on stderr and the lines
// sent to each proxy's log are compared once the pid and the syslog date are masked.
// HAProxy's internal <HTTPCLIENT> proxy (its own HTTP client) has no counterpart in
// haproxyd: its lines are left out of HAProxy's side.
import {
  type Binary,
  freePorts,
  oneShot,
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

function maskStderr(line: string): string {
  return line.replace(/^\[WARNING\] +\(\d+\) : /, '[WARNING] (PID) : ');
}

function maskSyslog(line: string): string {
  return line
    .replace(/^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d /, '$1DATE ')
    .replace(/ (\S+)\[\d+\]: /, ' $1[PID]: ');
}

const internal = (line: string) => line.includes('<HTTPCLIENT>');

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('signal dumps', () => {
  it('SIGHUP dumps the servers states to stderr and to the proxies logs as HAProxy does', async () => {
    const web = await startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
    const run = async (binary: Binary) => {
      const sink = await startSyslogSink();
      const [fe, tl] = (await freePorts(2)) as [number, number];
      const cfg = writeConfig(
        [
          'global',
          `  log ${sink.addr} local0`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          '  log global',
          `  bind 127.0.0.1:${fe}`,
          '  use_backend onlybackup if { path_beg /b }',
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${web.port}`,
          `  server s2 127.0.0.1:${web.port} backup`,
          'backend onlybackup',
          '  log global',
          `  server b1 127.0.0.1:${web.port} backup`,
          'backend empty',
          '  log global',
          'backend off',
          '  log global',
          '  server x1 127.0.0.1:9 disabled',
          'listen tl',
          '  mode tcp',
          '  log global',
          '  log-tag tltag',
          `  bind 127.0.0.1:${tl}`,
          `  server t1 127.0.0.1:${web.port}`,
          '',
        ].join('\n'),
        `${binary}-sighup.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [fe, tl] });
      const statuses = [
        (await oneShot(fe, { path: '/a' })).status,
        (await oneShot(fe, { path: '/b' })).status,
      ];
      expect(proxy.signal('SIGHUP')).toBe(true);
      // the last line of the dump: the summary of the last proxy of the configuration
      await proxy.waitForOutput(/SIGHUP: Proxy tl /, 5000, 'stderr');
      await until(() => sink.lines().some((l) => l.includes('SIGHUP: Proxy tl ')));
      await new Promise((r) => setTimeout(r, 100));
      const stderr = proxy
        .stderr()
        .split('\n')
        .filter((l) => l.includes('SIGHUP') && !internal(l))
        .map(maskStderr);
      const logged = sink
        .lines()
        .filter((l) => l.includes('SIGHUP') && !internal(l))
        .map(maskSyslog);
      await proxy.stop();
      await sink.close();
      return { statuses, stderr, logged };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    if (process.env['LOGS_DEBUG']) console.log(want, got);
    expect(want.statuses).toEqual([200, 200]);
    expect(got.statuses).toEqual(want.statuses);
    // what HAProxy says, so that the comparison below compares something
    expect(want.stderr[0]).toBe('[WARNING] (PID) : SIGHUP received, dumping servers states.');
    expect(want.stderr).toContain(
      '[WARNING] (PID) : SIGHUP: Server be/s1 is UP. Conn: 0 act, 0 pend, 1 tot.',
    );
    expect(want.logged).toContain(
      '<133>DATE tltag[PID]: SIGHUP: Server tl/t1 is UP. Conn: 0 act, 0 pend, 0 tot.',
    );
    expect(got.stderr).toEqual(want.stderr);
    expect(got.logged).toEqual(want.logged);
  }, 30_000);

  it('SIGQUIT dumps the pools to stderr in HAProxy’s frame', async () => {
    const run = async (binary: Binary) => {
      const [fe] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        ['defaults', '  mode http', '  timeout client 1s', 'frontend fe', `  bind 127.0.0.1:${fe}`, ''].join(
          '\n',
        ),
        `${binary}-sigquit.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [fe] });
      expect(proxy.signal('SIGQUIT')).toBe(true);
      await proxy.waitForOutput(/^Total: /, 5000, 'stderr');
      // SIGQUIT does not stop the process
      expect(proxy.exitStatus()).toBe(null);
      const lines = proxy.stderr().split('\n');
      const start = lines.indexOf('Dumping pools usage. Use SIGQUIT to flush them.');
      const end = lines.findIndex((l) => l.startsWith('Total: '));
      await proxy.stop();
      return { start, body: lines.slice(start + 1, end), total: lines[end] ?? '' };
    };
    for (const r of [await run('haproxy'), await run('haproxyd')]) {
      expect(r.start).toBeGreaterThanOrEqual(0);
      expect(r.body.length).toBeGreaterThan(0);
      for (const l of r.body) expect(l).toMatch(/^ {2}- Pool \S+ \(\d+ bytes\) : /);
      expect(r.total).toMatch(/^Total: \d+ pools, \d+ bytes allocated, \d+ used/);
    }
  }, 30_000);
});
