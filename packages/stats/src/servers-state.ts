// `show servers state`: the format of version 1 that `server-state-file` reads back at
// startup, so that a reload keeps the servers' states and weights.
import {
  CHECK_STATUSES,
  type CheckState,
  checkStatusCode,
  type ServerState,
  SRV_ADMF,
  type StatsSource,
} from './source.ts';

export const SERVERS_STATE_VERSION = 1;

/** The column names of version 1, in order. */
export const SERVERS_STATE_FIELDS = [
  'be_id',
  'be_name',
  'srv_id',
  'srv_name',
  'srv_addr',
  'srv_op_state',
  'srv_admin_state',
  'srv_uweight',
  'srv_iweight',
  'srv_time_since_last_change',
  'srv_check_status',
  'srv_check_result',
  'srv_check_health',
  'srv_check_state',
  'srv_agent_state',
  'bk_f_forced_id',
  'srv_f_forced_id',
  'srv_fqdn',
  'srv_port',
  'srvrecord',
  'srv_use_ssl',
  'srv_check_port',
  'srv_check_addr',
  'srv_agent_addr',
  'srv_agent_port',
] as const;

const OP_STATE = { stopped: 0, starting: 1, running: 2, stopping: 3 } as const;

// CHK_ST_* bits of srv_check_state / srv_agent_state
const CHK_ST_INPROGRESS = 0x01;
const CHK_ST_CONFIGURED = 0x02;
const CHK_ST_ENABLED = 0x04;
const CHK_ST_PAUSED = 0x08;
const CHK_ST_AGENT = 0x10;

function checkBits(c: CheckState | undefined, agent: boolean, maint: boolean): number {
  // a server in maintenance without a check shows a paused one; a configured check says
  // itself whether maintenance paused it (HAProxy pauses only an enabled one)
  if (!c) return maint && !agent ? CHK_ST_PAUSED : 0;
  let bits = CHK_ST_CONFIGURED | (agent ? CHK_ST_AGENT : 0);
  if (c.enabled !== false) bits |= CHK_ST_ENABLED;
  if (c.paused) bits |= CHK_ST_PAUSED;
  if (c.inProgress) bits |= CHK_ST_INPROGRESS;
  return bits;
}

/** Splits `ip:port` / `[ipv6]:port` into the address and the port `show servers state` print apart. */
export function splitAddr(addr: string): { host: string; port: number } {
  const v6 = /^\[(.*)\]:(\d+)$/.exec(addr);
  if (v6) return { host: v6[1]!, port: Number(v6[2]) };
  const v4 = /^(.*):(\d+)$/.exec(addr);
  if (v4) return { host: v4[1]!, port: Number(v4[2]) };
  return { host: addr, port: 0 };
}

function serverLine(beId: number, beName: string, beForced: boolean, s: ServerState, nowSec: number): string {
  const { host, port } = splitAddr(s.addr);
  const maint = ((s.admin ?? 0) & SRV_ADMF.MAINT) !== 0;
  const check = s.check;
  const status = check ? checkStatusCode(check.status) : checkStatusCode('INI');
  const result = check?.result ?? CHECK_STATUSES[status]?.result ?? 0;
  // a server without a check is as healthy as its rise, or 0 when down
  // (an agent alone leaves that unconfigured health check's counter at its rise)
  const health = check
    ? check.health
    : s.uncheckedHealth
      ? s.uncheckedHealth.health
      : s.opState === 'stopped' && !s.agent
        ? 0
        : 2;
  return [
    beId,
    beName,
    s.id,
    s.name,
    host || '-',
    OP_STATE[s.opState],
    s.admin ?? 0,
    s.uweight,
    s.iweight ?? s.uweight,
    nowSec - s.lastChange,
    status,
    result,
    health,
    checkBits(check, false, maint),
    checkBits(s.agent, true, maint),
    beForced ? 1 : 0,
    s.forcedId ? 1 : 0,
    s.fqdn ?? '-',
    port,
    '-',
    s.useSsl ? 1 : 0,
    check?.port ?? 0,
    check?.addr ?? '-',
    s.agent?.addr ?? '-',
    s.agent?.port ?? 0,
  ].join(' ');
}

export interface ServersStateOptions {
  /** Only this backend (by name). */
  readonly backend?: string;
  /** Now in ms since the epoch (default Date.now()). */
  readonly now?: number;
}

/** The answer to `show servers state [<backend>]`. */
export function showServersState(source: StatsSource, opts: ServersStateOptions = {}): string {
  const nowSec = Math.floor((opts.now ?? Date.now()) / 1000);
  const proxies = [...source.proxies()].filter((p) => p.backend);
  const selected = opts.backend === undefined ? proxies : proxies.filter((p) => p.name === opts.backend);
  if (opts.backend !== undefined && selected.length === 0) return "Can't find backend.\n";
  let out = `${SERVERS_STATE_VERSION}\n# ${SERVERS_STATE_FIELDS.join(' ')}\n`;
  for (const px of selected) {
    for (const s of px.servers ?? [])
      out += `${serverLine(px.id, px.name, px.forcedId === true, s, nowSec)}\n`;
  }
  return out;
}
