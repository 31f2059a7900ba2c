/** Error codes of this package. Stable: callers may switch on them. */
export type ListenerErrorCode =
  /** bind()/listen() failed because the address is already in use (errno EADDRINUSE). */
  | 'HAP_ERR_BIND_ADDRINUSE'
  /** bind()/listen() failed for another reason (see `errno`). */
  | 'HAP_ERR_BIND'
  /** A UNIX socket path cannot be used: too long, or taken by something that is not a socket. */
  | 'HAP_ERR_UNIX_PATH'
  /** chmod/chown of a UNIX socket failed, or its user/group is unknown. */
  | 'HAP_ERR_UNIX_OWNERSHIP'
  /** An `fd@N` (or handed-over) file descriptor is not a usable listening socket. */
  | 'HAP_ERR_FD_ADOPT'
  /** An address family haproxyd cannot listen on (`sockpair@`). */
  | 'HAP_ERR_FAMILY_UNSUPPORTED'
  /** The listener was unbound (or is being unbound) while the operation ran. */
  | 'HAP_ERR_LISTENER_STOPPED'
  /** A bind option has a value this package cannot use (thrown by `createListeners`). */
  | 'HAP_ERR_LISTENER_OPTION'
  /** A `HAPROXYD_LISTEN_FDS` value is malformed (thrown by `parseListenFds`). */
  | 'HAP_ERR_LISTEN_FDS';

export class ListenerError extends Error {
  readonly code: ListenerErrorCode;
  /** The system error name when one caused it (`EADDRINUSE`, `EACCES`, ...), else ''. */
  readonly errno: string;
  /**
   * Whether HAProxy's start-up loop retries after this error (its ERR_RETRYABLE): every
   * bind failure of an IP socket, "already in use" on a UNIX socket. Others are fatal.
   */
  readonly retryable: boolean;

  constructor(code: ListenerErrorCode, message: string, errno = '', retryable = false) {
    super(message);
    this.name = 'ListenerError';
    this.code = code;
    this.errno = errno;
    this.retryable = retryable;
  }
}

/**
 * The C library's wording for the errors a bind can meet, as HAProxy prints them
 * (`strerror`). libuv's own texts are lower-case and sometimes different.
 */
const STRERROR: Readonly<Record<string, string>> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOBUFS: 'No buffer space available',
  ENOMEM: 'Cannot allocate memory',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  EBADF: 'Bad file descriptor',
  ENOTSOCK: 'Socket operation on non-socket',
  ENOTSUP: 'Operation not supported',
  EOPNOTSUPP: 'Operation not supported',
  EEXIST: 'File exists',
  ELOOP: 'Too many levels of symbolic links',
};

/** `strerror(errno)` for a Node system error (by its `code`), HAProxy's way. */
export function strerror(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const known = STRERROR[code];
  if (known !== undefined) return known;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return msg.length > 0 ? msg[0]!.toUpperCase() + msg.slice(1) : 'Unknown error';
}

/** The `code` of a Node system error ('' if none). */
export function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
