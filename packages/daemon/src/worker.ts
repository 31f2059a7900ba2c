import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { DaemonError } from './errors.ts';
import { type ProgramOption, prefix } from './pidfile.ts';
import { errnoOf, reasonOf } from './sys.ts';

/** The environment variable telling a worker which inherited fd is which listener. */
export const LISTEN_FDS_ENV = 'HAPROXYD_LISTEN_FDS';

/**
 * The environment variable naming the connections the parent had accepted but not served
 * (`key=fd;key=fd`, a key may repeat): the worker serves them instead of their being reset.
 */
export const PENDING_FDS_ENV = 'HAPROXYD_PENDING_FDS';

/** The first descriptor number handed to a worker (0-2 are stdio). */
const FIRST_FD = 3;

// Keys are bind addresses (`ipv4@127.0.0.1:80`, `unix@/run/x.sock`): only the three
// characters the format uses are escaped, so ordinary addresses stay readable.
function escapeKey(key: string): string {
  return key.replace(/[%;=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * `key=fd;key=fd` — the value of `HAPROXYD_LISTEN_FDS`. In keys, `%`, `;` and `=` are
 * written `%25`, `%3B`, `%3D`. An empty map gives an empty string.
 */
export function formatListenFds(fds: ReadonlyMap<string, number>): string {
  return formatFdPairs(fds);
}

/** The inverse of `formatListenFds()`. Throws `HAP_ERR_INVALID_ARG` on a malformed value. */
export function parseListenFds(text: string): Map<string, number> {
  return new Map(parseFdPairs(text, LISTEN_FDS_ENV));
}

function formatFdPairs(pairs: Iterable<readonly [string, number]>): string {
  const parts: string[] = [];
  for (const [key, fd] of pairs) {
    checkFd(key, fd);
    parts.push(`${escapeKey(key)}=${fd}`);
  }
  return parts.join(';');
}

function parseFdPairs(text: string, envName: string): Array<[string, number]> {
  const pairs: Array<[string, number]> = [];
  if (text === '') return pairs;
  for (const part of text.split(';')) {
    const eq = part.lastIndexOf('=');
    const digits = eq === -1 ? '' : part.slice(eq + 1);
    if (eq <= 0 || !/^\d+$/.test(digits)) {
      throw new DaemonError('HAP_ERR_INVALID_ARG', `${envName}: malformed entry '${part}'`);
    }
    let key: string;
    try {
      key = decodeURIComponent(part.slice(0, eq));
    } catch {
      throw new DaemonError('HAP_ERR_INVALID_ARG', `${envName}: malformed key in '${part}'`);
    }
    pairs.push([key, Number(digits)]);
  }
  return pairs;
}

function checkFd(key: string, fd: number): void {
  if (!Number.isSafeInteger(fd) || fd < 0) {
    throw new DaemonError('HAP_ERR_INVALID_ARG', `listening fd for '${key}': invalid fd ${String(fd)}`);
  }
}

/** True in a process started by `spawnDetachedWorker()` (its environment names the inherited fds). */
export function isWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[LISTEN_FDS_ENV] !== undefined;
}

/**
 * The listening sockets this worker inherited: bind key → fd number in this process
 * (e.g. `net.createServer().listen({ fd })`). Empty when not a worker. The variable
 * stays in the environment; delete it before starting unrelated children.
 */
export function workerFdsFromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, number> {
  const text = env[LISTEN_FDS_ENV];
  return text === undefined ? new Map() : parseListenFds(text);
}

/** The accepted connections this worker inherited (see `PENDING_FDS_ENV`): [bind key, fd] pairs. */
export function workerPendingFdsFromEnv(env: NodeJS.ProcessEnv = process.env): Array<[string, number]> {
  const text = env[PENDING_FDS_ENV];
  return text === undefined ? [] : parseFdPairs(text, PENDING_FDS_ENV);
}

export interface SpawnWorkerOptions extends ProgramOption {
  /** The program to run (default `process.execPath`, this Node). */
  execPath?: string;
  /** Its arguments, e.g. `[...process.execArgv, process.argv[1]!, ...process.argv.slice(2)]`. */
  args: readonly string[];
  /** Its environment (default `process.env`); `HAPROXYD_LISTEN_FDS` is added. */
  env?: NodeJS.ProcessEnv;
  /** Bound listening sockets to hand over: key (bind address) → fd in this process. */
  listenFds?: ReadonlyMap<string, number>;
  /** Accepted connections not served yet: [bind key, fd] pairs, handed over like the listening fds. */
  pendingFds?: ReadonlyArray<readonly [string, number]>;
  /**
   * Open a pipe the worker reports its start-up on (see `reportToParent`): its alerts,
   * then `READY`. Daemon mode waits for it so that errors still reach the terminal and
   * old processes are told to leave only once the new one accepts.
   */
  startupPipe?: boolean;
  /** `'ignore'` (default): stdin/stdout/stderr on /dev/null; `'inherit'`: this process's, for debugging. */
  stdio?: 'ignore' | 'inherit';
  cwd?: string;
}

export interface DetachedWorker {
  pid: number;
  /** The fds as the worker sees them (what `HAPROXYD_LISTEN_FDS` says): key → 3, 4, ... */
  listenFds: Map<string, number>;
  /**
   * With `startupPipe`: resolves when the worker said READY (`{ ready: true }`) or closed
   * the pipe / exited first (`{ ready: false }`), with every line it reported before.
   */
  startup: Promise<{ ready: boolean; lines: string[] }> | null;
}

/**
 * Starts a worker in its own session — Node cannot fork, so daemon mode is "start a new
 * process and leave". `detached: true` makes libuv call setsid() in the child, which thus
 * has no controlling terminal and survives the parent and its terminal. Each listening
 * fd becomes fd 3, 4, ... in the child (one per distinct fd, in map order) and
 * `HAPROXYD_LISTEN_FDS` says which key is which. The child is `unref()`'d: this process
 * may exit at once (after writing the pid to the pidfile).
 *
 * The child gets its descriptors when this function returns (spawn is synchronous), so the
 * caller may close its copies before awaiting. Resolves once the process exists; rejects with `HAP_ERR_SPAWN` ("[haproxyd.main()]
 * Cannot start worker <execPath>: <reason>") if it could not be started, and throws
 * `HAP_ERR_INVALID_ARG` for an fd that is not a non-negative integer.
 */
export function spawnDetachedWorker(options: SpawnWorkerOptions): Promise<DetachedWorker> {
  const execPath = options.execPath ?? process.execPath;
  const stdio: Array<'ignore' | 'inherit' | number> = [];
  const mode = options.stdio ?? 'ignore';
  stdio.push(mode, mode, mode);
  const childFds = new Map<string, number>();
  const slotOf = new Map<number, number>();
  for (const [key, fd] of options.listenFds ?? new Map<string, number>()) {
    checkFd(key, fd);
    let slot = slotOf.get(fd);
    if (slot === undefined) {
      slot = FIRST_FD + slotOf.size;
      slotOf.set(fd, slot);
      stdio.push(fd);
    }
    childFds.set(key, slot);
  }
  const pending: Array<[string, number]> = [];
  for (const [key, fd] of options.pendingFds ?? []) {
    checkFd(key, fd);
    pending.push([key, stdio.length]); // its slot: the child sees stdio[i] as fd i
    stdio.push(fd);
  }
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    [LISTEN_FDS_ENV]: formatListenFds(childFds),
  };
  if (pending.length > 0) env[PENDING_FDS_ENV] = formatFdPairs(pending);
  else delete env[PENDING_FDS_ENV];
  const stdioAll: Array<'ignore' | 'inherit' | 'pipe' | number> = [...stdio];
  if (options.startupPipe === true) {
    env[STARTUP_FD_ENV] = String(stdioAll.length);
    stdioAll.push('pipe');
  }

  return new Promise((resolve, reject) => {
    const child = spawn(execPath, [...options.args], {
      detached: true,
      stdio: stdioAll,
      env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    child.once('error', (err) => {
      reject(
        new DaemonError(
          'HAP_ERR_SPAWN',
          `${prefix(options)} Cannot start worker ${execPath}: ${reasonOf(err)}`,
          {
            errno: errnoOf(err),
            syscall: 'spawn',
            cause: err,
          },
        ),
      );
    });
    child.once('spawn', () => {
      child.unref();
      let startup: DetachedWorker['startup'] = null;
      if (options.startupPipe === true) {
        const pipe = child.stdio[stdioAll.length - 1] as import('node:stream').Readable;
        startup = readStartupReport(pipe);
      }
      resolve({ pid: child.pid!, listenFds: childFds, startup });
    });
  });
}

/** The environment variable naming the worker's start-up report fd. */
export const STARTUP_FD_ENV = 'HAPROXYD_STARTUP_FD';

/**
 * Parent side: reads a worker's start-up report (its alert lines, then `READY`) from the pipe
 * until READY (ready: true) or the pipe's end (ready: false). The pipe is closed afterwards.
 */
export function readStartupReport(
  pipe: import('node:stream').Readable,
): Promise<{ ready: boolean; lines: string[] }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let rest = '';
    let done = false;
    const finish = (ready: boolean) => {
      if (done) return;
      done = true;
      pipe.removeAllListeners('data');
      // the parent leaves: do not let the pipe keep it alive
      pipe.destroy();
      resolve({ ready, lines });
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      rest += chunk;
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (line === 'READY') return finish(true);
        lines.push(line);
        nl = rest.indexOf('\n');
      }
    });
    pipe.on('end', () => finish(false));
    pipe.on('close', () => finish(false));
    pipe.on('error', () => finish(false));
  });
}

/**
 * Worker side: writes one line of its start-up report to the parent (an alert's text,
 * or `READY` last, which closes the report). Does nothing when there is no parent waiting.
 */
export function reportToParent(line: string, env: NodeJS.ProcessEnv = process.env): void {
  const fd = startupFd(env);
  if (fd === undefined) return;
  try {
    writeSync(fd, `${line.replace(/\n/g, ' ')}\n`);
    if (line === 'READY') {
      closeSync(fd);
      delete env[STARTUP_FD_ENV];
    }
  } catch {
    // the parent is gone: nobody to tell
  }
}

function startupFd(env: NodeJS.ProcessEnv): number | undefined {
  const v = env[STARTUP_FD_ENV];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}
