import type { Userlist } from './auth/userlist.ts';

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
  /**
   * Whether a userlist of that name exists (`http_auth(<userlist>)`…): an unknown one is a
   * compile error, worded as HAProxy's. Absent: every name is accepted.
   */
  userlistExists?(name: string): boolean;
  /**
   * The userlist of that name, when known at compile time: besides its existence, the groups
   * an `http_auth_group(<userlist>) <group>…` ACL names are checked (HAProxy refuses unknown
   * ones, and the ACL without any).
   */
  userlist?(name: string): Userlist | undefined;
  /**
   * The table of the proxy the expression belongs to (HAProxy: the proxy's name), used by
   * `src_*`, `table_cnt`, `table_avl` and the `table_*` converters given no table name. Absent:
   * they use `SampleEnv.stick.table(undefined)` at run time and nothing is checked.
   */
  defaultTable?: string;
  /**
   * Whether a stick table of that name exists: an unknown table (or a default one that does
   * not exist) is a compile error worded as HAProxy's. Absent: every name is accepted.
   */
  tableExists?(name: string): boolean;
  /**
   * The proxy the expression belongs to: a `[<backend>/]<server>` argument without a backend
   * names a server of this proxy, an empty `<backend>`/`<frontend>` argument this proxy (as
   * HAProxy resolves them). Absent: the stream's backend at run time, nothing checked.
   */
  currentProxy?: string;
  /**
   * What a proxy of that name can be used as (`be_conn(<backend>)`, `fe_conn(<frontend>)`,
   * `srv_conn(<backend>/<server>)`); undefined: no such proxy. Absent: every name is accepted.
   */
  proxyCaps?(name: string): { readonly frontend: boolean; readonly backend: boolean } | undefined;
  /** Whether backend `backend` has a server `server` (checked with `proxyCaps`). */
  serverExists?(backend: string, server: string): boolean;
}
