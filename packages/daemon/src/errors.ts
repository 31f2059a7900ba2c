/** Error codes thrown by this package. Stable: callers may switch on them. */
export type DaemonErrorCode =
  | 'HAP_ERR_PIDFILE'
  | 'HAP_ERR_CHROOT'
  | 'HAP_ERR_SETGID'
  | 'HAP_ERR_SETUID'
  | 'HAP_ERR_UNKNOWN_USER'
  | 'HAP_ERR_UNKNOWN_GROUP'
  | 'HAP_ERR_FD_LIMIT'
  | 'HAP_ERR_SPAWN'
  | 'HAP_ERR_SYSCALL'
  | 'HAP_ERR_SYSCALL_UNAVAILABLE'
  | 'HAP_ERR_INVALID_ARG';

/**
 * An error of this package. `errno` is the positive system error number when a system
 * call failed (`null` otherwise), `syscall` the call that failed, and the message ends
 * with the system's own text for it (`strerror`), e.g. "No such file or directory".
 */
export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  readonly errno: number | null;
  readonly syscall: string | null;

  constructor(
    code: DaemonErrorCode,
    message: string,
    details: { errno?: number | null; syscall?: string | null; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.errno = details.errno ?? null;
    this.syscall = details.syscall ?? null;
  }
}
