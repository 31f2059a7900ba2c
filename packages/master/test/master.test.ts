import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  describeStatus,
  formatShowProc,
  formatUptime,
  ListenSockets,
  type ListenSpec,
  Master,
  type MasterConfig,
  NotifyReceiver,
  parseCliBind,
  sdNotify,
  splitCommands,
} from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hap-master-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORKER = fileURLToPath(new URL('../examples/worker.ts', import.meta.url));

function spec(port = 0): ListenSpec {
  return {
    key: `127.0.0.1:${port}`,
    family: 'ipv4',
    host: '127.0.0.1',
    port,
    backlog: 511,
    reusePort: true,
    ipv6Only: false,
  };
}

/** Connects, returns what the server said before closing. */
function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out.trim()));
    s.on('error', reject);
  });
}

function cliAsk(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    let out = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.end(`${line}\n`));
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('formats', () => {
  it('show proc, uptime, exit statuses as HAProxy 2.6 prints them', () => {
    const now = 1_000_000_000;
    const text = formatShowProc(
      [
        {
          pid: 10,
          type: 'master',
          reloads: 5,
          failedReloads: 1,
          startedAt: now - 127_000,
          leaving: false,
          version: '0.1.0',
        },
        {
          pid: 12,
          type: 'worker',
          reloads: 0,
          failedReloads: 0,
          startedAt: now,
          leaving: false,
          version: '0.1.0',
        },
        {
          pid: 11,
          type: 'worker',
          reloads: 3,
          failedReloads: 0,
          startedAt: now - 90_061_000,
          leaving: true,
          version: '0.1.0',
        },
      ],
      now,
    );
    expect(text).toBe(
      [
        '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
        '10              master          5 [failed: 1]   0d00h02m07s     0.1.0          ',
        '# workers',
        '12              worker          0               0d00h00m00s     0.1.0          ',
        '# old workers',
        '11              worker          3               1d01h01m01s     0.1.0          ',
        '# programs',
        '',
        '',
      ].join('\n'),
    );
    expect(formatUptime(59)).toBe('0d00h00m59s');
    expect(describeStatus(137)).toBe('exited with code 137 (Killed)');
    expect(describeStatus(143)).toBe('exited with code 143 (Terminated)');
    expect(describeStatus(3)).toBe('exited with code 3 (Exit)');
  });

  it('master CLI arguments and request lines', () => {
    expect(parseCliBind('/run/m.sock,mode,600,level,operator')).toMatchObject({
      family: 'unix',
      path: '/run/m.sock',
      mode: 0o600,
      level: 'operator',
    });
    expect(parseCliBind('127.0.0.1:1234')).toMatchObject({ family: 'tcp', host: '127.0.0.1', port: 1234 });
    expect(parseCliBind('ipv6@[::1]:9')).toMatchObject({ family: 'tcp', host: '::1', port: 9 });
    expect(parseCliBind('abns@m')).toMatchObject({ family: 'abns', path: 'm', level: 'admin' });
    expect(() => parseCliBind('/x,level,root')).toThrow(/level must be/);
    expect(() => parseCliBind('/x,mode')).toThrow(/expects a value/);
    expect(splitCommands('@1; show info ;show stat\\; x')).toEqual(['@1', 'show info', 'show stat\\; x']);
  });
});

describe('systemd notifications', () => {
  it('a datagram per message, to a path or an abstract name; nothing without NOTIFY_SOCKET', async () => {
    for (const path of [join(dir, 'notify.sock'), `@hap-master-test-${process.pid}`]) {
      const r = new NotifyReceiver(path);
      try {
        expect(sdNotify('READY=1\nMAINPID=42', { NOTIFY_SOCKET: path })).toBe(true);
        expect(sdNotify('STOPPING=1', { NOTIFY_SOCKET: path })).toBe(true);
        expect(await r.next(2000)).toBe('READY=1\nMAINPID=42');
        expect(await r.next(2000)).toBe('STOPPING=1');
        expect(r.receive()).toBeNull();
      } finally {
        r.close();
      }
    }
    expect(sdNotify('READY=1', {})).toBe(false);
    expect(() => sdNotify('READY=1', { NOTIFY_SOCKET: join(dir, 'nobody.sock') })).toThrow(/sendto/);
  });
});

describe('ListenSockets', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('binds without accepting, keeps held keys, closes removed ones; bind errors in HAProxy words', async () => {
    const set = new ListenSockets();
    const r = await set.update([spec(0)]);
    expect(r).toEqual({ added: ['127.0.0.1:0'], failed: [] });
    const b = set.get('127.0.0.1:0')!;
    expect(b.port).toBeGreaterThan(0);
    // nobody accepts yet, but the kernel queues: the connection completes, and is served
    // once a server adopts the fd (as a worker does)
    const pending = ask(b.port);
    await sleep(50);
    const s = createServer((c) => c.end('adopted\n'));
    servers.push(s);
    s.listen({ fd: b.fd });
    expect(await pending).toBe('adopted');
    expect(await set.update([spec(0)])).toEqual({ added: [], failed: [] });
    // a port held without SO_REUSEPORT
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((res) => holder.listen({ host: '127.0.0.1', port: 0 }, () => res()));
    const port = (holder.address() as { port: number }).port;
    const bad = await set.update([spec(0), { ...spec(port), where: ' [x.cfg:3] for frontend fe' }]);
    expect(bad.added).toEqual([]);
    expect(bad.failed[0]!.message).toBe(
      `cannot bind socket (Address already in use) for [127.0.0.1:${port}]`,
    );
    expect(bad.failed[0]!.retryable).toBe(true);
    expect(set.closeExcept(new Set())).toEqual(['127.0.0.1:0']);
    expect(set.size).toBe(0);
  });
});

describe('Master with a small worker', () => {
  const masters: Master[] = [];
  afterEach(async () => {
    for (const m of masters.splice(0)) {
      m.stop('SIGKILL');
      await m.done;
    }
  });

  function make(config: () => MasterConfig | undefined, cli?: string) {
    const lines: string[] = [];
    const m = new Master({
      version: 'test',
      worker: { args: ['--conditions=@hap/source', WORKER], output: 'ignore' },
      load: async () => config(),
      log: (level, text) => lines.push(`${level}: ${text}`),
      handleSignals: false,
      ...(cli !== undefined ? { cli: [parseCliBind(cli)] } : {}),
    });
    masters.push(m);
    return { m, lines };
  }

  it('reload: the new worker serves before the old one is drained and stopped; invalid config keeps it; CLI', async () => {
    let cfg: MasterConfig | undefined = { listeners: [spec(0)], drainMs: 100 };
    const sock = join(dir, 'cli.sock');
    const { m, lines } = make(() => cfg, sock);
    expect(await m.start({ listeners: [spec(0)], drainMs: 100 })).toBe(true);
    const port = m.boundPort('127.0.0.1:0');
    const w1 = Number(await ask(port));
    expect(m.workers()).toEqual([{ pid: w1, leaving: false }]);
    expect(await m.reload()).toBe(true);
    const [cur, old] = [m.workers().find((w) => !w.leaving)!, m.workers().find((w) => w.leaving)];
    expect(cur.pid).not.toBe(w1);
    expect(old?.pid ?? w1).toBe(w1);
    // once the old worker is drained and stopped (drainMs), every connection reaches the new one
    await sleep(400);
    for (let i = 0; i < 5; i++) expect(Number(await ask(port))).toBe(cur.pid);
    cfg = undefined;
    expect(await m.reload()).toBe(false);
    expect(m.reloadFailed()).toBe(true);
    expect(lines).toContain('warning: Loading failure!');
    const proc = await cliAsk(sock, 'show proc');
    expect(proc).toMatch(/master +2 \[failed: 1\]/);
    expect(await cliAsk(sock, `@1 show info`)).toBe(`worker ${cur.pid} ran 'show info'\n\n`);
    expect(await cliAsk(sock, '@1; show stat; @; show version')).toBe(
      `worker ${cur.pid} ran 'show stat'\n\ntest\n\n`,
    );
    expect(await cliAsk(sock, '@7 show info')).toBe("Can't find the target PID matching the prefix '@7'\n");
    expect(lines.some((l) => l.startsWith(`warning: Former worker (${w1}) exited with code 0`))).toBe(true);
    m.stop('SIGTERM');
    expect(await m.done).toBe(0);
  }, 30_000);

  it('exit-on-failure: a SIGKILLed worker ends the master with 137; no-exit-on-failure waits for a reload', async () => {
    const a = make(() => ({ listeners: [spec(0)] }));
    expect(await a.m.start({ listeners: [spec(0)] })).toBe(true);
    const w = a.m.workers()[0]!.pid;
    process.kill(w, 'SIGKILL');
    expect(await a.m.done).toBe(137);
    expect(a.lines).toContain(`alert: Current worker (${w}) exited with code 137 (Killed)`);
    expect(a.lines.at(-1)).toBe('warning: All workers exited. Exiting... (137)');

    const b = make(() => ({ listeners: [spec(0)], noExitOnFailure: true }));
    expect(await b.m.start({ listeners: [spec(0)], noExitOnFailure: true })).toBe(true);
    process.kill(b.m.workers()[0]!.pid, 'SIGKILL');
    for (let i = 0; i < 200 && b.m.workers().length > 0; i++) await sleep(10);
    expect(b.m.workers()).toEqual([]);
    expect(b.lines.at(-1)).toBe('warning: No worker left: waiting for a reload (no-exit-on-failure).');
    expect(await b.m.reload()).toBe(true);
    expect(Number(await ask(b.m.boundPort('127.0.0.1:0')))).toBe(b.m.workers()[0]!.pid);
    b.m.stop('SIGTERM');
    expect(await b.m.done).toBe(0);
  }, 30_000);

  it('mworker-max-reloads: a leaving worker past the limit gets SIGTERM', async () => {
    // a connection kept open keeps the first worker leaving
    const { m, lines } = make(() => ({ listeners: [spec(0)], maxReloads: 1, drainMs: 0 }));
    expect(await m.start({ listeners: [spec(0)], maxReloads: 1 })).toBe(true);
    const w1 = m.workers()[0]!.pid;
    process.kill(w1, 'SIGSTOP'); // cannot leave by itself
    try {
      expect(await m.reload()).toBe(true);
      expect(m.workers().find((w) => w.pid === w1)?.leaving).toBe(true);
      expect(await m.reload()).toBe(true);
    } finally {
      process.kill(w1, 'SIGCONT');
    }
    for (let i = 0; i < 300 && m.workers().some((w) => w.pid === w1); i++) await sleep(10);
    expect(lines).toContain(`warning: Former worker (${w1}) exited with code 143 (Terminated)`);
  }, 30_000);
});
