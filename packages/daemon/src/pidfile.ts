import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { DaemonError } from './errors.ts';
import { errnoOf, reasonOf } from './sys.ts';

/** An open pidfile. Open it before `chrootTo()`: the path may not exist inside the jail. */
export interface PidFile {
  readonly path: string;
  /** The file descriptor, or -1 once closed. */
  fd: number;
}

/** What goes before HAProxy's messages: `[haproxyd.main()]`. */
export interface ProgramOption {
  /** The program name in messages, as HAProxy's argv[0] (default `haproxyd`). */
  program?: string;
}

export function prefix(options: ProgramOption | undefined): string {
  return `[${options?.program ?? 'haproxyd'}.main()]`;
}

/**
 * Removes `path` if it exists, then creates it empty (O_CREAT|O_WRONLY|O_TRUNC, mode 0644
 * before the umask), as HAProxy does. Removing first means an old pidfile owned by
 * someone else, or a symbolic link left in its place, is replaced rather than written
 * through. Throws `HAP_ERR_PIDFILE`: "[haproxyd.main()] Cannot create pidfile <path>: <reason>".
 */
export function openPidFile(path: string, options?: ProgramOption): PidFile {
  if (typeof path !== 'string' || path === '') {
    throw new DaemonError('HAP_ERR_INVALID_ARG', 'pidfile: the path must be a non-empty string');
  }
  try {
    unlinkSync(path);
  } catch {
    // absent, or not removable: the open below reports what matters
  }
  try {
    const fd = openSync(path, constants.O_CREAT | constants.O_WRONLY | constants.O_TRUNC, 0o644);
    return { path, fd };
  } catch (err) {
    throw new DaemonError(
      'HAP_ERR_PIDFILE',
      `${prefix(options)} Cannot create pidfile ${path}: ${reasonOf(err)}`,
      { errno: errnoOf(err), syscall: 'open', cause: err },
    );
  }
}

/**
 * Appends one pid per line ("1234\n"), as HAProxy writes its daemon pids. May be called
 * several times (one call per worker started). Throws `HAP_ERR_PIDFILE` when the write
 * fails or the file is closed, `HAP_ERR_INVALID_ARG` for a pid that is not a positive integer.
 */
export function writePids(pidfile: PidFile, pids: readonly number[], options?: ProgramOption): void {
  for (const pid of pids) {
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new DaemonError('HAP_ERR_INVALID_ARG', `pidfile: invalid pid ${String(pid)}`);
    }
  }
  if (pidfile.fd < 0) {
    throw new DaemonError(
      'HAP_ERR_PIDFILE',
      `${prefix(options)} Cannot write pidfile ${pidfile.path}: closed`,
    );
  }
  const text = pids.map((pid) => `${pid}\n`).join('');
  try {
    const buffer = Buffer.from(text, 'ascii');
    let written = 0;
    while (written < buffer.length) written += writeSync(pidfile.fd, buffer, written);
  } catch (err) {
    throw new DaemonError(
      'HAP_ERR_PIDFILE',
      `${prefix(options)} Cannot write pidfile ${pidfile.path}: ${reasonOf(err)}`,
      { errno: errnoOf(err), syscall: 'write', cause: err },
    );
  }
}

/** Closes the pidfile (the file stays). Idempotent. */
export function closePidFile(pidfile: PidFile): void {
  if (pidfile.fd < 0) return;
  const fd = pidfile.fd;
  pidfile.fd = -1;
  closeSync(fd);
}
