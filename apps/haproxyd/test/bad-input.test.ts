// End-to-end: start-ups that must fail. Each exits 1 with one clear alert (plus HAProxy's
// closing lines), naming the configuration file and line where HAProxy does, and leaves no
// process and no file behind. The real HAProxy 2.6 runs the same configuration: same exit
// code, same single alert.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Binary, freePort, requireHaproxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeServer,
  killAllRuns,
  lineOf,
  noteDir,
  plainListen,
  processesMatching,
  runBinary,
  settleLeftovers,
  tcpConfig,
} from './helpers.ts';

useTestkit();
afterEach(killAllRuns);
afterAll(async () => {
  expect(await settleLeftovers()).toEqual([]);
});
beforeAll(() => void requireHaproxy());

const BINARIES: readonly Binary[] = ['haproxyd', 'haproxy'];

/** The lines HAProxy prints after the alert that says what went wrong. */
const CLOSING = [
  /Some protocols failed to start their listeners! Exiting\.$/,
  /config : Error\(s\) found in configuration file : /,
  /config : Fatal errors found in configuration\.$/,
];

function alerts(stderr: string): { main: string[]; closing: string[] } {
  const all = stderr.split('\n').filter((l) => l.startsWith('[ALERT]'));
  const isClosing = (l: string) => CLOSING.some((re) => re.test(l));
  return { main: all.filter((l) => !isClosing(l)), closing: all.filter(isClosing) };
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  alert: string;
  closing: string[];
  stderr: string;
}

/**
 * Runs `binary <mode> -f cfg [args]` in `dir` and checks what every failure shares: it
 * exits, one alert says why, no process names the configuration, no new file is in `dir`.
 */
async function failingStart(binary: Binary, cfgText: string, args: string[] = [], mode = '-db') {
  const dir = noteDir(tempDir());
  const before = readdirSync(dir);
  const cfg = writeConfig(cfgText, `${binary}-${before.length}.cfg`);
  const proc = runBinary(binary, [mode, '-f', cfg, ...args]);
  const st = await proc.closed;
  const { main, closing } = alerts(proc.stderr());
  expect(main, proc.stderr()).toHaveLength(1);
  expect(processesMatching(cfg)).toEqual([]);
  expect(readdirSync(dir).sort()).toEqual([...before, `${binary}-${before.length}.cfg`].sort());
  const out: Outcome = { ...st, alert: main[0]!, closing, stderr: proc.stderr() };
  return { cfg, dir, out };
}

describe.each(BINARIES)('%s: bad input', (binary) => {
  const program = binary === 'haproxy' ? 'haproxy' : 'haproxyd';
  const protocolsFailed = `[${program}.main()] Some protocols failed to start their listeners! Exiting.`;

  it('a bind address this host does not have (192.0.2.1, EADDRNOTAVAIL): exit 1, alert at the bind line', async () => {
    const port = await freePort();
    const text = tcpConfig({ bind: `192.0.2.1:${port}`, server: '127.0.0.1:9' });
    const { cfg, out } = await failingStart(binary, text);
    expect(out.code).toBe(1);
    expect(out.alert).toContain(
      `Binding [${cfg}:${lineOf(text, 'bind ')}] for proxy l: cannot bind socket (Cannot assign requested address) for [192.0.2.1:${port}]`,
    );
    expect(out.closing.map((l) => l.slice(l.indexOf(' : ') + 3))).toEqual([protocolsFailed]);
  });

  it('a port held by a foreign listener without SO_REUSEPORT: exit 1, "Address already in use" at the bind line', async () => {
    const port = await freePort();
    const foreign = await plainListen(port);
    if (!('server' in foreign)) throw new Error(`cannot hold port ${port}: ${foreign.error}`);
    try {
      const text = tcpConfig({ bind: `127.0.0.1:${port}`, server: '127.0.0.1:9' });
      const { cfg, out } = await failingStart(binary, text);
      expect(out.code).toBe(1);
      expect(out.alert).toContain(
        `Binding [${cfg}:${lineOf(text, 'bind ')}] for proxy l: cannot bind socket (Address already in use) for [127.0.0.1:${port}]`,
      );
      expect(out.closing.map((l) => l.slice(l.indexOf(' : ') + 3))).toEqual([protocolsFailed]);
    } finally {
      await closeServer(foreign.server);
    }
  });

  it('-D with a pidfile in a missing directory: exit 1, "Cannot create pidfile", no worker started', async () => {
    const port = await freePort();
    const dir = noteDir(tempDir());
    const pidfile = join(dir, 'missing', 'x.pid');
    const text = tcpConfig({ bind: `127.0.0.1:${port}`, server: '127.0.0.1:9' });
    const { out } = await failingStart(binary, text, ['-p', pidfile], '-D');
    expect(out.code).toBe(1);
    expect(out.alert).toContain(`[${program}.main()] Cannot create pidfile ${pidfile}`);
  });

  it('a chroot directory that does not exist (-db): exit 1, "Cannot chroot(<dir>)"; -p is ignored in the foreground', async () => {
    const port = await freePort();
    const dir = noteDir(tempDir());
    const jail = join(dir, 'no-such-jail');
    const text = tcpConfig({ bind: `127.0.0.1:${port}`, server: '127.0.0.1:9', global: [`chroot ${jail}`] });
    // failingStart checks that no file appeared: no pidfile either (HAProxy writes one only in daemon mode)
    const { out } = await failingStart(binary, text, ['-p', join(dir, 'fg.pid')]);
    expect(out.code).toBe(1);
    expect(out.alert).toContain(`[${program}.main()] Cannot chroot(${jail})`);
  });

  it('an unknown user: exit 1, alert at the user line, then the configuration closing lines', async () => {
    const port = await freePort();
    const user = `no-such-user-${process.pid}`;
    const text = tcpConfig({ bind: `127.0.0.1:${port}`, server: '127.0.0.1:9', global: [`user ${user}`] });
    const { cfg, out } = await failingStart(binary, text);
    expect(out.code).toBe(1);
    expect(out.alert).toContain(
      `config : parsing [${cfg}:${lineOf(text, 'user ')}] : cannot find user id for '${user}'`,
    );
    expect(out.closing.map((l) => l.slice(l.indexOf(' : ') + 3))).toEqual([
      `config : Error(s) found in configuration file : ${cfg}`,
      'config : Fatal errors found in configuration.',
    ]);
  });

  it('only a backend: exit 1, "No enabled listener found"', async () => {
    const text = 'defaults\n  mode tcp\n  timeout connect 5s\nbackend b\n  server s 127.0.0.1:9\n';
    const { out } = await failingStart(binary, text);
    expect(out.code).toBe(1);
    expect(out.alert).toContain(
      `[${program}.main()] No enabled listener found (check for 'bind' directives) ! Exiting.`,
    );
    expect(out.closing).toEqual([]);
  });
});
