// The public shapes: what a check is (CheckSpec), what the checker reports (events, state).
import type { CheckStatus } from './status.ts';

/** How a text or status is matched by an `expect` rule. */
export type ExpectMatch =
  /** tcp-check: the bytes contain it; http-check: the body contains it. */
  | { readonly kind: 'string'; readonly value: string }
  /** Regular expression on the bytes (tcp-check) or the body (http-check). */
  | { readonly kind: 'rstring'; readonly pattern: string }
  /** tcp-check only: the bytes contain these (given as hex digits). */
  | { readonly kind: 'binary'; readonly hex: string }
  /** tcp-check only: regular expression on the upper-case hex dump of the bytes. */
  | { readonly kind: 'rbinary'; readonly pattern: string }
  /** http-check only: the status is one of these inclusive ranges. */
  | { readonly kind: 'status'; readonly codes: readonly (readonly [number, number])[] }
  /** http-check only: regular expression on the status code. */
  | { readonly kind: 'rstatus'; readonly pattern: string }
  /** http-check only: a header (hdr: each comma-separated value; fhdr: the whole line). */
  | {
      readonly kind: 'hdr' | 'fhdr';
      readonly name: string;
      readonly nameMethod: HeaderMatchMethod;
      readonly value?: string;
      readonly valueMethod: HeaderMatchMethod;
    };

export type HeaderMatchMethod = 'str' | 'beg' | 'end' | 'sub' | 'reg';

/** One step of a `tcp-check` / `http-check` ruleset. */
export type CheckRule =
  | {
      readonly action: 'connect';
      /** Port to connect to (default: the check port). */
      readonly port?: number;
      readonly addr?: string;
      readonly sendProxy?: boolean;
      /** `default`: take the server's check settings (PROXY protocol) where not given. */
      readonly useDefaults?: boolean;
      readonly linger?: boolean;
      readonly comment?: string;
    }
  | { readonly action: 'send'; readonly data: string | Uint8Array; readonly comment?: string }
  | {
      readonly action: 'send-http';
      readonly method?: string;
      readonly uri?: string;
      readonly version?: string;
      readonly headers?: readonly (readonly [string, string])[];
      readonly body?: string;
      readonly comment?: string;
    }
  | {
      readonly action: 'expect';
      readonly match: ExpectMatch;
      readonly negate?: boolean;
      /** Bytes needed before judging; -1 (default) waits for more on a mismatch. */
      readonly minRecv?: number;
      readonly okStatus?: 'L7OK' | 'L7OKC' | 'L6OK' | 'L4OK';
      readonly errorStatus?: 'L7OKC' | 'L7RSP' | 'L7STS' | 'L6RSP' | 'L4CON';
      readonly timeoutStatus?: 'L7TOUT' | 'L6TOUT' | 'L4TOUT';
      /** Literal `info` on success (last rule) / on failure. */
      readonly onSuccess?: string;
      readonly onError?: string;
      readonly comment?: string;
    }
  /** Applies to the following rules of the same action, as `tcp-check comment`. */
  | { readonly action: 'comment'; readonly text: string };

/** What kind of check a server gets (the backend's `option …`). */
export type CheckKind =
  /** Plain connect (no check option). */
  | { readonly type: 'tcp' }
  /** `option tcp-check` with its `tcp-check` rules. */
  | { readonly type: 'tcp-check'; readonly rules: readonly CheckRule[] }
  /** `option httpchk` merged with `http-check` rules; without any rule: OPTIONS / HTTP/1.0, 2xx/3xx. */
  | { readonly type: 'http'; readonly rules: readonly CheckRule[] }
  | { readonly type: 'redis' }
  /** No user: only the server's greeting is read. */
  | { readonly type: 'mysql'; readonly user?: string; readonly post41: boolean }
  | { readonly type: 'pgsql'; readonly user: string }
  | { readonly type: 'smtp'; readonly hello: 'HELO' | 'EHLO'; readonly domain: string }
  | { readonly type: 'ldap' }
  | { readonly type: 'ssl-hello' };

export interface AgentSpec {
  readonly addr: string;
  readonly port: number;
  /** `agent-inter`, ms (also the agent's timeout without `timeout check`). */
  readonly inter: number;
  /** `agent-send`: sent verbatim once connected. */
  readonly send?: string;
  /**
   * The agent's own address (`agent-addr`, else `addr`), shown by `show servers state`;
   * absent: the agent goes to the server's address and follows its changes.
   */
  readonly ownAddr?: string;
}

export type ObserveMode = 'layer4' | 'layer7';
export type OnErrorMode = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

/** One server's checks: everything the checker needs, nothing read from elsewhere. */
export interface CheckSpec {
  readonly backend: string;
  /** How messages name the section: 'proxy' for a `listen`, else 'backend' (the default). */
  readonly label?: 'backend' | 'proxy';
  readonly server: string;
  /** Where the health check connects (server address, or `addr`/`port`). */
  readonly addr: string;
  readonly port: number;
  /**
   * The server's own address and port (default: addr/port): a check without its own `addr`
   * / `port` follows them when the runtime API changes them (`setServerAddress`).
   */
  readonly serverAddr?: string;
  readonly serverPort?: number;
  /** `addr` (HAProxy's check.addr); absent: the check follows the server's address. */
  readonly ownAddr?: string;
  /** `port` (HAProxy's check.port); absent or 0: the check follows the server's port. */
  readonly ownPort?: number;
  /** Initial weight (`weight`), the base of agent percentages. */
  readonly weight: number;
  readonly backup: boolean;
  /** `check` was set; false for a server with only `agent-check`. */
  readonly check: boolean;
  /** ms; HAProxy's defaults are 2000 / inter / inter. */
  readonly inter: number;
  readonly fastinter: number;
  readonly downinter: number;
  readonly rise: number;
  readonly fall: number;
  /** `timeout check`: limit after the connection is established; undefined: `inter` limits it all. */
  readonly timeout?: number;
  /** `timeout connect`, used (capped by inter) only together with `timeout check`. */
  readonly connectTimeout?: number;
  readonly kind: CheckKind;
  /** PROXY protocol v1 line before the check's bytes (`check-send-proxy`, or `send-proxy` without addr/port). */
  readonly sendProxy: boolean;
  /** `disabled`: starts in maintenance. */
  readonly disabled: boolean;
  /** `slowstart`, ms: reported on every up transition so the balancer ramps the weight. */
  readonly slowstart: number;
  readonly logHealthChecks: boolean;
  /** `http-check disable-on-404`. */
  readonly disableOn404: boolean;
  /** `http-check send-state`. */
  readonly sendState: boolean;
  readonly agent?: AgentSpec;
  readonly observe?: ObserveMode;
  readonly errorLimit: number;
  readonly onError: OnErrorMode;
  readonly onMarkedDown?: 'shutdown-sessions';
  readonly onMarkedUp?: 'shutdown-backup-sessions';
  /**
   * The check runs over TLS: `check-ssl`, or a server with `ssl` whose checks go to its own
   * address and port. The application fills `tls` with the server's TLS settings.
   */
  readonly ssl?: boolean;
  /** `check-sni`: the server name the check sends. */
  readonly sni?: string;
  /** `check-alpn`: the protocols the check offers. */
  readonly alpn?: readonly string[];
  /** Wraps a connected check socket into TLS (the application's, from the server's settings). */
  readonly tls?: CheckTls;
}

/** How a check's connection is turned into a TLS one. */
export interface CheckTls {
  connect(socket: import('node:net').Socket): import('node:tls').TLSSocket;
}

/** Operational state: HAProxy's RUNNING/STARTING (up), STOPPED (down), STOPPING (nolb). */
export type OperState = 'up' | 'down' | 'stopping';
export type AdminState = 'ready' | 'drain' | 'maint';
/** What the balancer should do with the server (the `@hap/balance` states). */
export type EffectiveState = 'up' | 'down' | 'drain' | 'maint';

export interface ServerView {
  readonly oper: OperState;
  readonly admin: AdminState;
  /** Current user weight (agent or runtime API may change it); 0 drains. */
  readonly weight: number;
  readonly effective: EffectiveState;
  /** Set by an agent's `maxconn:N`. */
  readonly maxconn: number | undefined;
}

export type ChangeCause = 'health-check' | 'agent-check' | 'admin' | 'observe';

export interface StateChange {
  readonly backend: string;
  readonly server: string;
  readonly cause: ChangeCause;
  readonly previous: ServerView;
  readonly current: ServerView;
  /** ms, from hooks.now(). */
  readonly at: number;
  /** Came back up with `slowstart`: ramp its weight from `at` over `slowstart` ms. */
  readonly slowstart: number;
  /** `on-marked-down shutdown-sessions` and the server just went down: kill its sessions. */
  readonly shutdownSessions: boolean;
  /** `on-marked-up shutdown-backup-sessions` and this active server just came up with weight: kill backup sessions. */
  readonly shutdownBackupSessions: boolean;
}

export interface CheckResult {
  readonly backend: string;
  readonly server: string;
  readonly agent: boolean;
  readonly status: CheckStatus;
  /** HTTP status, SMTP/MySQL/LDAP code, 0 otherwise. */
  readonly code: number;
  readonly info: string;
  /** ms; -1 when not measured (observe). */
  readonly duration: number;
  readonly health: number;
  readonly rise: number;
  readonly fall: number;
  readonly at: number;
}

export type LogLevel = 'emerg' | 'alert' | 'notice';

export interface LogLine {
  readonly level: LogLevel;
  /** HAProxy's sentence, final period included, no newline. */
  readonly text: string;
  readonly backend: string;
  readonly server: string | undefined;
}

/** Backend figures HAProxy prints in state-change sentences, after the change was applied. */
export interface Figures {
  /** Usable active / backup servers. */
  readonly active: number;
  readonly backup: number;
  /** Sessions on the server. */
  readonly sessions: number;
  /** Sessions moved out of (down) or into (up) the server's queue by this change. */
  readonly requeued: number;
  /** Down: left in the server's queue; up: total in the backend queue. */
  readonly queued: number;
}

export interface CheckerHooks {
  /** Called first on every change of state, admin state or weight: apply it to the balancer. */
  onStateChange(change: StateChange): void;
  onCheckResult?(result: CheckResult): void;
  /** HAProxy's log sentences (state changes, `option log-health-checks` lines). */
  onLog?(line: LogLine): void;
  /** Figures after onStateChange applied the change; default: counted over the checker's own servers. */
  figures?(backend: string, server: string): Figures;
  /** Clock in ms (default Date.now). */
  now?(): number;
  /** [0, 1) (default Math.random), for `spread-checks`. */
  random?(): number;
}

export interface CheckerOptions {
  /** Global `spread-checks`, percent 0..50. */
  readonly spreadChecks?: number;
  /** Global `max-spread-checks`, ms. */
  readonly maxSpreadChecks?: number;
}

export interface CheckState {
  readonly enabled: boolean;
  /** Paused by maintenance. */
  readonly paused: boolean;
  readonly running: boolean;
  readonly health: number;
  readonly rise: number;
  readonly fall: number;
  readonly status: CheckStatus;
  readonly code: number;
  readonly info: string;
  readonly duration: number;
  /** ms of the last completed check, 0 before the first one. */
  readonly lastRun: number;
  /**
   * The check's own address and port (HAProxy's check.addr / check.port: `addr`, `port`,
   * `agent-addr`, `agent-port`, or the runtime API's `check-addr`, `agent-port`…); undefined
   * and 0 when it follows the server's. Where it connects: `target`.
   */
  readonly addr: string | undefined;
  readonly port: number;
  /** Where the next run connects (before any `connect addr|port` rule of its own). */
  readonly target: { readonly addr: string; readonly port: number };
}

export interface ServerCheckState extends ServerView {
  readonly backend: string;
  readonly server: string;
  readonly initialWeight: number;
  /** Stats-page wording: `UP`, `UP 1/3`, `DOWN`, `DOWN 1/2`, `NOLB`, `MAINT`, `DRAIN`, `no check`. */
  readonly text: string;
  readonly lastChange: number;
  readonly check: CheckState;
  readonly agent: CheckState | undefined;
}

/** A server's state carried over from a previous process (`HealthChecker.restore`). */
export interface RestoredServer {
  readonly oper: OperState;
  /** The health check's counter (0 .. rise+fall-1); ignored without a health check. */
  readonly health: number;
  readonly maint: boolean;
  readonly drain: boolean;
  /** The weight in use; undefined keeps the configured one. */
  readonly weight?: number | undefined;
  /** When the state last changed (ms, the checker's clock). */
  readonly lastChange?: number | undefined;
  /** The last check status, shown until the next check. */
  readonly status?: CheckStatus | undefined;
}

/** Connection outcomes the proxy reports for `observe`. */
export type ObservedEvent =
  | 'l4-ok'
  | 'l4-error'
  | 'http-ok'
  | 'http-status'
  | 'http-headers'
  | 'http-invalid'
  | 'http-read-error'
  | 'http-read-timeout'
  | 'http-broken-pipe';
