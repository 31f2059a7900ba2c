// Both ends of the master ↔ worker link.
//
// Master side, `spawnWorker()`: starts the worker (same process group as the master, as a
// forked HAProxy worker would be) with
//   - the listening sockets as fds 3, 4, ... named in HAPROXYD_LISTEN_FDS (@hap/daemon's
//     format: the worker's listeners adopt them instead of binding),
//   - a start-up pipe (HAPROXYD_STARTUP_FD, @hap/daemon's protocol): the worker writes its
//     alerts, then `READY` once it accepts — the master waits for it before it tells the
//     old worker to leave,
//   - a Node IPC channel: the master CLI's commands routed to this worker (`@1 show info`),
//     and the server state handed from the old worker to the new one at a reload.
//
// Worker side, `attachToMaster()`: answers the master's messages, and leaves when the master
// is gone (HAProxy's workers do the same: no orphan keeps serving on its own).
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { formatListenFds, LISTEN_FDS_ENV, readStartupReport, STARTUP_FD_ENV } from '@hap/daemon';

/** Set in a worker's environment: the master's pid (and HAProxy's HAPROXY_MWORKER=1). */
export const MASTER_PID_ENV = 'HAPROXYD_MASTER_PID';

/** Messages on the IPC channel. */
export type MasterMessage =
  | { t: 'cli'; id: number; cmd: string }
  | { t: 'state-get'; id: number }
  | { t: 'state'; text: string | null }
  | { t: 'drain' };
export type WorkerMessage =
  | { t: 'cli'; id: number; out: string }
  | { t: 'state'; id: number; text: string | null };

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** HAProxy's status: the exit code, or 128 + the signal number. */
  status: number;
}

export interface WorkerStartup {
  /** The worker said READY. */
  ready: boolean;
  /** What it reported before (its start-up alerts). */
  lines: string[];
}

export interface SpawnWorkerOptions {
  /** Default: this Node. */
  execPath?: string;
  args: readonly string[];
  /** Default process.env; the link variables are added. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** key → fd in the master. */
  listenFds: ReadonlyMap<string, number>;
  /** stdout/stderr: the master's (default, the worker logs where the master logs) or none. */
  output?: 'inherit' | 'ignore';
  /** A worker not READY after this long is killed (SIGKILL) and counts as failed. Default 60 s. */
  readyTimeoutMs?: number;
}

export interface WorkerHandle {
  readonly pid: number;
  /** Date.now() at spawn. */
  readonly startedAt: number;
  readonly startup: Promise<WorkerStartup>;
  readonly exited: Promise<WorkerExit>;
  /** The exit once known, else null. */
  exitStatus(): WorkerExit | null;
  /** Sends a signal; false when the worker is gone. */
  kill(signal: NodeJS.Signals): boolean;
  /** Runs one runtime-API command in the worker (its answer, or why there is none). */
  command(cmd: string, timeoutMs?: number): Promise<string>;
  /** Asks the worker for its server state (`show servers state` text), null when it has none. */
  fetchState(timeoutMs?: number): Promise<string | null>;
  /** Gives a new worker the state to apply before it serves (null: none). */
  sendState(text: string | null): void;
  /** Tells a worker it will be asked to leave: close each connection after its current response. */
  drain(): void;
}

const FIRST_FD = 3;

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** 128 + the signal number, as a shell (and HAProxy's master) reports a death by signal. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal === null) return 255;
  return 128 + (SIGNALS[signal] ?? 0);
}

/**
 * Starts a worker on the master's sockets. Resolves once the process exists; rejects when it
 * cannot be started (the reason is the message).
 */
export function spawnWorker(o: SpawnWorkerOptions): Promise<WorkerHandle> {
  const out = o.output ?? 'inherit';
  const stdio: Array<'ignore' | 'inherit' | 'pipe' | 'ipc' | number> = ['ignore', out, out];
  const childFds = new Map<string, number>();
  const slotOf = new Map<number, number>();
  for (const [key, fd] of o.listenFds) {
    let slot = slotOf.get(fd);
    if (slot === undefined) {
      slot = FIRST_FD + slotOf.size;
      slotOf.set(fd, slot);
      stdio.push(fd);
    }
    childFds.set(key, slot);
  }
  const startupSlot = stdio.length;
  stdio.push('pipe', 'ipc');
  const env: NodeJS.ProcessEnv = {
    ...(o.env ?? process.env),
    [LISTEN_FDS_ENV]: formatListenFds(childFds),
    [STARTUP_FD_ENV]: String(startupSlot),
    [MASTER_PID_ENV]: String(process.pid),
    HAPROXY_MWORKER: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(o.execPath ?? process.execPath, [...o.args], {
      stdio,
      env,
      serialization: 'json',
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    });
    child.once('error', (err) => reject(err));
    child.once('spawn', () => resolve(handleFor(child, child.stdio[startupSlot] as Readable, o)));
  });
}

function handleFor(child: ChildProcess, pipe: Readable, o: SpawnWorkerOptions): WorkerHandle {
  let status: WorkerExit | null = null;
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal, status: exitStatus(code, signal) };
      resolve(status);
    });
  });
  const pending = new Map<number, (m: WorkerMessage) => void>();
  let nextId = 1;
  child.on('message', (m: WorkerMessage) => {
    const cb = pending.get(m.id);
    if (cb !== undefined) {
      pending.delete(m.id);
      cb(m);
    }
  });
  // a worker that leaves without answering: nobody waits forever
  child.once('disconnect', () => {
    for (const [id, cb] of pending) cb({ t: 'cli', id, out: '' });
    pending.clear();
  });
  child.on('error', () => {
    // a failed send on a closed channel: the 'disconnect' above answers the waiters
  });
  const ask = (msg: MasterMessage, timeoutMs: number, fallback: WorkerMessage): Promise<WorkerMessage> =>
    new Promise((resolve) => {
      if (!child.connected) return resolve(fallback);
      const id = (msg as { id: number }).id;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(fallback);
      }, timeoutMs);
      pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send(msg, (err) => {
        if (err) {
          pending.delete(id);
          clearTimeout(timer);
          resolve(fallback);
        }
      });
    });
  const readyTimeout = o.readyTimeoutMs ?? 60_000;
  const startup: Promise<WorkerStartup> = readStartupReport(pipe);
  const timer = setTimeout(() => {
    if (status === null) child.kill('SIGKILL');
  }, readyTimeout);
  void startup.then(() => clearTimeout(timer));
  void exited.then(() => clearTimeout(timer));
  return {
    pid: child.pid!,
    startedAt: Date.now(),
    startup,
    exited,
    exitStatus: () => status,
    kill(signal) {
      if (status !== null) return false;
      try {
        return child.kill(signal);
      } catch {
        return false;
      }
    },
    async command(cmd, timeoutMs = 10_000) {
      const id = nextId++;
      const m = await ask({ t: 'cli', id, cmd }, timeoutMs, {
        t: 'cli',
        id,
        out: `Worker (${child.pid}) did not answer.\n\n`,
      });
      return m.t === 'cli' ? m.out : '';
    },
    async fetchState(timeoutMs = 5000) {
      const id = nextId++;
      const m = await ask({ t: 'state-get', id }, timeoutMs, { t: 'state', id, text: null });
      return m.t === 'state' ? m.text : null;
    },
    sendState(text) {
      if (child.connected) child.send({ t: 'state', text } satisfies MasterMessage, () => {});
    },
    drain() {
      if (child.connected) child.send({ t: 'drain' } satisfies MasterMessage, () => {});
    },
  };
}

// --- the worker side ---------------------------------------------------------------------

/** What a worker started by a master uses to talk to it. */
export interface MasterLink {
  readonly masterPid: number;
  /**
   * How this worker answers a runtime-API command routed by the master CLI (`@1 show info`):
   * the answer text as a one-shot stats socket session would print it. Without a handler
   * the master CLI says that this worker has no runtime API.
   */
  onCommand(handler: (cmd: string) => string | Promise<string>): void;
  /** Produces the state handed to the next worker at a reload (`show servers state` text). */
  onStateRequest(handler: () => string | null | Promise<string | null>): void;
  /**
   * What to do when the master is about to retire this worker (a newer one serves): a few
   * hundred ms before its SIGUSR1, the worker should answer each request with
   * `Connection: close` so that keep-alive clients move to the new worker without racing a
   * server-side close of an idle connection.
   */
  onDrain(handler: () => void): void;
  /**
   * The state the previous worker handed over (null: none, or no answer within `timeoutMs`).
   * Apply it before accepting connections.
   */
  inheritedState(timeoutMs?: number): Promise<string | null>;
}

/** True in a process started by a haproxyd master. */
export function isMasterWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[MASTER_PID_ENV] !== undefined;
}

let link: MasterLink | undefined;

/**
 * Worker side: connects to the master's IPC channel (once; later calls return the same
 * link). Returns undefined outside master-worker mode. The channel does not keep the worker
 * alive; when the master goes away (its end of the channel closes) `onMasterGone` runs —
 * by default the worker exits with status 1, as HAProxy's workers do.
 */
export function attachToMaster(
  options: { onMasterGone?: () => void; env?: NodeJS.ProcessEnv } = {},
): MasterLink | undefined {
  if (link !== undefined) return link;
  const env = options.env ?? process.env;
  if (!isMasterWorker(env) || typeof process.send !== 'function') return undefined;
  const masterPid = Number(env[MASTER_PID_ENV]);
  let commandHandler: ((cmd: string) => string | Promise<string>) | undefined;
  let stateHandler: (() => string | null | Promise<string | null>) | undefined;
  let drainHandler: (() => void) | undefined;
  let inherited: string | null | undefined;
  const stateWaiters: Array<(t: string | null) => void> = [];
  const send = (m: WorkerMessage) => {
    try {
      process.send?.(m, undefined, {}, () => {});
    } catch {
      // the master is gone
    }
  };
  process.on('message', (m: MasterMessage) => {
    if (m.t === 'cli') {
      if (commandHandler === undefined) {
        send({ t: 'cli', id: m.id, out: `This worker (${process.pid}) serves no runtime API yet.\n\n` });
        return;
      }
      Promise.resolve()
        .then(() => commandHandler!(m.cmd))
        .then(
          (out) => send({ t: 'cli', id: m.id, out }),
          (err: unknown) => send({ t: 'cli', id: m.id, out: `${(err as Error).message}\n\n` }),
        );
    } else if (m.t === 'state-get') {
      Promise.resolve()
        .then(() => (stateHandler === undefined ? null : stateHandler()))
        .then(
          (text) => send({ t: 'state', id: m.id, text }),
          () => send({ t: 'state', id: m.id, text: null }),
        );
    } else if (m.t === 'drain') {
      drainHandler?.();
    } else if (m.t === 'state') {
      inherited = m.text;
      for (const w of stateWaiters.splice(0)) w(m.text);
    }
  });
  process.on('disconnect', () => {
    if (options.onMasterGone) options.onMasterGone();
    else {
      process.stderr.write(
        `[ALERT]    (${process.pid}) : the master process (${masterPid}) is gone, exiting.\n`,
      );
      process.exit(1);
    }
  });
  // the channel must not keep a stopping worker alive
  process.channel?.unref();
  link = {
    masterPid,
    onCommand(handler) {
      commandHandler = handler;
    },
    onStateRequest(handler) {
      stateHandler = handler;
    },
    onDrain(handler) {
      drainHandler = handler;
    },
    inheritedState(timeoutMs = 2000) {
      if (inherited !== undefined) return Promise.resolve(inherited);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        timer.unref();
        stateWaiters.push((t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
  };
  return link;
}
