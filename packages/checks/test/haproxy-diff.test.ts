// Differential tests: the real HAProxy 2.6 and @hap/checks check twin scripted servers (the
// same replies, connection after connection) or the very same port, from the same
// configuration lines. HAProxy's log (`log stderr format raw`, `option log-health-checks`)
// and the checker's sentences must be equal, line for line, but for check durations; the
// bytes each check sends must be equal too. Skipped when haproxy is not installed.
import { connect } from 'node:net';
import { freePort, haproxyAvailable, type ProxyHandle, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { compileCheckSpecs, HealthChecker, type ServerCheckConfig } from '../src/index.ts';
import {
  anonymise,
  closeListeners,
  deadPort,
  http,
  listenOn,
  type Reply,
  record,
  type Scripted,
  scripted,
  sleep,
} from './helpers.ts';

useTestkit();
const haproxy = haproxyAvailable();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
  await closeListeners();
});

/** Splits a configuration line into words as HAProxy does: quotes and backslash escapes. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') cur += unescapeAt(line, ++i, (n) => (i = n));
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\') cur += unescapeAt(line, ++i, (n) => (i = n));
    else cur += c;
  }
  if (inWord) out.push(cur);
  return out;
}

function unescapeAt(line: string, i: number, set: (n: number) => void): string {
  const c = line[i] ?? '';
  if (c === 'r') return '\r';
  if (c === 'n') return '\n';
  if (c === 't') return '\t';
  if (c === 'x') {
    set(i + 2);
    return String.fromCharCode(Number.parseInt(line.slice(i + 1, i + 3), 16));
  }
  // Not an escape: the backslash stays (regular expressions need it).
  return ' \\#\'"'.includes(c) ? c : `\\${c}`;
}

const VALUED = new Set([
  'inter',
  'fastinter',
  'downinter',
  'rise',
  'fall',
  'port',
  'addr',
  'weight',
  'agent-port',
  'agent-inter',
  'agent-send',
  'agent-addr',
  'slowstart',
  'error-limit',
  'observe',
  'on-error',
  'on-marked-down',
  'on-marked-up',
]);

function serverOptions(line: string): Record<string, string | true> {
  const w = words(line);
  const o: Record<string, string | true> = {};
  for (let i = 0; i < w.length; i++) {
    const k = w[i] ?? '';
    if (VALUED.has(k)) o[k] = w[++i] ?? '';
    else o[k] = true;
  }
  return o;
}

interface Scenario {
  /** Backend name. */
  readonly name: string;
  /** Backend lines (configuration text); `@DEAD@` is a port nothing listens on. */
  readonly lines: readonly string[];
  /** Server options; `@AGENT@` is the agent's port. */
  readonly options: string;
  readonly script: readonly Reply[];
  readonly agentScript?: readonly Reply[];
  /** The checks go elsewhere (a dead port): wait for time, not for connections. */
  readonly elsewhere?: boolean;
}

interface Side {
  readonly server: Scripted;
  readonly agent: Scripted | undefined;
}

const OK = http('200 OK', 'ok');
const mysqlPkt = (seq: number, payload: Buffer) => {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
};
const MYSQL_HS = mysqlPkt(
  0,
  Buffer.concat([Buffer.from([10]), Buffer.from('5.7.99-fake\0'), Buffer.alloc(20, 1)]),
);
const MYSQL_OK = mysqlPkt(2, Buffer.from('00000002000000', 'hex'));
const mysqlErr = (seq: number) =>
  mysqlPkt(seq, Buffer.concat([Buffer.from('ff1504', 'hex'), Buffer.from('#28000Access denied for user')]));
const PG_OK = Buffer.from('520000000800000000', 'hex');
const PG_ERR = Buffer.concat([
  Buffer.from('E'),
  Buffer.from('00000030', 'hex'),
  Buffer.from('SFATAL\0C28000\0Mrole "x" does not exist\0\0'),
]);
const LDAP_OK = Buffer.from('300c02010161070a010004000400', 'hex');
const LDAP_ERR = Buffer.from('300c02010161070a013104000400', 'hex');
const SSL_OK = Buffer.from('160301002a020000260301', 'hex');
const SMTP_OK: Reply = { banner: '220 mx ready\r\n', next: ['250 mx hello\r\n', '221 bye\r\n'] };

const SCENARIOS: Scenario[] = [
  {
    name: 'http404',
    lines: ['option httpchk', 'http-check disable-on-404'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: OK },
      { answer: http('404 Not Found') },
      { answer: http('404 Not Found') },
      { answer: OK },
      { answer: http('503 Service Unavailable') },
      { answer: 'HELLO WORLD\r\n\r\n' },
      'read-close',
      { answer: OK },
      { answer: OK },
      'hang',
      'hang',
      { answer: OK },
    ],
  },
  {
    name: 'httpsend',
    lines: [
      'option httpchk GET /health HTTP/1.1',
      'http-check send hdr Host example.org hdr X-Check yes',
      'http-check expect status 200-299',
    ],
    options: 'check inter 100 fall 1 rise 1',
    script: [{ answer: OK }, { answer: http('302 Found') }, 'reset', { answer: OK }],
  },
  {
    name: 'httpbody',
    lines: ['option httpchk POST /p HTTP/1.1', 'http-check send body hello', 'http-check expect string ok'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: OK },
      { answer: http('200 OK', 'error') },
      { answer: OK },
      { answer: http('200 OK') },
      { answer: OK },
    ],
  },
  {
    name: 'httpneg',
    lines: ['option httpchk', 'http-check comment hello', 'http-check expect ! rstatus ^5'],
    options: 'check inter 100 fall 2 rise 2',
    script: [{ answer: OK }, { answer: http('500 Boom') }, { answer: OK }, { answer: http('301 Moved') }],
  },
  {
    name: 'httphdr',
    lines: ['option httpchk HEAD /', 'http-check expect hdr name x-a value bar'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: http('200 OK', '', 'X-A: foo, bar\r\n') },
      { answer: OK },
      { answer: http('200 OK', '', 'x-a: bar\r\n') },
    ],
  },
  {
    name: 'tcpchk',
    lines: ['option tcp-check', 'tcp-check send PING\\r\\n', 'tcp-check expect string +PONG'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: '+PONG\r\n' },
      { answer: '-ERR x\r\n' },
      { answer: '+PONG\r\n' },
      'close',
      { answer: '+PONG\r\n' },
      'hang',
      { answer: '+PONG\r\n' },
      { answer: '+PO' },
      { answer: '+PONG\r\n' },
    ],
  },
  {
    name: 'tcpsteps',
    lines: [
      'option tcp-check',
      'tcp-check comment hello',
      'tcp-check send PING\\r\\n comment sending',
      'tcp-check expect rstring ^\\+PONG comment pong',
      'tcp-check send-binary 50494e470d0a',
      'tcp-check expect ! string ERR',
    ],
    options: 'check inter 100 fall 2 rise 2',
    script: [{ answer: '+PONG\r\n' }, { answer: '-ERR\r\n' }, 'hang', { answer: '+PONG\r\n' }],
  },
  {
    name: 'tcpconn',
    lines: ['option tcp-check', 'tcp-check connect port @DEAD@'],
    options: 'check inter 100 fall 2 rise 2',
    script: ['close'],
    elsewhere: true,
  },
  {
    name: 'tcpimplicit',
    lines: ['option tcp-check', 'tcp-check send PING\\r\\n'],
    options: 'check inter 100 fall 2 rise 2 port @DEAD@',
    script: ['close'],
    elsewhere: true,
  },
  {
    name: 'redis',
    lines: ['option redis-check'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: '+PONG\r\n' },
      { answer: '-NOAUTH Authentication required.\r\n' },
      { answer: '+PONG\r\n' },
      'read-close',
      { answer: '+PONG\r\n' },
    ],
  },
  {
    name: 'mysql41',
    lines: ['option mysql-check user haproxy'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
      { answer: mysqlErr(0) },
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
      { answer: Buffer.concat([MYSQL_HS, mysqlErr(2)]) },
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
      { answer: MYSQL_HS },
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
    ],
  },
  {
    name: 'mysql40',
    lines: ['option mysql-check user bob pre-41'],
    options: 'check inter 100 fall 2 rise 2',
    script: [{ answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) }],
  },
  {
    name: 'mysqlnouser',
    lines: ['option mysql-check'],
    options: 'check inter 100 fall 2 rise 2',
    script: [{ banner: MYSQL_HS }, { banner: mysqlErr(0) }, { banner: MYSQL_HS }],
  },
  {
    name: 'pgsql',
    lines: ['option pgsql-check user pg'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: PG_OK },
      { answer: PG_ERR },
      { answer: PG_OK },
      { answer: 'HTTP/1.0 400\r\n\r\n' },
      { answer: PG_OK },
      'read-close',
      { answer: PG_OK },
    ],
  },
  {
    name: 'smtp',
    lines: ['option smtpchk'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      SMTP_OK,
      { banner: '554 no service\r\n' },
      SMTP_OK,
      { banner: 'hello\r\n' },
      SMTP_OK,
      { banner: '220 mx\r\n', next: ['250 hi\r\n', '500 what\r\n'] },
      SMTP_OK,
    ],
  },
  {
    name: 'smtpehlo',
    lines: ['option smtpchk EHLO example.org'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { banner: '220 mx\r\n', next: ['250-mx hello\r\n250-PIPELINING\r\n250 SIZE 100\r\n', '221 bye\r\n'] },
    ],
  },
  {
    name: 'ldap',
    lines: ['option ldap-check'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: LDAP_OK },
      { answer: LDAP_ERR },
      { answer: LDAP_OK },
      { answer: 'HTTP/1.1 400 Bad\r\n\r\n' },
      { answer: LDAP_OK },
      'read-close',
      { answer: LDAP_OK },
    ],
  },
  {
    name: 'sslhello',
    lines: ['option ssl-hello-chk'],
    options: 'check inter 100 fall 2 rise 2',
    script: [
      { answer: SSL_OK },
      { answer: 'HTTP/1.1 400 Bad\r\n\r\n' },
      { answer: SSL_OK },
      'read-close',
      { answer: SSL_OK },
      'hang',
      { answer: SSL_OK },
    ],
  },
  {
    name: 'proxyline',
    lines: ['option redis-check'],
    options: 'check inter 100 check-send-proxy',
    script: [{ answer: '+PONG\r\n' }],
  },
  {
    name: 'agent',
    lines: [],
    options: 'weight 20 agent-check agent-port @AGENT@ agent-inter 100 agent-send "hello\\n"',
    script: ['close'],
    agentScript: [
      'up',
      'down',
      'up',
      'drain',
      'ready',
      '75%',
      'maint',
      'ready',
      'stopped # gone fishing',
      'up',
      'fail',
      'foo',
      'up',
      '0%',
      'up 100%',
    ].map((l): Reply => ({ answer: `${l}\n` })),
  },
];

/** The log lines about one backend, from HAProxy's raw stderr log (warnings dropped). */
function haproxyLines(proxy: ProxyHandle, backend: string): string[] {
  const rx = new RegExp(`(server ${backend}/|Server ${backend}/|backend ${backend} )`);
  return proxy
    .stderr()
    .split('\n')
    .filter((l) => !l.startsWith('[') && rx.test(l))
    .map(anonymise);
}

async function sides(s: Scenario): Promise<Side> {
  const server = await scripted(s.script);
  const agent = s.agentScript ? await scripted(s.agentScript) : undefined;
  return { server, agent };
}

function fill(text: string, vars: Record<string, number>): string {
  return text.replace(/@(\w+)@/g, (_m, k: string) => String(vars[k] ?? ''));
}

/**
 * One run of every scenario in haproxy and in haproxyd's checker side by side: the
 * differences found, and whether HAProxy's own run shows its start-up artifact (a first
 * check that timed out where haproxyd's first check of the same script did not).
 */
async function compareScenarios(): Promise<{ problems: unknown[]; haproxyStartupTimeout: boolean }> {
  const dead = await deadPort();
  const fePort = await freePort();
  const theirs = new Map<string, Side>();
  const ours = new Map<string, Side>();
  for (const s of SCENARIOS) {
    theirs.set(s.name, await sides(s));
    ours.set(s.name, await sides(s));
  }
  let cfg =
    'global\n  log stderr format raw local0\ndefaults\n  mode tcp\n  log global\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n';
  cfg += `frontend fe\n  bind 127.0.0.1:${fePort}\n  default_backend warmup\n`;
  // HAProxy runs the first check of its first server with a clock from before its
  // start-up: it may time out at once. That server is not one under comparison.
  cfg += `backend warmup\n  server w 127.0.0.1:${dead} check inter 100\n`;
  const configs = [];
  for (const s of SCENARIOS) {
    const t = theirs.get(s.name)!;
    const o = ours.get(s.name)!;
    const lines = ['option log-health-checks', ...s.lines];
    cfg += `backend ${s.name}\n`;
    for (const l of lines) cfg += `  ${fill(l, { DEAD: dead })}\n`;
    cfg += `  server s1 127.0.0.1:${t.server.port} ${fill(s.options, { DEAD: dead, AGENT: t.agent?.port ?? 0 })}\n`;
    const server: ServerCheckConfig = {
      name: 's1',
      addr: '127.0.0.1',
      port: o.server.port,
      options: serverOptions(fill(s.options, { DEAD: dead, AGENT: o.agent?.port ?? 0 })),
    };
    configs.push({
      name: s.name,
      lines: lines.map((l) => words(fill(l, { DEAD: dead }))),
      servers: [server],
    });
  }
  const rec = record();
  checker = new HealthChecker(compileCheckSpecs(configs), rec.hooks);
  const proxy = await startProxy('haproxy', writeConfig(cfg), { readyPorts: [fePort] });
  checker.start();
  // Every script played out, plus two more checks in the final, stable state.
  const done = (m: Map<string, Side>) =>
    SCENARIOS.every((s) => {
      if (s.elsewhere) return true;
      const side = m.get(s.name)!;
      const target = side.agent ?? side.server;
      return target.received.length >= (s.agentScript ?? s.script).length + 2;
    });
  const end = Date.now() + 8000;
  while (!(done(theirs) && done(ours)) && Date.now() < end) await sleep(50);
  await checker.stop();
  await proxy.stop();
  if (process.env['CHECKS_DEBUG']) {
    for (const s of SCENARIOS) {
      const n = (m: Map<string, Side>) => {
        const side = m.get(s.name)!;
        return (side.agent ?? side.server).received.length;
      };
      console.log(s.name, n(theirs), n(ours), (s.agentScript ?? s.script).length + 2);
    }
  }

  const problems: unknown[] = [];
  for (const s of SCENARIOS) {
    const mine = rec.logs.filter((l) => l.backend === s.name).map((l) => anonymise(l.text));
    const their = haproxyLines(proxy, s.name);
    if (JSON.stringify(mine) !== JSON.stringify(their))
      problems.push({ backend: s.name, mine, theirs: their });
    // What the server received on the first connection (ssl-hello's clock and PROXY ports masked).
    const first = (side: Side) => {
      const b = (side.agent ?? side.server).received[0] ?? Buffer.alloc(0);
      let text = b.toString('latin1');
      if (s.name === 'sslhello') text = `${text.slice(0, 11)}<time>${text.slice(15)}`;
      return text.replace(
        /^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\n/,
        'PROXY TCP4 127.0.0.1 127.0.0.1 <sport> <dport>\r\n',
      );
    };
    const a = first(ours.get(s.name)!);
    const b = first(theirs.get(s.name)!);
    if (a !== b) problems.push({ backend: s.name, bytesMine: a, bytesTheirs: b });
  }
  let haproxyStartupTimeout = false;
  for (const p of problems as Array<{ mine?: string[]; theirs?: string[] }>) {
    const first = p.theirs?.[0] ?? '';
    if (/Layer[47] timeout/.test(first) && !/Layer[47] timeout/.test(p.mine?.[0] ?? ''))
      haproxyStartupTimeout = true;
  }
  await closeListeners();
  return { problems, haproxyStartupTimeout };
}

describe.skipIf(!haproxy.available)(`against HAProxy (${haproxy.detail})`, () => {
  it('says the same sentences and sends the same bytes, check kind by check kind', async () => {
    // HAProxy computes the timeout of the first checks it runs from a clock taken before its
    // start-up ended: on a loaded machine more than the warm-up server may time out at once,
    // and its run then follows the script a step late. That is the oracle failing, not the
    // comparison: its run is made again (at most twice); haproxyd's side is compared each time.
    let r = await compareScenarios();
    for (let again = 0; again < 2 && r.haproxyStartupTimeout; again++) {
      console.log(`HAProxy's first checks timed out at its start-up; its run is made again (${again + 1}/2)`);
      r = await compareScenarios();
    }
    expect(r.problems).toEqual([]);
  }, 60_000);

  it('follows a server that dies and comes back exactly as HAProxy does (same port, same moments)', async () => {
    const port = await deadPort();
    const other = await scripted(['close']);
    const fePort = await freePort();
    const lines = ['option log-health-checks'];
    const cfg =
      'global\n  log stderr format raw local0\ndefaults\n  mode tcp\n  log global\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n' +
      `frontend fe\n  bind 127.0.0.1:${fePort}\n  default_backend be\nbackend be\n  ${lines.join('\n  ')}\n` +
      `  server s1 127.0.0.1:${port} check inter 100 fall 2 rise 2\n  server s2 127.0.0.1:${other.port} check inter 100 fall 2 rise 2 backup\n`;
    const opts = serverOptions('check inter 100 fall 2 rise 2');
    const rec = record();
    checker = new HealthChecker(
      compileCheckSpecs({
        name: 'be',
        lines: lines.map(words),
        servers: [
          { name: 's1', addr: '127.0.0.1', port, options: opts },
          { name: 's2', addr: '127.0.0.1', port: other.port, options: { ...opts, backup: true } },
        ],
      }),
      rec.hooks,
    );
    const proxy = await startProxy('haproxy', writeConfig(cfg), { readyPorts: [fePort] });
    checker.start();
    await sleep(450);
    let up = await listenOn(port);
    await sleep(650);
    await up.close();
    await sleep(650);
    up = await listenOn(port);
    await sleep(650);
    await checker.stop();
    await proxy.stop();
    await up.close();
    const theirs = haproxyLines(proxy, 'be');
    const perServer = (list: string[], s: string) =>
      list.filter((l) => l.includes(`be/${s} `) || l.includes(`be/${s},`) || l.includes(`be/${s}.`));
    const mine = rec.texts();
    for (const s of ['s1', 's2']) expect(perServer(mine, s)).toEqual(perServer(theirs, s));
    expect(perServer(theirs, 's1').filter((l) => l.startsWith('Server')).length).toBe(4);
  }, 15_000);

  it('words runtime state changes (drain, maint, ready, weight) as HAProxy does', async () => {
    const srv = await scripted(['close']);
    const dead = await deadPort();
    const fePort = await freePort();
    const sock = `${writeConfig('', 'placeholder')}.sock`;
    const cfg =
      `global\n  log stderr format raw local0\n  stats socket ${sock} level admin\ndefaults\n  mode tcp\n  log global\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n` +
      `frontend fe\n  bind 127.0.0.1:${fePort}\n  default_backend be\nbackend be\n` +
      `  server s1 127.0.0.1:${srv.port} check inter 2000 fastinter 100\n  server s2 127.0.0.1:${srv.port} check inter 2000 fastinter 100\n  server s3 127.0.0.1:${dead} check inter 2000 fastinter 100\n`;
    const opts = serverOptions('check inter 2000 fastinter 100');
    const rec = record();
    checker = new HealthChecker(
      compileCheckSpecs({
        name: 'be',
        lines: [],
        servers: [
          { name: 's1', addr: '127.0.0.1', port: srv.port, options: opts },
          { name: 's2', addr: '127.0.0.1', port: srv.port, options: opts },
          { name: 's3', addr: '127.0.0.1', port: dead, options: opts },
        ],
      }),
      rec.hooks,
    );
    const proxy = await startProxy('haproxy', writeConfig(cfg), { readyPorts: [fePort] });
    checker.start();
    await sleep(250);
    const steps: [string, () => void][] = [
      ['set server be/s1 state drain', () => checker?.setAdminState('be', 's1', 'drain')],
      ['set server be/s1 state maint', () => checker?.setAdminState('be', 's1', 'maint')],
      ['set server be/s1 state ready', () => checker?.setAdminState('be', 's1', 'ready')],
      ['set server be/s3 state maint', () => checker?.setAdminState('be', 's3', 'maint')],
      ['set server be/s3 state drain', () => checker?.setAdminState('be', 's3', 'drain')],
      ['set server be/s3 state ready', () => checker?.setAdminState('be', 's3', 'ready')],
      ['set weight be/s2 0', () => checker?.setWeight('be', 's2', 0)],
      ['set server be/s2 state drain', () => checker?.setAdminState('be', 's2', 'drain')],
      ['set server be/s2 state maint', () => checker?.setAdminState('be', 's2', 'maint')],
    ];
    for (const [cmd, apply] of steps) {
      await cli(sock, cmd);
      apply();
    }
    await sleep(50);
    await checker.stop();
    await proxy.stop();
    const theirs = haproxyLines(proxy, 'be');
    expect(rec.texts()).toEqual(theirs);
  }, 15_000);
});

function cli(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => s.end(`${command}\n`));
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
  });
}
