import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chrootTo,
  closePidFile,
  computeDefaultMaxconn,
  computeMaxsock,
  DaemonError,
  dropPrivileges,
  formatListenFds,
  getFdLimit,
  isWorker,
  LISTEN_FDS_ENV,
  openPidFile,
  PENDING_FDS_ENV,
  parseListenFds,
  resolveIdentity,
  spawnDetachedWorker,
  syscallsAvailable,
  tellOldPids,
  workerFdsFromEnv,
  workerPendingFdsFromEnv,
  writePids,
} from '../src/index.ts';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hap-daemon-unit-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caught(fn: () => unknown): DaemonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DaemonError) return err;
    throw err;
  }
  throw new Error('expected a DaemonError');
}

describe('pidfile', () => {
  it('writes one pid per line, across several calls', () => {
    const path = join(dir, 'a.pid');
    const pidfile = openPidFile(path);
    writePids(pidfile, [101, 102]);
    writePids(pidfile, [103]);
    closePidFile(pidfile);
    closePidFile(pidfile);
    expect(readFileSync(path, 'utf8')).toBe('101\n102\n103\n');
    expect(caught(() => writePids(pidfile, [1])).code).toBe('HAP_ERR_PIDFILE');
  });

  it('truncates an old pidfile', () => {
    const path = join(dir, 'b.pid');
    writeFileSync(path, '1\n2\n3\n');
    closePidFile(openPidFile(path));
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('says why it cannot create the pidfile (missing directory)', () => {
    const path = join(dir, 'no-such-dir', 'haproxyd.pid');
    const err = caught(() => openPidFile(path));
    expect(err.code).toBe('HAP_ERR_PIDFILE');
    expect(err.errno).toBe(2);
    expect(err.message).toBe(`[haproxyd.main()] Cannot create pidfile ${path}: No such file or directory`);
    expect(caught(() => openPidFile(path, { program: 'haproxy' })).message).toMatch(
      /^\[haproxy\.main\(\)\] /,
    );
  });

  it('refuses pids that are not positive integers', () => {
    const pidfile = openPidFile(join(dir, 'c.pid'));
    expect(caught(() => writePids(pidfile, [0])).code).toBe('HAP_ERR_INVALID_ARG');
    expect(caught(() => writePids(pidfile, [1.5])).code).toBe('HAP_ERR_INVALID_ARG');
    closePidFile(pidfile);
  });
});

describe('chrootTo (refusals only: the test runner is never chrooted)', () => {
  it('refuses a missing directory before calling chroot', () => {
    const missing = join(dir, 'jail-that-does-not-exist');
    const err = caught(() => chrootTo(missing));
    expect(err.code).toBe('HAP_ERR_CHROOT');
    expect(err.errno).toBe(2);
    expect(err.message).toBe(`[haproxyd.main()] Cannot chroot(${missing}): No such file or directory.`);
  });

  it('refuses a file', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const err = caught(() => chrootTo(file));
    expect(err.code).toBe('HAP_ERR_CHROOT');
    expect(err.message).toBe(`[haproxyd.main()] Cannot chroot(${file}): Not a directory.`);
  });
});

describe('tellOldPids', () => {
  it('ignores a pid that is gone and signals a live one', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await once(live, 'spawn');
    const exited = once(live, 'exit');
    expect(tellOldPids([dead.pid!, live.pid!], 'SIGTERM')).toEqual([live.pid]);
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(tellOldPids([dead.pid!], 'SIGUSR1')).toEqual([]);
  });

  it('refuses 0 and negative pids (process groups)', () => {
    expect(caught(() => tellOldPids([0], 'SIGUSR1')).code).toBe('HAP_ERR_INVALID_ARG');
    expect(caught(() => tellOldPids([-1], 'SIGTERM')).code).toBe('HAP_ERR_INVALID_ARG');
  });
});

describe('identity', () => {
  const passwdFile = join(dir, 'passwd');
  const groupFile = join(dir, 'group');
  writeFileSync(passwdFile, 'root:x:0:0:root:/root:/bin/sh\n# comment\nhap:x:1234:4321::/:/bin/false\n');
  writeFileSync(groupFile, 'root:x:0:\nhapg:x:4321:hap\n');

  it('resolves names from passwd/group files', () => {
    expect(resolveIdentity({ user: 'hap', group: 'hapg', passwdFile, groupFile })).toEqual({
      uid: 1234,
      gid: 4321,
    });
    expect(resolveIdentity({ uid: 7 })).toEqual({ uid: 7, gid: null });
    expect(resolveIdentity({})).toEqual({ uid: null, gid: null });
  });

  it('names unknown users and groups', () => {
    const user = caught(() => resolveIdentity({ user: 'nobody-here', passwdFile }));
    expect(user.code).toBe('HAP_ERR_UNKNOWN_USER');
    expect(user.message).toBe(
      `[haproxyd.main()] Cannot find user id for 'nobody-here': no such user in ${passwdFile}.`,
    );
    const group = caught(() => resolveIdentity({ group: 'nogroup-here', groupFile }));
    expect(group.code).toBe('HAP_ERR_UNKNOWN_GROUP');
    const unreadable = caught(() => resolveIdentity({ user: 'x', passwdFile: join(dir, 'none') }));
    expect(unreadable.code).toBe('HAP_ERR_UNKNOWN_USER');
    expect(unreadable.errno).toBe(2);
  });

  it('refuses a name and a number together, and bad numbers', () => {
    expect(caught(() => resolveIdentity({ user: 'root', uid: 0 })).code).toBe('HAP_ERR_INVALID_ARG');
    expect(caught(() => resolveIdentity({ gid: -1 })).code).toBe('HAP_ERR_INVALID_ARG');
  });

  it('dropPrivileges with nothing set changes nothing; unknown names throw before any change', () => {
    expect(dropPrivileges({})).toEqual({ uid: null, gid: null, warnings: [] });
    expect(caught(() => dropPrivileges({ user: 'no-such-user-hap' })).code).toBe('HAP_ERR_UNKNOWN_USER');
  });
});

describe('fd needs (HAProxy 2.6 rules)', () => {
  it('maxsock = 10 reserved + extra + 2 per connection + 3 per thread', () => {
    expect(computeMaxsock(1000)).toBe(2013);
    expect(computeMaxsock(1000, { extraFds: 5, nbthread: 2 })).toBe(2021);
    expect(computeMaxsock(0)).toBe(13);
    expect(caught(() => computeMaxsock(-1)).code).toBe('HAP_ERR_INVALID_ARG');
  });

  it('default maxconn = (max(soft, hard) - reserved - extra - 3*threads) / 2, at least 100', () => {
    expect(computeDefaultMaxconn({ soft: 1024, hard: 4096 })).toBe(2041);
    expect(computeDefaultMaxconn({ soft: 1024, hard: Number.POSITIVE_INFINITY })).toBe(505);
    expect(computeDefaultMaxconn({ soft: 1024, hard: 1024 }, { extraFds: 2 })).toBe(504);
    expect(computeDefaultMaxconn({ soft: 256, hard: 256 })).toBe(121);
    expect(computeDefaultMaxconn({ soft: 64, hard: 64 })).toBe(100);
    expect(computeDefaultMaxconn({ soft: 1024, hard: 1_048_576 }, { fdHardLimit: 2000 })).toBe(993);
  });
});

describe('getFdLimit', () => {
  it('agrees with /proc/self/limits', () => {
    expect(syscallsAvailable()).toBe(true);
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line!.slice('Max open files'.length).trim().split(/\s+/);
    const limit = getFdLimit();
    const show = (n: number) => (n === Number.POSITIVE_INFINITY ? 'unlimited' : String(n));
    expect([show(limit.soft), show(limit.hard)]).toEqual([soft, hard]);
  });
});

describe('listen fds in the environment', () => {
  it('round-trips keys, escaping only % ; =', () => {
    const fds = new Map([
      ['ipv4@127.0.0.1:80', 3],
      ['ipv6@[::1]:443', 4],
      ['unix@/run/a;b=c%d.sock', 5],
    ]);
    const text = formatListenFds(fds);
    expect(text).toBe('ipv4@127.0.0.1:80=3;ipv6@[::1]:443=4;unix@/run/a%3Bb%3Dc%25d.sock=5');
    expect(parseListenFds(text)).toEqual(fds);
    expect(parseListenFds('')).toEqual(new Map());
    expect(caught(() => parseListenFds('a=3;b')).code).toBe('HAP_ERR_INVALID_ARG');
    expect(caught(() => parseListenFds('=3')).code).toBe('HAP_ERR_INVALID_ARG');
    expect(caught(() => formatListenFds(new Map([['a', -1]]))).code).toBe('HAP_ERR_INVALID_ARG');
  });

  it('isWorker / workerFdsFromEnv read the variable', () => {
    expect(isWorker({})).toBe(false);
    expect(workerFdsFromEnv({})).toEqual(new Map());
    const env = { [LISTEN_FDS_ENV]: 'x=3' };
    expect(isWorker(env)).toBe(true);
    expect(workerFdsFromEnv(env)).toEqual(new Map([['x', 3]]));
  });

  it('workerPendingFdsFromEnv keeps every held connection, keys repeated', () => {
    expect(workerPendingFdsFromEnv({})).toEqual([]);
    const env = { [PENDING_FDS_ENV]: '127.0.0.1:80=4;127.0.0.1:80=5;unix@/a%3Db=6' };
    expect(workerPendingFdsFromEnv(env)).toEqual([
      ['127.0.0.1:80', 4],
      ['127.0.0.1:80', 5],
      ['unix@/a=b', 6],
    ]);
    expect(caught(() => workerPendingFdsFromEnv({ [PENDING_FDS_ENV]: 'x=' })).message).toBe(
      "HAPROXYD_PENDING_FDS: malformed entry 'x='",
    );
  });

  it('spawnDetachedWorker rejects when the program cannot start', async () => {
    const execPath = join(dir, 'no-such-program');
    await expect(spawnDetachedWorker({ execPath, args: [] })).rejects.toMatchObject({
      code: 'HAP_ERR_SPAWN',
      errno: 2,
      message: `[haproxyd.main()] Cannot start worker ${execPath}: No such file or directory`,
    });
  });
});
