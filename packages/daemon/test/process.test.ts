// Everything that changes process state runs in a child process: the test runner is
// never chrooted, never loses privileges, keeps its limits.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getFdLimit, listenWhenFree } from '../src/index.ts';
import { canRaiseHardLimit, finish, isAlive, isRoot, killAll, procStat, runChild } from './helpers.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hap-daemon-')));
  dirs.push(dir);
  return dir;
}

const workers: number[] = [];

afterEach(() => {
  killAll();
  for (const pid of workers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

describe('pidfile and chroot (child process)', () => {
  it('opens the pidfile before the chroot, chroots, then writes the pid', async () => {
    const run = tempDir();
    const jail = tempDir();
    const pidfile = join(run, 'haproxyd.pid');
    const child = runChild('chroot', { pidfile, dir: jail });
    const report = await child.report;
    if (!isRoot) {
      // Documented: chroot needs root; the pidfile was created first.
      expect(report).toMatchObject({ ok: false, code: 'HAP_ERR_CHROOT', errno: 1 });
      expect(report.message).toBe(`[haproxyd.main()] Cannot chroot(${jail}): Operation not permitted.`);
      return;
    }
    expect(report).toEqual({ ok: true, cwd: '/' });
    const pid = child.proc.pid!;
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(jail);
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(jail);
    // Written after the chroot, through the descriptor opened before it.
    expect(readFileSync(pidfile, 'utf8')).toBe(`${pid}\n`);
    expect(statSync(pidfile).mode & 0o777).toBe(0o644 & ~process.umask());
    await finish(child);
  });

  it('replaces an existing pidfile', async () => {
    const run = tempDir();
    const pidfile = join(run, 'haproxyd.pid');
    writeFileSync(pidfile, '99999\n88888\n');
    const child = runChild('chroot', { pidfile, dir: join(run, 'missing') });
    const report = await child.report;
    expect(report).toMatchObject({ ok: false, code: 'HAP_ERR_CHROOT', errno: 2 });
    expect(report.message).toBe(
      `[haproxyd.main()] Cannot chroot(${join(run, 'missing')}): No such file or directory.`,
    );
    expect(readFileSync(pidfile, 'utf8')).toBe('');
  });
});

describe('dropPrivileges (child process)', () => {
  it('becomes nobody/nogroup with no supplementary group', async () => {
    const child = runChild('identity', { user: 'nobody', group: 'nogroup' });
    const report = await child.report;
    if (!isRoot) {
      expect(report).toMatchObject({ ok: false, code: 'HAP_ERR_SETGID', errno: 1 });
      expect(report.message).toBe('[haproxyd.main()] Cannot set gid 65534: Operation not permitted.');
      return;
    }
    expect(report).toEqual({ ok: true, result: { uid: 65534, gid: 65534, warnings: [] } });
    const status = procStatus(child.proc.pid!);
    expect(status['Uid']?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(status['Gid']?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(status['Groups']).toBe('');
    await finish(child);
  });

  it('refuses an unknown user before changing anything', async () => {
    const child = runChild('identity', { user: 'no-such-user-hap', group: 'nogroup' });
    const report = await child.report;
    expect(report).toEqual({
      ok: false,
      code: 'HAP_ERR_UNKNOWN_USER',
      errno: null,
      message: "[haproxyd.main()] Cannot find user id for 'no-such-user-hap': no such user in /etc/passwd.",
    });
  });
});

describe('raiseFdLimit (child process with a lowered limit)', () => {
  const both = 'ulimit -n 256'; // soft and hard
  // Tests without `both`: Node raises its soft limit to the hard one when it starts, so a
  // lowered soft limit alone is never seen; these children start with the runner's limit.
  const runnerHard = getFdLimit().hard;
  const tooLow =
    "[haproxyd.main()] FD limit (256) too low for maxconn=1000/maxsock=2013. Please raise 'ulimit-n' to 2013 or more to avoid any trouble.";
  const cannotRaise = '[haproxyd.main()] Cannot raise FD limit to 2013, limit is 256.';

  it("sets the soft limit to maxsock (10 + 2*maxconn + 3) plus Node's own 64", async () => {
    const report = await runChild('fdlimit', { options: { maxconn: 1000 } }).report;
    expect(report.ok).toBe(true);
    expect(report['result']).toMatchObject({
      maxconn: 1000,
      maxconnComputed: false,
      maxsock: 2013,
      requested: 2013,
      before: { soft: runnerHard, hard: runnerHard },
      after: { soft: 2013 + 64, hard: runnerHard },
      messages: [],
    });
    expect(report['proc']).toMatchObject({ soft: String(2013 + 64) });
  });

  it('sets ulimit-n when given', async () => {
    const ulimitN = Math.min(4096, runnerHard);
    const report = await runChild('fdlimit', { options: { maxconn: 1000, ulimitN } }).report;
    expect(report['result']).toMatchObject({ requested: ulimitN, after: { soft: ulimitN } });
    expect(report['proc']).toMatchObject({ soft: String(ulimitN) });
  });

  it('alerts in HAProxy words when ulimit-n is below maxsock', async () => {
    const report = await runChild('fdlimit', { options: { maxconn: 1000, ulimitN: 256 } }).report;
    expect(report['result']).toMatchObject({
      after: { soft: 256 },
      messages: [{ level: 'alert', text: tooLow }],
    });
    expect(report['proc']).toMatchObject({ soft: '256' });
  });

  it('raises the hard limit only with CAP_SYS_RESOURCE; otherwise warns, then alerts', async () => {
    const report = await runChild('fdlimit', { options: { maxconn: 1000 } }, both).report;
    expect(report['result']).toMatchObject({ before: { soft: 256, hard: 256 } });
    if (canRaiseHardLimit) {
      expect(report['result']).toMatchObject({ after: { soft: 2013, hard: 2013 }, messages: [] });
      expect(report['proc']).toEqual({ soft: '2013', hard: '2013' });
    } else {
      expect(report['result']).toMatchObject({
        after: { soft: 256, hard: 256 },
        messages: [
          { level: 'warning', text: cannotRaise },
          { level: 'alert', text: tooLow },
        ],
      });
    }
  });

  it('once unprivileged, cannot raise the hard limit: warning, then alert', async () => {
    const dropTo = isRoot ? { user: 'nobody', group: 'nogroup' } : undefined;
    const report = await runChild('fdlimit', { dropTo, options: { maxconn: 1000 } }, both).report;
    expect(report['result']).toMatchObject({
      after: { soft: 256, hard: 256 },
      messages: [
        { level: 'warning', text: cannotRaise },
        { level: 'alert', text: tooLow },
      ],
    });
  });

  it('derives maxconn from the limit when none is set', async () => {
    const report = await runChild('fdlimit', { options: {} }, both).report;
    // (256 - 10 reserved - 3 per thread) / 2 = 121; maxsock = 10 + 242 + 3 = 255 <= 256.
    expect(report['result']).toMatchObject({
      maxconn: 121,
      maxconnComputed: true,
      maxsock: 255,
      after: { soft: 255 },
      messages: [],
    });
  });

  it('throws with strict-limits', async () => {
    const options = { maxconn: 1000, ulimitN: 256, strictLimits: true };
    const report = await runChild('fdlimit', { options }).report;
    expect(report).toEqual({ ok: false, code: 'HAP_ERR_FD_LIMIT', errno: null, message: tooLow });
  });
});

describe('spawnDetachedWorker (launcher and worker processes)', () => {
  it('starts a worker in its own session with the listening socket; the launcher exits at once', async () => {
    const pidfile = join(tempDir(), 'haproxyd.pid');
    const launcher = runChild('launcher', { pidfile });
    const report = await launcher.report;
    expect(report.ok).toBe(true);
    const workerPid = report['workerPid'] as number;
    const port = report['port'] as number;
    workers.push(workerPid);
    const key = `ipv4@127.0.0.1:${port}`;
    expect(report['listenFds']).toEqual([[key, 3]]);

    const [code, signal] = await launcher.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(readFileSync(pidfile, 'utf8')).toBe(`${workerPid}\n`);
    expect(isAlive(workerPid)).toBe(true);

    const [, ppid, pgrp, session] = procStat(readFileSync(`/proc/${workerPid}/stat`, 'utf8'));
    expect(session).toBe(String(workerPid));
    expect(pgrp).toBe(String(workerPid));
    expect(ppid).not.toBe(String(launcher.proc.pid));

    // The socket was bound by the launcher, which is gone: the worker answers on it.
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1');
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toBe(`worker ${workerPid} ${key} fd=3\n`);
  });
});

describe('listenWhenFree', () => {
  it('takes a port the moment another process releases it, and the fd listens', async () => {
    // the "old process": holds the port until told on stdin, then closes after 30 ms
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
           process.stdout.write(s.address().port + '\\n');
           process.stdin.once('data', () => setTimeout(() => s.close(() => process.exit(0)), 30));
         });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const [line] = (await once(holder.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const spec = { family: 'ipv4' as const, host: '127.0.0.1', port, backlog: 16, reusePort: false };
    // held: one try gives up at once
    expect(listenWhenFree(spec, performance.now())).toBe(-1);
    holder.stdin!.write('x');
    const t = performance.now();
    const fd = listenWhenFree(spec, t + 5000);
    const waited = performance.now() - t;
    await once(holder, 'exit');
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(5000);
    // the descriptor is a listening socket on that port: a server adopts it and accepts
    const server = createServer((socket) => socket.end('taken\n'));
    await new Promise<void>((resolve) => server.listen({ fd }, resolve));
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const c = connect(port, '127.0.0.1');
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        text += d;
      });
      c.on('end', () => resolve(text));
      c.on('error', reject);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(answer).toBe('taken\n');
  });

  it('gives up on an address it cannot parse (the caller binds the usual way)', () => {
    const spec = { family: 'ipv6' as const, host: 'fe80::1%lo', port: 1, backlog: 1, reusePort: false };
    expect(listenWhenFree(spec, performance.now() + 1000)).toBe(-1);
  });
});
