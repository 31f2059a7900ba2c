// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration text uses ${VAR} literally
// `haproxyd -c` as a linter: users run it in CI on configurations written for HAProxy and grep
// its output, so for each configuration below the exit status and every ALERT and WARNING line
// (closing lines included) must be the ones the real `haproxy -c` (2.6.12) prints, in order.
// The configurations are small ones written for this test, each the shape of a disagreement
// found on real users' files: unresolvable server names and `init-addr`, removed keywords and
// options, conditions naming no ACL, rules with missing arguments, timers with trailing
// characters, addresses with unset variables, warnings of the whole-configuration checks.
// Then a server left without an address (`init-addr none`) starts in maintenance in both.
import { checkConfig, freePorts, requireHaproxy, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { masterCli } from './master-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

const DEFAULTS = [
  'defaults',
  '  mode http',
  '  timeout connect 5s',
  '  timeout client 30s',
  '  timeout server 30s',
];

/** Every ALERT / WARNING line with its continuation lines, pid removed. */
function lines(stderr: string, stdout: string): string[] {
  const out: string[] = [];
  for (const text of [stderr, stdout]) {
    for (const l of text.split('\n')) {
      if (/^\[(ALERT|WARNING)\]/.test(l)) out.push(l.replace(/\(\d+\)/, '(PID)'));
      else if (/^\s+\|/.test(l) && out.length > 0) out[out.length - 1] += `\n${l}`;
    }
  }
  return out;
}

interface Case {
  name: string;
  config: string[];
  args?: string[];
  env?: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: 'an unresolvable server name: reported after the checks, with its own closing line',
    config: [...DEFAULTS, 'listen web', '  bind 127.0.0.1:1', '  server app app.nonexistent.invalid:80'],
  },
  {
    name: 'init-addr: none is silent, libc,none and <ip> warn, last,libc and the default refuse',
    config: [
      ...DEFAULTS,
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  default_backend be',
      'backend be',
      '  server a a.nonexistent.invalid:80 init-addr none',
      '  server b b.nonexistent.invalid:80 init-addr libc,none',
      '  server c c.nonexistent.invalid:80 init-addr libc,10.0.0.1',
      '  server d d.nonexistent.invalid:80 init-addr last,libc',
      '  server e e.nonexistent.invalid:80',
      '  server f localhost:80',
    ],
  },
  {
    name: 'init-addr none in default-server makes unresolvable names acceptable',
    config: [
      ...DEFAULTS,
      '  default-server init-addr last,libc,none',
      'listen web',
      '  bind 127.0.0.1:1',
      '  server a a.nonexistent.invalid:80',
    ],
  },
  {
    name: '-dr: an unresolvable name disables the server with a warning',
    config: [...DEFAULTS, 'listen web', '  bind 127.0.0.1:1', '  server a a.nonexistent.invalid:80'],
    args: ['-dr'],
  },
  {
    name: 'a parse error hides the unresolvable server',
    config: [
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
      '  nosuchkeyword',
      '  server a a.nonexistent.invalid:80',
    ],
  },
  {
    name: 'a missing use_backend (after parsing, once) hides the unresolvable server',
    config: [
      ...DEFAULTS,
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  use_backend missing_be if { path_beg /api }',
      '  default_backend be',
      'backend be',
      '  server a a.nonexistent.invalid:80',
    ],
  },
  {
    name: 'tracking a server of a missing proxy, and a missing server',
    config: [
      ...DEFAULTS,
      'backend be',
      '  server a 127.0.0.1:80 track nosuch/x',
      '  server b 127.0.0.1:80 track nosuch',
    ],
  },
  {
    name: 'removed regex header rules and 1.x timeouts, in HAProxy words',
    config: [
      'defaults',
      '  mode http',
      '  contimeout 5000',
      '  clitimeout 5000',
      '  srvtimeout 5000',
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  reqadd X-Proto:\\ http',
      '  reqrep ^Host:\\ x Host:\\ y',
      '  rspdel ^Server:.*',
      '  rspidel ^X:.*',
      '  reqdeny ^X',
      '  default_backend be',
      'backend be',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: 'nbproc, debug and tune.chksize in global',
    config: [
      'global',
      '  nbproc 1',
      '  debug',
      '  tune.chksize 1',
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
    ],
  },
  {
    name: 'every missing errorfile is reported',
    config: [
      ...DEFAULTS,
      '  errorfile 400 /nonexistent/400.http',
      '  errorfile 503 /nonexistent/503.http',
      'listen web',
      '  bind 127.0.0.1:1',
      '  errorfile 504 /nonexistent/504.http',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: "unknown and removed options: HAProxy's suggestion and its removal notes",
    config: [
      ...DEFAULTS,
      '  option http-use-htx',
      '  option http_proxy',
      '  option forceclose',
      '  option http-tunnel',
      '  option dontlognul',
      'listen web',
      '  bind 127.0.0.1:1',
    ],
  },
  {
    name: 'a log server whose name does not resolve',
    config: [
      'global',
      '  log logs.nonexistent.invalid:514 local0',
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
    ],
  },
  {
    name: 'an unset variable in a bind port leaves no port',
    config: [...DEFAULTS, 'listen web', '  bind 127.0.0.1:$HAPD_TEST_UNSET_PORT', '  server s1 127.0.0.1:80'],
  },
  {
    name: 'an unset variable as a server port, and a path after a port: valid',
    config: [
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
      '  server s1 127.0.0.1:${HAPD_TEST_UNSET_PORT}',
      '  server s2 127.0.0.1:8080/',
      '  server s3 127.0.0.1:$HAPD_TEST_PORT',
    ],
    env: { HAPD_TEST_PORT: '8081' },
  },
  {
    name: 'a bad server port is reported with its proxy',
    config: [...DEFAULTS, 'listen web', '  bind 127.0.0.1:1', '  server s1 127.0.0.1:x80'],
  },
  {
    name: 'no such ACL in a switching rule, a redirect and a TCP rule',
    config: [
      ...DEFAULTS,
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  tcp-request content reject if nosuch1',
      '  redirect location / if nosuch2',
      '  use_backend be if nosuch3',
      '  default_backend be',
      'backend be',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: 'no such ACL in an http-request rule: HAProxy stops reading there',
    config: [
      ...DEFAULTS,
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  http-request deny if undefined_acl',
      '  nosuchkeyword',
      '  default_backend be',
      'backend be',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: 'an HTTP rule whose expression does not compile: HAProxy stops reading there too',
    config: [
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
      '  http-request set-header X %[path,nosuchconv]',
      '  http-request set-header Y %[path,map(/nonexistent/haproxyd.map)]',
      '  nosuchkeyword',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: 'an action with a missing argument (an empty quoted variable)',
    config: [
      ...DEFAULTS,
      'listen web',
      '  bind 127.0.0.1:1',
      '  http-request add-header Host "$HAPD_TEST_UNSET"',
    ],
  },
  {
    name: 'timers with characters after the unit: warned about, accepted',
    config: [
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 15min',
      '  timeout server 30sec',
      'listen web',
      '  bind 127.0.0.1:1',
      '  server s1 127.0.0.1:80 check inter 2secs',
    ],
  },
  {
    name: 'HTTP-only options in a TCP proxy, and a log format without a log address',
    config: [
      'defaults',
      '  mode tcp',
      '  option forwardfor',
      '  option httplog',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      'listen db',
      '  bind 127.0.0.1:1',
      '  stats enable',
      '  stats uri /stats',
      '  server s1 127.0.0.1:3306',
      'frontend fe',
      '  mode http',
      '  bind 127.0.0.1:2',
      '  option httplog',
      '  log 127.0.0.1:514 local0',
      '  default_backend web',
      'backend web',
      '  mode http',
      '  server s1 127.0.0.1:80',
    ],
  },
  {
    name: 'headers hidden after the httpchk version: a warning',
    config: [
      ...DEFAULTS,
      'backend be',
      '  option httpchk GET / HTTP/1.1\\r\\nHost:\\ example.com',
      '  server s1 127.0.0.1:80 check',
      'frontend fe',
      '  bind 127.0.0.1:1',
      '  default_backend be',
    ],
  },
  {
    name: 'uid and gid given as names: warned about, accepted',
    config: ['global', '  uid nobody', '  gid nogroup', ...DEFAULTS, 'listen web', '  bind 127.0.0.1:1'],
  },
  {
    name: 'checks on a server without any port',
    config: [...DEFAULTS, 'listen web', '  bind 127.0.0.1:1', '  server s1 127.0.0.1 check'],
  },
];

describe('haproxyd -c prints what haproxy -c prints', () => {
  it.each(CASES)('$name', async (c) => {
    const cfg = writeConfig(`${c.config.join('\n')}\n`);
    const env = { HAPD_TEST_UNSET_PORT: undefined, HAPD_TEST_UNSET: undefined, ...(c.env ?? {}) };
    const opts = { extraArgs: c.args ?? [], env };
    const [want, got] = await Promise.all([
      checkConfig('haproxy', [cfg], opts),
      checkConfig('haproxyd', [cfg], opts),
    ]);
    const theirs = lines(want.stderr, want.stdout);
    if (want.code !== 0) expect(theirs.length, 'HAProxy names what it refuses').toBeGreaterThan(0);
    expect(got.code, `haproxy:\n${want.stderr}\nhaproxyd:\n${got.stderr}`).toBe(want.code);
    expect(lines(got.stderr, got.stdout)).toEqual(theirs);
  });
});

describe('a server without an address at start (init-addr none)', () => {
  it('starts in maintenance (resolution) in both, and the others serve', async () => {
    const rows: Record<string, string[]> = {};
    for (const binary of ['haproxy', 'haproxyd'] as const) {
      const [port] = await freePorts(1);
      const sock = `${tempDir()}/maint-${binary}.sock`;
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          ...DEFAULTS,
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  default_backend be',
          'backend be',
          '  server a a.nonexistent.invalid:80 init-addr libc,none',
          '  server b b.nonexistent.invalid:80 init-addr none',
          '  server c 127.0.0.1:9',
          '',
        ].join('\n'),
        `maint-${binary}.cfg`,
      );
      const p = await startProxy(binary, cfg, { readyPorts: [port!] });
      let stat = '';
      for (let i = 0; i < 100 && !stat.includes('be,c,'); i++) {
        stat = await masterCli(sock, 'show stat').catch(() => '');
        if (!stat.includes('be,c,')) await new Promise((r) => setTimeout(r, 50));
      }
      const state = await masterCli(sock, 'show servers state be');
      await p.stop(10_000);
      // name, status of each server; then name, address, op state, admin state, health
      const status = stat
        .split('\n')
        .filter((l) => l.startsWith('be,') && !l.startsWith('be,BACKEND'))
        .map((l) => {
          const f = l.split(',');
          return `${f[1]} ${f[17]}`;
        });
      const servers = state
        .split('\n')
        .filter((l) => /^\d+ be /.test(l))
        .map((l) => {
          const f = l.split(' ');
          return `${f[3]} ${f[4]} ${f[5]} ${f[6]} ${f[12]}`;
        });
      rows[binary] = [...status, ...servers];
    }
    expect(rows['haproxy']).toContain('a MAINT (resolution)');
    expect(rows['haproxyd']).toEqual(rows['haproxy']);
  });
});
