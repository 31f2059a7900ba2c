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
  | 'HAP_ERR_SAMPLE_NO_ACL'
  /** An argument names a userlist or a stick table that does not exist. */
  | 'HAP_ERR_SAMPLE_REFERENCE'
  /** A `userlist` section line that HAProxy refuses (`createUserlist`). */
  | 'HAP_ERR_SAMPLE_USERLIST';

/**
 * A compile-time error, worded as HAProxy words it (the caller prefixes file:line and the
 * keyword being parsed).
 */
export class SampleError extends Error {
  readonly code: SampleErrorCode;
  /** `createUserlist`: the index of the offending line in the lines given. */
  readonly index?: number;

  constructor(code: SampleErrorCode, message: string, index?: number) {
    super(message);
    this.name = 'SampleError';
    this.code = code;
    if (index !== undefined) this.index = index;
  }
}
