// Protocol health checks against the real servers (issue 6): `option redis-check`,
// `pgsql-check`, `mysql-check`, `smtpchk` and `ldap-check` pass against redis-server,
// PostgreSQL, MariaDB, Exim and slapd started on 127.0.0.1 (throw-away instances in a temp
// dir, as their Debian system users), and fail against a wrong server (the wrong account,
// another protocol's server, a server saying "garbage"). The same configuration runs in the
// real HAProxy 2.6 and in haproxyd at once: the same verdicts, the same state-change
// sentences on stderr (check durations aside), and traffic through each `mode tcp` proxy
// reaches a server that is UP and none that is DOWN. Missing Debian packages are installed
// first (as root; once, under a lock); a server that cannot be had skips its cases, saying why.
import { connect } from 'node:net';
import {
  type Binary,
  freePorts,
  haproxyAvailable,
  type ProxyHandle,
  requireHaproxy,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSoftware, type InstallReport, Lab, type Software } from './checks-protocols/servers.ts';

useTestkit();

type Group = 'redis' | 'pgsql' | 'mysql' | 'smtp' | 'ldap';
/** The servers a case points at. */
type Target =
  | 'redis'
  | 'redisAuth'
  | 'redisLate'
  | 'pgsql'
  | 'mysql'
  | 'smtp'
  | 'ldap'
  | 'ldapNoAnon'
  | 'garbage';

const SOFTWARE: Record<Target, Software | null> = {
  redis: 'redis',
  redisAuth: 'redis',
  redisLate: 'redis',
  pgsql: 'postgresql',
  mysql: 'mariadb',
  smtp: 'exim',
  ldap: 'slapd',
  ldapNoAnon: 'slapd',
  garbage: null,
};
const GROUP_SOFTWARE: Record<Group, Software> = {
  redis: 'redis',
  pgsql: 'postgresql',
  mysql: 'mariadb',
  smtp: 'exim',
  ldap: 'slapd',
};

interface Probe {
  /** Sent through the proxy once connected (nothing: the server speaks first). */
  readonly send?: Buffer;
  /** What the server answers, read as latin1. */
  readonly expect: RegExp;
}

interface Case {
  /** The backend's name (its frontend is `fe_<name>`). */
  readonly name: string;
  readonly group: Group;
  readonly check: readonly string[];
  readonly target: Target;
  /**
   * up: passes from the first check (`option log-health-checks` shows it); down: fails
   * from the first check, the DOWN sentence carries `reason`; late: the server is started
   * after the proxies saw it refuse connections, it goes DOWN then UP.
   */
  readonly verdict: 'up' | 'down' | 'late';
  /** HAProxy 2.6.12's words after "reason: " (before ", check duration"). */
  readonly reason: RegExp;
}

/** A PostgreSQL StartupMessage (protocol 3.0) for `user` on the database `postgres`. */
function pgStartup(user: string): Buffer {
  const body = Buffer.concat([
    Buffer.from([0, 3, 0, 0]),
    Buffer.from(`user\0${user}\0database\0postgres\0\0`, 'latin1'),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}

/** Traffic through the proxy to a server that is UP, and what that server answers. */
const PROBES: Record<Group, Probe> = {
  redis: { send: Buffer.from('PING\r\n'), expect: /^\+PONG\r\n/ },
  pgsql: { send: pgStartup('haproxy'), expect: /^R\0\0\0\x08\0\0\0\0/ },
  mysql: { expect: /^[\s\S]{4}\n5\.5\.5-[0-9.]+-MariaDB/ },
  smtp: { expect: /^220 haproxyd\.test ESMTP\r\n/ },
  // an anonymous bind, answered by a bindResponse with resultCode 0 (success)
  ldap: {
    send: Buffer.from('300c020101600702010304008000', 'hex'),
    expect: /^0\x0c\x02\x01\x01a\x07\x0a\x01\x00/,
  },
};

const CASES: readonly Case[] = [
  // Redis: PING, +PONG expected
  {
    name: 'redis_ok',
    group: 'redis',
    check: ['option redis-check'],
    target: 'redis',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "Redis server is ok"/,
  },
  {
    name: 'redis_late',
    group: 'redis',
    check: ['option redis-check'],
    target: 'redisLate',
    verdict: 'late',
    reason: /Layer7 check passed, code: 0, info: "Redis server is ok"/,
  },
  // -NOAUTH: not +PONG, and `expect string` waits for more until the check times out
  {
    name: 'redis_noauth',
    group: 'redis',
    check: ['option redis-check'],
    target: 'redisAuth',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
  // PostgreSQL closes the connection: "invalid length of startup packet"
  {
    name: 'redis_on_pgsql',
    group: 'redis',
    check: ['option redis-check'],
    target: 'pgsql',
    verdict: 'down',
    reason: /Layer7 wrong status, code: 0, info: "TCPCHK got an empty response at step 2"/,
  },
  {
    name: 'redis_on_garbage',
    group: 'redis',
    check: ['option redis-check'],
    target: 'garbage',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
  // PostgreSQL: StartupMessage, an authentication request expected
  {
    name: 'pgsql_ok',
    group: 'pgsql',
    check: ['option pgsql-check user haproxy'],
    target: 'pgsql',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "PostgreSQL server is ok"/,
  },
  // "no pg_hba.conf entry for host "127.0.0.1", user "intruder"…": an E packet
  {
    name: 'pgsql_intruder',
    group: 'pgsql',
    check: ['option pgsql-check user intruder'],
    target: 'pgsql',
    verdict: 'down',
    reason: /Layer7 invalid response, info: "FATAL"/,
  },
  {
    name: 'pgsql_on_mysql',
    group: 'pgsql',
    check: ['option pgsql-check user haproxy'],
    target: 'mysql',
    verdict: 'down',
    reason: /Layer7 wrong status, code: 0, info: "PostgreSQL unknown error"/,
  },
  {
    name: 'pgsql_on_garbage',
    group: 'pgsql',
    check: ['option pgsql-check user haproxy'],
    target: 'garbage',
    verdict: 'down',
    reason: /Layer7 wrong status, code: 0, info: "PostgreSQL unknown error"/,
  },
  // MariaDB: the greeting, then (with a user) authentication and QUIT
  {
    name: 'mysql_ok',
    group: 'mysql',
    check: ['option mysql-check user haproxy post-41'],
    target: 'mysql',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "5\.5\.5-[0-9.]+-MariaDB[^"]*"/,
  },
  {
    name: 'mysql_pre41',
    group: 'mysql',
    check: ['option mysql-check user haproxy'],
    target: 'mysql',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "5\.5\.5-[0-9.]+-MariaDB[^"]*"/,
  },
  {
    name: 'mysql_greeting',
    group: 'mysql',
    check: ['option mysql-check'],
    target: 'mysql',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "5\.5\.5-[0-9.]+-MariaDB[^"]*"/,
  },
  {
    name: 'mysql_intruder',
    group: 'mysql',
    check: ['option mysql-check user intruder post-41'],
    target: 'mysql',
    verdict: 'down',
    reason:
      /Layer7 wrong status, code: 1045, info: "#28000Access denied for user 'intruder'@'127\.0\.0\.1' \(using password: NO\)"/,
  },
  // a banner that is no MySQL packet: waits for the rest of the "packet" until the timeout
  {
    name: 'mysql_on_smtp',
    group: 'mysql',
    check: ['option mysql-check user haproxy post-41'],
    target: 'smtp',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
  {
    name: 'mysql_on_garbage',
    group: 'mysql',
    check: ['option mysql-check user haproxy post-41'],
    target: 'garbage',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
  // SMTP (Exim): banner, HELO/EHLO, QUIT
  {
    name: 'smtp_ok',
    group: 'smtp',
    check: ['option smtpchk'],
    target: 'smtp',
    verdict: 'up',
    reason: /Layer7 check passed, code: 221, info: "haproxyd\.test closing connection"/,
  },
  {
    name: 'smtp_ehlo',
    group: 'smtp',
    check: ['option smtpchk EHLO haproxy.test'],
    target: 'smtp',
    verdict: 'up',
    reason: /Layer7 check passed, code: 221, info: "haproxyd\.test closing connection"/,
  },
  // "550 HELO forbidden.example is not welcome here": the HELO expect waits for a 2xx until the timeout
  {
    name: 'smtp_denied',
    group: 'smtp',
    check: ['option smtpchk HELO forbidden.example'],
    target: 'smtp',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
  {
    name: 'smtp_on_mysql',
    group: 'smtp',
    check: ['option smtpchk'],
    target: 'mysql',
    verdict: 'down',
    reason: /Layer7 invalid response, info: "[^"]*"/,
  },
  {
    name: 'smtp_on_garbage',
    group: 'smtp',
    check: ['option smtpchk'],
    target: 'garbage',
    verdict: 'down',
    reason: /Layer7 invalid response, info: "garbage"/,
  },
  // LDAP (slapd): anonymous bind
  {
    name: 'ldap_ok',
    group: 'ldap',
    check: ['option ldap-check'],
    target: 'ldap',
    verdict: 'up',
    reason: /Layer7 check passed, code: 0, info: "Success"/,
  },
  {
    name: 'ldap_noanon',
    group: 'ldap',
    check: ['option ldap-check'],
    target: 'ldapNoAnon',
    verdict: 'down',
    reason:
      /Layer7 wrong status, code: 48, info: "See RFC: http:\/\/tools\.ietf\.org\/html\/rfc4511#section-4\.1\.9"/,
  },
  {
    name: 'ldap_on_smtp',
    group: 'ldap',
    check: ['option ldap-check'],
    target: 'smtp',
    verdict: 'down',
    reason: /Layer7 invalid response, info: "Not LDAPv3 protocol"/,
  },
  // "garbage\r\n" announces a 0x61-byte message: waits for it until the timeout
  {
    name: 'ldap_on_garbage',
    group: 'ldap',
    check: ['option ldap-check'],
    target: 'garbage',
    verdict: 'down',
    reason: /Layer7 timeout/,
  },
];

const INTER = 100;

// ---- what the run found, per binary ------------------------------------------------------------

interface Outcome {
  /** The state-change sentences of each case, as `[LEVEL] text`, check durations masked. */
  readonly lines: Map<string, string[]>;
  /** What traffic through each case's proxy got back (latin1), '' when the proxy closed at once. */
  readonly traffic: Map<string, string>;
  readonly stderr: string;
}

let lab: Lab | undefined;
let install: InstallReport | undefined;
/** Why each target cannot be had (absent: it runs). */
const unavailable = new Map<Target, string>();
const outcomes = new Map<Binary, Outcome>();
let setupError: Error | undefined;
const cases: Case[] = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The sentences about `name`/s1 in a proxy's stderr, pid and duration masked. */
function sentences(stderr: string, name: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes(` ${name}/s1 `) || l.includes(`'${name}' has no server available`))
    .map((l) =>
      l.replace(/^\[(\w+)\]\s+\(\d+\) : /, '[$1] ').replace(/check duration: \d+ms/, 'check duration: Nms'),
    );
}

/** Connects to the proxy, sends `probe.send`, reads until `probe.expect` matches, it closes, or 1.5 s. */
function exchange(port: number, probe: Probe | undefined): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 1500);
    s.on('connect', () => {
      if (probe?.send) s.write(probe.send);
    });
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (probe?.expect.test(got)) done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

/** Polls `pred` every 25 ms until it holds or `ms` ran out; returns whether it held. */
async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** Whether a case's expected sentences are all there (its verdict reached). */
function settled(stderr: string, c: Case, late: 'before' | 'after'): boolean {
  const text = sentences(stderr, c.name).join('\n');
  if (c.verdict === 'up') return text.includes(`Health check for server ${c.name}/s1 succeeded`);
  if (c.verdict === 'down') return text.includes(`Server ${c.name}/s1 is DOWN`);
  return late === 'before'
    ? text.includes(`Server ${c.name}/s1 is DOWN`)
    : text.includes(`${c.name}/s1 is UP`);
}

const literal = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The sentences a case must produce: HAProxy 2.6's, with its reason, durations masked. */
function expected(c: Case): unknown[] {
  const line = (before: string, reason: RegExp | null, after: string) =>
    expect.stringMatching(
      new RegExp(`^${literal(before)}${reason ? reason.source : ''}${literal(after)}$`),
    ) as unknown;
  const down =
    ', check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  const none = `[ALERT] backend '${c.name}' has no server available!`;
  if (c.verdict === 'up')
    return [
      line(
        `[WARNING] Health check for server ${c.name}/s1 succeeded, reason: `,
        c.reason,
        ', check duration: Nms, status: 1/1 UP.',
      ),
    ];
  if (c.verdict === 'down')
    return [line(`[WARNING] Server ${c.name}/s1 is DOWN, reason: `, c.reason, down), none];
  return [
    `[WARNING] Server ${c.name}/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"${down}`,
    none,
    line(
      `[WARNING] Server ${c.name}/s1 is UP, reason: `,
      c.reason,
      ', check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    ),
  ];
}

describe('protocol checks against real servers', () => {
  beforeAll(async () => {
    install = await ensureSoftware(['redis', 'postgresql', 'mariadb', 'exim', 'slapd']);
    if (install.installed.length > 0)
      console.info(`checks-protocols: installed ${install.installed.join(' ')} in ${install.seconds} s`);
  }, 1_500_000);

  beforeAll(async () => {
    lab = new Lab();
    const targets = [...new Set(CASES.map((c) => c.target))];
    const ports = await freePorts(targets.length);
    const port = new Map(targets.map((t, i) => [t, ports[i]!]));
    for (const t of targets) {
      const sw = SOFTWARE[t];
      const why = sw === null ? undefined : install?.missing[sw];
      if (why !== undefined) unavailable.set(t, why);
    }
    // every server but the late one, at once
    const starters: Partial<Record<Target, (p: number) => Promise<void>>> = {
      redis: (p) => lab!.redis('redis', p),
      redisAuth: (p) => lab!.redis('redis-auth', p, 'sesame'),
      pgsql: (p) => lab!.postgres(p),
      mysql: (p) => lab!.mariadb(p),
      smtp: (p) => lab!.exim(p),
      ldap: (p) => lab!.slapd('slapd', p),
      ldapNoAnon: (p) => lab!.slapd('slapd-noanon', p, true),
      garbage: (p) => lab!.garbage(p),
    };
    await Promise.all(
      Object.entries(starters).map(async ([t, start]) => {
        if (unavailable.has(t as Target)) return;
        try {
          await start(port.get(t as Target)!);
        } catch (e) {
          unavailable.set(t as Target, `could not start: ${(e as Error).message.slice(0, 3000)}`);
        }
      }),
    );
    if (unavailable.has('redis')) unavailable.set('redisLate', unavailable.get('redis')!);
    cases.push(...CASES.filter((c) => !unavailable.has(c.target)));

    // one configuration: a frontend and a backend per case, the backend's one server checked.
    // Not `listen` sections: for those HAProxy says "proxy 'x' has no server available!" and
    // haproxyd (for now) "backend 'x' …", a difference that has nothing to do with protocols.
    const fronts = await freePorts(cases.length * 2);
    const config = (binary: Binary): string => {
      const off = binary === 'haproxy' ? 0 : cases.length;
      const lines = [
        'defaults',
        '  mode tcp',
        '  timeout connect 1s',
        '  timeout client 5s',
        '  timeout server 5s',
      ];
      for (const [i, c] of cases.entries()) {
        lines.push(
          `frontend fe_${c.name}`,
          `  bind 127.0.0.1:${fronts[off + i]}`,
          `  default_backend ${c.name}`,
        );
        lines.push(`backend ${c.name}`, ...c.check.map((l) => `  ${l}`));
        // a server that passes logs its first success (it starts UP: no state change to say)
        if (c.verdict === 'up') lines.push('  option log-health-checks');
        // checks that fail wait for nothing long; those that pass have time. Once DOWN for
        // good, a server is checked once a second (downinter): less load on two cores.
        lines.push(`  timeout check ${c.verdict === 'down' ? '1s' : '3s'}`);
        const down = c.verdict === 'down' ? ' downinter 1s' : '';
        lines.push(`  server s1 127.0.0.1:${port.get(c.target)} check inter ${INTER}${down} rise 1 fall 1`);
      }
      return writeConfig(lines.join('\n') + '\n', `checks-protocols-${binary}.cfg`);
    };
    const binaries: Binary[] = haproxyAvailable().available ? ['haproxy', 'haproxyd'] : ['haproxyd'];
    const proxies = new Map<Binary, ProxyHandle>();
    try {
      for (const b of binaries) {
        const off = b === 'haproxy' ? 0 : cases.length;
        proxies.set(b, await startProxy(b, config(b), { readyPorts: fronts.slice(off, off + cases.length) }));
      }
      const all = (late: 'before' | 'after') =>
        [...proxies.values()].every((p) => cases.every((c) => settled(p.stderr(), c, late)));
      // every verdict in (the first checks are spread over a second), then time for a flap to show
      await until(() => all('before'), 15_000);
      await sleep(5 * INTER);
      const late = cases.find((c) => c.verdict === 'late');
      if (late !== undefined) {
        await lab.redis('redis-late', port.get('redisLate')!);
        await until(() => all('after'), 10_000);
        await sleep(5 * INTER);
      }
      for (const [b, p] of proxies) {
        const off = b === 'haproxy' ? 0 : cases.length;
        const traffic = new Map<string, string>();
        await Promise.all(
          cases.map(async (c, i) =>
            traffic.set(
              c.name,
              await exchange(fronts[off + i]!, c.verdict === 'down' ? undefined : PROBES[c.group]),
            ),
          ),
        );
        const stderr = p.stderr();
        outcomes.set(b, {
          lines: new Map(cases.map((c) => [c.name, sentences(stderr, c.name)])),
          traffic,
          stderr,
        });
      }
    } catch (e) {
      setupError = e as Error;
    } finally {
      await Promise.all([...proxies.values()].map((p) => p.stop()));
    }
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
  }, 60_000);

  const groups: Group[] = ['redis', 'pgsql', 'mysql', 'smtp', 'ldap'];
  for (const group of groups) {
    it(`${group}: UP against the real server, DOWN against wrong ones; haproxy and haproxyd agree`, (ctx) => {
      if (setupError) throw setupError;
      const sw = GROUP_SOFTWARE[group];
      const why = install?.missing[sw] ?? unavailable.get(CASES.find((c) => c.group === group)!.target);
      if (why !== undefined) {
        const note = `SKIPPED: no real ${sw} server here: ${why}`;
        console.warn(`checks-protocols: ${group}: ${note}`);
        ctx.skip(note);
      }
      const mine = cases.filter((c) => c.group === group);
      const dropped = CASES.filter((c) => c.group === group && !mine.includes(c));
      if (dropped.length > 0)
        console.warn(
          `checks-protocols: ${group}: cases left out (their server is missing): ` +
            dropped.map((c) => `${c.name} (${unavailable.get(c.target)?.split('\n')[0]})`).join('; '),
        );
      const d = outcomes.get('haproxyd')!;
      const servers = `\n\nservers:\n${lab?.logs()}`;
      for (const c of mine) {
        expect(
          { case: c.name, lines: d.lines.get(c.name) },
          `haproxyd stderr:\n${d.stderr}${servers}`,
        ).toEqual({
          case: c.name,
          lines: expected(c),
        });
        // traffic reaches a server that is UP; a DOWN one leaves the connection closed unanswered
        const answer = d.traffic.get(c.name) ?? '';
        if (c.verdict === 'down') expect({ case: c.name, answer }).toEqual({ case: c.name, answer: '' });
        else expect(answer, `${c.name}: through haproxyd`).toMatch(PROBES[c.group].expect);
      }

      // the reference: HAProxy 2.6 says the same, word for word, and lets the same traffic through
      requireHaproxy();
      const h = outcomes.get('haproxy')!;
      for (const c of mine) {
        expect(
          { case: c.name, lines: h.lines.get(c.name) },
          `haproxy stderr:\n${h.stderr}${servers}`,
        ).toEqual({
          case: c.name,
          lines: expected(c),
        });
        expect({ case: c.name, lines: d.lines.get(c.name) }).toEqual({
          case: c.name,
          lines: h.lines.get(c.name),
        });
        const [ha, da] = [h.traffic.get(c.name) ?? '', d.traffic.get(c.name) ?? ''];
        expect({ case: c.name, answered: da !== '' }).toEqual({ case: c.name, answered: ha !== '' });
      }
    });
  }
});
