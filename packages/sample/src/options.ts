/** Where and how a sample expression, ACL, condition or log-format is compiled. */
export interface CompileOptions {
  file: string;
  line: number;
  /** Resolves `-f` / map file paths (HAProxy: relative to the current directory). */
  resolvePath(p: string): string;
  /**
   * The side `hdr`, `cookie`, … read when their name does not say, and how `res.cook`
   * splits values (HAProxy: the rule set, `http-request` or `http-response`). Default 'request'.
   */
  direction?: 'request' | 'response';
  /**
   * How `compileLogFormat` renders: 'http' for header values, reply bodies and redirects
   * (`%[…]` has control characters %-encoded, no quoting, nothing for a missing sample;
   * spaces kept), 'log' for `log-format` lines (`%[…]` can be quoted, a missing one prints
   * '-', consecutive spaces are merged). Default 'http'.
   */
  logFormatUse?: 'http' | 'log';
}
