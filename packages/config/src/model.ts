/**
 * The typed configuration model. Every keyword that was parsed is kept in its
 * section's `directives` list (word for word, with its place), and the ones
 * the runtime reads are also set on typed fields.
 */

export interface SourceRef {
  file: string;
  line: number;
}

/** One configuration line as it was understood: the keyword and its words. */
export interface Directive extends SourceRef {
  /** The keyword as looked up, e.g. `timeout client`, `option httplog`, `maxconn`. */
  keyword: string;
  /** All words of the line, after `no`/`default` were taken away. */
  args: string[];
  /** `no option …` / `default option …` */
  modifier: 'none' | 'no' | 'default';
  /** false when haproxyd parses this keyword but its runtime does not honour it yet. */
  supported: boolean;
  /** Options on this line (bind/server) that are parsed but not honoured yet. */
  unhonoured?: string[];
}

export type AddressFamily = 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'fd' | 'sockpair';

/** One address of a `bind` line (comma lists and port ranges give several). */
export interface BindAddress {
  family: AddressFamily;
  /** Host part as written ('' for any address). For unix/abns: the path; for fd: the number. */
  host: string;
  /** First and last port of the range (equal for a single port); 0 for unix, abns, fd. */
  portLow: number;
  portHigh: number;
  /** The address exactly as written in the configuration. */
  raw: string;
}

export interface BindModel extends SourceRef {
  addresses: BindAddress[];
  /** Options as written: `maxconn` → "100", flags → true. */
  options: Record<string, string | true>;
  /** The same options in the order written, repeats kept (`crt a.pem crt b.pem`). */
  optionList: [string, string | true][];
}

export interface ServerAddress {
  family: AddressFamily | 'hostname' | 'none';
  host: string;
  /** 0 when absent (the port of the client connection is used). */
  port: number;
  /** `+N` / `-N` port offsets relative to the client's destination port. */
  portOffset: boolean;
  raw: string;
}

export interface ServerModel extends SourceRef {
  name: string;
  address: ServerAddress;
  options: Record<string, string | true>;
  weight: number;
  maxconn: number;
  backup: boolean;
  disabled: boolean;
  check: boolean;
  /** Check timing, in ms. */
  inter: number;
  fastinter: number;
  downinter: number;
  rise: number;
  fall: number;
}

export interface AclModel extends SourceRef {
  name: string;
  /** The words after the name: criterion, flags, patterns (as the ACL engine reads them). */
  words: string[];
  fetch: string;
  flags: string[];
  patterns: string[];
}

/** A rule condition: `if`/`unless` followed by ACL terms. */
export interface ConditionModel {
  polarity: 'if' | 'unless';
  /** OR of AND groups; each term names an ACL (or an anonymous `{ … }` one), maybe negated. */
  terms: { negate: boolean; acl: string; anonymous?: string[] }[][];
}

export interface RuleModel extends SourceRef {
  /** e.g. `http-request`, `tcp-request content` */
  ruleSet: string;
  action: string;
  args: string[];
  condition: ConditionModel | undefined;
}

export interface SwitchingRule extends SourceRef {
  backend: string;
  condition: ConditionModel | undefined;
}

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface ProxyModel extends SourceRef {
  kind: ProxyKind;
  /** '' for an anonymous defaults section. */
  name: string;
  /** Named defaults this section takes its settings from (`from`), or the last anonymous one. */
  defaultsFrom: string | undefined;
  mode: 'tcp' | 'http' | 'log' | undefined;
  /** `disabled` keyword. */
  disabled: boolean;
  maxconn: number | undefined;
  /** `rate-limit sessions`: sessions accepted per second on the frontend (0 = no limit). */
  rateLimitSessions: number;
  /** Connection retries to a server (`retries`); HAProxy's default is 3. */
  retries: number | undefined;
  binds: BindModel[];
  servers: ServerModel[];
  defaultServer: Record<string, string | true>;
  /** Timeouts in ms, by name (`client`, `server`, `connect`, …). */
  timeouts: Record<string, number>;
  /** `option X` (true) / `no option X` (false). */
  options: Record<string, boolean>;
  /** `balance` algorithm and its arguments. */
  balance: { algorithm: string; args: string[] } | undefined;
  acls: AclModel[];
  useBackends: SwitchingRule[];
  defaultBackend: (SourceRef & { name: string }) | undefined;
  rules: RuleModel[];
  directives: Directive[];
}

export interface GlobalModel {
  daemon: boolean;
  masterWorker: boolean;
  quiet: boolean;
  maxconn: number | undefined;
  nbthread: number | undefined;
  pidfile: string | undefined;
  chroot: string | undefined;
  user: string | undefined;
  uid: number | undefined;
  group: string | undefined;
  gid: number | undefined;
  ulimitN: number | undefined;
  hardStopAfter: number | undefined;
  /**
   * `maxconnrate`, `maxsessrate`, `maxsslrate`: per-process connections, sessions and SSL
   * sessions accepted per second; 0 = no limit. Kept as HAProxy keeps them (atol() into
   * 32 bits: `-5` is 4294967291).
   */
  maxconnrate: number;
  maxsessrate: number;
  maxsslrate: number;
  /** `maxcomprate` in bytes per second (written in kB/s; HAProxy keeps × 1024). 0 = no limit. */
  maxcomprate: number;
  /** `maxcompcpuusage`, percent (100 = no limit, the default). */
  maxcompcpuusage: number;
  /** `stats socket` lines, kept whole for the runtime API. */
  statsSockets: BindModel[];
  directives: Directive[];
}

/** Sections other than global and proxies, kept as directive lists. */
export interface OtherSection extends SourceRef {
  kind: string;
  name: string;
  directives: Directive[];
}

export interface ConfigModel {
  files: string[];
  global: GlobalModel;
  /** Every proxy section in file order (defaults, frontend, backend, listen). */
  proxies: ProxyModel[];
  sections: OtherSection[];
}

export function newGlobal(): GlobalModel {
  return {
    daemon: false,
    masterWorker: false,
    quiet: false,
    maxconn: undefined,
    nbthread: undefined,
    pidfile: undefined,
    chroot: undefined,
    user: undefined,
    uid: undefined,
    group: undefined,
    gid: undefined,
    ulimitN: undefined,
    hardStopAfter: undefined,
    maxconnrate: 0,
    maxsessrate: 0,
    maxsslrate: 0,
    maxcomprate: 0,
    maxcompcpuusage: 100,
    statsSockets: [],
    directives: [],
  };
}

export function newProxy(kind: ProxyKind, name: string, where: SourceRef): ProxyModel {
  return {
    file: where.file,
    line: where.line,
    kind,
    name,
    defaultsFrom: undefined,
    mode: undefined,
    disabled: false,
    maxconn: undefined,
    rateLimitSessions: 0,
    retries: undefined,
    binds: [],
    servers: [],
    defaultServer: {},
    timeouts: {},
    options: {},
    balance: undefined,
    acls: [],
    useBackends: [],
    defaultBackend: undefined,
    rules: [],
    directives: [],
  };
}
