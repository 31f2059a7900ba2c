// Child processes started in their own process group, registered for cleanup.
import { type ChildProcess, spawn } from 'node:child_process';
import { killGroup, register, trackGroup, untrackGroup } from './registry.ts';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  readonly cwd?: string;
  /** Added to process.env; a value of undefined removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type OutputStream = 'stdout' | 'stderr' | 'both';

export interface ProcessHandle {
  /** Name used in error messages, e.g. "haproxy". */
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly command: string;
  readonly args: readonly string[];
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** The exit status, or null while running. */
  exitStatus(): ExitStatus | null;
  /** Resolves once the process exited (output drained); rejects after timeoutMs. Does not kill. */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  /** Resolves with the first output line matching `pattern`; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number, stream?: OutputStream): Promise<string>;
  /** Sends `sig` to the process (not its group); false if it already exited. */
  signal(sig: NodeJS.Signals): boolean;
  /**
   * SIGTERM to the process group, wait up to graceMs, then SIGKILL to the group; resolves
   * with the exit status. Idempotent: later calls return the same promise.
   */
  stop(graceMs?: number): Promise<ExitStatus>;
}

const DRAIN_MS = 250;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function envFor(extra: SpawnOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface Waiter {
  readonly pattern: RegExp;
  readonly stream: OutputStream;
  resolve(line: string): void;
  reject(err: Error): void;
}

function findLine(text: string, pattern: RegExp): string | null {
  for (const line of text.split('\n')) {
    pattern.lastIndex = 0;
    if (pattern.test(line)) return line;
  }
  return null;
}

/** Starts `command` detached (own process group), captures its output, registers it for cleanup. */
export async function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): Promise<ProcessHandle> {
  const child = spawn(command, args, {
    cwd: opts.cwd ?? process.cwd(),
    env: envFor(opts.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) =>
      reject(new Error(`testkit: cannot start ${name} (${command}): ${err.message}`)),
    );
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`testkit: ${name} has no pid`);
  trackGroup(pid);

  let out = '';
  let err = '';
  let status: ExitStatus | null = null;
  const waiters = new Set<Waiter>();
  let onExited: () => void = () => {};
  const exited = new Promise<void>((r) => {
    onExited = r;
  });
  let onClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    onClosed = r;
  });

  const check = () => {
    for (const w of waiters) {
      const text = w.stream === 'stdout' ? out : w.stream === 'stderr' ? err : out + '\n' + err;
      const line = findLine(text, w.pattern);
      if (line !== null) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    check();
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
    check();
  });
  child.on('exit', (code, signal) => {
    status = { code, signal };
    onExited();
  });
  child.on('close', () => {
    onClosed();
    check();
    for (const w of waiters)
      w.reject(new Error(`${name} (pid ${pid}) exited before printing ${String(w.pattern)}`));
    waiters.clear();
  });

  const describe = () => `${name} (pid ${pid}, ${command} ${args.join(' ')})`;

  const waitForExit = async (timeoutMs = 10_000): Promise<ExitStatus> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    try {
      const r = await Promise.race([exited.then(() => 'exited' as const), timeout]);
      if (r === 'timeout') throw new Error(`${describe()} did not exit within ${timeoutMs} ms`);
    } finally {
      clearTimeout(timer);
    }
    await Promise.race([closed, sleep(DRAIN_MS)]);
    return status ?? { code: null, signal: null };
  };

  let stopping: Promise<ExitStatus> | null = null;
  let unregister: () => void = () => {};

  const stop = (graceMs = 3000): Promise<ExitStatus> => {
    if (stopping) return stopping;
    stopping = (async () => {
      try {
        if (status === null) {
          killGroup(pid, 'SIGTERM');
          try {
            return await waitForExit(graceMs);
          } catch {
            killGroup(pid, 'SIGKILL');
            return await waitForExit(10_000);
          }
        }
        await Promise.race([closed, sleep(DRAIN_MS)]);
        return status;
      } finally {
        // Whatever the leader left behind in its group goes too.
        killGroup(pid, 'SIGKILL');
        untrackGroup(pid);
        unregister();
      }
    })();
    return stopping;
  };

  const handle: ProcessHandle = {
    name,
    pid,
    process: child,
    command,
    args: [...args],
    stdout: () => out,
    stderr: () => err,
    exitStatus: () => status,
    waitForExit,
    waitForOutput(pattern, timeoutMs = 10_000, stream = 'both') {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`${describe()} printed nothing matching ${String(pattern)} within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const waiter: Waiter = {
          pattern,
          stream,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(waiter);
        check();
        if (waiters.has(waiter) && child.stdout?.readableEnded && child.stderr?.readableEnded) {
          waiters.delete(waiter);
          waiter.reject(new Error(`${describe()} exited before printing ${String(pattern)}`));
        }
      });
    },
    signal(sig) {
      if (status !== null) return false;
      try {
        return child.kill(sig);
      } catch {
        return false;
      }
    },
    stop,
  };
  unregister = register({ name: describe(), close: async () => void (await stop()) });
  return handle;
}
