import { DaemonError } from './errors.ts';

/** The signals sent to old processes, and why (HAProxy's `tell_old_pids()` callers). */
export type OldPidSignal = 'SIGUSR1' | 'SIGTERM' | 'SIGTTOU' | 'SIGTTIN';

/**
 * Sends `signal` to each of `pids` (`-sf`: SIGUSR1, soft stop; `-st`: SIGTERM, hard
 * stop; the bind retry loop: SIGTTOU, pause listeners, and SIGTTIN, resume them) and
 * returns the pids that were signalled, in order. A pid whose process is gone (ESRCH) or
 * that may not be signalled (EPERM) is left out, never thrown: as in HAProxy, only the
 * count of processes reached matters (0 means "nobody to wait for"). Throws
 * `HAP_ERR_INVALID_ARG` for a pid that is not a positive integer: 0 and negative values
 * would signal whole process groups.
 */
export function tellOldPids(pids: readonly number[], signal: OldPidSignal): number[] {
  for (const pid of pids) {
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new DaemonError('HAP_ERR_INVALID_ARG', `old pids: invalid pid ${String(pid)}`);
    }
  }
  const signalled: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      signalled.push(pid);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ESRCH' && code !== 'EPERM') throw err;
    }
  }
  return signalled;
}
