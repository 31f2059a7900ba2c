// `resolvers` sections and servers resolved by DNS at run time (manual §5.3), against HAProxy
// 2.6 running the same configurations:
// - `-c`: good and bad lines of the section and of the server options give the same
//   alerts and warnings;
// - at run time, with a tiny DNS server of the test on 127.0.0.1 (dns-server.ts: no test
//   asks the machine's DNS): a server with `init-addr none` starts in maintenance and takes
//   its address from the first answer, follows a changed answer (requests reach the HTTP
//   server on 127.0.0.2 instead of 127.0.0.1), goes "MAINT (resolution)" on NXDOMAIN past
//   `hold nx` (503), and comes back when the name resolves again; `resolve-net` picks among
//   several addresses. The stderr sentences and `show servers state` / `show stat` fields
//   are the same in both.
import { createServer as createHttpServer, type Server as HttpServer, request } from 'node:http';
import { join } from 'node:path';
import {
  type Binary,
  checkConfig,
  freePorts,
  requireHaproxy,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

// --- -c ---------------------------------------------------------------------------------------

function sectionConfig(lines: string, server: string): string {
  return [
    'resolvers dns',
    lines,
    'listen web',
    '  mode http',
    '  bind 127.0.0.1:8080',
    '  timeout connect 1s',
    '  timeout client 1s',
    '  timeout server 1s',
    `  ${server}`,
    '',
  ].join('\n');
}

const NS = '  nameserver ns1 127.0.0.1:53';
const SRV = 'server s1 app.test:80 resolvers dns init-addr none';

/** Section lines and a server line: HAProxy's verdict is the expected one. */
const CASES: readonly [string, string][] = [
  [NS, SRV],
  [`${NS}\n  nameserver ns2 [::1]:53\n  nameserver ns3 udp@127.0.0.1:5353`, SRV],
  [
    `${NS}\n  hold valid 1s\n  hold nx 2s\n  hold other 3s\n  hold refused 4s\n  hold timeout 5s\n  hold obsolete 6s`,
    SRV,
  ],
  [
    `${NS}\n  resolve_retries 5\n  timeout resolve 100ms\n  timeout retry 200\n  accepted_payload_size 8192`,
    SRV,
  ],
  ['  nameserver ns1', SRV],
  ['  nameserver ns1 127.0.0.1', SRV],
  ['  nameserver ns1 foo.invalid:53', SRV],
  ['  nameserver ns1 127.0.0.1:0', SRV],
  ['  nameserver ns1 127.0.0.1:1-5', SRV],
  ['  nameserver ns1 127.0.0.1:+5', SRV],
  [`${NS}\n  nameserver ns1 127.0.0.2:53`, SRV],
  [`${NS}\n  hold valid`, SRV],
  [`${NS}\n  hold foo 1s`, SRV],
  [`${NS}\n  hold valid 1x`, SRV],
  [`${NS}\n  hold valid -1`, SRV],
  [`${NS}\n  hold valid 9999999999999`, SRV],
  [`${NS}\n  resolve_retries`, SRV],
  [`${NS}\n  timeout`, SRV],
  [`${NS}\n  timeout resolve`, SRV],
  [`${NS}\n  timeout foo 1s`, SRV],
  [`${NS}\n  timeout retry 1x`, SRV],
  [`${NS}\n  accepted_payload_size`, SRV],
  [`${NS}\n  accepted_payload_size 11`, SRV],
  [`${NS}\n  accepted_payload_size 70000`, SRV],
  [`${NS}\n  accepted_payload_size x`, SRV],
  [`${NS}\n  resolution_pool_size 10`, SRV],
  [`${NS}\n  foo`, SRV],
  ['', SRV],
  [NS, 'server s1 app.test:80 resolvers nope init-addr none'],
  [NS, 'server s1 127.0.0.1:80 resolvers dns'],
  [NS, 'server s1 app.test:80 resolvers dns resolve-prefer ipv5 init-addr none'],
  [NS, 'server s1 app.test:80 resolvers dns resolve-net 10.0.0.0/8,foo init-addr none'],
  [NS, 'server s1 app.test:80 resolvers dns resolve-net 10.0.0.0/8,127.0.0.0/255.0.0.0 init-addr none'],
  [NS, 'server s1 app.test:80 resolvers dns resolve-opts foo init-addr none'],
  [NS, 'server s1 app.test:80 resolvers dns init-addr foo'],
  [NS, 'server s1 app.test:80 resolvers dns init-addr 127.0.0.9'],
  [NS, 'server-template s 3 app.test:80 resolvers dns init-addr none'],
  [NS, 'server-template s 2-4 127.0.0.1:80 resolvers dns'],
  [NS, 'server-template s 0 127.0.0.1:80'],
  [NS, 'server-template s 3-1 127.0.0.1:80'],
  [NS, 'server-template s 3'],
];

/**
 * A diagnostic without what differs for now: the location and name prefix of a server line's
 * messages (HAProxy's `[f:l] : 'server px/name' :`), which the -c wording work changes.
 */
function norm(d: { level: string; message: string }): string {
  const m = d.message.replace(/^\[[^\]]*\] : /, '').replace(/^('server [^']*'|server '[^']*') : /, '');
  return `${d.level} ${m}`.trim();
}

describe('-c on resolvers sections and DNS server options', () => {
  it.each(CASES.map(([l, sv]) => [l.trim().replaceAll('\n  ', '; '), sv, l] as const))(
    '%s / %s',
    async (_title, server, lines) => {
      const results = [];
      for (const binary of BINARIES) {
        const cfg = writeConfig(sectionConfig(lines, server), `${binary}-check.cfg`);
        const r = await checkConfig(binary, [cfg]);
        results.push({
          code: r.code,
          said: [...r.alerts, ...r.warnings]
            .filter((d) => !/Error\(s\) found|Fatal errors found/.test(d.message))
            .map((d) => ({ level: d.level, message: d.message.replaceAll(`${binary}-check.cfg`, 'X.cfg') }))
            .map(norm),
        });
      }
      expect(results[1]).toEqual(results[0]);
    },
  );
});

// --- run time -----------------------------------------------------------------------------

/** An HTTP server answering its name. */
async function named(name: string, host: string, port: number): Promise<HttpServer> {
  const srv = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(name.length), connection: 'close' });
    res.end(name);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host, port }, resolve);
  });
  return srv;
}

/** One request on a new connection: the status and body. */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${res.statusCode === 200 ? body : ''}`.trim()));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

function statRow(csv: string, px: string, sv: string, names: readonly string[]): string[] {
  const lines = csv.split('\n');
  const head = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[0] === px && c[1] === sv) return names.map((n) => c[head.indexOf(n)] ?? '?');
  }
  return [];
}

/** srv_addr, srv_op_state, srv_admin_state, srv_fqdn, srv_port of `show servers state`. */
function stateOf(text: string, sv: string): string {
  const f = (text.split('\n').find((l) => l.split(' ')[3] === sv) ?? '').split(' ');
  return [f[4], f[5], f[6], f[17], f[18]].join(' ');
}

/** The stderr sentences about DNS and server states, without the tag and pid. */
function sentences(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^\[(WARNING|ALERT)\] +\(\d+\) : /, '$1 '))
    .filter((l) => l.includes('web/s1') || l.includes("'web'"));
}

describe('servers resolved at run time', () => {
  let dns: TestDnsServer;
  let backPort: number;
  const http: HttpServer[] = [];
  const seen = new Map<Binary, { trace: string[]; stderr: string[] }>();
  const seenShow = new Map<Binary, string>();

  beforeAll(async () => {
    dns = await startDnsServer();
    [backPort] = (await freePorts(1)) as [number];
    http.push(await named('A', '127.0.0.1', backPort), await named('B', '127.0.0.2', backPort));
  });
  afterAll(async () => {
    await dns.close();
    for (const s of http) await new Promise<void>((r) => s.close(() => r()));
  });

  it.each(BINARIES)(
    '%s: follows the DNS answers, MAINT (resolution) on NXDOMAIN and back',
    async (binary) => {
      dns.table.a.clear();
      dns.table.a.set('app.test', ['127.0.0.1']);
      dns.table.a.set('multi.test', ['127.0.0.1', '127.0.0.2']);
      const [port] = (await freePorts(1)) as [number];
      const dir = tempDir();
      const sock = join(dir, `${binary}.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'resolvers test',
          `  nameserver ns1 127.0.0.1:${dns.port}`,
          '  hold valid 500ms',
          '  hold nx 500ms',
          '  hold other 500ms',
          '  timeout resolve 100ms',
          '  timeout retry 100ms',
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'listen web',
          `  bind 127.0.0.1:${port}`,
          `  server s1 app.test:${backPort} resolvers test init-addr none resolve-prefer ipv4`,
          'backend multi',
          `  server m1 multi.test:${backPort} resolvers test init-addr none resolve-prefer ipv4 resolve-net 127.0.0.2/32`,
          '',
        ].join('\n'),
        `${binary}-run.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const trace: string[] = [];
      const note = async (what: string) => {
        const state = stateOf(await cli(sock, 'show servers state web'), 's1');
        const stat = statRow(await cli(sock, 'show stat'), 'web', 's1', ['status']);
        trace.push(`${what}: ${state} | ${stat.join(',')}`.replaceAll(String(backPort), 'P'));
      };
      try {
        await waitUntil('the first answer', async () => (await get(port)) === '200 A');
        await note('resolved');
        await waitUntil('resolve-net to choose 127.0.0.2', async () =>
          (await cli(sock, 'show servers state multi')).includes(' m1 127.0.0.2 '),
        );
        dns.table.a.set('app.test', ['127.0.0.2']);
        await waitUntil('the new address', async () => (await get(port)) === '200 B');
        await note('changed');
        dns.table.a.delete('app.test');
        await waitUntil('the maintenance', async () =>
          statRow(await cli(sock, 'show stat'), 'web', 's1', ['status'])[0]!.startsWith('MAINT'),
        );
        await note('nxdomain');
        trace.push(`request: ${await get(port)}`);
        dns.table.a.set('app.test', ['127.0.0.1']);
        await waitUntil('the way back', async () => (await get(port)) === '200 A');
        await note('back');
      } finally {
        await proxy.stop();
      }
      seen.set(binary, { trace, stderr: sentences(proxy.stderr()) });
      expect(trace).toEqual([
        'resolved: 127.0.0.1 2 0 app.test P | no check',
        'changed: 127.0.0.2 2 0 app.test P | no check',
        'nxdomain: - 0 32 app.test P | MAINT (resolution)',
        'request: 503',
        'back: 127.0.0.1 2 0 app.test P | no check',
      ]);
      expect(sentences(proxy.stderr())).toEqual([
        'WARNING web/s1 changed its IP from (none) to 127.0.0.1 by test/ns1.',
        "WARNING Server web/s1 ('app.test') is UP/READY (resolves again).",
        'WARNING Server web/s1 administratively READY thanks to valid DNS answer.',
        'WARNING web/s1 changed its IP from 127.0.0.1 to 127.0.0.2 by test/ns1.',
        'WARNING Server web/s1 is going DOWN for maintenance (DNS NX status). 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
        "ALERT proxy 'web' has no server available!",
        'WARNING web/s1 changed its IP from (none) to 127.0.0.1 by test/ns1.',
        "WARNING Server web/s1 ('app.test') is UP/READY (resolves again).",
        'WARNING Server web/s1 administratively READY thanks to valid DNS answer.',
      ]);
      if (seen.size === 2) {
        expect(seen.get('haproxyd')).toEqual(seen.get('haproxy'));
      }
    },
  );

  it.each(BINARIES)(
    '%s: server-template slots share the answer, the others MAINT (resolution)',
    async (binary) => {
      dns.table.a.set('pool.test', ['127.0.0.1', '127.0.0.2']);
      const [port] = (await freePorts(1)) as [number];
      const sock = join(tempDir(), `${binary}-tpl.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'resolvers test',
          `  nameserver ns1 127.0.0.1:${dns.port}`,
          '  hold valid 500ms',
          '  timeout resolve 100ms',
          '  timeout retry 100ms',
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'listen pool',
          `  bind 127.0.0.1:${port}`,
          `  server-template s 3 pool.test:${backPort} resolvers test init-addr none resolve-prefer ipv4`,
          '',
        ].join('\n'),
        `${binary}-tpl.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      /** The slots' address, op state and admin state, sorted (which slot gets which is HAProxy's draw). */
      const slots = async () =>
        (await cli(sock, 'show servers state pool'))
          .split('\n')
          .slice(2)
          .filter((l) => l !== '')
          .map((l) => l.split(' ').slice(4, 7).join(' '))
          .sort();
      const trace: string[][] = [];
      try {
        const two = ['- 0 32', '127.0.0.1 2 0', '127.0.0.2 2 0'];
        await waitUntil(
          'two slots filled',
          async () => JSON.stringify(await slots()) === JSON.stringify(two),
        );
        trace.push(await slots());
        const seenBodies = new Set<string>();
        for (let i = 0; i < 6; i++) seenBodies.add(await get(port));
        trace.push([...seenBodies].sort());
        dns.table.a.set('pool.test', ['127.0.0.2']);
        const one = ['- 0 32', '- 0 32', '127.0.0.2 2 0'];
        await waitUntil('one slot left', async () => JSON.stringify(await slots()) === JSON.stringify(one));
        trace.push(await slots());
        trace.push([await get(port), await get(port)]);
      } finally {
        await proxy.stop();
      }
      expect(trace).toEqual([
        ['- 0 32', '127.0.0.1 2 0', '127.0.0.2 2 0'],
        ['200 A', '200 B'],
        ['- 0 32', '- 0 32', '127.0.0.2 2 0'],
        ['200 B', '200 B'],
      ]);
      const said = proxy
        .stderr()
        .split('\n')
        .filter((l) => l.includes('No IP for server'))
        .map((l) => l.replace(/^.*Server pool\/s\d/, 'Server pool/sN'));
      expect(said).toEqual([
        'Server pool/sN is going DOWN for maintenance (No IP for server ). 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      ]);
    },
  );

  it.each(BINARIES)('%s: show resolvers', async (binary) => {
    dns.table.a.set('app.test', ['127.0.0.1']);
    const [port] = (await freePorts(1)) as [number];
    const sock = join(tempDir(), `${binary}-show.sock`);
    const cfg = writeConfig(
      [
        'global',
        `  stats socket ${sock} level admin`,
        'resolvers test',
        `  nameserver ns1 127.0.0.1:${dns.port}`,
        '  hold valid 1h',
        '  timeout resolve 100ms',
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 5s',
        '  timeout server 5s',
        'listen web',
        `  bind 127.0.0.1:${port}`,
        `  server s1 app.test:${backPort} resolvers test init-addr none resolve-prefer ipv4`,
        '',
      ].join('\n'),
      `${binary}-show.cfg`,
    );
    const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
    const answers: string[] = [];
    try {
      await waitUntil('the first answer', async () => (await get(port)) === '200 A');
      answers.push(await cli(sock, 'show resolvers test'));
      answers.push(await cli(sock, 'show resolvers nope'));
      // HAProxy's own "default" section (from /etc/resolv.conf) is listed too
      answers.push(await cli(sock, 'show resolvers'));
    } finally {
      await proxy.stop();
    }
    const counters = (list: Record<string, number>) =>
      Object.entries({
        sent: 0,
        snd_error: 0,
        valid: 0,
        update: 0,
        cname: 0,
        cname_error: 0,
        any_err: 0,
        nx: 0,
        timeout: 0,
        refused: 0,
        other: 0,
        invalid: 0,
        too_big: 0,
        truncated: 0,
        outdated: 0,
        ...list,
      })
        .map(([k, v]) => `  ${`${k}:`.padEnd(13)}${v}\n`)
        .join('');
    expect(answers[0]).toBe(
      `Resolvers section test\n nameserver ns1:\n${counters({ sent: 1, valid: 1, update: 1 })}\n`,
    );
    expect(answers[1]).toBe("Can't find that resolvers section\n\n");
    expect(answers[2]!.startsWith(answers[0]!.slice(0, -1))).toBe(true);
    const shown = seenShow.get(binary === 'haproxy' ? 'haproxyd' : 'haproxy');
    if (shown !== undefined) expect(answers[2]).toBe(shown);
    seenShow.set(binary, answers[2]!);
  });
});
