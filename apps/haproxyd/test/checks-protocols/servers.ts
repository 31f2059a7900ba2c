// Real protocol servers for the protocol-check tests: Redis, PostgreSQL, MariaDB, Exim (SMTP)
// and OpenLDAP's slapd, each a throw-away instance on 127.0.0.1 in a temp dir, run as its
// Debian system user when the tests run as root. Missing Debian packages are installed once
// (apt-get under a lock file, so parallel test files do not race); what cannot be installed
// or started is reported with its reason, for the tests to skip with it.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect } from '@hap/testkit';

// ---- processes ------------------------------------------------------------------------------

const live = new Set<Proc>();

// Last resort when the runner dies: nothing started here outlives it.
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Account {
  readonly uid: number;
  readonly gid: number;
}

/** A server process in its own process group, its output kept, stopped with its children. */
export class Proc {
  readonly name: string;
  private readonly child: ChildProcess;
  private output = '';
  private status: string | null = null;
  private readonly closed: Promise<void>;

  constructor(name: string, command: string, args: readonly string[], as?: Account, cwd?: string) {
    this.name = name;
    this.child = spawn(command, [...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: cwd ?? tmpdir() },
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    const keep = (c: string) => {
      this.output += c;
    };
    this.child.stdout?.setEncoding('utf8').on('data', keep);
    this.child.stderr?.setEncoding('utf8').on('data', keep);
    this.closed = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.status = `cannot start: ${e.message}`;
        resolve();
      });
      this.child.once('close', (code, signal) => {
        this.status ??= `exited (code ${String(code)}, signal ${String(signal)})`;
        resolve();
      });
    });
    live.add(this);
  }

  /** stdout and stderr so far. */
  text(): string {
    return this.output;
  }

  /** Why it is no longer running, or null while it runs. */
  exited(): string | null {
    return this.status;
  }

  /** Resolves once it ended, with why. */
  async ended(): Promise<string> {
    await this.closed;
    live.delete(this);
    return this.status ?? 'ended';
  }

  /** Waits until its output matches `pattern`; throws (with the output) if it exits or time runs out. */
  async waitForOutput(pattern: RegExp, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!pattern.test(this.output)) {
      if (this.status !== null) throw new Error(`${this.name} ${this.status}:\n${this.output}`);
      if (Date.now() > end)
        throw new Error(`${this.name} printed nothing matching ${pattern} in ${ms} ms:\n${this.output}`);
      await sleep(25);
    }
  }

  /** Waits until 127.0.0.1:port accepts connections. */
  async waitForPort(port: number, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!(await canConnect('127.0.0.1', port, 200))) {
      if (this.status !== null) throw new Error(`${this.name} ${this.status}:\n${this.output}`);
      if (Date.now() > end)
        throw new Error(`${this.name} does not listen on ${port} after ${ms} ms:\n${this.output}`);
      await sleep(25);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined || this.status !== null) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM to the group, SIGKILL after 5 s; resolves once it is gone. */
  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 5000);
    await this.closed;
    clearTimeout(timer);
    // children that outlived their leader (a server's worker processes) go too
    if (this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // none left
      }
    }
    live.delete(this);
  }
}

/** Runs a command to its end; throws with its output when it fails. */
async function runToEnd(
  name: string,
  command: string,
  args: readonly string[],
  as?: Account,
  cwd?: string,
): Promise<string> {
  const p = new Proc(name, command, args, as, cwd);
  const st = await p.ended();
  if (!/code 0,/.test(st)) throw new Error(`${name} ${st}:\n${p.text()}`);
  return p.text();
}

// ---- packages -------------------------------------------------------------------------------

export type Software = 'redis' | 'postgresql' | 'mariadb' | 'exim' | 'slapd';

export const PACKAGE: Record<Software, string> = {
  redis: 'redis-server',
  postgresql: 'postgresql',
  mariadb: 'mariadb-server',
  exim: 'exim4-daemon-light',
  slapd: 'slapd',
};

/** The PostgreSQL server's bin directory (the newest version installed), or null. */
function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')) && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(base, versions[0], 'bin');
}

export const BIN = {
  redis: '/usr/bin/redis-server',
  mariadbd: '/usr/sbin/mariadbd',
  mariadbInstallDb: '/usr/bin/mariadb-install-db',
  exim: '/usr/sbin/exim4',
  slapd: '/usr/sbin/slapd',
  ldapCoreSchema: '/etc/ldap/schema/core.schema',
};

function installed(s: Software): boolean {
  switch (s) {
    case 'redis':
      return existsSync(BIN.redis);
    case 'postgresql':
      return postgresBin() !== null;
    case 'mariadb':
      return existsSync(BIN.mariadbd) && existsSync(BIN.mariadbInstallDb);
    case 'exim':
      return existsSync(BIN.exim);
    case 'slapd':
      return existsSync(BIN.slapd) && existsSync(BIN.ldapCoreSchema);
  }
}

const INSTALL_SCRIPT = `
set -u
export DEBIAN_FRONTEND=noninteractive PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
missing=""
for p in "$@"; do
  dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
opts="-y -qq --no-install-recommends -o DPkg::Lock::Timeout=600"
apt-get install $opts $missing && exit 0
apt-get update -qq || true
apt-get install $opts $missing && exit 0
# one at a time, so that one package that cannot be installed does not keep out the others
for p in $missing; do apt-get install $opts "$p" || echo "could not install $p"; done
exit 0
`;

export interface InstallReport {
  /** Why each piece of software cannot be used (absent: it can). */
  readonly missing: Partial<Record<Software, string>>;
  /** What was installed now, and how long it took. */
  readonly installed: string[];
  readonly seconds: number;
}

/**
 * Installs the Debian packages of `wanted` that are missing (as root, with apt-get, under a
 * lock file in the temp dir, once per machine). Exim is not installed when another mail
 * server already provides /usr/sbin/sendmail: it would replace it.
 */
export async function ensureSoftware(wanted: readonly Software[]): Promise<InstallReport> {
  const missing: Partial<Record<Software, string>> = {};
  const todo = wanted.filter((s) => !installed(s));
  const started = Date.now();
  const toInstall: Software[] = [];
  for (const s of todo) {
    if (process.getuid?.() !== 0) {
      missing[s] =
        `${PACKAGE[s]} is not installed and this user cannot apt-get it (run the tests as root once)`;
    } else if (!existsSync('/usr/bin/apt-get')) {
      missing[s] = `${PACKAGE[s]} is not installed and there is no apt-get here`;
    } else if (s === 'exim' && existsSync('/usr/sbin/sendmail')) {
      missing[s] = `${PACKAGE[s]} is not installed and another mail server is: not replacing it`;
    } else {
      toInstall.push(s);
    }
  }
  let log = '';
  if (toInstall.length > 0) {
    const lock = join(tmpdir(), 'haproxyd-tests-apt.lock');
    const packages = toInstall.map((s) => PACKAGE[s]);
    try {
      log = await runToEnd('apt-get', 'flock', [
        '-w',
        '1200',
        lock,
        'sh',
        '-c',
        INSTALL_SCRIPT,
        'install',
        ...packages,
      ]);
    } catch (e) {
      log = (e as Error).message;
    }
  }
  for (const s of toInstall) {
    if (!installed(s))
      missing[s] =
        `${PACKAGE[s]} could not be installed with apt-get (or its program is missing from its place): ` +
        (log.trim() === '' ? 'apt-get said nothing' : log.slice(-2000));
  }
  return {
    missing,
    installed: toInstall.filter((s) => installed(s)).map((s) => PACKAGE[s]),
    seconds: (Date.now() - started) / 1000,
  };
}

// ---- accounts and directories ---------------------------------------------------------------

/** The system account `name` when running as root (servers refuse root or should not run as it). */
function account(name: string): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === 'nobody') return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no system account '${name}' (nor 'nobody') to run a server as`);
}

/** A directory under `root` that `as` owns. */
function ownedDir(root: string, name: string, as: Account | undefined): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (as) chownSync(dir, as.uid, as.gid);
  return dir;
}

// ---- the servers ----------------------------------------------------------------------------

/** Every server started by one Lab is stopped, and its temp dir removed, by `close()`. */
export class Lab {
  readonly root: string;
  private readonly procs: Proc[] = [];

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'haproxyd-checks-protocols-'));
    // the servers' system users must reach their own directories
    chmodSync(this.root, 0o755);
  }

  private track(p: Proc): Proc {
    this.procs.push(p);
    return p;
  }

  /** `redis-server` with nothing saved; with `password`, every command but AUTH gets -NOAUTH. */
  async redis(name: string, port: number, password?: string): Promise<void> {
    const as = account('redis');
    const dir = ownedDir(this.root, name, as);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--daemonize', 'no', '--dir', dir, '--logfile', '');
    if (password !== undefined) args.push('--requirepass', password);
    const p = this.track(new Proc(name, BIN.redis, args, as, dir));
    await p.waitForOutput(/Ready to accept connections/, 10_000);
  }

  /**
   * PostgreSQL: initdb with the superuser `haproxy`, connections from 127.0.0.1 allowed for
   * `haproxy` only (trust), anyone else gets "no pg_hba.conf entry".
   */
  async postgres(port: number): Promise<void> {
    const bin = postgresBin();
    if (bin === null) throw new Error('PostgreSQL is not installed');
    const as = account('postgres');
    const dir = ownedDir(this.root, 'postgres', as);
    const data = join(dir, 'data');
    await runToEnd(
      'initdb',
      join(bin, 'initdb'),
      ['-D', data, '-U', 'haproxy', '--auth=trust', '-N', '-E', 'UTF8', '--locale=C'],
      as,
      dir,
    );
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all haproxy 127.0.0.1/32 trust\n');
    const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir];
    args.push('-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=50');
    const p = this.track(new Proc('postgres', join(bin, 'postgres'), args, as, dir));
    await p.waitForOutput(/database system is ready to accept connections/, 20_000);
  }

  /** MariaDB: a fresh data dir with the user 'haproxy'@'127.0.0.1' (no password). */
  async mariadb(port: number): Promise<void> {
    const as = account('mysql');
    const dir = ownedDir(this.root, 'mariadb', as);
    const data = join(dir, 'data');
    await runToEnd(
      'mariadb-install-db',
      BIN.mariadbInstallDb,
      ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
      as,
      dir,
    );
    const init = join(dir, 'init.sql');
    writeFileSync(init, "CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';\n");
    const args = ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1'];
    args.push(`--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`, `--init-file=${init}`);
    // the checks connect 20 times a second: never block the host for "connection errors"
    args.push('--skip-name-resolve', '--max-connect-errors=100000000', '--skip-log-bin');
    args.push('--innodb-buffer-pool-size=16M', '--performance-schema=OFF');
    const p = this.track(new Proc('mariadbd', BIN.mariadbd, args, as, dir));
    await p.waitForOutput(/ready for connections/, 30_000);
  }

  /** Exim as an SMTP server: banner "220 haproxyd.test ESMTP", HELO/EHLO forbidden.example refused (550). */
  async exim(port: number): Promise<void> {
    const as = account('Debian-exim');
    const dir = ownedDir(this.root, 'exim', as);
    ownedDir(dir, 'spool', as);
    // exim wants its configuration owned by root (or by itself), not writable by others
    const conf = join(this.root, 'exim.conf');
    writeFileSync(
      conf,
      [
        'primary_hostname = haproxyd.test',
        'smtp_banner = haproxyd.test ESMTP',
        `spool_directory = ${join(dir, 'spool')}`,
        `log_file_path = ${join(dir, '%slog')}`,
        `pid_file_path = ${join(dir, 'exim.pid')}`,
        `daemon_smtp_ports = ${port}`,
        'local_interfaces = 127.0.0.1',
        'keep_environment =',
        'tls_advertise_hosts =',
        'host_lookup =',
        'rfc1413_hosts =',
        'smtp_accept_max = 200',
        'acl_smtp_helo = acl_helo',
        'acl_smtp_rcpt = acl_rcpt',
        'begin acl',
        'acl_helo:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Exim's own expansion syntax
        '  deny condition = ${if eq{$sender_helo_name}{forbidden.example}}',
        '       message = HELO forbidden.example is not welcome here',
        '  accept',
        'acl_rcpt:',
        '  deny',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const p = this.track(new Proc('exim', BIN.exim, ['-C', conf, '-bdf'], as, dir));
    await p.waitForPort(port, 10_000);
  }

  /** slapd with no database: anonymous binds succeed, or with `noAnonymous` are refused (result 48). */
  async slapd(name: string, port: number, noAnonymous = false): Promise<void> {
    const as = account('openldap');
    const dir = ownedDir(this.root, name, as);
    const conf = join(dir, 'slapd.conf');
    const lines = [`include ${BIN.ldapCoreSchema}`, `pidfile ${join(dir, 'slapd.pid')}`];
    if (noAnonymous) lines.push('disallow bind_anon');
    writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o644 });
    const p = this.track(
      new Proc(name, BIN.slapd, ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], as, dir),
    );
    await p.waitForPort(port, 10_000);
  }

  /**
   * Not a server of any of these protocols: says "garbage" to whoever connects and ignores
   * what it reads. A process of its own: a server in the test runner's process answers late
   * whenever the runner is busy (starting a proxy blocks it for a few hundred milliseconds).
   */
  async garbage(port: number): Promise<void> {
    const script = `
      const server = require('node:net').createServer((s) => {
        s.on('error', () => {});
        s.on('data', () => {});
        s.on('end', () => s.end());
        s.write('garbage\\r\\n');
      });
      server.listen(${port}, '127.0.0.1', () => console.log('listening'));
    `;
    const p = this.track(new Proc('garbage', process.execPath, ['-e', script]));
    await p.waitForOutput(/listening/, 10_000);
  }

  /** The output of every server, for failure messages. */
  logs(): string {
    return this.procs
      .map((p) => `--- ${p.name} (${p.exited() ?? 'running'})\n${p.text().slice(-3000)}`)
      .join('\n');
  }

  /** Stops every server, removes the temp dir. */
  async close(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => p.stop()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
