// What the proxy tells the renderers: the current state of every proxy, listener and
// server, next to the counters it increments. Pull-based: nothing here is computed until
// someone asks for statistics.
import type { ListenerCounters, ProxyCounters, ServerCounters } from './counters.ts';
import type { InfoValues } from './info.ts';

/** The proxy's `mode` as printed in the `mode` column. */
export type ProxyMode = 'tcp' | 'http' | 'health' | 'cli' | 'syslog' | 'peers' | 'unknown';

export interface StatsSource {
  /** Process-wide values for `show info` (see processInfo()). */
  info(): InfoValues;
  /** Every proxy (frontend, backend, listen), in configuration order. */
  proxies(): Iterable<ProxyState>;
}

export interface ProxyState {
  readonly name: string;
  /** The proxy's numeric id (`id` keyword or its position), `iid` in the stats. */
  readonly id: number;
  readonly mode: ProxyMode;
  /** `disabled` in the configuration: the Prometheus exporter skips it. */
  readonly disabled?: boolean;
  /** The id was set with `id` (bk_f_forced_id in `show servers state`). */
  readonly forcedId?: boolean;
  /** Present when the proxy can accept connections (frontend, listen). */
  readonly frontend?: FrontendState;
  /** Listeners with their own counters (`option socket-stats`), in `bind` order. */
  readonly listeners?: readonly ListenerState[];
  /** Present when the proxy can hold servers (backend, listen). */
  readonly backend?: BackendState;
  readonly servers?: readonly ServerState[];
}

export interface FrontendState {
  readonly counters: ProxyCounters;
  /** Current connections (feconn). */
  readonly scur: number;
  /** The frontend's maxconn. */
  readonly maxconn: number;
  /** `rate-limit sessions` (0: none). */
  readonly rateLimit?: number;
  /** Stopped (after a soft stop or `shutdown frontend`): status STOP instead of OPEN. */
  readonly stopped?: boolean;
}

/** HAProxy 2.6 prints only these three for listeners. */
export type ListenerStatus = 'WAITING' | 'OPEN' | 'FULL';

export interface ListenerState {
  /** The `name` of the bind line (HAProxy names unnamed ones `sock-N`). */
  readonly name: string;
  /** The listener's id (luid), `sid` in the stats. */
  readonly id: number;
  readonly counters: ListenerCounters;
  readonly scur: number;
  readonly maxconn: number;
  readonly status: ListenerStatus;
  /** `ip:port`, `[ipv6]:port` or `unix`. */
  readonly addr: string;
}

export interface BackendState {
  readonly counters: ProxyCounters;
  /** Current streams on the backend (beconn). */
  readonly scur: number;
  /** Streams waiting in the backend's queue. */
  readonly qcur: number;
  /** `fullconn`, printed as `slim`. */
  readonly fullconn: number;
  /** The `balance` algorithm as HAProxy names it (roundrobin, static-rr, leastconn, source, uri…). */
  readonly algo: string;
  /** The `cookie` name, if any. */
  readonly cookie?: string;
  /** Sum of the effective weights of the servers taking traffic (0: the backend is DOWN). */
  readonly weight: number;
  /** Usable active and backup servers. */
  readonly act: number;
  readonly bck: number;
  /** Last UP/DOWN change of the backend, in seconds since the epoch. */
  readonly lastChange: number;
  /** Seconds spent DOWN. */
  readonly downtime: number;
  /** UP to DOWN transitions of the backend. */
  readonly chkdown: number;
  /** `option allbackups`: the uweight of a DOWN backend counts every backup, not only the first. */
  readonly allBackups?: boolean;
}

/** SRV_ST_*: only 'stopped' is down. 'starting' is up in slow start, 'stopping' is NOLB. */
export type ServerOpState = 'stopped' | 'starting' | 'running' | 'stopping';

/** SRV_ADMF_* bits, as `show servers state` prints them in srv_admin_state. */
export const SRV_ADMF = {
  /** forced into maintenance (`set server … state maint`). */
  FMAINT: 0x01,
  /** inherited from a tracked server. */
  IMAINT: 0x02,
  /** `disabled` in the configuration. */
  CMAINT: 0x04,
  FDRAIN: 0x08,
  IDRAIN: 0x10,
  /** down because its address could not be resolved. */
  RMAINT: 0x20,
  /** FQDN set from the CLI. */
  HMAINT: 0x40,
  /** any maintenance. */
  MAINT: 0x23,
  /** any drain. */
  DRAIN: 0x18,
} as const;

/** HAProxy's check statuses, in its numbering (srv_check_status), with their texts. */
export const CHECK_STATUSES = [
  { name: 'UNK', desc: 'Unknown', result: 0 },
  { name: 'INI', desc: 'Initializing', result: 0 },
  { name: 'START', desc: '', result: 0 },
  { name: 'CHECKED', desc: 'No status change', result: 1 },
  { name: 'HANA', desc: 'Health analyze', result: 2 },
  { name: 'SOCKERR', desc: 'Socket error', result: 2 },
  { name: 'L4OK', desc: 'Layer4 check passed', result: 3 },
  { name: 'L4TOUT', desc: 'Layer4 timeout', result: 2 },
  { name: 'L4CON', desc: 'Layer4 connection problem', result: 2 },
  { name: 'L6OK', desc: 'Layer6 check passed', result: 3 },
  { name: 'L6TOUT', desc: 'Layer6 timeout', result: 2 },
  { name: 'L6RSP', desc: 'Layer6 invalid response', result: 2 },
  { name: 'L7TOUT', desc: 'Layer7 timeout', result: 2 },
  { name: 'L7RSP', desc: 'Layer7 invalid response', result: 2 },
  { name: 'L57DATA', desc: '', result: 0 },
  { name: 'L7OK', desc: 'Layer7 check passed', result: 3 },
  { name: 'L7OKC', desc: 'Layer7 check conditionally passed', result: 4 },
  { name: 'L7STS', desc: 'Layer7 wrong status', result: 2 },
  { name: 'PROCERR', desc: 'External check error', result: 2 },
  { name: 'PROCTOUT', desc: 'External check timeout', result: 2 },
  { name: 'PROCOK', desc: 'External check passed', result: 3 },
] as const;

export type CheckStatusName = (typeof CHECK_STATUSES)[number]['name'];

/** The position of a check status in HAProxy's numbering. */
export function checkStatusCode(name: CheckStatusName): number {
  return CHECK_STATUSES.findIndex((s) => s.name === name);
}

/** One health check or agent check of a server. */
export interface CheckState {
  /** Last result (`L4OK`, `L7STS`…; `INI` before the first one). */
  readonly status: CheckStatusName;
  /** Administratively enabled (`disable health` clears it). Default true. */
  readonly enabled?: boolean;
  /** Paused because the server is in maintenance. */
  readonly paused?: boolean;
  /** A check is running right now: check_status gets a "* " prefix. */
  readonly inProgress?: boolean;
  /** Layer 5-7 code (HTTP status…), printed once the check got that far. */
  readonly code?: number;
  /** Duration of the last check in ms. */
  readonly duration?: number;
  /** The detail of the last result (`last_chk`: "Connection refused", "HTTP status check returned code <200>"…). */
  readonly desc?: string;
  readonly rise: number;
  readonly fall: number;
  /** 0..rise+fall-1: below `rise` the server is DOWN. */
  readonly health: number;
  /** CHK_RES_* for `show servers state` (0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed). */
  readonly result?: number;
  /** `port` / `addr` of the check when set apart from the server's. */
  readonly port?: number;
  readonly addr?: string;
}

export interface ServerState {
  readonly name: string;
  /** The server's id (puid), `sid` in the stats. */
  readonly id: number;
  readonly counters: ServerCounters;
  readonly backup?: boolean;
  readonly opState: ServerOpState;
  /** SRV_ADMF_* bits (0: none). */
  readonly admin?: number;
  /** The status text; computed by serverStatusText() when absent. */
  readonly status?: string;
  /** Effective weight as HAProxy prints it (after slow start and scaling). */
  readonly weight: number;
  /** The weight the user set. */
  readonly uweight: number;
  /** The weight from the configuration (srv_iweight in `show servers state`). */
  readonly iweight?: number;
  readonly scur: number;
  readonly qcur: number;
  /** 0: no maxconn. */
  readonly maxconn?: number;
  /** 0: no maxqueue. */
  readonly maxqueue?: number;
  /** Last state change, in seconds since the epoch. */
  readonly lastChange: number;
  /** Seconds spent DOWN (printed when a health check is enabled). */
  readonly downtime?: number;
  /** Slow-start ratio in percent, while 'starting'. */
  readonly throttle?: number;
  /** `track <proxy>/<server>`, with that chain's last server's checks (its state decides ours). */
  readonly tracked?: {
    readonly proxy: string;
    readonly server: string;
    readonly check?: CheckState;
    readonly agent?: CheckState;
  };
  readonly check?: CheckState;
  readonly agent?: CheckState;
  /**
   * A server with an agent but no `check`: the counter HAProxy keeps for the health check
   * that is not configured (its rise and fall, a health the runtime API's `set server …
   * health` sets), which the status column counts with (`DOWN 0/2`).
   */
  readonly uncheckedHealth?: { readonly health: number; readonly rise: number; readonly fall: number };
  /** `observe layer4|layer7` is set: hanafail is printed. */
  readonly observe?: boolean;
  /** `ip:port`, `[ipv6]:port` or `unix`. */
  readonly addr: string;
  readonly cookie?: string;
  /** Idle connection pools. */
  readonly idle?: {
    /** srv_icur: idle connections available for reuse. */
    readonly cur: number;
    /** src_ilim: `pool-max-conn` (absent: unlimited). */
    readonly limit?: number;
    readonly unsafe: number;
    readonly safe: number;
    readonly used: number;
    readonly needEst: number;
  };
  /** For `show servers state`. */
  readonly fqdn?: string;
  readonly useSsl?: boolean;
  readonly forcedId?: boolean;
}

/** Frames a server state the way HAProxy's status column does (srv_hlt_st). */
export function serverStatusText(s: ServerState): string {
  const admin = s.admin ?? 0;
  if (admin & SRV_ADMF.RMAINT) return 'MAINT (resolution)';
  if (admin & SRV_ADMF.IMAINT)
    return `MAINT (via ${s.tracked ? `${s.tracked.proxy}/${s.tracked.server}` : '?'})`;
  if (admin & SRV_ADMF.MAINT) return 'MAINT';
  // the checks that decide: those at the end of the track chain
  const check = s.tracked ? s.tracked.check : s.check;
  const agent = s.tracked ? s.tracked.agent : s.agent;
  const checkOn = check !== undefined && check.enabled !== false;
  const agentOn = agent !== undefined && agent.enabled !== false;
  const counter = check ?? (s.tracked ? undefined : s.uncheckedHealth);
  const rise = counter?.rise ?? 0;
  const fall = counter?.fall ?? 0;
  const health = counter?.health ?? 0;
  const counts = (up: boolean) => (up ? `${health - rise + 1}/${fall}` : `${health}/${rise}`);
  if (s.opState === 'running' || s.opState === 'starting') {
    const goingDown = checkOn && health < rise + fall - 1;
    if (admin & SRV_ADMF.DRAIN) {
      if (agentOn) return 'DRAIN (agent)';
      return goingDown ? `DRAIN ${counts(true)}` : 'DRAIN';
    }
    if (goingDown) return `UP ${counts(true)}`;
    return checkOn ? 'UP' : 'no check';
  }
  if (s.opState === 'stopping') {
    // HAProxy looks at the server's own check here, not the tracked one
    const own = s.check !== undefined && s.check.enabled !== false;
    if ((!own && !s.tracked) || health === rise + fall - 1) return 'NOLB';
    return `NOLB ${counts(true)}`;
  }
  if (agentOn && agent.health === 0) return 'DOWN (agent)';
  if (checkOn && health === 0) return 'DOWN';
  if (agentOn || checkOn) return `DOWN ${counts(false)}`;
  return 'DOWN';
}
