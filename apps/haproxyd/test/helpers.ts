// Shared by the end-to-end tests: running the real binaries outside startProxy() (daemon
// mode, bad input, a shell prelude), and looking at processes through /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { type Binary, binaryPath } from '@hap/testkit';

export const HAPROXYD = binaryPath('haproxyd');

export interface Run {
  readonly proc: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process exited and its stdout/stderr were closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const groups = new Set<number>();
const pidsToKill = new Set<number>();

/**
 * Starts `command args` in its own process group with piped stdout/stderr (extra stdio
 * entries after the first three are passed as given). Killed by `killAllRuns()`.
 */
export function run(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; extraStdio?: readonly number[] } = {},
): Run {
  const proc: ChildProcess = spawn(command, [...args], {
    detached: true,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.extraStdio ?? [])],
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`cannot start ${command}`);
  groups.add(pid);
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { proc, pid, stdout: () => out, stderr: () => err, closed };
}

/** `<binary> args`, e.g. `runBinary('haproxyd', ['-db', '-f', cfg])`. */
export function runBinary(binary: Binary, args: readonly string[], env?: NodeJS.ProcessEnv): Run {
  return run(binaryPath(binary), args, env ? { env } : {});
}

/** A pid to SIGKILL in afterEach (a daemon's worker lives in its own session). */
export function killLater(pid: number): void {
  pidsToKill.add(pid);
}

/** SIGKILLs every group started by `run()` and every pid given to `killLater()`. */
export function killAllRuns(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  groups.clear();
  for (const pid of pidsToKill) {
    try {
      if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pidsToKill.clear();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` with a bounded back-off; throws `what` after `ms`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; ; i++) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(Math.min(5 + i * 5, 50));
  }
}

// --- /proc ----------------------------------------------------------------------------

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]; undefined if gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Exited: no /proc entry, or a zombie waiting to be reaped (PID 1 reaps slowly here). */
export function isGone(pid: number): boolean {
  const st = procStat(pid);
  return st === undefined || st[0] === 'Z' || st[0] === 'X';
}

/** Live (non-zombie) processes whose command line contains every one of `needles`. */
export function processesMatching(...needles: string[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (needles.every((n) => cmdline.includes(n)) && !isGone(pid)) found.push(pid);
  }
  return found;
}

/** Live processes in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st[2] === String(pgid) && st[0] !== 'Z' && st[0] !== 'X') found.push(Number(name));
  }
  return found;
}

/** `Uid:`/`Gid:` of /proc/<pid>/status: [real, effective, saved, fs]. */
export function procIds(pid: number): { uid: number[]; gid: number[]; groups: number[] } {
  const lines = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const nums = (key: string) =>
    (lines.find((l) => l.startsWith(`${key}:`)) ?? '')
      .slice(key.length + 1)
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '')
      .map(Number);
  return { uid: nums('Uid'), gid: nums('Gid'), groups: nums('Groups') };
}

export function procRoot(pid: number): string {
  return readlinkSync(`/proc/${pid}/root`);
}

/** CAP_SYS_RESOURCE (bit 24) in this process's effective set: needed to raise a hard limit. */
export function canRaiseHardLimit(): boolean {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  return line !== undefined && (BigInt(`0x${line.slice(7).trim()}`) & (1n << 24n)) !== 0n;
}

/** uid/gid of a user/group name from /etc/passwd and /etc/group, or undefined. */
export function lookupId(file: '/etc/passwd' | '/etc/group', name: string): number | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  return undefined;
}

// --- sockets --------------------------------------------------------------------------

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Resolves 'connected' or the connect error's code (e.g. 'ECONNREFUSED'); the socket is closed at once. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.destroy();
      resolve(e.code ?? e.message);
    });
  });
}

/** Sends `payload`, half-closes, and resolves with everything received until the peer closed. */
export function exchange(port: number, payload: Buffer | string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('connect', () => s.end(payload));
    s.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A client reading everything a connection to `port` sends; `done` resolves when it closed. */
export interface Download {
  readonly socket: Socket;
  received(): number;
  readonly firstByte: Promise<void>;
  readonly done: Promise<{ data: Buffer; error: string | undefined }>;
}

export function download(port: number, host = '127.0.0.1'): Download {
  const socket = connect({ port, host });
  const chunks: Buffer[] = [];
  let n = 0;
  let error: string | undefined;
  let onFirst: () => void = () => {};
  const firstByte = new Promise<void>((r) => {
    onFirst = r;
  });
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    n += c.length;
    onFirst();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  const done = new Promise<{ data: Buffer; error: string | undefined }>((resolve) => {
    socket.once('close', () => resolve({ data: Buffer.concat(chunks), error }));
  });
  return { socket, received: () => n, firstByte, done };
}

/** Binds `port` on `host` without SO_REUSEPORT (Node's default); resolves the server or the error code. */
export function plainListen(
  port: number,
  host = '127.0.0.1',
): Promise<{ server: ReturnType<typeof createServer> } | { error: string }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    server.listen({ port, host, exclusive: true }, () => resolve({ server }));
  });
}

export function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** A free port below 1024 on 127.0.0.1, found by binding (700..1000). */
export async function freeLowPort(): Promise<number> {
  for (let port = 700; port < 1000; port++) {
    const r = await plainListen(port);
    if ('server' in r) {
      await closeServer(r.server);
      return port;
    }
  }
  throw new Error('no free port in 700..1000 on 127.0.0.1');
}

// --- configurations -------------------------------------------------------------------

/**
 * A `mode tcp` listen section forwarding `bind` to `server`, with optional global lines.
 * `bind` is the whole address (`127.0.0.1:8080`, `"fd@${FD}"`).
 */
export function tcpConfig(o: { bind: string; server: string; global?: readonly string[] }): string {
  const global = o.global && o.global.length > 0 ? ['global', ...o.global.map((l) => `  ${l}`)] : [];
  return `${[
    ...global,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 20s',
    '  timeout server 20s',
    'listen l',
    `  bind ${o.bind}`,
    `  server s ${o.server}`,
  ].join('\n')}\n`;
}

/** 1-based number of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const at = text.split('\n').findIndex((l) => l.includes(needle));
  if (at === -1) throw new Error(`'${needle}' not in the configuration`);
  return at + 1;
}

// --- leftovers ------------------------------------------------------------------------

const dirs = new Set<string>();

/** Remembers a test's temp dir: `leftoverProcesses()` looks for processes naming it. */
export function noteDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/**
 * Live processes whose command line names one of the noted temp dirs (bin/haproxyd, the
 * real haproxy, a shell prelude: anything a test started with a configuration there).
 */
export function leftoverProcesses(): number[] {
  const found = new Set<number>();
  for (const dir of dirs) for (const pid of processesMatching(dir)) found.add(pid);
  return [...found];
}

/** For afterAll: waits (bounded) until no process names a noted temp dir; returns those left. */
export async function settleLeftovers(): Promise<number[]> {
  try {
    await waitFor(() => leftoverProcesses().length === 0, 'no leftover process', 5000);
  } catch {
    // reported by the caller's assertion
  }
  return leftoverProcesses();
}
