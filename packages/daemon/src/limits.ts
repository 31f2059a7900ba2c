import { DaemonError } from './errors.ts';
import { type ProgramOption, prefix } from './pidfile.ts';
import { getFdLimit, type Rlimit, setFdLimit } from './sys.ts';

/** Descriptors HAProxy reserves before counting anything (stdio and a few more). */
export const RESERVED_FDS = 10;
/** HAProxy's DEFAULT_MAXCONN: the floor of a computed maxconn. */
export const DEFAULT_MAXCONN = 100;
// Used when both limits are RLIM_INFINITY (Linux's default fs.nr_open).
const UNLIMITED_FDS = 1_048_576;

export interface FdNeedsOptions {
  /**
   * Descriptors needed beyond connections, as HAProxy counts into maxsock before adding
   * connections: one per listener, plus the stats socket's and peers' maxconn. Default 0.
   */
  extraFds?: number;
  /** HAProxy's nbthread; each thread costs 3 fds (a poller fd, a wake-up pipe). Default 1. */
  nbthread?: number;
}

export interface FdLimitOptions extends FdNeedsOptions, ProgramOption {
  /** `global maxconn` (or `-n`). When absent it is computed from the limit, see `computeDefaultMaxconn()`. */
  maxconn?: number;
  /** `global ulimit-n`: the soft limit to set. Default: the computed maxsock. */
  ulimitN?: number;
  /** `global fd-hard-limit`: never set more, never count on more. */
  fdHardLimit?: number;
  /** `global strict-limits`: throw `HAP_ERR_FD_LIMIT` where HAProxy would exit. */
  strictLimits?: boolean;
}

export interface FdLimitMessage {
  level: 'warning' | 'alert';
  text: string;
}

export interface FdLimitResult {
  maxconn: number;
  /** True when `maxconn` was computed from the limit rather than given. */
  maxconnComputed: boolean;
  maxsock: number;
  /** The soft limit that was asked for (ulimit-n, or maxsock). */
  requested: number;
  before: Rlimit;
  after: Rlimit;
  /** HAProxy's messages, in order: "Cannot raise FD limit ..." (warning), "FD limit ... too low ..." (alert). */
  messages: FdLimitMessage[];
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DaemonError('HAP_ERR_INVALID_ARG', `${name}: invalid value ${String(value)}`);
  }
  return value;
}

/** Descriptors Node itself holds (event loop, signal pipes, stdio, libuv's threads, FFI). */
const NODE_OWN_FDS = 64;

/**
 * HAProxy 2.6's maxsock for a maxconn: the 10 reserved fds, `extraFds`, two per
 * connection (client and server side) and three per thread. Pipes for splicing and SSL
 * async engines, which HAProxy adds too, do not exist in haproxyd.
 */
export function computeMaxsock(maxconn: number, options: FdNeedsOptions = {}): number {
  const extra = nonNegative('extraFds', options.extraFds, 0);
  const threads = nonNegative('nbthread', options.nbthread, 1);
  return RESERVED_FDS + extra + 2 * nonNegative('maxconn', maxconn, 0) + 3 * threads;
}

/**
 * HAProxy 2.6's maxconn when none is configured: the higher of the soft and hard limits
 * found at start (a RLIM_INFINITY hard limit counts as the soft one), capped by
 * `fd-hard-limit`, less the reserved, extra and per-thread fds, halved (two fds per
 * connection); never below 100 (DEFAULT_MAXCONN), even when that does not fit.
 */
export function computeDefaultMaxconn(
  limit: Rlimit,
  options: FdNeedsOptions & { fdHardLimit?: number } = {},
): number {
  const extra = nonNegative('extraFds', options.extraFds, 0);
  const threads = nonNegative('nbthread', options.nbthread, 1);
  const hard = limit.hard === Number.POSITIVE_INFINITY ? limit.soft : limit.hard;
  let remain = Math.max(limit.soft, hard);
  if (remain === Number.POSITIVE_INFINITY) remain = UNLIMITED_FDS;
  if (options.fdHardLimit !== undefined && options.fdHardLimit > 0) {
    remain = Math.min(remain, nonNegative('fdHardLimit', options.fdHardLimit, 0));
  }
  remain -= RESERVED_FDS + extra + 3 * threads;
  return Math.max(Math.trunc(remain / 2), DEFAULT_MAXCONN);
}

/**
 * Sets RLIMIT_NOFILE the way HAProxy 2.6 does at start, and says when the result is too low.
 *
 * 1. maxconn = `maxconn`, or `computeDefaultMaxconn(current limit)`; maxsock = `computeMaxsock(maxconn)`.
 * 2. The soft limit is set to `ulimitN`, or to maxsock without it (this may lower it), and the
 *    hard limit raised to match when needed — which only root can do.
 * 3. If that is refused (or exceeds `fdHardLimit`): with `strictLimits`, throws
 *    `HAP_ERR_FD_LIMIT` "[haproxyd.main()] Cannot raise FD limit to <n>, limit is <cur>.";
 *    otherwise sets the soft limit to the hard one and reports the same text as a warning.
 * 4. If the soft limit is now below maxsock: the alert "[haproxyd.main()] FD limit (<cur>) too
 *    low for maxconn=<maxconn>/maxsock=<maxsock>. Please raise 'ulimit-n' to <maxsock> or more
 *    to avoid any trouble." (HAProxy prints it as an ALERT and goes on); with `strictLimits`,
 *    thrown as `HAP_ERR_FD_LIMIT`.
 *
 * Needs the FFI (`HAP_ERR_SYSCALL_UNAVAILABLE` otherwise). Messages are returned, not printed.
 */
export function raiseFdLimit(options: FdLimitOptions = {}): FdLimitResult {
  const before = getFdLimit();
  const fdHardLimit = nonNegative('fdHardLimit', options.fdHardLimit, 0);
  const maxconnComputed = options.maxconn === undefined;
  const maxconn =
    options.maxconn === undefined
      ? computeDefaultMaxconn(before, options)
      : nonNegative('maxconn', options.maxconn, 0);
  const maxsock = computeMaxsock(maxconn, options);
  const requested = nonNegative('ulimitN', options.ulimitN, maxsock);
  const messages: FdLimitMessage[] = [];

  let refused = fdHardLimit > 0 && requested > fdHardLimit;
  // without ulimit-n, Node's own descriptors (event loop, signals, stdio, libuv's threads) come
  // on top of HAProxy's maxsock when the limits allow it: HAProxy's count assumes a process that
  // needs almost none (with `maxconn 5`, health checks would otherwise hit EMFILE)
  const roomy = requested + NODE_OWN_FDS;
  let done = false;
  if (!refused && options.ulimitN === undefined && (fdHardLimit === 0 || roomy <= fdHardLimit)) {
    try {
      setFdLimit({ soft: roomy, hard: Math.max(before.hard, roomy) });
      done = true;
    } catch (err) {
      if (!(err instanceof DaemonError) || err.code !== 'HAP_ERR_SYSCALL') throw err;
      // not allowed: HAProxy's own figure below
    }
  }
  if (!refused && !done) {
    try {
      setFdLimit({ soft: requested, hard: Math.max(before.hard, requested) });
    } catch (err) {
      if (!(err instanceof DaemonError) || err.code !== 'HAP_ERR_SYSCALL') throw err;
      refused = true;
    }
  }
  if (refused) {
    const current = getFdLimit();
    let best = current.hard;
    if (fdHardLimit > 0) best = Math.min(best, fdHardLimit);
    const cannot = (cur: number) =>
      `${prefix(options)} Cannot raise FD limit to ${requested}, limit is ${cur === Number.POSITIVE_INFINITY ? 'unlimited' : cur}.`;
    if (options.strictLimits === true) {
      throw new DaemonError('HAP_ERR_FD_LIMIT', cannot(Math.min(current.soft, best)));
    }
    try {
      setFdLimit({ soft: best, hard: current.hard });
    } catch {
      // keep what we have
    }
    messages.push({ level: 'warning', text: cannot(getFdLimit().soft) });
  }

  const after = getFdLimit();
  if (after.soft < maxsock) {
    const text =
      `${prefix(options)} FD limit (${after.soft}) too low for maxconn=${maxconn}/maxsock=${maxsock}. ` +
      `Please raise 'ulimit-n' to ${maxsock} or more to avoid any trouble.`;
    if (options.strictLimits === true) throw new DaemonError('HAP_ERR_FD_LIMIT', text);
    messages.push({ level: 'alert', text });
  }
  return { maxconn, maxconnComputed, maxsock, requested, before, after, messages };
}
