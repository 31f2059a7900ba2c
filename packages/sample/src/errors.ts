/** Error codes thrown by this package. Stable: callers may switch on them. */
export type SampleErrorCode =
  /** A fetch, converter, ACL keyword or log-format alias that HAProxy 2.6 does not know. */
  | 'HAP_ERR_SAMPLE_UNKNOWN'
  /** HAProxy knows it, haproxyd does not implement it yet. */
  | 'HAP_ERR_SAMPLE_UNSUPPORTED'
  /** Malformed syntax or arguments: parentheses, types, counts, values, flags. */
  | 'HAP_ERR_SAMPLE_SYNTAX'
  /** A pattern, map key or map value that does not parse for its match method or type. */
  | 'HAP_ERR_SAMPLE_PATTERN'
  /** A regular expression that does not compile (or uses PCRE syntax JS lacks). */
  | 'HAP_ERR_SAMPLE_REGEX'
  /** A pattern or map file that cannot be read. */
  | 'HAP_ERR_SAMPLE_FILE'
  /** A condition names an ACL that is neither declared nor predefined. */
  | 'HAP_ERR_SAMPLE_NO_ACL';

/**
 * A compile-time error, worded as HAProxy words it (the caller prefixes file:line and the
 * keyword being parsed).
 */
export class SampleError extends Error {
  readonly code: SampleErrorCode;

  constructor(code: SampleErrorCode, message: string) {
    super(message);
    this.name = 'SampleError';
    this.code = code;
  }
}
