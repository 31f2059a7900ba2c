/**
 * The reload experiment of issue 3, shared by reload.test.ts: a daemonized proxy
 * (`-D -p pidfile`) in front of a deterministic TCP backend, a client loop opening one
 * connection per request, and `-sf $(cat pidfile)` reloads while it runs.
 *
 * Works for both programs (`haproxy` and `haproxyd`), so the test compares them in one
 * run. Everything is bounded by a count and a time; every process started here is
 * tracked (pidfile + /proc scan for the experiment's unique config path) and killed by
 * `killExperimentProcesses()`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import {
  type Backend,
  type Binary,
  binaryPath,
  type RecordedConnection,
  startRawBackend,
} from '@hap/testkit';

// --- payloads --------------------------------------------------------------------------

/** Request: the id as 11 decimal digits and a newline. */
export const REQUEST_BYTES = 12;
/** Reply size: a fixed number of bytes derived from the id. */
export const REPLY_BYTES = 4096;

/** The reply for `id`: 4 bytes of id, then xorshift32 bytes seeded from it. */
export function payloadFor(id: number): Buffer {
  const buf = Buffer.allocUnsafe(REPLY_BYTES);
  buf.writeUInt32BE(id >>> 0, 0);
  let x = (id * 2654435761 + 0x9e3779b9) >>> 0 || 1;
  for (let i = 4; i < REPLY_BYTES; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  return buf;
}

function requestFor(id: number): Buffer {
  return Buffer.from(`${String(id).padStart(REQUEST_BYTES - 1, '0')}\n`, 'latin1');
}

/** A TCP backend answering each connection's id with `payloadFor(id)`, then closing (FIN). */
export function startPayloadBackend(): Promise<Backend<RecordedConnection>> {
  return startRawBackend((socket) => {
    let got: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      if (got.length < REQUEST_BYTES) return;
      socket.off('data', onData);
      const id = Number(got.subarray(0, REQUEST_BYTES - 1).toString('latin1'));
      socket.end(Number.isSafeInteger(id) ? payloadFor(id) : Buffer.alloc(0));
    };
    socket.on('data', onData);
  });
}

// --- the client loop -------------------------------------------------------------------

export type Outcome = 'ok' | 'refused' | 'reset' | 'timeout' | 'empty' | 'truncated' | 'corrupted' | 'other';
export const OUTCOMES: readonly Outcome[] = [
  'ok',
  'refused',
  'reset',
  'timeout',
  'empty',
  'truncated',
  'corrupted',
  'other',
];
export type Counts = Record<Outcome, number>;

export function zeroCounts(): Counts {
  return { ok: 0, refused: 0, reset: 0, timeout: 0, empty: 0, truncated: 0, corrupted: 0, other: 0 };
}

/** Failed connections: everything but ok (corrupted ones are counted separately too). */
export function failures(c: Counts): number {
  return c.refused + c.reset + c.timeout + c.empty + c.truncated + c.other;
}

export interface RequestRecord {
  /** ms since the loop started, when the connection was opened */
  start: number;
  /** ms since the loop started, when the outcome was known */
  end: number;
  outcome: Outcome;
  detail?: string;
}

/** One request: connect, send the id, read until EOF, compare. Never rejects. */
function oneRequest(
  port: number,
  id: number,
  timeoutMs: number,
): Promise<{ outcome: Outcome; detail?: string }> {
  return new Promise((resolve) => {
    const expected = payloadFor(id);
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (outcome: Outcome, detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(detail === undefined ? { outcome } : { outcome, detail });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('connect', () => socket.write(requestFor(id)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > REPLY_BYTES) done('corrupted', `${length} bytes > ${REPLY_BYTES}`);
    });
    socket.on('end', () => {
      const got = Buffer.concat(chunks, length);
      if (length === 0) return done('empty');
      if (!got.equals(expected.subarray(0, length))) return done('corrupted', `bytes differ (id ${id})`);
      if (length < REPLY_BYTES) return done('truncated', `${length} bytes`);
      done('ok');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') return done('refused');
      if (code === 'ECONNRESET' || code === 'EPIPE') {
        // bytes that arrived before the reset must still be right
        const got = Buffer.concat(chunks, length);
        if (length > 0 && !got.equals(expected.subarray(0, length)))
          return done('corrupted', `bytes differ before reset (id ${id})`);
        return done('reset', length > 0 ? `after ${length} bytes` : undefined);
      }
      done('other', code || err.message);
    });
  });
}

export interface ClientLoopOptions {
  port: number;
  workers: number;
  /** stop after this many requests ... */
  maxRequests: number;
  /** ... or once this many ms have passed, or when `stop()` is called */
  maxMs: number;
  /** per-request bound */
  timeoutMs?: number;
  /** optional cap on the rate of new connections (all workers together), per second */
  ratePerSec?: number;
}

export interface ClientLoop {
  /** resolves when every worker stopped */
  done: Promise<void>;
  stop(): void;
  readonly records: RequestRecord[];
  /** ms since the loop started */
  now(): number;
}

export function startClientLoop(o: ClientLoopOptions): ClientLoop {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const records: RequestRecord[] = [];
  let stopped = false;
  let nextId = 1;
  let nextSlot = 0;
  const interval = o.ratePerSec !== undefined ? 1000 / o.ratePerSec : 0;
  const timeoutMs = o.timeoutMs ?? 5000;
  const running = () => !stopped && nextId <= o.maxRequests && now() < o.maxMs;
  const worker = async () => {
    while (running()) {
      if (interval > 0) {
        const slot = Math.max(nextSlot, now());
        nextSlot = slot + interval;
        const wait = slot - now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        if (!running()) break;
      }
      const id = nextId++;
      const start = now();
      const r = await oneRequest(o.port, id, timeoutMs);
      const rec: RequestRecord = { start, end: now(), outcome: r.outcome };
      if (r.detail !== undefined) rec.detail = r.detail;
      records.push(rec);
    }
  };
  const done = Promise.all(Array.from({ length: o.workers }, worker)).then(() => undefined);
  return {
    done,
    stop: () => {
      stopped = true;
    },
    records,
    now,
  };
}

export function countOutcomes(records: readonly RequestRecord[]): Counts {
  const c = zeroCounts();
  for (const r of records) c[r.outcome]++;
  return c;
}

// --- processes -------------------------------------------------------------------------

/** /proc/PID/stat's state letter, or null when there is no such process. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Alive = exists and is not a zombie (PID 1 reaps slowly here). */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s !== 'Z';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits (bounded) until `pid` is gone; returns how long it took, or null on timeout. */
export async function waitGone(pid: number, maxMs: number): Promise<number | null> {
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) {
    if (!isAlive(pid)) return performance.now() - t0;
    if (performance.now() - t0 > maxMs) return null;
    await sleep(20);
  }
  return null;
}

/** Live (non-zombie) processes whose command line contains `needle` (e.g. a unique config path). */
export function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (cmd.split('\0').includes(needle) && isAlive(pid)) pids.push(pid);
  }
  return pids;
}

export function readPidfile(path: string): number[] {
  try {
    return readFileSync(path, 'latin1')
      .split(/\s+/)
      .filter((s) => /^\d+$/.test(s))
      .map(Number);
  } catch {
    return [];
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Every daemon launch of this module, for the final cleanup. */
const launched = new Set<ChildProcess>();
/** Config paths of every experiment, for the final cleanup (/proc scan). */
const configPaths = new Set<string>();

export function trackConfig(path: string): void {
  configPaths.add(path);
}

/**
 * Runs `<bin> args` (its own session) until the launcher exits (bounded); a daemon's
 * worker may keep running. stdout/stderr are read until the launcher's exit only (a
 * detached worker may keep the pipes open).
 */
export function runLauncher(binary: Binary, args: readonly string[], maxMs = 20_000): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(binaryPath(binary), [...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launched.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, maxMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      // give the pipes a moment for the last bytes, then let go of them
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        launched.delete(child);
        resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
      }, 20);
    };
    child.once('exit', finish);
    child.once('error', (err) => {
      stderr += String(err);
      finish(null, null);
    });
  });
}

/** SIGKILLs every process this module may have left (by config path), bounded wait for them. */
export async function killExperimentProcesses(): Promise<number[]> {
  const killed: number[] = [];
  for (const child of launched) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {}
  }
  launched.clear();
  for (const cfg of configPaths) {
    for (const pid of processesWith(cfg)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {}
    }
  }
  for (const pid of killed) await waitGone(pid, 3000);
  configPaths.clear();
  return killed;
}

// --- the experiment ----------------------------------------------------------------------

export interface ReloadRecord {
  index: number;
  oldPid: number;
  newPid: number | null;
  code: number | null;
  stderr: string;
  /** ms since the loop started: launcher started / exited */
  at: number;
  launcherMs: number;
  /** how long the old pid took to leave after the launcher exited; null = still alive at the bound */
  oldGoneMs: number | null;
}

export interface ExperimentOptions {
  binary: Binary;
  /** the config file (a unique path: used to find the experiment's processes) */
  cfg: string;
  pidfile: string;
  port: number;
  reloads: number;
  /** ms between two reloads (from the end of one launcher to the start of the next) */
  spacingMs: number;
  /** ms of traffic before the first reload */
  warmupMs: number;
  /**
   * ms of traffic after the last reload; the loop then stops (so the last process served
   * for a while, and has its signal handlers, before it is told to stop)
   */
  tailMs: number;
  workers: number;
  maxRequests: number;
  maxMs: number;
  ratePerSec?: number;
  /** bound on each old process's exit */
  oldExitMaxMs?: number;
  /** more arguments for each reload's command line (`-x <socket>`), before `-sf <pid>` */
  reloadArgs?: readonly string[];
}

export interface ExperimentResult {
  binary: Binary;
  counts: Counts;
  requests: number;
  durationMs: number;
  ratePerSec: number;
  reloads: ReloadRecord[];
  /** live processes running this config at the end of the loop (before the stop) */
  servingAtEnd: number[];
  pidfileAtEnd: number[];
  /** whether every process was gone after the final soft stop (bounded) */
  goneAfterStop: boolean;
  /** processes still running the config after the final soft stop (bounded wait) */
  leftAfterStop: number[];
  /** failures per reload window: failed requests that started in [reload i start, reload i+1 start) */
  failuresPerReload: number[];
  /** a few failure samples (outcome, detail, time) */
  samples: string[];
  startStderr: string;
  maxLatencyMs: number;
}

/**
 * Starts `<binary> -D -p pidfile -f cfg`, runs the client loop, performs `reloads`
 * reloads `-sf $(cat pidfile)` while it runs, then soft-stops the survivor (SIGUSR1) and
 * checks nothing is left.
 */
export async function runReloadExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  trackConfig(o.cfg);
  const start = await runLauncher(o.binary, ['-D', '-p', o.pidfile, '-f', o.cfg]);
  if (start.code !== 0) throw new Error(`${o.binary} did not start (${start.code}): ${start.stderr}`);
  // bounded wait until the port accepts (daemon worker start-up)
  for (let i = 0; i < 200; i++) {
    if (await canConnectOnce(o.port)) break;
    await sleep(25);
  }
  const loop = startClientLoop({
    port: o.port,
    workers: o.workers,
    maxRequests: o.maxRequests,
    maxMs: o.maxMs,
    ...(o.ratePerSec !== undefined ? { ratePerSec: o.ratePerSec } : {}),
  });
  const reloads: ReloadRecord[] = [];
  const oldWaits: Promise<void>[] = [];
  await Promise.race([sleep(o.warmupMs), loop.done]);
  for (let i = 0; i < o.reloads; i++) {
    const oldPid = readPidfile(o.pidfile)[0] ?? -1;
    const at = loop.now();
    const r = await runLauncher(o.binary, [
      '-D',
      '-p',
      o.pidfile,
      '-f',
      o.cfg,
      ...(o.reloadArgs ?? []),
      '-sf',
      String(oldPid),
    ]);
    const newPid = readPidfile(o.pidfile)[0] ?? null;
    const rec: ReloadRecord = {
      index: i + 1,
      oldPid,
      newPid,
      code: r.code,
      stderr: r.stderr,
      at,
      launcherMs: r.ms,
      oldGoneMs: null,
    };
    reloads.push(rec);
    oldWaits.push(
      waitGone(oldPid, o.oldExitMaxMs ?? 10_000).then((ms) => {
        rec.oldGoneMs = ms;
      }),
    );
    if (i + 1 < o.reloads) await Promise.race([sleep(o.spacingMs), loop.done]);
  }
  await Promise.race([sleep(o.tailMs), loop.done]);
  loop.stop();
  await loop.done;
  await Promise.all(oldWaits);
  const durationMs = loop.now();
  const servingAtEnd = processesWith(o.cfg);
  const pidfileAtEnd = readPidfile(o.pidfile);
  // soft stop of the survivor(s), bounded
  for (const pid of servingAtEnd) {
    try {
      process.kill(pid, 'SIGUSR1');
    } catch {}
  }
  for (const pid of servingAtEnd) await waitGone(pid, 10_000);
  const leftAfterStop = processesWith(o.cfg);
  const goneAfterStop = leftAfterStop.length === 0;

  const records = loop.records;
  const counts = countOutcomes(records);
  const bounds = reloads.map((r) => r.at);
  const failuresPerReload = bounds.map(() => 0);
  const samples: string[] = [];
  let maxLatencyMs = 0;
  for (const rec of records) {
    maxLatencyMs = Math.max(maxLatencyMs, rec.end - rec.start);
    if (rec.outcome === 'ok') continue;
    let w = -1;
    for (let i = 0; i < bounds.length; i++) if (rec.start >= bounds[i]!) w = i;
    if (w >= 0) failuresPerReload[w]!++;
    if (samples.length < 12)
      samples.push(
        `${rec.outcome}${rec.detail ? ` (${rec.detail})` : ''} started at ${rec.start.toFixed(0)} ms, ended at ${rec.end.toFixed(0)} ms`,
      );
  }
  return {
    binary: o.binary,
    counts,
    requests: records.length,
    durationMs,
    ratePerSec: (records.length * 1000) / durationMs,
    reloads,
    servingAtEnd,
    pidfileAtEnd,
    goneAfterStop,
    leftAfterStop,
    failuresPerReload,
    samples,
    startStderr: start.stderr,
    maxLatencyMs,
  };
}

function canConnectOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 500);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** A markdown row per result. */
export function tableRow(label: string, r: ExperimentResult): string {
  const c = r.counts;
  const oldGone = r.reloads
    .map((x) => (x.oldGoneMs === null ? 'STILL ALIVE' : x.oldGoneMs.toFixed(0)))
    .join('/');
  const codes = r.reloads.map((x) => String(x.code)).join('/');
  return `| ${label} | ${r.binary} | ${r.requests} | ${r.ratePerSec.toFixed(0)} | ${c.ok} | ${c.refused} | ${c.reset} | ${c.timeout} | ${c.empty} | ${c.truncated} | ${c.corrupted} | ${c.other} | **${failures(c)}** | ${r.failuresPerReload.join('/')} | ${codes} | ${oldGone} | ${r.servingAtEnd.length} | ${r.goneAfterStop ? 'yes' : 'NO'} | ${r.maxLatencyMs.toFixed(0)} |`;
}

export const TABLE_HEADER = [
  '| run | binary | requests | conn/s | ok | refused | reset | timeout | empty | truncated | corrupted | other | failed | failed per reload | reload exit codes | old pid gone after (ms) | serving at end | none left after stop | max latency ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
