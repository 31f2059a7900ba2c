/** Error codes thrown by this package. Stable: callers may switch on them. */
export type LogErrorCode =
  /** A `log` line HAProxy refuses: address, `len`, `format`, `sample`, facility, levels. */
  | 'HAP_ERR_LOG_TARGET'
  /** A log-format string HAProxy refuses (unknown alias, HTTP alias in TCP mode, bad `%[…]`). */
  | 'HAP_ERR_LOG_FORMAT'
  /** HAProxy accepts it, haproxyd does not implement it yet (`ring@`, a sample fetch…). */
  | 'HAP_ERR_LOG_UNSUPPORTED';

/**
 * A compile-time error, worded as HAProxy words it (the caller prefixes file:line and the
 * keyword, e.g. `Parsing [haproxy.cfg:12]: failed to parse log-format : <message>.`).
 */
export class LogError extends Error {
  readonly code: LogErrorCode;

  constructor(code: LogErrorCode, message: string) {
    super(message);
    this.name = 'LogError';
    this.code = code;
  }
}
