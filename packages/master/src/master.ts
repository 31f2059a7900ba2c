// The master process (HAProxy's master-worker mode, `-W` / `-Ws`).
//
// It holds the listening sockets for its whole life and starts each worker on them; a
// reload re-reads the configuration, binds only the new addresses, starts the new worker,
// waits until it accepts, and only then soft-stops the old one (SIGUSR1), which finishes
// its connections. The accept queues are never closed during a reload, so no client is
// refused. The master knows nothing of the configuration language: `load()` gives it the
// listening sockets and the few global settings it acts on.
import {
  type CliBind,
  type CliLevel,
  listenMasterCli,
  type MasterCliHost,
  type MasterCliListener,
} from './cli.ts';
import { sdNotify } from './notify.ts';
import { type BindFailure, ListenSockets, type ListenSpec } from './sockets.ts';
import { signalDescription } from './sys.ts';
import { spawnWorker, type WorkerExit, type WorkerHandle } from './worker.ts';

/** What the master acts on in one configuration. */
export interface MasterConfig {
  /** The listening sockets the workers need. */
  listeners: ListenSpec[];
  /** `mworker-max-reloads`: a leaving worker that survived more reloads gets SIGTERM. */
  maxReloads?: number;
  /** `hard-stop-after` (ms): a leaving worker still alive this long after SIGUSR1 (plus a grace) is killed. */
  hardStopAfterMs?: number;
  /** `master-worker no-exit-on-failure` */
  noExitOnFailure?: boolean;
  /**
   * ms between "drain" (each connection closes after its current response) and SIGUSR1 to a
   * retired worker, so keep-alive clients leave it after a response rather than racing the
   * close of an idle connection. Default 500; 0 sends SIGUSR1 at once (HAProxy's way).
   */
  drainMs?: number;
}

export type LogLevel = 'alert' | 'warning' | 'notice';

export interface MasterOptions {
  /** For messages (`[haproxyd.main()]`) and `Reloading haproxyd`. Default 'haproxyd'. */
  program?: string;
  /** The version `show proc` and `show version` print. */
  version: string;
  /** How to start a worker: the program and its arguments (no -sf/-st: the master tells old workers). */
  worker: {
    execPath?: string;
    args: readonly string[];
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    output?: 'inherit' | 'ignore';
    readyTimeoutMs?: number;
  };
  /** Re-reads the configuration at a reload; undefined when it is invalid (its alerts already printed). */
  load(): Promise<MasterConfig | undefined>;
  /** Prints one message (the caller adds `[LEVEL] (pid) : `). */
  log(level: LogLevel, text: string): void;
  /** `-Ws`: systemd notifications on $NOTIFY_SOCKET. */
  systemd?: boolean;
  /** Where NOTIFY_SOCKET is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** `-S` sockets. */
  cli?: readonly CliBind[];
  /** `-sf` / `-st` given to the master: signalled once the first worker accepts. */
  oldPids?: readonly number[];
  oldPidsSignal?: 'SIGUSR1' | 'SIGTERM';
  /** Hand the server state from the old worker to the new one (see MasterLink). Default true. */
  keepState?: boolean;
  /** Catch SIGUSR2/SIGHUP (reload), SIGTERM/SIGINT/SIGUSR1 (stop), SIGTTOU/SIGTTIN (relayed). Default true. */
  handleSignals?: boolean;
  /** Grace after `hard-stop-after` before a leaving worker is killed. Default 2000 ms. */
  hardStopGraceMs?: number;
}

/** One process as `show proc` lists it. */
export interface ProcInfo {
  pid: number;
  type: 'master' | 'worker';
  /** Reloads this process went through (the master: all of them). */
  reloads: number;
  /** The master: reloads that failed since the last one that worked. */
  failedReloads: number;
  startedAt: number;
  /** A worker told to leave, still finishing its connections. */
  leaving: boolean;
  version: string;
}

interface Worker {
  handle: WorkerHandle;
  reloads: number;
  leaving: boolean;
  /** Started, not READY yet. */
  starting: boolean;
  hardStopAfterMs: number | undefined;
  timers: NodeJS.Timeout[];
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGUSR1'];
const RELOAD_SIGNALS: readonly NodeJS.Signals[] = ['SIGUSR2', 'SIGHUP'];
const RELAYED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTTOU', 'SIGTTIN'];

/** `0d00h02m07s` */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h${two(Math.floor((s % 3600) / 60))}m${two(s % 60)}s`;
}

/** HAProxy's `show proc` table (the answer ends with an empty line). */
export function formatShowProc(procs: readonly ProcInfo[], now = Date.now()): string {
  const col = (v: string | number) => String(v).padEnd(15);
  const row = (p: ProcInfo) =>
    `${col(p.pid)} ${col(p.type)} ${col(p.type === 'master' ? `${p.reloads} [failed: ${p.failedReloads}]` : p.reloads)} ${col(formatUptime((now - p.startedAt) / 1000))} ${col(p.version)}\n`;
  let out = `#${'<PID>'.padEnd(14)} ${col('<type>')} ${col('<reloads>')} ${col('<uptime>')} ${col('<version>')}\n`;
  for (const p of procs) if (p.type === 'master') out += row(p);
  out += '# workers\n';
  for (const p of procs) if (p.type === 'worker' && !p.leaving) out += row(p);
  const old = procs.filter((p) => p.type === 'worker' && p.leaving);
  if (old.length > 0) {
    out += '# old workers\n';
    for (const p of old) out += row(p);
  }
  out += '# programs\n\n';
  return out;
}

/** `exited with code 137 (Killed)`: HAProxy's words for a status. */
export function describeStatus(status: number): string {
  return `exited with code ${status} (${status >= 128 && status < 128 + 65 ? signalDescription(status - 128) : 'Exit'})`;
}

export class Master implements MasterCliHost {
  readonly startedAt = Date.now();
  /** The exit status, once every worker is gone (or the start failed). */
  readonly done: Promise<number>;

  private readonly options: MasterOptions;
  private readonly program: string;
  private readonly sockets = new ListenSockets();
  private readonly workerList: Worker[] = [];
  private cliListeners: MasterCliListener[] = [];
  private config: MasterConfig | undefined;
  private reloadCount = 0;
  private failedCount = 0;
  private lastFailed = false;
  private stopping = false;
  private started = false;
  private finished = false;
  private exitCode = -1;
  /** The last current worker died abnormally and no-exit-on-failure keeps the master. */
  private waitingForReload = false;
  private starting: Promise<boolean> | null = null;
  private reloading: Promise<boolean> | null = null;
  private reloadAgain = false;
  private resolveDone: (code: number) => void = () => {};
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private notifyFailed = false;

  constructor(options: MasterOptions) {
    this.options = options;
    this.program = options.program ?? 'haproxyd';
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  // --- what the CLI and tests see -------------------------------------------------------

  processes(): ProcInfo[] {
    const v = this.options.version;
    const list: ProcInfo[] = [
      {
        pid: process.pid,
        type: 'master',
        reloads: this.reloadCount,
        failedReloads: this.failedCount,
        startedAt: this.startedAt,
        leaving: false,
        version: v,
      },
    ];
    for (const w of this.workerList) {
      if (w.starting) continue;
      list.push({
        pid: w.handle.pid,
        type: 'worker',
        reloads: w.reloads,
        failedReloads: 0,
        startedAt: w.handle.startedAt,
        leaving: w.leaving,
        version: v,
      });
    }
    return list;
  }

  showProc(): string {
    return formatShowProc(this.processes());
  }

  version(): string {
    return this.options.version;
  }

  reloadFailed(): boolean {
    return this.lastFailed;
  }

  workers(): ReadonlyArray<{ pid: number; leaving: boolean }> {
    return this.workerList.filter((w) => !w.starting).map((w) => ({ pid: w.handle.pid, leaving: w.leaving }));
  }

  route(pid: number, cmd: string): Promise<string> {
    const w = this.workerList.find((x) => x.handle.pid === pid);
    return w === undefined ? Promise.resolve('') : w.handle.command(cmd);
  }

  /** The listening sockets held now, by key. */
  listeningKeys(): string[] {
    return this.sockets.keys();
  }

  /** The port a held socket is bound to (for port 0), or 0. */
  boundPort(key: string): number {
    return this.sockets.get(key)?.port ?? 0;
  }

  // --- start ------------------------------------------------------------------------------

  /**
   * Opens the master CLI, binds the listeners, starts the first worker and waits until it
   * accepts. False (alerts printed, everything closed, `done` resolves 1) when it could not.
   */
  start(config: MasterConfig): Promise<boolean> {
    this.starting ??= this.startOnce(config);
    return this.starting;
  }

  private async startOnce(config: MasterConfig): Promise<boolean> {
    this.keepAlive = setInterval(() => {}, 1 << 30);
    if (this.options.handleSignals !== false) this.installSignals();
    for (const bind of this.options.cli ?? []) {
      try {
        this.cliListeners.push(await listenMasterCli(this, bind));
      } catch (err) {
        this.log('alert', `Cannot bind the master CLI on '${describeCli(bind)}': ${(err as Error).message}`);
        return this.failStart();
      }
    }
    const r = await this.sockets.update(config.listeners);
    if (r.failed.length > 0) {
      this.bindAlerts(r.failed);
      this.log('alert', `[${this.program}.main()] Some protocols failed to start their listeners! Exiting.`);
      return this.failStart();
    }
    const w = await this.startWorker(config, null);
    if (w === undefined) return this.failStart();
    this.config = config;
    this.started = true;
    this.log('notice', 'Loading success.');
    this.notify(`READY=1\nSTATUS=Ready.\nMAINPID=${process.pid}`);
    const old = this.options.oldPids ?? [];
    const sig = this.options.oldPidsSignal;
    if (sig !== undefined)
      for (const pid of old) {
        try {
          process.kill(pid, sig);
        } catch {
          // gone, or not ours
        }
      }
    return true;
  }

  private failStart(): false {
    this.stopping = true;
    for (const w of this.workerList) w.handle.kill('SIGKILL');
    this.finish(1);
    return false;
  }

  /** Starts a worker for `config`; resolves once it is READY, or undefined after it failed. */
  private async startWorker(config: MasterConfig, previous: Worker | null): Promise<Worker | undefined> {
    const keys = config.listeners.map((l) => l.key);
    let handle: WorkerHandle;
    try {
      handle = await spawnWorker({
        ...this.options.worker,
        listenFds: this.sockets.fds(keys),
      });
    } catch (err) {
      this.log('alert', `[${this.program}.main()] Cannot start a worker: ${(err as Error).message}`);
      return undefined;
    }
    const w: Worker = {
      handle,
      reloads: 0,
      leaving: false,
      starting: true,
      hardStopAfterMs: config.hardStopAfterMs,
      timers: [],
    };
    this.workerList.push(w);
    void handle.exited.then((st) => this.onExit(w, st));
    this.log('notice', `New worker (${handle.pid}) forked`);
    if (previous !== null && this.options.keepState !== false) {
      void previous.handle.fetchState().then((text) => handle.sendState(text));
    } else handle.sendState(null);
    const s = await handle.startup;
    if (!s.ready || handle.exitStatus() !== null) {
      handle.kill('SIGKILL');
      const st = await handle.exited;
      this.log('alert', `New worker (${handle.pid}) ${describeStatus(st.status)} before it was ready.`);
      return undefined;
    }
    w.starting = false;
    return w;
  }

  // --- reload -----------------------------------------------------------------------------

  /**
   * SIGUSR2 / master CLI `reload`. Resolves true when a new worker took over, false when the
   * configuration was refused (the current worker goes on). Reloads asked during a reload
   * are merged into one more reload after it.
   */
  reload(): Promise<boolean> {
    if (this.stopping || this.finished) return Promise.resolve(false);
    // asked while the first worker is starting: once it serves
    if (!this.started)
      return this.starting?.then((ok) => (ok ? this.reload() : false)) ?? Promise.resolve(false);
    if (this.reloading !== null) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      let ok = false;
      do {
        this.reloadAgain = false;
        ok = await this.reloadOnce();
      } while (this.reloadAgain && !this.stopping);
      return ok;
    })().finally(() => {
      this.reloading = null;
      // a worker may have left while the reload ran
      this.checkAllGone();
    });
    return this.reloading;
  }

  private async reloadOnce(): Promise<boolean> {
    this.log('notice', `Reloading ${this.program}`);
    this.notify(`RELOADING=1\nSTATUS=Reloading Configuration.\nMONOTONIC_USEC=${monotonicUsec()}`);
    this.reloadCount++;
    for (const w of this.workerList) w.reloads++;
    let config: MasterConfig | undefined;
    try {
      config = await this.options.load();
    } catch (err) {
      this.log('alert', `config : ${(err as Error).message}`);
    }
    if (config === undefined || this.stopping) return this.reloadFailedNow();
    const r = await this.sockets.update(config.listeners);
    if (r.failed.length > 0) {
      this.bindAlerts(r.failed);
      return this.reloadFailedNow();
    }
    const previous = this.workerList.filter((w) => !w.leaving && !w.starting);
    const w = await this.startWorker(config, previous[0] ?? null);
    if (w === undefined || this.stopping) {
      this.sockets.close(r.added);
      return this.reloadFailedNow();
    }
    this.config = config;
    // recovered from a crash (no-exit-on-failure): that status is no longer the outcome
    if (this.waitingForReload) this.exitCode = -1;
    this.waitingForReload = false;
    this.lastFailed = false;
    this.failedCount = 0;
    this.log('notice', 'Loading success.');
    // the new worker accepts: the old ones stop accepting and finish what they serve
    for (const old of previous) this.retire(old, config.drainMs ?? 500);
    this.sockets.closeExcept(new Set(config.listeners.map((l) => l.key)));
    this.notify(`READY=1\nSTATUS=Ready.\nMAINPID=${process.pid}`);
    const max = config.maxReloads;
    if (max !== undefined && max >= 0) {
      for (const x of this.workerList) if (x.leaving && x.reloads > max) x.handle.kill('SIGTERM');
    }
    return true;
  }

  private reloadFailedNow(): false {
    this.failedCount++;
    this.lastFailed = true;
    this.log('warning', 'Loading failure!');
    this.notify(
      `READY=1\nSTATUS=Reload failed, still running the previous configuration.\nMAINPID=${process.pid}`,
    );
    return false;
  }

  /** Tells a worker to leave: drain, then SIGUSR1 (soft stop), with the hard-stop-after backstop. */
  private retire(w: Worker, drainMs: number): void {
    w.leaving = true;
    if (drainMs <= 0) {
      this.softStop(w);
      return;
    }
    w.handle.drain();
    w.timers.push(setTimeout(() => this.softStop(w), drainMs));
  }

  private softStop(w: Worker): void {
    if (!w.handle.kill('SIGUSR1')) return;
    const after = w.hardStopAfterMs;
    if (after === undefined) return;
    const grace = this.options.hardStopGraceMs ?? 2000;
    w.timers.push(
      setTimeout(() => {
        if (w.handle.exitStatus() !== null) return;
        this.log(
          'warning',
          `Former worker (${w.handle.pid}) still running ${after + grace} ms after it was told to leave (hard-stop-after ${after} ms): terminating it.`,
        );
        w.handle.kill('SIGTERM');
        w.timers.push(setTimeout(() => w.handle.kill('SIGKILL'), 3000));
      }, after + grace),
    );
  }

  // --- workers leaving --------------------------------------------------------------------

  private onExit(w: Worker, st: WorkerExit): void {
    for (const t of w.timers) clearTimeout(t);
    const i = this.workerList.indexOf(w);
    if (i >= 0) this.workerList.splice(i, 1);
    const pid = w.handle.pid;
    if (w.starting) {
      // reported by startWorker()
    } else if (!w.leaving) {
      if (st.status < 128) this.log('warning', `Current worker (${pid}) ${describeStatus(st.status)}`);
      else this.log('alert', `Current worker (${pid}) ${describeStatus(st.status)}`);
      const abnormal = st.status !== 0 && st.status !== 130 && st.status !== 143;
      const exitOnFailure = !(this.config?.noExitOnFailure ?? false);
      if (abnormal && exitOnFailure && !this.stopping) {
        this.log('alert', 'exit-on-failure: killing every processes with SIGTERM');
        this.stopping = true;
        for (const x of this.workerList) x.handle.kill('SIGTERM');
      }
      if (abnormal && !exitOnFailure && !this.stopping) this.waitingForReload = true;
      if (this.exitCode < 0 && st.status !== 0 && st.status !== 143) this.exitCode = st.status;
    } else {
      this.log('warning', `Former worker (${pid}) ${describeStatus(st.status)}`);
    }
    this.checkAllGone();
  }

  private checkAllGone(): void {
    if (this.finished || !this.started || this.workerList.length > 0) return;
    if (this.reloading !== null && !this.stopping) return;
    if (this.waitingForReload && !this.stopping) {
      this.log('warning', 'No worker left: waiting for a reload (no-exit-on-failure).');
      return;
    }
    const code = Math.max(this.exitCode, 0);
    this.log('warning', `All workers exited. Exiting... (${code})`);
    this.finish(code);
  }

  // --- stop -------------------------------------------------------------------------------

  /** SIGTERM / SIGINT (hard stop) or SIGUSR1 (soft stop) to every worker; the master leaves after them. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.finished) return;
    if (!this.stopping) {
      this.stopping = true;
      this.notify('STOPPING=1\nSTATUS=Stopping.');
      this.log('warning', 'Exiting Master process...');
    }
    for (const w of this.workerList) w.handle.kill(signal);
    if (this.workerList.length === 0) this.checkAllGone();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping = true;
    for (const [sig, fn] of this.signalHandlers) process.off(sig, fn);
    this.signalHandlers.clear();
    this.sockets.closeAll();
    const closing = this.cliListeners.map((l) => l.close());
    this.cliListeners = [];
    void Promise.all(closing).then(() => {
      clearInterval(this.keepAlive);
      this.resolveDone(code);
    });
  }

  // --- helpers ----------------------------------------------------------------------------

  private installSignals(): void {
    const on = (sig: NodeJS.Signals, fn: () => void) => {
      this.signalHandlers.set(sig, fn);
      process.on(sig, fn);
    };
    for (const sig of RELOAD_SIGNALS) on(sig, () => void this.reload());
    for (const sig of STOP_SIGNALS) on(sig, () => this.stop(sig));
    for (const sig of RELAYED_SIGNALS)
      on(sig, () => {
        for (const w of this.workerList) w.handle.kill(sig);
      });
  }

  private bindAlerts(failed: readonly BindFailure[]): void {
    for (const f of failed) this.log('alert', `Binding${f.spec.where ?? ''}: ${f.message}`);
  }

  private log(level: LogLevel, text: string): void {
    this.options.log(level, text);
  }

  private notify(message: string): void {
    if (this.options.systemd !== true) return;
    try {
      sdNotify(message, this.options.env ?? process.env);
    } catch (err) {
      if (!this.notifyFailed) this.log('warning', `systemd notification failed: ${(err as Error).message}`);
      this.notifyFailed = true;
    }
  }
}

function describeCli(b: CliBind): string {
  return b.family === 'tcp' ? `${b.host}:${b.port}` : `${b.family}@${b.path}`;
}

function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}

export type { CliLevel };
