import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { DaemonError } from './errors.ts';
import { type ProgramOption, prefix } from './pidfile.ts';
import { chroot, errnoOf, reasonOf, strerror } from './sys.ts';

/**
 * Makes `dir` the process's root directory and `/` (that is, `dir`) its working
 * directory: chroot(2) through the FFI, then `process.chdir('/')`.
 *
 * Contract: the caller has loaded everything the process will ever need from the file
 * system (configuration, certificates, error files, every JavaScript module, including
 * those imported lazily) and opened the pidfile before calling; after it, absolute paths
 * resolve inside `dir`. Needs root (CAP_SYS_CHROOT). Irreversible.
 *
 * Throws `HAP_ERR_CHROOT` ("[haproxyd.main()] Cannot chroot(<dir>): <reason>.") when `dir`
 * is missing or not a directory (checked first, so the message names the real cause) or
 * when the system call fails (EPERM when not root); `HAP_ERR_SYSCALL_UNAVAILABLE` when the
 * FFI does not load on this platform.
 */
export function chrootTo(dir: string, options?: ProgramOption): void {
  if (typeof dir !== 'string' || dir === '') {
    throw new DaemonError('HAP_ERR_INVALID_ARG', 'chroot: the directory must be a non-empty string');
  }
  const cannot = (reason: string, errno: number | null, cause?: unknown): DaemonError =>
    new DaemonError('HAP_ERR_CHROOT', `${prefix(options)} Cannot chroot(${dir}): ${reason}.`, {
      errno,
      syscall: 'chroot',
      cause,
    });
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw cannot(reasonOf(err), errnoOf(err), err);
  }
  if (!isDir) throw cannot(strerror(constants.errno.ENOTDIR), constants.errno.ENOTDIR);
  try {
    chroot(dir);
  } catch (err) {
    if (err instanceof DaemonError && err.code === 'HAP_ERR_SYSCALL') {
      throw cannot(strerror(err.errno ?? 0), err.errno, err);
    }
    throw err;
  }
  process.chdir('/');
}
