/**
 * Verbs over a set of listeners (HAProxy's protocol_bind_all, protocol_enable_all,
 * pause_proxies, resume_proxies, protocol_unbind_all) and the start-up retry loop.
 */
import type { ListenerError } from './errors.ts';
import type { Listener } from './listener.ts';

export interface ListenerFailure {
  listener: Listener;
  error: ListenerError;
}

/** What a verb did to a set of listeners: how many succeeded, and each failure in order. */
export interface GroupResult {
  ok: number;
  failed: ListenerFailure[];
}

async function each(
  listeners: readonly Listener[],
  verb: (listener: Listener) => Promise<ListenerError | null>,
): Promise<GroupResult> {
  const errors = await Promise.all(listeners.map(verb));
  const result: GroupResult = { ok: 0, failed: [] };
  for (let i = 0; i < listeners.length; i++) {
    const error = errors[i];
    if (error === null || error === undefined) result.ok++;
    else result.failed.push({ listener: listeners[i]!, error });
  }
  return result;
}

/** Binds every listener not bound yet (already bound ones count as ok). Never rejects. */
export function bindAll(listeners: readonly Listener[]): Promise<GroupResult> {
  return each(listeners, (l) => l.bind());
}

/** Every bound listener starts accepting. */
export function enableAll(listeners: readonly Listener[]): GroupResult {
  for (const l of listeners) l.enable();
  return { ok: listeners.length, failed: [] };
}

/** SIGTTOU: every bound, ready or full listener stops accepting and releases its port. */
export function pauseAll(listeners: readonly Listener[]): GroupResult {
  for (const l of listeners) l.pause();
  return { ok: listeners.length, failed: [] };
}

/** SIGTTIN: every paused listener binds again and accepts. Never rejects. */
export function resumeAll(listeners: readonly Listener[]): Promise<GroupResult> {
  return each(listeners, (l) => l.resume());
}

/** Every listener is closed for good (open connections go on). Idempotent. */
/** Unbinds every listener; `handOver`: another process serves these sockets now (see Listener.unbind). */
export function unbindAll(listeners: readonly Listener[], handOver = false): GroupResult {
  for (const l of listeners) l.unbind(handOver);
  return { ok: listeners.length, failed: [] };
}

/** `Binding [file:line] for frontend www: <error>`, the alert HAProxy prints for a failure. */
export function formatBindAlert(failure: ListenerFailure): string {
  const { listener, error } = failure;
  const where = listener.source === null ? '' : ` [${listener.source.file}:${listener.source.line}]`;
  const what = listener.proxy === '' ? '' : ` for ${listener.proxy}`;
  return `Binding${where}${what}: ${error.message}`;
}

/** HAProxy 2.6's MAX_START_RETRIES. */
export const MAX_START_RETRIES = 200;
/** HAProxy's wait between two attempts, in ms. */
export const START_RETRY_DELAY_MS = 10;

export interface RetryOptions {
  /** Pids given with -sf/-st: the processes that may hold our ports. */
  oldPids: readonly number[];
  /** Sends `signal` to `pid`; true when delivered (kill() returned 0). Default: process.kill. */
  sendSignal?: (pid: number, signal: 'SIGTTOU' | 'SIGTTIN') => boolean;
  /** Waits `ms`. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Default MAX_START_RETRIES (200). */
  maxRetries?: number;
  /** Default START_RETRY_DELAY_MS (10). */
  delayMs?: number;
  /**
   * Binds and listens on an IP address the moment it is free, synchronously, and returns
   * the listening fd or -1 (see @hap/daemon's `listenWhenFree`); `deadline` is a `now()`
   * time. Tried for each listener still unbound right after a SIGTTOU, for `spinMs`: an
   * old process usually releases its port within a few ms, every ms between its release
   * and our bind is a ms of refused connections, and a bind through the event loop waits
   * for a turn of it (several ms on a busy machine). Default: none.
   */
  listenWhenFree?: (listener: Listener, deadline: number) => number;
  /** See `listenWhenFree`. Default 0. */
  spinMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

export interface RetryResult extends GroupResult {
  /** bindAll() calls made. */
  attempts: number;
  /** SIGTTOU rounds sent to the old pids. */
  paused: number;
  /** Whether SIGTTIN was sent to the old pids (after a failure). */
  resumed: boolean;
}

function killSignal(pid: number, signal: 'SIGTTOU' | 'SIGTTIN'): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function timer(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tellOldPids(options: RetryOptions, signal: 'SIGTTOU' | 'SIGTTIN'): number {
  const send = options.sendSignal ?? killSignal;
  let delivered = 0;
  for (const pid of options.oldPids) if (send(pid, signal)) delivered++;
  return delivered;
}

/** listenWhenFree for each failed IP listener; the next bind adopts what it got. */
function takeFreePorts(
  failed: readonly ListenerFailure[],
  listenWhenFree: NonNullable<RetryOptions['listenWhenFree']>,
  deadline: number,
): number {
  let taken = 0;
  for (const f of failed) {
    const l = f.listener;
    if (l.family !== 'ipv4' && l.family !== 'ipv6') continue;
    const fd = listenWhenFree(l, deadline);
    if (fd >= 0) {
      l.inheritedFd = fd;
      taken++;
    }
  }
  return taken;
}

/**
 * HAProxy 2.6's start_proxies loop. Bind everything; while some bind failed with only
 * retryable errors and old pids were given: SIGTTOU them (they release their ports),
 * wait 10 ms, bind again what is still unbound — at most `maxRetries` times (after the
 * first SIGTTOU, an IP listener may first wait `spinMs` for its port, see `listenWhenFree`). If nobody
 * received the SIGTTOU, one last attempt is made at once. A fatal error ends the loop.
 *
 * On failure every listener is unbound and, if the loop went past its first attempt
 * with old pids, they get SIGTTIN (they listen again); the caller prints the failures
 * (`formatBindAlert`) and exits 1. On success the caller goes on (and will later tell
 * the old pids SIGUSR1/SIGTERM).
 */
export async function bindWithRetries(
  listeners: readonly Listener[],
  options: RetryOptions,
): Promise<RetryResult> {
  const maxRetries = options.maxRetries ?? MAX_START_RETRIES;
  const delayMs = options.delayMs ?? START_RETRY_DELAY_MS;
  const sleep = options.sleep ?? timer;
  const now = options.now ?? (() => performance.now());
  const spinMs = options.spinMs ?? 0;
  const hasOld = options.oldPids.length > 0;
  let retry = maxRetries;
  let attempts = 0;
  let paused = 0;
  let spinUntil = -1;
  let result: GroupResult = { ok: 0, failed: [] };
  while (retry >= 0) {
    result = await bindAll(listeners);
    attempts++;
    if (result.failed.length === 0 || result.failed.some((f) => !f.error.retryable)) break;
    if (!hasOld || retry === 0) break;
    paused++;
    // one synchronous try first: it also readies what listenWhenFree needs (the FFI takes
    // ms to load), so that the spin below starts as soon as the SIGTTOU is sent
    if (spinUntil < 0 && options.listenWhenFree !== undefined && spinMs > 0) {
      if (takeFreePorts(result.failed, options.listenWhenFree, now()) > 0) continue;
    }
    if (tellOldPids(options, 'SIGTTOU') === 0) {
      // Nobody to wait for: one last attempt, now.
      retry = 0;
      continue;
    }
    if (spinUntil < 0 && options.listenWhenFree !== undefined && spinMs > 0) {
      spinUntil = now() + spinMs;
      if (takeFreePorts(result.failed, options.listenWhenFree, spinUntil) > 0) continue;
    }
    await sleep(delayMs);
    retry--;
  }
  let resumed = false;
  if (result.failed.length > 0) {
    unbindAll(listeners);
    if (retry !== maxRetries && hasOld) {
      tellOldPids(options, 'SIGTTIN');
      resumed = true;
    }
  }
  return { ok: result.ok, failed: result.failed, attempts, paused, resumed };
}
