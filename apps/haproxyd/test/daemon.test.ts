// End-to-end: daemon mode (-D -p), and the process's identity: chroot, user/group with a
// port below 1024 bound before the privileges are dropped (as root), in the foreground and
// as a daemon; the FD limit check under a low `ulimit -n`.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Binary,
  binaryPath,
  freePort,
  requireHaproxy,
  startProxy,
  startTcpEchoBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  canRaiseHardLimit,
  exchange,
  freeLowPort,
  isGone,
  killAllRuns,
  killLater,
  lookupId,
  noteDir,
  processesMatching,
  procIds,
  procRoot,
  procStat,
  run,
  runBinary,
  settleLeftovers,
  tcpConfig,
  tryConnect,
  waitFor,
} from './helpers.ts';

useTestkit();
afterEach(killAllRuns);
afterAll(async () => {
  expect(await settleLeftovers()).toEqual([]);
});
beforeAll(() => void requireHaproxy());

const BINARIES: readonly Binary[] = ['haproxyd', 'haproxy'];
const isRoot = process.getuid?.() === 0;

/** Starts `<binary> -D -p <pidfile> -f cfg`; returns the worker's pid once the launcher is gone. */
async function startDaemon(binary: Binary, cfg: string, pidfile: string): Promise<number> {
  const launcher = runBinary(binary, ['-D', '-p', pidfile, '-f', cfg]);
  // resolves only once the launcher exited and nothing holds its stdout/stderr any more
  const st = await launcher.closed;
  expect(st, launcher.stderr()).toEqual({ code: 0, signal: null });
  const pids = readFileSync(pidfile, 'utf8').trim().split('\n');
  expect(pids).toHaveLength(1);
  const pid = Number(pids[0]);
  killLater(pid);
  expect(pid).not.toBe(launcher.pid);
  return pid;
}

describe.each(BINARIES)('%s: daemon mode', (binary) => {
  it('-D -p: returns at once with 0; the pidfile names a worker in its own session that serves; SIGUSR1 leaves nothing', async () => {
    const be = await startTcpEchoBackend();
    const port = await freePort();
    const dir = noteDir(tempDir());
    const cfg = writeConfig(tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr }), 'daemon.cfg');
    const pid = await startDaemon(binary, cfg, join(dir, 'daemon.pid'));

    const stat = procStat(pid);
    expect(stat).toBeDefined();
    expect(stat![3]).toBe(String(pid)); // session id == pid: setsid()
    expect(stat![2]).toBe(String(pid)); // and its own process group
    expect((await exchange(port, 'daemon')).toString()).toBe('daemon');

    process.kill(pid, 'SIGUSR1');
    await waitFor(() => isGone(pid), 'the worker to exit');
    await waitFor(() => processesMatching(cfg).length === 0, 'no process naming the configuration', 5000);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });
});

describe.runIf(isRoot).each(BINARIES)('%s: chroot, user and group (as root)', (binary) => {
  const nobody = lookupId('/etc/passwd', 'nobody') ?? 65534;
  const nogroup = lookupId('/etc/group', 'nogroup') ?? 65534;
  const ids = [
    lookupId('/etc/passwd', 'nobody') === undefined ? 'uid 65534' : 'user nobody',
    lookupId('/etc/group', 'nogroup') === undefined ? 'gid 65534' : 'group nogroup',
  ];

  async function setUp() {
    const be = await startTcpEchoBackend();
    const port = await freeLowPort();
    const dir = noteDir(tempDir());
    const jail = join(dir, 'jail');
    mkdirSync(jail);
    const cfg = writeConfig(
      tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr, global: [`chroot ${jail}`, ...ids] }),
      'priv.cfg',
    );
    return { port, dir, jail, cfg };
  }

  /** Waits until `pid` is in the jail under the configured ids, then checks traffic through the low port. */
  async function expectConfined(pid: number, jail: string, port: number) {
    await waitFor(() => {
      try {
        return procRoot(pid) === jail && procIds(pid).uid[1] === nobody;
      } catch {
        return false;
      }
    }, `pid ${pid} to chroot and drop its privileges`);
    const { uid, gid, groups } = procIds(pid);
    expect(uid).toEqual([nobody, nobody, nobody, nobody]);
    expect(gid).toEqual([nogroup, nogroup, nogroup, nogroup]);
    expect(groups.filter((g) => g !== nogroup)).toEqual([]); // supplementary groups dropped
    expect((await exchange(port, `low port ${port}`)).toString()).toBe(`low port ${port}`);
  }

  it('in the foreground (-db): jailed, unprivileged, serving the low port bound before', async () => {
    const { port, jail, cfg } = await setUp();
    const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
    await expectConfined(proxy.pid, jail, port);
    proxy.signal('SIGUSR1');
    expect(await proxy.waitForExit()).toMatchObject({ code: 0, signal: null });
  });

  it('as a daemon (-D): the worker is jailed, unprivileged, serving the low port', async () => {
    const { port, dir, jail, cfg } = await setUp();
    const pid = await startDaemon(binary, cfg, join(dir, 'priv.pid'));
    await expectConfined(pid, jail, port);
    process.kill(pid, 'SIGUSR1');
    await waitFor(() => isGone(pid), 'the worker to exit');
  });
});

describe.each(BINARIES)(
  '%s: FD limit under ulimit -n 256 (HAProxy 2.6: strict-limits is on by default)',
  (binary) => {
    const cap = canRaiseHardLimit();
    const tooLow =
      /^\[ALERT\] .*\[(haproxy|haproxyd)\.main\(\)\] FD limit \(256\) too low for maxconn=1000\/maxsock=\d+\. Please raise 'ulimit-n' to \d+ or more to avoid any trouble\.$/m;
    const cannotRaise = (level: 'ALERT' | 'WARNING', to: string) =>
      new RegExp(
        `^\\[${level}\\] .*\\[(haproxy|haproxyd)\\.main\\(\\)\\] Cannot raise FD limit to ${to}, limit is 256\\.$`,
        'm',
      );

    /**
     * Runs the binary under `ulimit -n 256` (soft and hard) with `maxconn 1000` and `global`;
     * returns its stderr once it serves (then soft-stopped), or its exit status and stderr.
     */
    async function startUnderLowLimit(global: string[]) {
      const be = await startTcpEchoBackend();
      const port = await freePort();
      noteDir(tempDir());
      const cfg = writeConfig(
        tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr, global: ['maxconn 1000', ...global] }),
      );
      const proxy = run('bash', ['-c', 'ulimit -n 256; exec "$0" -db -f "$1"', binaryPath(binary), cfg]);
      // once bytes went through to the backend and back, every start-up message has been
      // written (a mere connect is not enough: the kernel accepts as soon as the port is bound)
      let served = false;
      await waitFor(async () => {
        if (proxy.proc.exitCode !== null) return true;
        served = (await exchange(port, 'fd').catch(() => Buffer.alloc(0))).toString() === 'fd';
        return served;
      }, 'the proxy to serve or exit');
      if (!served) return { exit: await proxy.closed, stderr: proxy.stderr() };
      process.kill(-proxy.pid, 'SIGUSR1');
      expect(await proxy.closed).toEqual({ code: 0, signal: null });
      return { exit: 'served' as const, stderr: proxy.stderr() };
    }

    it(`maxconn 1000: ${cap ? 'the hard limit is raised, no message' : '"Cannot raise FD limit" alert, exit 1'} (CAP_SYS_RESOURCE: ${cap})`, async () => {
      const r = await startUnderLowLimit([]);
      if (cap) {
        expect(r.exit).toBe('served');
        expect(r.stderr).not.toMatch(/FD limit/);
      } else {
        expect(r.exit).toEqual({ code: 1, signal: null });
        expect(r.stderr).toMatch(cannotRaise('ALERT', '\\d+'));
        expect(r.stderr).not.toMatch(/too low/);
      }
    });

    it('maxconn 1000, no strict-limits: HAProxy\'s "FD limit (...) too low for maxconn=..." alert, and it serves', async () => {
      const r = await startUnderLowLimit(['no strict-limits']);
      expect(r.exit).toBe('served');
      if (cap) {
        expect(r.stderr).not.toMatch(/FD limit/);
      } else {
        expect(r.stderr).toMatch(cannotRaise('WARNING', '\\d+'));
        expect(r.stderr).toMatch(tooLow);
      }
    });

    it('maxconn 1000, ulimit-n 256: "FD limit (256) too low" alert, exit 1', async () => {
      const r = await startUnderLowLimit(['ulimit-n 256']);
      expect(r.exit).toEqual({ code: 1, signal: null });
      expect(r.stderr).toMatch(tooLow);
    });

    it(`maxconn 1000, ulimit-n 4096: ${cap ? 'no message' : '"Cannot raise FD limit to 4096" alert, exit 1'} (CAP_SYS_RESOURCE: ${cap})`, async () => {
      const r = await startUnderLowLimit(['ulimit-n 4096']);
      if (cap) {
        expect(r.exit).toBe('served');
        expect(r.stderr).not.toMatch(/FD limit/);
      } else {
        expect(r.exit).toEqual({ code: 1, signal: null });
        expect(r.stderr).toMatch(cannotRaise('ALERT', '4096'));
      }
    });

    it(`maxconn 1000, ulimit-n 4096, no strict-limits: ${cap ? 'no message' : '"Cannot raise" warning, then the "too low" alert'} (CAP_SYS_RESOURCE: ${cap})`, async () => {
      const r = await startUnderLowLimit(['ulimit-n 4096', 'no strict-limits']);
      expect(r.exit).toBe('served');
      if (cap) {
        expect(r.stderr).not.toMatch(/FD limit/);
      } else {
        expect(r.stderr).toMatch(cannotRaise('WARNING', '4096'));
        expect(r.stderr).toMatch(tooLow);
      }
    });
  },
);

it('leaves no file behind in a daemon run but the pidfile and the configuration', async () => {
  const be = await startTcpEchoBackend();
  const port = await freePort();
  const dir = noteDir(tempDir());
  const cfg = writeConfig(tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr }), 'files.cfg');
  const pid = await startDaemon('haproxyd', cfg, join(dir, 'files.pid'));
  process.kill(pid, 'SIGTERM');
  await waitFor(() => isGone(pid), 'the worker to exit');
  expect(readdirSync(dir).sort()).toEqual(['files.cfg', 'files.pid']);
});
